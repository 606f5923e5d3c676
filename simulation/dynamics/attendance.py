"""ODD 7.4 Attendance and 7.14 Endings: who comes to a session, and how a course ends (planned, or a
dropout for one of three competing causes)."""

from __future__ import annotations

import dataclasses
from typing import Any

from simulation.backend import Array
from simulation.dynamics.state import (
    DISENGAGED,
    IMPROVED,
    NOT_DROPPED,
    PRACTICAL,
    RELIABLE_CHANGE,
    WITHDRAWAL,
    State,
    Traits,
    as_float,
    logistic,
    select,
)
from simulation.figures.windows import EARLY_DROPOUT_SESSIONS

WELLBEING_STEP = 10.0  # ORS points per unit of dropout_wellbeing_weight


def attendance(xp: Any, p: Any, t: Traits, s: State, alliance: Array, u: Array) -> Array:
    """Whether each client attends (7.4): missing is likelier with a weak alliance, low motivation and
    an open withdrawal rupture. (The intake is always attended: see ``at_intake``.)"""
    withdrawn = as_float(xp, s.rupture_open & (s.rupture_kind == WITHDRAWAL))
    log_odds = (
        p.miss_base_logit
        + p.miss_alliance_weight * (0.5 - alliance)
        + p.miss_motivation_weight * (0.5 - t.motivation)
        + p.miss_withdrawal_weight * withdrawn
    )
    return s.active & (u >= logistic(xp, log_odds))


def dropout_chance(
    xp: Any,
    p: Any,
    t: Traits,
    s: State,
    alliance: Array,
    attended: Array,
    session: int | Array,
    shift: Array | None = None,
) -> Array:
    """Per-session dropout probability (7.14): weak alliance, open or unresolved ruptures, a missed
    session, the first three sessions, low motivation and (``dropout_wellbeing_weight``) latent
    well-being below the intake level raise it. ``session`` is the client's own
    session number (an array where members started at different sessions); ``shift`` adds a format's
    log-odds (the family's split; None: none)."""
    ruptures = as_float(xp, s.rupture_open) + xp.astype(s.unresolved, xp.float64)
    early = session <= EARLY_DROPOUT_SESSIONS
    log_odds = (
        p.dropout_base_logit
        + p.dropout_alliance_weight * (0.5 - alliance)
        + p.dropout_rupture_weight * ruptures
        + p.dropout_missed_weight * as_float(xp, ~attended)
        + p.dropout_early_weight * (float(early) if isinstance(early, bool) else as_float(xp, early))
        + p.dropout_motivation_weight * (0.5 - t.motivation)
        + p.dropout_wellbeing_weight * (t.intake - s.wellbeing) / WELLBEING_STEP
    )
    return logistic(xp, log_odds if shift is None else log_odds + shift)


def dropout_cause(
    xp: Any,
    p: Any,
    t: Traits,
    s: State,
    alliance: Array,
    attended: Array,
    session: int | Array,
    u: tuple[Array, Array, Array],
    shift: Array | None = None,
) -> Array:
    """Competing reasons to end the course early this session (7.14), each with its own draw; the code
    of the first that applies (DROPOUT_CAUSES), NOT_DROPPED if none: disengagement
    (:func:`dropout_chance`), practical reasons outside therapy (``practical_dropout_hazard``, whatever
    the alliance), and stopping after feeling reliably better (``improved_exit_hazard``, once the
    latent gain is 5 ORS points or more: many clients who stop unannounced have improved)."""
    disengaged_u, practical_u, improved_u = u
    feels_better = (s.wellbeing - t.intake) >= RELIABLE_CHANGE
    disengaged = disengaged_u < dropout_chance(xp, p, t, s, alliance, attended, session, shift)
    practical = practical_u < p.practical_dropout_hazard
    improved = feels_better & (improved_u < p.improved_exit_hazard)
    cause = xp.where(
        disengaged, DISENGAGED, xp.where(practical, PRACTICAL, select(xp, improved, IMPROVED, NOT_DROPPED))
    )
    return xp.astype(cause, xp.int8)


def planned_ending(p: Any, s: State, session: int | Array, planned: int | Array | None = None) -> Array:
    """The course ends as planned (7.14): the resolution sessions are done, or the client's own
    ``session`` reached the planned course (``planned`` sessions; by default ``course_length``)."""
    limit = p.course_length if planned is None else planned
    return (s.resolution_attended >= p.resolution_sessions) | (session >= limit)


def end_courses(xp: Any, before: State, after: State, planned_end: Array, cause: Array) -> State:
    """``after`` with the courses that end this session closed (7.14): a planned ending comes first,
    otherwise a dropout ``cause`` ends an active course and is kept."""
    drops = before.active & ~planned_end & (cause != NOT_DROPPED)
    return dataclasses.replace(
        after,
        active=before.active & ~planned_end & ~drops,
        dropped_out=before.dropped_out | drops,
        dropout_cause=xp.where(drops, cause, before.dropout_cause),
    )
