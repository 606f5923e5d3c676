"""The outcome submodels of the session update (docs/ODD.md section 7): symptoms, attendance and dropout.
Part of the core dynamics' parameters, assembled into :class:`simulation.config.Params`.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulation.params.declare import param


@dataclass(frozen=True)
class SymptomParams:
    """Symptoms: change rate and dose, what the alliance and skill put within reach, life events,
    rupture harm and the ORS's measurement error."""

    change_rate: float = param(
        0.183,
        0.0,
        1.0,
        "per session",
        "Share of the gap to the attainable level closed per working-phase session at alliance 0.5.",
        "symptoms",
    )
    recovery_potential: float = param(
        0.45, 0.0, 1.0, "fraction", "Share of the distance to the ORS maximum an average client can gain.", "symptoms"
    )
    alliance_effect: float = param(
        2,
        0.0,
        10.0,
        "multiplier",
        "How strongly the alliance scales symptom change (per unit of alliance above 0.5).",
        "symptoms",
    )
    dose_decay: float = param(
        0.232,
        0.0,
        2.0,
        "per session",
        "Decay of the per-session change rate with each session attended (dose-response: early sessions help most).",
        "symptoms",
    )
    alliance_level_effect: float = param(
        2.34,
        0.0,
        5.0,
        "per alliance unit",
        "How much of the attainable gain a weaker alliance puts out of reach (per unit below full_reach_alliance).",
        "symptoms",
    )
    full_reach_alliance: float = param(
        0.60, 0.0, 1.0, "0-1", "Alliance at which the whole attainable gain is within reach.", "symptoms"
    )
    skill_effect: float = param(
        4.59,
        0.0,
        10.0,
        "multiplier",
        "How strongly therapist skill scales symptom change (per unit above 0.5).",
        "symptoms",
    )
    challenge_gain: float = param(
        0.5, 0.0, 3.0, "multiplier", "Extra working-phase change from full challenge on a strong alliance.", "symptoms"
    )
    engagement_change_factor: float = param(
        0.8, 0.0, 1.0, "multiplier", "Symptom change in engagement relative to the working phase.", "symptoms"
    )
    exploration_change_factor: float = param(
        0.9, 0.0, 1.0, "multiplier", "Symptom change in exploration relative to the working phase.", "symptoms"
    )
    resolution_change_factor: float = param(
        0.5, 0.0, 1.0, "multiplier", "Symptom change in resolution relative to the working phase.", "symptoms"
    )
    symptom_noise_sd: float = param(
        1.2, 0.0, 10.0, "ORS points", "Session-to-session noise of latent well-being.", "symptoms"
    )
    life_event_rate: float = param(
        0.00577,
        0.0,
        0.5,
        "per week",
        "Chance per scheduled week of a life event (loss, illness, conflict) that lowers well-being, "
        "attended or not and whatever the alliance.",
        "symptoms",
    )
    life_event_impact: float = param(
        7.47,
        0.0,
        20.0,
        "ORS points",
        "Mean drop of well-being from one life event (exponentially distributed); the drop also lowers "
        "the level within reach for the rest of the course.",
        "symptoms",
    )
    rupture_harm: float = param(
        10.5,
        0.0,
        50.0,
        "ORS points per severity",
        "Well-being lost, lastingly, when a rupture is left unresolved (per unit of severity).",
        "symptoms",
    )
    therapist_outcome_sd: float = param(
        0.0,
        0.0,
        1.5,
        "SD of log rate factor",
        "Therapist effect on outcome beyond the traits: SD between therapists of the log of a factor on "
        "their clients' change rate, exp(therapist_outcome_sd * z), z standard normal per therapist "
        "(0: none; raises the therapist share of change variance, docs/synthetic.md).",
        "symptoms",
    )
    therapist_alliance_outcome_effect: float = param(
        0.0,
        -1.5,
        1.5,
        "log rate factor per SD",
        "How much a therapist's alliance-building ability (standardized; ODD 7.1) raises their clients' "
        "change rate, on the log scale: a between-therapist alliance-outcome slope beyond the "
        "within-therapist one (0: none).",
        "symptoms",
    )
    ors_error_sd: float = param(
        2.7,
        0.0,
        10.0,
        "ORS points",
        "Measurement error of the ORS total (reliability ~.85; Miller et al. 2003).",
        "symptoms",
    )


@dataclass(frozen=True)
class AttendanceParams:
    """Attendance and dropout: missing a session and ending the course early."""

    miss_base_logit: float = param(
        -0.844,
        -10.0,
        5.0,
        "log-odds",
        "Log-odds of missing a scheduled session at alliance 0.5 and motivation 0.5.",
        "attendance",
    )
    miss_alliance_weight: float = param(
        2.0, 0.0, 10.0, "log-odds", "Missing per unit of alliance below 0.5.", "attendance"
    )
    miss_motivation_weight: float = param(
        2.0, 0.0, 10.0, "log-odds", "Missing per unit of motivation below 0.5.", "attendance"
    )
    miss_withdrawal_weight: float = param(
        1.0, 0.0, 10.0, "log-odds", "Missing added while a withdrawal rupture is open.", "attendance"
    )
    dropout_base_logit: float = param(
        -5.28,
        -10.0,
        5.0,
        "log-odds",
        "Dropout log-odds per scheduled session at alliance 0.5, all else neutral.",
        "attendance",
    )
    dropout_alliance_weight: float = param(
        6.29, 0.0, 20.0, "log-odds", "Dropout per unit of alliance below 0.5.", "attendance"
    )
    dropout_rupture_weight: float = param(
        1.0, 0.0, 10.0, "log-odds", "Dropout added per open or unresolved rupture.", "attendance"
    )
    dropout_missed_weight: float = param(1.0, 0.0, 10.0, "log-odds", "Dropout added at a missed session.", "attendance")
    dropout_early_weight: float = param(
        1.0, 0.0, 10.0, "log-odds", "Dropout added in the first three sessions.", "attendance"
    )
    dropout_motivation_weight: float = param(
        2.0, 0.0, 10.0, "log-odds", "Dropout per unit of motivation below 0.5.", "attendance"
    )
    dropout_wellbeing_weight: float = param(
        0.0,
        0.0,
        10.0,
        "log-odds",
        "Disengaged dropout per 10 ORS points that latent well-being lies below the client's intake, "
        "and less by as much above it (the MNAR dial: 0 leaves latent well-being out of the dropout hazard).",
        "attendance",
    )
    practical_dropout_hazard: float = param(
        0.013,
        0.0,
        0.2,
        "per session",
        "Chance per scheduled session that a course ends for reasons outside therapy (moving, work, "
        "practical barriers), whatever the alliance.",
        "attendance",
    )
    improved_exit_hazard: float = param(
        0.00445,
        0.0,
        0.5,
        "per session",
        "Chance per scheduled session that a client who feels reliably better (latent gain of 5 ORS "
        "points or more) stops without a planned ending.",
        "attendance",
    )
