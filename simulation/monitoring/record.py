"""The monitoring columns of the tables, computed from the recorded ORS with the kernel's rule
(:mod:`.signals`), so that a run with feedback off says who would have been flagged, and the
reference model (benchmarks/reference.py) records them the same way."""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulation.monitoring.course import expected_course
from simulation.monitoring.signals import expected_in_band, intake_band, not_on_track

SESSION_COLUMNS = ("expected_ors", "not_on_track")
"""Sessions table: the expected ORS for the client's intake band at their own session (ORS points),
and whether the client was not on track at this session."""
CLIENT_COLUMNS = ("flagged", "first_flagged", "feedback_sessions", "sessions_added")
"""Clients table: ever not on track; the own session of the first signal (missing if never); sessions
in which the therapist acted on a signal; sessions the signals added to the planned course."""


def signal_columns(
    row_of: np.ndarray,
    own_session: np.ndarray,
    ors: np.ndarray,
    attended: np.ndarray,
    intake_ors: np.ndarray,
    margin: np.ndarray,
) -> tuple[dict[str, np.ndarray], dict[str, object]]:
    """Session and client columns of the signals. ``row_of`` maps each session row to its client,
    whose ``intake_ors`` (ORS points) and ``margin`` (ORS points, the run's ``monitoring_margin``) are
    per client; rows are client by client (``row_of`` never decreases), each client's in order of
    their own session."""
    course = expected_course()
    band = intake_band(np, course, intake_ors).astype(np.int32)  # per client; small indices for the gather
    expected = expected_in_band(np, course, band[row_of], own_session)
    flags = not_on_track(np, margin[row_of], expected, ors, attended, own_session)
    flagged = np.flatnonzero(flags)
    flagged_row, flagged_session = row_of[flagged], own_session[flagged]
    firsts = np.flatnonzero(np.diff(flagged_row, prepend=-1))  # each client's first flag: rows in order
    first = np.zeros(len(intake_ors), dtype=np.int16)
    first[flagged_row[firsts]] = flagged_session[firsts]
    return (
        {"expected_ors": expected.astype(np.float32), "not_on_track": flags},
        {"flagged": first > 0, "first_flagged": pd.arrays.IntegerArray(first, first == 0)},
    )
