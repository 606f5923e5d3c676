"""ODD 7.18 Routine outcome monitoring, the kernel's submodel:
which relations are not on track at this session, whether their therapist acts on the signal, and
what acting changes in the session. Pure array functions; :func:`simulation.dynamics.session.step_session`
calls them through one seam, and only when some run has ``feedback_enabled`` (off, the session update
does exactly what it did before this submodel existed).

What acting changes, after what clinical support tools ask a clinician to do with a not-on-track
client (Lambert's OQ-45 Clinical Support Tools; Miller and Duncan's PCOMS):

- talk about the alliance: an open rupture is likelier to be noticed (``feedback_detection_gain``);
- revisit goals and tasks: goal and task agreement close more of their gap (``feedback_agreement_gain``);
- attend to motivation and support: disengaged dropout is less likely (``feedback_retention``);
- more sessions: the planned course grows (``feedback_extra_sessions``, up to ``feedback_session_cap``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from simulation.backend import Array
from simulation.monitoring.course import expected_course
from simulation.monitoring.signals import expected_ors, not_on_track


def feedback_on(xp: Any, p: Any) -> bool:
    """Whether any row's clinic uses feedback (parameters are arrays when runs are stacked)."""
    return bool(xp.any(xp.asarray(p.feedback_enabled)))


@dataclass(frozen=True)
class Signal:
    """This session's monitoring of each relation."""

    intake_ors: Array  # ORS at the client's intake (NaN before it)
    flagged: Array  # not on track at this session
    acted: Array  # the clinic uses feedback and the therapist acts on the signal


def monitor(
    xp: Any,
    p: Any,
    feedback_use: Array,
    intake_ors: Array,
    ors: Array,
    attended: Array,
    own_session: int | Array,
    u: Array,
) -> Signal:
    """Compare the session's ORS with the expected course of the client's intake band; a therapist
    acts on a signal with probability ``feedback_use`` (their trait: the same reading of the trait as
    for looking at the SRS), where the clinic uses feedback."""
    at_intake = attended & (own_session == 1)
    intake_ors = xp.where(at_intake, ors, intake_ors)
    expected = expected_ors(xp, expected_course(), intake_ors, own_session)
    flagged = not_on_track(xp, p.monitoring_margin, expected, ors, attended, own_session)
    acted = flagged & (xp.asarray(p.feedback_enabled) != 0) & (u < feedback_use)
    return Signal(intake_ors, flagged, acted)


def session_signal(
    xp: Any, p: Any, t: Any, s: Any, draws: Any, session: int, ors: Array, attended: Array, own_session: int | Array
) -> Signal:
    """This session's signal for every relation, with its own draw ``feedback_acted`` (keyed by the
    unit's session, like every draw)."""
    (acted_u,) = draws.sample(("feedback_acted",), session)
    return monitor(xp, p, t.feedback_use, s.intake_ors, ors, attended, own_session, acted_u)


def monitoring_fields(xp: Any, p: Any, s: Any, signal: Signal) -> dict[str, Array]:
    """The state's monitoring fields after the session: the intake ORS, the course's extension (more
    sessions) and the count of sessions acted on."""
    return dict(
        intake_ors=signal.intake_ors,
        extension=extend_course(xp, p, signal.acted, s.extension),
        feedback_sessions=s.feedback_sessions + xp.astype(signal.acted, xp.int16),
    )


def revisit_goals(xp: Any, p: Any, acted: Array, goal: Array, task: Array, ceiling: Array) -> tuple[Array, Array]:
    """Goal and task agreement close a further ``feedback_agreement_gain`` of their gap to the ceiling."""
    gain = xp.astype(acted, xp.float64) * p.feedback_agreement_gain
    return goal + gain * xp.maximum(ceiling - goal, 0.0), task + gain * xp.maximum(ceiling - task, 0.0)


def talk_about_alliance(xp: Any, p: Any, acted: Array, detect_u: Array) -> Array:
    """Where the talk about the alliance notices an open, unnoticed rupture (the repair submodel keeps
    only those): the chance of noticing rises by ``feedback_detection_gain`` (up to 1), with the
    session's own detection draw (the top of its range, so that a rupture noticed without the talk is
    noticed with it too)."""
    return acted & (detect_u >= 1.0 - p.feedback_detection_gain)


def retention_shift(xp: Any, p: Any, acted: Array, shift: Array | float | None) -> Array:
    """Log-odds of disengaged dropout after attending to motivation and support (added to a format's)."""
    lowered = -p.feedback_retention * xp.astype(acted, xp.float64)
    return lowered if shift is None else lowered + shift


def extend_course(xp: Any, p: Any, acted: Array, extension: Array) -> Array:
    """Sessions added to the planned course: ``feedback_extra_sessions`` per acted signal, at most
    ``feedback_session_cap`` in all."""
    added = extension + xp.astype(acted, xp.int16) * xp.astype(xp.asarray(p.feedback_extra_sessions), xp.int16)
    return xp.minimum(added, xp.astype(xp.asarray(p.feedback_session_cap), xp.int16))
