"""What the figures show, computed from the tables (the plot functions compute nothing).

Every function takes the run's tables (or a piece of the sessions table with its columns: client_id,
session, stage, bond, goal, task, alliance, rupture, rupture_resolved) and returns a small frame.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulation import measures

TERCILES = ("low", "middle", "high")


def rupture_events(sessions: pd.DataFrame) -> pd.DataFrame:
    """One row per rupture: client_id, onset (session), resolved, resolved_at (session; NA if not),
    noticed (NA unless the sessions carry ``rupture_noticed``, which the teaching page records).

    A rupture is resolved if a session from its onset on (the same session included) reports a
    resolution before the next rupture begins: a dyad has at most one open rupture at a time. One
    still open when the course ends counts as unresolved.
    """
    ordered = sessions.sort_values(["client_id", "session"], kind="stable")
    number = ordered.groupby("client_id")["rupture"].cumsum()
    onsets = ordered.loc[ordered["rupture"], ["client_id", "session"]].rename(columns={"session": "onset"})
    onsets["number"] = number[ordered["rupture"]]
    resolutions = (
        ordered.loc[ordered["rupture_resolved"], ["client_id", "session"]]
        .assign(number=number[ordered["rupture_resolved"]])
        .groupby(["client_id", "number"])["session"]
        .min()
        .rename("resolved_at")
    )
    events = onsets.join(resolutions, on=["client_id", "number"])
    events["resolved"] = events["resolved_at"].notna()
    events["resolved_at"] = events["resolved_at"].astype("Int16")
    if "rupture_noticed" in ordered:
        noticed = ordered["rupture_noticed"].groupby([ordered["client_id"], number]).any().rename("noticed")
        events = events.join(noticed, on=["client_id", "number"])
        events["noticed"] = events["noticed"] | events["resolved"]
    else:
        events["noticed"] = pd.NA
    return events.drop(columns="number").reset_index(drop=True)


V_GROUPS = ("repaired in a later session", "repaired in the session it began", "not repaired")


def v_shape(sessions: pd.DataFrame, before: int = 2, after: int = 6) -> pd.DataFrame:
    """Mean change of the composite alliance around a rupture, from the session before its onset.

    Returns one row per (group, offset): group one of V_GROUPS (a rupture repaired within its first
    session shows no dip in the session records, so it is kept apart), offset in sessions from the
    onset (-before..after), mean change, its 95% interval (normal approximation) and n. Ruptures at
    session 1 have no session before and are left out; later offsets average the clients still in
    therapy.
    """
    events = rupture_events(sessions)
    events = events[events["onset"] >= 2]
    group = np.select(
        [~events["resolved"], (events["resolved_at"] == events["onset"]).fillna(False).to_numpy(dtype=bool)],
        [V_GROUPS[2], V_GROUPS[1]],
        default=V_GROUPS[0],
    )
    alliance = sessions.set_index(["client_id", "session"])["alliance"].astype(float)
    baseline = alliance.reindex(pd.MultiIndex.from_arrays([events["client_id"], events["onset"] - 1])).to_numpy()
    rows = []
    for offset in range(-before, after + 1):
        at = pd.MultiIndex.from_arrays([events["client_id"], events["onset"] + offset])
        change = pd.DataFrame({"group": group, "change": alliance.reindex(at).to_numpy() - baseline}).dropna()
        for label, values in change.groupby("group")["change"]:
            n, mean = len(values), values.mean()
            half = 1.96 * values.std(ddof=1) / np.sqrt(n) if n > 1 else np.nan
            rows.append(
                {"group": label, "offset": offset, "mean": mean, "low": mean - half, "high": mean + half, "n": n}
            )
    return pd.DataFrame(rows, columns=["group", "offset", "mean", "low", "high", "n"])


def outcome_shares(outcomes: pd.Series) -> pd.Series:
    """Share of each outcome category (measures.OUTCOMES, in order), 0-1."""
    return outcomes.value_counts(normalize=True).reindex(list(measures.OUTCOMES), fill_value=0.0)


def therapist_tercile(clients: pd.DataFrame, therapists: pd.DataFrame, trait: str) -> pd.Series:
    """Each client's tercile (low / middle / high, over the cohort's clients) of their therapist's
    ``trait``, labelled with the trait's range in that tercile."""
    values = clients["therapist_id"].map(therapists.set_index("therapist_id")[trait])
    codes = pd.qcut(values.rank(method="first"), 3, labels=False)
    ranges = values.groupby(codes).agg(["min", "max"])
    labels = {code: f"{TERCILES[code]} ({row['min']:.2f}-{row['max']:.2f})" for code, row in ranges.iterrows()}
    return pd.Series(pd.Categorical(codes.map(labels), categories=list(labels.values())), index=clients.index)


def outcomes_by(groups: pd.Series, outcomes: pd.Series) -> pd.DataFrame:
    """Outcome shares (columns, measures.OUTCOMES) within each group (rows, in the groups' order)."""
    table = pd.crosstab(groups, outcomes, normalize="index")
    return table.reindex(columns=list(measures.OUTCOMES), fill_value=0.0)


def dropout_survival(clients: pd.DataFrame, groups: pd.Series) -> pd.DataFrame:
    """Share of clients who have not dropped out by each session (Kaplan-Meier; a planned ending or
    the course limit censors), per group (columns) and over all clients ('all clients').

    Rows: session 0 (intake, 1.0) to the longest course. A dropout's course ends at its last
    scheduled session (``sessions_scheduled``)."""
    last = clients["sessions_scheduled"].to_numpy()
    dropped = clients["dropped_out"].to_numpy()
    sessions = np.arange(0, int(last.max()) + 1)

    def survival(mask: np.ndarray) -> np.ndarray:
        at_risk = (last[mask][None, :] >= sessions[:, None]).sum(axis=1)
        events = ((last[mask][None, :] == sessions[:, None]) & dropped[mask][None, :]).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            hazard = np.where(at_risk > 0, events / at_risk, 0.0)
        return np.cumprod(1.0 - hazard)

    curves = {str(name): survival((groups == name).to_numpy()) for name in groups.cat.categories}
    curves["all clients"] = survival(np.ones(len(clients), dtype=bool))
    return pd.DataFrame(curves, index=pd.Index(sessions, name="session"))


def dose_response(sessions: pd.DataFrame, clients: pd.DataFrame) -> pd.DataFrame:
    """Per session s (2 to the longest course): the share of clients attending session s whose ORS
    there is reliably above intake (5+ points; Howard et al. 1986), and how many attend it."""
    attended = sessions[sessions["attended"]]
    counts = attended.groupby("session").size()
    rows = [
        {"session": s, "improved": measures.improved_by_session(sessions, clients, s), "n": int(counts[s])}
        for s in counts.index
        if s >= 2
    ]
    return pd.DataFrame(rows, columns=["session", "improved", "n"])
