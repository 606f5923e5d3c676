"""Measures on the instruments' scales: reliable change, clinical significance, outcome categories,
per-client course summaries and the functions that compute the figures of simulation.figures.registry
(the calibration figures of docs/calibration.md among them). Session numbers are each client's own
(simulation.figures.windows).

ORS: 0-40, higher is better; clinical cutoff 25 and reliable change index 5 points (Miller et al.
2003; Duncan et al. 2003).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from simulation.dynamics import RELIABLE_CHANGE
from simulation.figures.windows import DOSE_RESPONSE_SESSION

ORS_CUTOFF = 25.0
OUTCOMES = ("recovered", "improved", "unchanged", "deteriorated", "dropped_out")


def classify_outcomes(ors_intake: np.ndarray, ors_final: np.ndarray, dropped_out: np.ndarray) -> np.ndarray:
    """Outcome codes (indices into OUTCOMES), the first that applies: dropped out; recovered (rose by
    5 or more and crossed from under 25 to 25 or above); improved (rose by 5 or more); deteriorated
    (fell by 5 or more); unchanged."""
    change = ors_final - ors_intake
    improved = change >= RELIABLE_CHANGE
    recovered = improved & (ors_intake < ORS_CUTOFF) & (ors_final >= ORS_CUTOFF)
    deteriorated = change <= -RELIABLE_CHANGE
    codes = np.select(
        [dropped_out, recovered, improved, deteriorated],
        [OUTCOMES.index(name) for name in ("dropped_out", "recovered", "improved", "deteriorated")],
        default=OUTCOMES.index("unchanged"),
    )
    return codes.astype(np.int8)


# --- the functions of the figures (simulation.figures.registry; docs/calibration.md) -----------------


def correlation(x: pd.Series, y: pd.Series) -> float:
    """Pearson r over the rows where both are present; NaN where it is undefined (fewer than two
    such rows, or either constant, e.g. the resolved share when repair is switched off)."""
    both = x.notna() & y.notna()
    first, second = x[both].to_numpy(dtype=float), y[both].to_numpy(dtype=float)
    if first.size < 2 or first.std() == 0 or second.std() == 0:
        return float("nan")
    return float(np.corrcoef(first, second)[0, 1])


def early_alliance_outcome_r(clients: pd.DataFrame) -> float:
    """corr(alliance_early, change), dropouts included."""
    return correlation(clients["alliance_early"], clients["change"])


def dropout_rate(clients: pd.DataFrame) -> float:
    """Share of clients whose course ended by dropout."""
    return float(clients["dropped_out"].mean())


def missed_share(sessions: pd.DataFrame) -> float:
    """Share of scheduled sessions (sessions-table rows) not attended."""
    return float(1.0 - sessions["attended"].mean())


def resolution_outcome_r(clients: pd.DataFrame) -> float:
    """corr(ruptures_resolved / ruptures, change) over clients with a rupture."""
    ruptured = clients[clients["ruptures"] > 0]
    return correlation(ruptured["ruptures_resolved"] / ruptured["ruptures"], ruptured["change"])


def keyed(table: pd.DataFrame, identifier: str) -> list[str]:
    """The columns that identify a client or therapist: ``identifier`` alone in the table of one run,
    (``run``, ``identifier``) in a table of several (ids restart at 1 in every run)."""
    return ["run", identifier] if "run" in table.columns else [identifier]


def own_session(sessions: pd.DataFrame) -> pd.Series:
    """Each row's session on the client's own calendar: ``member_session`` in a group or family table
    (a member who joins an open group late starts at their own session 1), else ``session``."""
    return sessions["member_session"] if "member_session" in sessions.columns else sessions["session"]


def improved_by_session(sessions: pd.DataFrame, clients: pd.DataFrame, session: int = DOSE_RESPONSE_SESSION) -> float:
    """Among clients who attend their own session ``session``: share whose ORS there is >= intake + 5
    (pooled over the runs of a multi-run table)."""
    there = sessions[(own_session(sessions) == session) & sessions["attended"]]
    if there.empty:
        return math.nan  # nobody attends that session (e.g. a shorter course)
    key = keyed(clients, "client_id")
    wanted = pd.MultiIndex.from_frame(there[key]) if len(key) > 1 else pd.Index(there[key[0]])
    intake = clients.set_index(key)["ors_intake"].reindex(wanted).to_numpy(dtype=float)
    return float(np.mean(there["ors"].to_numpy(dtype=float) - intake >= RELIABLE_CHANGE))


def gain_per_session(sessions: pd.DataFrame) -> pd.Series:
    """Mean ORS gain since the previous attended session, by the client's own session number
    (dose-response; pooled over the runs of a multi-run table, never differencing across runs)."""
    key = keyed(sessions, "client_id")
    attended = sessions[sessions["attended"]].assign(session=own_session(sessions)).sort_values([*key, "session"])
    gain = attended.groupby(key)["ors"].diff().astype(float)
    return gain.groupby(attended["session"]).mean()


def alliance_dropout_d(clients: pd.DataFrame) -> float:
    """Cohen's d of the early alliance, completers minus dropouts, with the pooled SD, over clients
    with ``alliance_early`` (Sharf, Primavera & Diener 2010); NaN with fewer than two of either."""
    known = clients[clients["alliance_early"].notna()]
    completers = known.loc[~known["dropped_out"], "alliance_early"].to_numpy(dtype=float)
    dropouts = known.loc[known["dropped_out"], "alliance_early"].to_numpy(dtype=float)
    n1, n2 = completers.size, dropouts.size
    if n1 < 2 or n2 < 2:
        return float("nan")  # undefined without two completers and two dropouts
    pooled = np.sqrt(((n1 - 1) * completers.var(ddof=1) + (n2 - 1) * dropouts.var(ddof=1)) / (n1 + n2 - 2))
    return float((completers.mean() - dropouts.mean()) / pooled)


def deterioration_rate(clients: pd.DataFrame) -> float:
    """Among clients with 2+ attended sessions: share whose change is -5 ORS points or worse
    (reliable deterioration; Hansen, Lambert & Forman 2002)."""
    seen = clients[clients["sessions_attended"] >= 2]
    return float((seen["change"] <= -RELIABLE_CHANGE).mean())


def completion_ratio(clients: pd.DataFrame) -> float:
    """Completion rate (1 - dropout) of the top tercile of ``alliance_early`` over that of the bottom
    tercile, over clients with ``alliance_early``: a ratio of rates, not of odds."""
    known = clients[clients["alliance_early"].notna()]
    low, high = known["alliance_early"].quantile([1 / 3, 2 / 3])
    top = 1.0 - known.loc[known["alliance_early"] >= high, "dropped_out"].mean()
    bottom = 1.0 - known.loc[known["alliance_early"] <= low, "dropped_out"].mean()
    return float(top / bottom)


def therapist_share(clients: pd.DataFrame, column: str = "change") -> float:
    """Therapist-level share of the variance of ``column``: the intraclass correlation of a
    random-intercept model, estimated by the one-way ANOVA (method of moments) estimator with the
    unbalanced-groups size n0 (Snijders & Bosker 2012, sec. 3.3); negative estimates count as 0.
    In a multi-run table each run's therapists are distinct groups."""
    key = keyed(clients, "therapist_id")
    data = clients[[*key, column]].dropna()
    groups = data.groupby(key)[column]
    sizes, means = groups.size().to_numpy(), groups.mean().to_numpy()
    n, k = sizes.sum(), sizes.size
    if k < 2 or n <= k:
        return math.nan  # undefined without two therapists and a client more than therapists
    grand = data[column].mean()
    within = ((data[column] - groups.transform("mean")) ** 2).sum() / (n - k)
    between = (sizes * (means - grand) ** 2).sum() / (k - 1)
    n0 = (n - (sizes**2).sum() / n) / (k - 1)
    tau2 = max((between - within) / n0, 0.0)
    return float(tau2 / (tau2 + within)) if tau2 + within > 0 else math.nan  # 0: a constant column
