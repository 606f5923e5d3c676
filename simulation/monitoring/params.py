"""Parameters of routine outcome monitoring, assembled into :class:`simulation.config.Params`. The
mechanics: :mod:`simulation.monitoring` (expected course, signals) and the kernel's submodel
:mod:`simulation.dynamics.feedback`; docs/ODD.md 7.18, docs/monitoring.md."""

from __future__ import annotations

from dataclasses import dataclass

from simulation.params.declare import flag, param


@dataclass(frozen=True)
class MonitoringParams:
    """The signal's margin, the clinic's switch, and what acting on a signal changes."""

    feedback_enabled: bool = flag(
        False,
        "The clinic uses routine outcome monitoring: a not-on-track signal reaches the therapist, who acts "
        "on it with probability feedback_use (off: signals are recorded, nothing changes).",
        "monitoring",
    )
    monitoring_margin: float = param(
        5.0,
        0.0,
        40.0,
        "ORS points",
        "A client is not on track at an attended session when their ORS is more than this below the "
        "expected ORS of clients of their intake band (5: the ORS reliable change index).",
        "monitoring",
    )
    feedback_detection_gain: float = param(
        0.5,
        0.0,
        1.0,
        "probability",
        "Talk about the alliance: chance added to noticing an open rupture in a session where the "
        "therapist acts on a signal.",
        "monitoring",
    )
    feedback_agreement_gain: float = param(
        0.25,
        0.0,
        1.0,
        "share",
        "Revisit goals and tasks: extra share of the gap to the ceiling that goal and task agreement close "
        "in a session where the therapist acts on a signal.",
        "monitoring",
    )
    feedback_retention: float = param(
        0.5,
        0.0,
        5.0,
        "log-odds",
        "Attend to motivation and support: log-odds taken off disengaged dropout in a session where the "
        "therapist acts on a signal.",
        "monitoring",
    )
    feedback_extra_sessions: int = param(
        1,
        0,
        10,
        "sessions",
        "More sessions: sessions added to the planned course each time the therapist acts on a signal.",
        "monitoring",
    )
    feedback_session_cap: int = param(
        4, 0, 26, "sessions", "Most sessions that signals can add to one client's planned course.", "monitoring"
    )
