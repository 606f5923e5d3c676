"""Who is in therapy and for how long: the course, the client population and the therapist population
(drawn at intake; docs/ODD.md sections 2 and 5). Part of the core dynamics' parameters, assembled into
:class:`simulation.config.Params`.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulation.params.declare import param


@dataclass(frozen=True)
class CourseParams:
    """The course of therapy: caseload, course limit and planned ending."""

    clients_per_therapist: int = param(
        20, 1, 1000, "clients", "Caseload: clients seen by each therapist (therapist effects).", "course"
    )
    course_length: int = param(
        12, 2, 104, "sessions", "Course limit: weekly sessions scheduled at most before the course ends.", "course"
    )
    resolution_sessions: int = param(
        2, 1, 10, "sessions", "Attended sessions spent in the resolution stage before the planned ending.", "course"
    )
    goal_fraction: float = param(
        0.55,
        0.05,
        1.0,
        "fraction",
        "Share of a client's attainable gain that counts as goals met (enters resolution).",
        "course",
    )


@dataclass(frozen=True)
class ClientParams:
    """The client population: attachment, setting, culture, intake well-being and traits."""

    share_anxious: float = param(
        0.25, 0.0, 1.0, "share", "Share of clients with anxious attachment (secure is the remainder).", "clients"
    )
    share_avoidant: float = param(0.20, 0.0, 1.0, "share", "Share of clients with avoidant attachment.", "clients")
    share_online: float = param(
        0.15, 0.0, 1.0, "share", "Share of clients seen online rather than in person.", "clients"
    )
    share_minority_clients: float = param(
        0.25, 0.0, 1.0, "share", "Share of clients from a minority cultural background.", "clients"
    )
    intake_ors_mean: float = param(
        19.0, 0.0, 40.0, "ORS points", "Mean latent well-being at intake (ORS 0-40; clinical samples ~19).", "clients"
    )
    intake_ors_sd: float = param(6.0, 0.0, 20.0, "ORS points", "SD of latent well-being at intake.", "clients")
    motivation_mean: float = param(0.60, 0.0, 1.0, "0-1", "Mean motivation/readiness for change.", "clients")
    resistance_mean: float = param(0.30, 0.0, 1.0, "0-1", "Mean resistance (slows bond growth).", "clients")
    transference_mean: float = param(
        0.30, 0.0, 1.0, "0-1", "Mean transference propensity (raises rupture hazard).", "clients"
    )
    expectancy_mean: float = param(
        0.60, 0.0, 1.0, "0-1", "Mean outcome expectancy (initial bond, attainable gain).", "clients"
    )
    openness_mean: float = param(
        0.50, 0.0, 1.0, "0-1", "Mean openness: voices dissatisfaction, so ruptures are easier to notice.", "clients"
    )
    client_trait_sd: float = param(
        0.15, 0.0, 0.5, "0-1", "SD of each continuous client trait around its mean (clipped to [0, 1]).", "clients"
    )


@dataclass(frozen=True)
class TherapistParams:
    """The therapist population: facilitative conditions, skills, pitfalls and bias."""

    empathy_mean: float = param(
        0.60, 0.0, 1.0, "0-1", "Mean therapist empathy (Rogers; drives bond growth).", "therapists"
    )
    congruence_mean: float = param(
        0.60, 0.0, 1.0, "0-1", "Mean therapist congruence (Rogers; drives bond growth).", "therapists"
    )
    regard_mean: float = param(
        0.60, 0.0, 1.0, "0-1", "Mean unconditional positive regard (Rogers; drives bond growth).", "therapists"
    )
    collaboration_mean: float = param(
        0.60, 0.0, 1.0, "0-1", "Mean collaboration (drives goal agreement).", "therapists"
    )
    skill_mean: float = param(
        0.60, 0.0, 1.0, "0-1", "Mean technical skill (task agreement and symptom change).", "therapists"
    )
    attunement_mean: float = param(
        0.55,
        0.0,
        1.0,
        "0-1",
        "Mean attunement (chance to notice a rupture; misattunement raises hazard).",
        "therapists",
    )
    repair_skill_mean: float = param(
        0.55, 0.0, 1.0, "0-1", "Mean repair skill (success of each repair step).", "therapists"
    )
    defensiveness_mean: float = param(
        0.30, 0.0, 1.0, "0-1", "Mean defensiveness/countertransference (hazard up, repair down).", "therapists"
    )
    cultural_sensitivity_mean: float = param(
        0.50, 0.0, 1.0, "0-1", "Mean cultural sensitivity (bridges cultural mismatch).", "therapists"
    )
    feedback_use_mean: float = param(
        0.30, 0.0, 1.0, "share", "Mean share of sessions in which the therapist uses the SRS.", "therapists"
    )
    pitfalls_mean: float = param(
        0.20,
        0.0,
        1.0,
        "0-1",
        "Mean pitfalls: over-familiarity, blurred boundaries, neglecting client input.",
        "therapists",
    )
    challenge_mean: float = param(
        0.40,
        0.0,
        1.0,
        "0-1",
        "Mean challenge (vs support): speeds change on a strong alliance, risks confrontation on a weak one.",
        "therapists",
    )
    bias_mean: float = param(
        -0.08,
        -0.5,
        0.5,
        "alliance units",
        "Mean therapist bias: therapist's view minus client's view of the alliance.",
        "therapists",
    )
    share_minority_therapists: float = param(
        0.15, 0.0, 1.0, "share", "Share of therapists from a minority cultural background.", "therapists"
    )
    therapist_trait_sd: float = param(
        0.119, 0.0, 0.5, "0-1", "SD of each therapist trait between therapists (therapist effects).", "therapists"
    )
    therapist_view_noise_sd: float = param(
        0.08, 0.0, 0.5, "alliance units", "SD of the session-to-session noise in the therapist's view.", "therapists"
    )
