"""What the figures show, computed from the tables (the plot functions compute nothing).

Every function takes the run's tables (or a piece of the sessions table with its columns: client_id,
session, stage, bond, goal, task, alliance, rupture, rupture_resolved) and returns a small frame.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulation import measures
from simulation.figures.windows import EARLY_DROPOUT_SESSIONS

TERCILES = ("low", "middle", "high")
Z95 = 1.96  # the normal quantile of the 95% intervals


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
    """Mean change of the composite alliance around a rupture, from the session before its onset,
    beside the change of clients without a rupture over the same sessions.

    Returns one row per (group, offset): group one of V_GROUPS (a rupture repaired within its first
    session shows no dip in the session records, so it is kept apart), offset in sessions from the
    onset (-before..after), mean change, its 95% interval (normal approximation) and n; and
    ``baseline`` with its interval (``baseline_low``, ``baseline_high``): the mean change of the
    clients who had no rupture in their course from the same session before to the same session
    after, weighted as the group's ruptures are by onset (matched on session: the alliance grows over
    a course whether or not a rupture comes). Ruptures at session 1 have no session before and are
    left out; later offsets average the clients still in therapy.
    """
    events = rupture_events(sessions)
    events = events[events["onset"] >= 2]
    group = np.select(
        [~events["resolved"], (events["resolved_at"] == events["onset"]).fillna(False).to_numpy(dtype=bool)],
        [V_GROUPS[2], V_GROUPS[1]],
        default=V_GROUPS[0],
    )
    alliance = sessions.set_index(["client_id", "session"])["alliance"].astype(float)
    wide = alliance.unstack("session")
    calm = wide[~wide.index.isin(events["client_id"])]  # the clients without a rupture
    baseline = alliance.reindex(pd.MultiIndex.from_arrays([events["client_id"], events["onset"] - 1])).to_numpy()
    rows = []
    for offset in range(-before, after + 1):
        at = pd.MultiIndex.from_arrays([events["client_id"], events["onset"] + offset])
        change = pd.DataFrame(
            {"group": group, "onset": events["onset"].to_numpy(), "change": alliance.reindex(at).to_numpy() - baseline}
        ).dropna()
        calm_change = _calm_change(calm, change["onset"].unique(), offset)
        for label, values in change.groupby("group"):
            n, mean = len(values), values["change"].mean()
            half = Z95 * values["change"].std(ddof=1) / np.sqrt(n) if n > 1 else np.nan
            rows.append(
                {
                    "group": label,
                    "offset": offset,
                    "mean": mean,
                    "low": mean - half,
                    "high": mean + half,
                    "n": n,
                    **_matched(calm_change, values["onset"]),
                }
            )
    return pd.DataFrame(rows, columns=[*V_COLUMNS])


V_COLUMNS = ("group", "offset", "mean", "low", "high", "n", "baseline", "baseline_low", "baseline_high")


def _calm_change(calm: pd.DataFrame, onsets: np.ndarray, offset: int) -> pd.DataFrame:
    """For each onset session, the clients without a rupture: mean, variance and count of their
    alliance change from the session before the onset to ``offset`` sessions after it."""
    rows = {}
    for onset in onsets:
        if onset - 1 in calm.columns and onset + offset in calm.columns:
            values = (calm[onset + offset] - calm[onset - 1]).dropna()
            rows[onset] = (values.mean(), values.var(ddof=1), len(values))
    return pd.DataFrame.from_dict(rows, orient="index", columns=["mean", "var", "n"])


def _matched(calm_change: pd.DataFrame, onsets: pd.Series) -> dict[str, float]:
    """The no-rupture change weighted by the onsets of a group's ruptures, with its 95% interval."""
    weights = onsets.value_counts().reindex(calm_change.index, fill_value=0)
    usable = (weights > 0) & (calm_change["n"] > 1)
    if not usable.any():
        return {"baseline": np.nan, "baseline_low": np.nan, "baseline_high": np.nan}
    share = weights[usable] / weights[usable].sum()
    rows = calm_change[usable]
    mean = float((share * rows["mean"]).sum())
    half = Z95 * float(np.sqrt((share**2 * rows["var"] / rows["n"]).sum()))
    return {"baseline": mean, "baseline_low": mean - half, "baseline_high": mean + half}


EXAMPLE_GROUPS = ("every rupture repaired", "no rupture repaired", "no rupture")


def typical_clients(sessions: pd.DataFrame) -> dict[str, int]:
    """The typical client of each of EXAMPLE_GROUPS, by one stated rule: among the clients of the
    group, the one whose alliance at their last session in the records is the group's median (the
    lower middle of an even count; ties by the lower id). "Every rupture repaired" asks for at least
    one rupture repaired in a later session than it began, after session 1, so that its dip shows.
    A group without clients is left out."""
    events = rupture_events(sessions)
    shows_dip = (events["resolved_at"] > events["onset"]).fillna(False) & (events["onset"] > 1)
    per_client = (
        events.assign(shows_dip=shows_dip)
        .groupby("client_id")
        .agg(
            all_resolved=("resolved", "all"),
            none_resolved=("resolved", lambda r: not r.any()),
            dip=("shows_dip", "any"),
        )
    )
    final = sessions.sort_values(["client_id", "session"]).groupby("client_id")["alliance"].last()
    members = {
        EXAMPLE_GROUPS[0]: per_client.index[per_client["all_resolved"] & per_client["dip"]],
        EXAMPLE_GROUPS[1]: per_client.index[per_client["none_resolved"]],
        EXAMPLE_GROUPS[2]: final.index.difference(per_client.index),
    }
    picked = {}
    for label, ids in members.items():
        if len(ids):
            ranked = final.loc[ids].reset_index().sort_values(["alliance", "client_id"], kind="stable")
            picked[label] = int(ranked["client_id"].iloc[(len(ranked) - 1) // 2])
    return picked


def outcome_shares(outcomes: pd.Series) -> pd.Series:
    """Share of each outcome category (measures.OUTCOMES, in order), 0-1."""
    return outcomes.value_counts(normalize=True).reindex(list(measures.OUTCOMES), fill_value=0.0)


def ranked_bins(values: pd.Series, names: tuple[str, ...]) -> pd.Series:
    """Split ``values`` into len(names) near-equal groups by rank (ties broken by order, so the
    groups stay equal even where many values tie), each labelled with its name and value range."""
    codes = pd.qcut(values.rank(method="first"), len(names), labels=False)
    ranges = values.groupby(codes).agg(["min", "max"])
    labels = {code: f"{names[code]} ({row['min']:.2f}-{row['max']:.2f})" for code, row in ranges.iterrows()}
    return pd.Series(pd.Categorical(codes.map(labels), categories=list(labels.values())), index=values.index)


def therapist_tercile(clients: pd.DataFrame, therapists: pd.DataFrame, trait: str) -> pd.Series:
    """Each client's tercile (low / middle / high, over the cohort's clients) of their therapist's
    ``trait``, labelled with the trait's range in that tercile."""
    return ranked_bins(clients["therapist_id"].map(therapists.set_index("therapist_id")[trait]), TERCILES)


def outcomes_by(groups: pd.Series, outcomes: pd.Series) -> pd.DataFrame:
    """Outcome shares (columns, measures.OUTCOMES) within each group (rows, in the groups' order)."""
    table = pd.crosstab(groups, outcomes, normalize="index")
    return table.reindex(columns=list(measures.OUTCOMES), fill_value=0.0)


def dropout_survival(clients: pd.DataFrame, groups: pd.Series) -> pd.DataFrame:
    """Share of clients who have not dropped out by each session (Kaplan-Meier; a planned ending or
    the course limit censors), per group and over all clients ('all clients'), with 95% intervals
    (Greenwood's variance, normal approximation, clipped to 0-1).

    Columns: (curve, 'share' | 'low' | 'high'); rows: session 0 (intake, 1.0) to the longest course.
    A dropout's course ends at its last scheduled session (``sessions_scheduled``)."""
    last = clients["sessions_scheduled"].to_numpy()
    dropped = clients["dropped_out"].to_numpy()
    sessions = np.arange(0, int(last.max()) + 1)

    def survival(mask: np.ndarray) -> dict[str, np.ndarray]:
        at_risk = (last[mask][None, :] >= sessions[:, None]).sum(axis=1)
        events = ((last[mask][None, :] == sessions[:, None]) & dropped[mask][None, :]).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            hazard = np.where(at_risk > 0, events / at_risk, 0.0)
            greenwood = np.cumsum(np.where(at_risk > events, events / (at_risk * (at_risk - events)), 0.0))
        share = np.cumprod(1.0 - hazard)
        half = Z95 * share * np.sqrt(greenwood)
        return {"share": share, "low": np.clip(share - half, 0, 1), "high": np.clip(share + half, 0, 1)}

    curves = {str(name): survival((groups == name).to_numpy()) for name in groups.cat.categories}
    curves["all clients"] = survival(np.ones(len(clients), dtype=bool))
    columns = {(curve, part): values for curve, parts in curves.items() for part, values in parts.items()}
    return pd.DataFrame(columns, index=pd.Index(sessions, name="session"))


def dropout_hazard(clients: pd.DataFrame, first: int, last: int) -> tuple[float, float, float]:
    """The mean weekly dropout hazard over sessions ``first``-``last`` (dropouts over client-sessions at
    risk there), with its 95% Wilson interval: how steep the survival curve is in those weeks."""
    scheduled = clients["sessions_scheduled"].to_numpy()
    at_risk = np.clip(np.minimum(scheduled, last) - first + 1, 0, None).sum()
    ended = clients["dropped_out"].to_numpy() & (scheduled >= first) & (scheduled <= last)
    low, high = wilson_interval(np.array([ended.sum()]), np.array([at_risk]))
    return float(ended.sum() / at_risk), float(low[0]), float(high[0])


def dose_response(sessions: pd.DataFrame, clients: pd.DataFrame) -> pd.DataFrame:
    """Per session s (2 to the longest course): the share of clients attending session s whose ORS
    there is reliably above intake (5+ points; Howard et al. 1986; measures.improved_by_session), and
    how many attend it. s is the client's own session (a group member's 1 is their first)."""
    counts = measures.own_session(sessions)[sessions["attended"]].value_counts().sort_index()
    rows = [
        {"session": s, "improved": measures.improved_by_session(sessions, clients, s), "n": int(counts[s])}
        for s in counts.index
        if s >= 2
    ]
    return pd.DataFrame(rows, columns=["session", "improved", "n"])


WITNESS_GROUPS = (
    "saw ruptures left unresolved outweigh repairs (net witnessing < 0)",
    "saw none, or repairs outweighed them (net witnessing >= 0)",
)


def cohesion_by_session(sessions: pd.DataFrame, clients: pd.DataFrame) -> pd.DataFrame:
    """Group cohesion (0-1) of the members who attended each group session, in two groups of members
    (WITNESS_GROUPS) by their net witnessing at the end of their course (``witnessed`` in the clients
    table: cohesion gained from the others' repaired ruptures minus cohesion lost to those left
    unresolved, -1 to 1).

    Returns one row per (group, session): mean cohesion, its spread (``low``, ``high``: the 25th and
    75th percentiles), n (the members attending) and ``members`` (the group's members, all sessions).
    """
    witnessed = clients.set_index("client_id")["witnessed"]
    attended = sessions.loc[sessions["attended"], ["client_id", "session", "cohesion"]]
    group = np.where(attended["client_id"].map(witnessed).to_numpy() < 0, *WITNESS_GROUPS)
    summary = (
        attended.assign(group=pd.Categorical(group, categories=list(WITNESS_GROUPS)))
        .groupby(["group", "session"], observed=True)["cohesion"]
        .agg(mean="mean", low=lambda values: values.quantile(0.25), high=lambda values: values.quantile(0.75), n="size")
    )
    members = attended.groupby(group)["client_id"].nunique()
    summary = summary.reset_index().astype({"group": str})
    return summary.assign(members=summary["group"].map(members).astype(int))


SPLIT_BINS = ("lowest", "low", "middle", "high", "highest")


def split_dropout(sessions: pd.DataFrame, families: pd.DataFrame) -> pd.DataFrame:
    """Weekly family dropout by the family's split at that session (the range of its members'
    alliances, 0-1, from the state before the session, which is what the dropout hazard reads).

    One observation per family and session it was in therapy after the first EARLY_DROPOUT_SESSIONS
    (simulation.figures.windows): in those the kernel adds early dropout while the members' alliances
    have not yet drifted apart, so keeping them would pile early dropouts into the low-split bins and
    hide the split's effect. A
    family drops out at its last scheduled session when ``dropped_out``. Returns one row per split
    fifth (SPLIT_BINS, over the family-sessions, labelled with its range): ``family_sessions``,
    ``dropouts``, ``rate`` (0-1) and its 95% Wilson interval (``low``, ``high``).
    """
    sessions = sessions[measures.own_session(sessions) > EARLY_DROPOUT_SESSIONS]
    weekly = sessions.groupby(["unit_id", "session"], as_index=False)["split"].first()
    ending = families.set_index("unit_id")
    last = weekly["unit_id"].map(ending["sessions_scheduled"])
    weekly["dropout"] = weekly["unit_id"].map(ending["dropped_out"]).astype(bool) & (weekly["session"] == last)
    table = weekly.groupby(ranked_bins(weekly["split"], SPLIT_BINS), observed=False)["dropout"].agg(
        family_sessions="size", dropouts="sum"
    )
    table["rate"] = table["dropouts"] / table["family_sessions"]
    table["low"], table["high"] = wilson_interval(table["dropouts"].to_numpy(), table["family_sessions"].to_numpy())
    return table.rename_axis("split").reset_index().astype({"split": str})


def wilson_interval(events: np.ndarray, trials: np.ndarray, z: float = 1.96) -> tuple[np.ndarray, np.ndarray]:
    """Wilson's score interval of a proportion (95% by default): sound near 0, where dropout rates sit."""
    share = events / trials
    centre = (share + z**2 / (2 * trials)) / (1 + z**2 / trials)
    half = z * np.sqrt(share * (1 - share) / trials + z**2 / (4 * trials**2)) / (1 + z**2 / trials)
    return centre - half, centre + half
