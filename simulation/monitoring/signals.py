"""Not-on-track signals: a client's ORS against the expected course of their intake band.

Pure array functions over any array namespace ``xp`` (the kernel calls them each session; the tables
call them with numpy on the finished sessions table, so both read the same rule). Sessions are the
client's own (1 at the intake, also for a member who joined an open group later).
"""

from __future__ import annotations

from typing import Any

from simulation.backend import Array
from simulation.monitoring.course import ExpectedCourse

FIRST_SIGNAL_SESSION = 2  # the intake defines the band; the first comparison is at the second session


def intake_band(xp: Any, course: ExpectedCourse, intake_ors: Array) -> Array:
    """Index of each client's intake ORS band (0 = lowest): how many band edges the intake reaches."""
    band = xp.zeros(intake_ors.shape, dtype=xp.int64)
    for edge in course.band_edges:
        band = band + xp.astype(intake_ors >= edge, xp.int64)
    return band


def expected_ors(xp: Any, course: ExpectedCourse, intake_ors: Array, own_session: int | Array) -> Array:
    """The expected ORS at each client's own session ``own_session`` for their intake band (ORS
    points); after the last session of the expected course, its last value."""
    return expected_in_band(xp, course, intake_band(xp, course, intake_ors), own_session)


def expected_in_band(xp: Any, course: ExpectedCourse, band: Array, own_session: int | Array) -> Array:
    """:func:`expected_ors` from the intake band (:func:`intake_band`) rather than the intake ORS (a
    sessions table finds each client's band once, not once per session)."""
    sessions = len(course.expected[0])
    column = xp.clip(xp.asarray(own_session, dtype=xp.int32), 1, sessions) - 1
    flat = xp.asarray(course.flat())
    return xp.take(flat, band * sessions + column)


def not_on_track(
    xp: Any, margin: float | Array, expected: Array, ors: Array, attended: Array, own_session: int | Array
) -> Array:
    """An attended session after the intake whose ORS is more than ``margin`` ORS points below the
    expected ORS (a missed session has no ORS and gives no signal)."""
    return attended & (own_session >= FIRST_SIGNAL_SESSION) & (ors < expected - margin)
