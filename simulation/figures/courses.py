"""Per client of a pass, the course figures of the clients table (ORS at intake and at the last attended
session, sessions scheduled and attended, the early alliance) and of a sweep's summary (also whether
the client improved by DOSE_RESPONSE_SESSION), accumulated over the session records by one compiled
loop per session: one definition for the tables and the sweeps, and no client-major layout or
fancy indexing needed (a pass of 50,000 clients spent more in numpy's gathers and scatters than in
the figures built on them).

Each client's values are accumulated over their own sessions in session order, as the array
expressions did, so the sums (early alliance) are the same bits.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from simulation import dynamics
from simulation.figures.windows import ALLIANCE_EARLY_SESSIONS, DOSE_RESPONSE_SESSION
from simulation.runs import CourseResult


@njit(cache=True, nogil=True)
def _add_session(
    positions: np.ndarray,
    own: np.ndarray,
    came: np.ndarray,
    ors: np.ndarray,
    alliance: np.ndarray,
    early: tuple[int, int],
    dose_session: int,
    totals: tuple[np.ndarray, ...],
) -> None:
    """Add one session's records (rows ``positions``, each client's own session number ``own``) to the
    per-client totals: sessions scheduled and attended, ORS at intake (own session 1), at the last
    attended session and at ``dose_session``, and the sum and count of alliance at attended own
    sessions ``early[0]`` to ``early[1]``."""
    scheduled, attended, intake, final, at_dose, early_sum, early_count = totals
    for i in range(positions.size):
        row, session = positions[i], own[i]
        scheduled[row] += 1
        if session == 1:
            intake[row] = ors[i]
        if came[i]:
            attended[row] += 1
            final[row] = ors[i]  # later sessions overwrite: the last attended one stays
            if early[0] <= session <= early[1]:
                early_sum[row] += alliance[i]
                early_count[row] += 1
            if session == dose_session:
                at_dose[row] = ors[i]


def course_figures(result: CourseResult) -> dict[str, np.ndarray]:
    """Per client (row of the pass): ``ors_intake`` (the ORS at their own session 1; the intake is
    always attended), ``ors_final`` (at their last attended session), ``sessions_scheduled``,
    ``sessions_attended``, ``alliance_early`` (the mean client-view alliance over their attended own
    sessions ALLIANCE_EARLY_SESSIONS, NaN where none), and ``improved`` (whether their
    ORS at their own session DOSE_RESPONSE_SESSION was reliably above intake; NaN where they did not
    attend it), accumulated over the session records in session order: the same definitions on each
    client's own calendar, without laying the records out client by client first."""
    n = len(result.rows)
    scheduled, attended = np.zeros(n, dtype=np.int16), np.zeros(n, dtype=np.int16)
    intake, final, at_dose = (np.full(n, np.nan) for _ in range(3))
    early_sum, early_count = np.zeros(n), np.zeros(n, dtype=np.int64)
    totals = (scheduled, attended, intake, final, at_dose, early_sum, early_count)
    for session, positions, record in result.sessions:
        own = record.get("member_session")
        if own is None:  # individual courses: every client's own session is the calendar's
            own = np.full(positions.size, session, dtype=np.int16)
        came, ors, alliance = record["attended"], record["ors"], record["alliance"]
        _add_session(positions, own, came, ors, alliance, ALLIANCE_EARLY_SESSIONS, DOSE_RESPONSE_SESSION, totals)
    with np.errstate(invalid="ignore", divide="ignore"):
        alliance_early = np.where(early_count > 0, early_sum / early_count, np.nan)
        improved = np.where(np.isnan(at_dose), np.nan, (at_dose - intake >= dynamics.RELIABLE_CHANGE) * 1.0)
    return {
        "ors_intake": intake,
        "ors_final": final,
        "sessions_scheduled": scheduled,
        "sessions_attended": attended,
        "alliance_early": alliance_early,
        "improved": improved,
    }
