"""Model parameters: the one place where each parameter's name, default, unit, range and meaning live.

Everything else (the CLI's ``--set``, ``alliance params``, TOML files, presets, docs/ODD.md's tables,
and later the sweep bounds and the teaching page's sliders) reads them from :class:`Params`.

Defaults are calibrated against the targets of DESIGN.md section 5 (see docs/calibration.md and
``experiments/calibration_search.py``, which repeats the search).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import tomllib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import tomli_w


class ParameterError(ValueError):
    """Bad user input about parameters: one message that names the parameter and what is valid."""


def param(default: float | int | bool, low: float, high: float, unit: str, meaning: str, group: str) -> Any:
    """A dataclass field whose metadata carries the parameter's range, unit, meaning and group."""
    return field(default=default, metadata={"low": low, "high": high, "unit": unit, "meaning": meaning, "group": group})


def flag(default: bool, meaning: str, group: str) -> Any:
    """A boolean parameter (a switch)."""
    return param(default, 0, 1, "switch", meaning, group)


@dataclass(frozen=True)
class Params:
    """All parameters of the alliance model. Probabilities and traits are on [0, 1]; ORS in points.

    Construct with keyword overrides (``Params(repair_skill_mean=0.7)``); values are checked on
    construction and a :class:`ParameterError` names the offender and its valid range.
    """

    # --- course of therapy -------------------------------------------------------------------
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

    # --- client population -------------------------------------------------------------------
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

    # --- therapist population ----------------------------------------------------------------
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

    # --- alliance growth and stages ------------------------------------------------------------
    bond_weight: float = param(
        1.0, 0.0, 10.0, "weight", "Weight of bond in the composite alliance (weights are normalised).", "alliance"
    )
    goal_weight: float = param(
        1.0, 0.0, 10.0, "weight", "Weight of goal agreement in the composite alliance.", "alliance"
    )
    task_weight: float = param(
        1.0, 0.0, 10.0, "weight", "Weight of task agreement in the composite alliance.", "alliance"
    )
    initial_bond: float = param(
        0.50, 0.0, 1.0, "0-1", "Bond at intake for an average-expectancy secure client.", "alliance"
    )
    initial_agreement: float = param(0.40, 0.0, 1.0, "0-1", "Goal and task agreement at intake.", "alliance")
    bond_growth_rate: float = param(
        0.35,
        0.0,
        1.0,
        "per session",
        "Share of the gap to the ceiling that bond closes per session at full therapist warmth.",
        "alliance",
    )
    goal_growth_rate: float = param(
        0.45,
        0.0,
        1.0,
        "per session",
        "Share of the gap that goal agreement closes per session at full collaboration and bond.",
        "alliance",
    )
    task_growth_rate: float = param(
        0.45,
        0.0,
        1.0,
        "per session",
        "Share of the gap that task agreement closes per session at full skill and bond.",
        "alliance",
    )
    fit_effect: float = param(
        0.6, 0.0, 2.0, "multiplier", "How much therapist-client fit speeds bond growth (and lowers hazard).", "alliance"
    )
    anxious_bond_factor: float = param(
        0.80, 0.0, 1.5, "multiplier", "Bond growth of anxious clients relative to secure ones.", "alliance"
    )
    avoidant_bond_factor: float = param(
        0.60, 0.0, 1.5, "multiplier", "Bond growth of avoidant clients relative to secure ones.", "alliance"
    )
    resistance_effect: float = param(
        0.6, 0.0, 1.0, "multiplier", "Share of bond growth that full resistance removes.", "alliance"
    )
    bond_threshold: float = param(0.60, 0.0, 1.0, "0-1", "Bond that opens the exploration stage.", "alliance")
    agreement_threshold: float = param(
        0.60, 0.0, 1.0, "0-1", "Goal and task agreement that open the working phase.", "alliance"
    )

    # --- ruptures ------------------------------------------------------------------------------
    rupture_base_logit: float = param(
        -4.2,
        -10.0,
        5.0,
        "log-odds",
        "Rupture log-odds per attended session with every risk factor at zero.",
        "ruptures",
    )
    misattunement_weight: float = param(
        1.0, 0.0, 5.0, "log-odds", "Hazard per unit of therapist misattunement (1 - attunement).", "ruptures"
    )
    insecure_attachment_weight: float = param(
        0.5, 0.0, 5.0, "log-odds", "Hazard added for an anxious or avoidant client.", "ruptures"
    )
    transference_weight: float = param(1.0, 0.0, 5.0, "log-odds", "Hazard per unit of client transference.", "ruptures")
    countertransference_weight: float = param(
        1.0, 0.0, 5.0, "log-odds", "Hazard per unit of therapist defensiveness/countertransference.", "ruptures"
    )
    low_agreement_weight: float = param(
        1.0, 0.0, 5.0, "log-odds", "Hazard per unit of missing goal/task agreement.", "ruptures"
    )
    cultural_mismatch_weight: float = param(
        0.8,
        0.0,
        5.0,
        "log-odds",
        "Hazard for a cultural mismatch, scaled by the therapist's insensitivity.",
        "ruptures",
    )
    early_stage_weight: float = param(
        0.4, 0.0, 5.0, "log-odds", "Hazard added in engagement and exploration.", "ruptures"
    )
    pitfalls_weight: float = param(1.0, 0.0, 5.0, "log-odds", "Hazard per unit of therapist pitfalls.", "ruptures")
    poor_fit_weight: float = param(
        0.5, 0.0, 5.0, "log-odds", "Hazard per unit of missing therapist-client fit.", "ruptures"
    )
    challenge_hazard_weight: float = param(
        2.0,
        0.0,
        10.0,
        "log-odds",
        "Confrontation hazard of challenge on a weak alliance (per unit challenge x weakness).",
        "ruptures",
    )
    reactance_hazard_weight: float = param(
        2.1,
        0.0,
        10.0,
        "log-odds",
        "Reactance: rupture hazard per unit of client resistance x therapist challenge (Beutler et al. 2018).",
        "ruptures",
    )
    reactance_change_weight: float = param(
        8.4,
        0.0,
        20.0,
        "log-multiplier",
        "Reactance: log change-rate factor per unit of challenge x (reactance_pivot - resistance); a resistant "
        "client changes slower, a compliant one faster, under a directive therapist (Beutler et al. 2018).",
        "symptoms",
    )
    reactance_pivot: float = param(
        0.17,
        0.0,
        1.0,
        "0-1",
        "Reactance: client resistance at which challenge neither speeds nor slows change.",
        "symptoms",
    )
    challenge_alliance_threshold: float = param(
        0.60, 0.0, 1.0, "0-1", "Alliance above which challenge is productive, below which it is risky.", "ruptures"
    )
    confrontation_share: float = param(
        0.40,
        0.0,
        1.0,
        "share",
        "Share of ruptures that are confrontations for a secure client (rest: withdrawal).",
        "ruptures",
    )
    attachment_kind_shift: float = param(
        0.20,
        0.0,
        0.5,
        "share",
        "Anxious clients confront more, avoidant clients withdraw more, by this share.",
        "ruptures",
    )
    severity_mean: float = param(
        0.15,
        0.0,
        0.5,
        "alliance units",
        "Mean rupture severity: the drop in bond (goal and task drop half as much).",
        "ruptures",
    )
    severe_rupture_threshold: float = param(
        0.20,
        0.0,
        1.0,
        "alliance units",
        "Severity above which an unresolved rupture sends a working-phase dyad back to exploration.",
        "ruptures",
    )

    # --- detection and repair ------------------------------------------------------------------
    repair_enabled: bool = flag(
        True, "Whether therapists repair the ruptures they notice (off: same clients, no repair).", "repair"
    )
    withdrawal_visibility: float = param(
        0.5, 0.0, 1.0, "multiplier", "How visible a withdrawal is relative to a confrontation.", "repair"
    )
    online_visibility: float = param(
        0.7, 0.0, 1.0, "multiplier", "Visibility of a withdrawal online relative to in person.", "repair"
    )
    openness_effect: float = param(
        0.5, 0.0, 1.0, "multiplier", "How much client openness changes the chance to notice a rupture.", "repair"
    )
    srs_cutoff: float = param(
        36.0,
        0.0,
        40.0,
        "SRS points",
        "SRS total under which an SRS-using therapist is alerted (Duncan et al. 2003: 36).",
        "repair",
    )
    srs_detection_boost: float = param(
        0.6, 0.0, 1.0, "share", "Share of the remaining chance to notice that a low SRS adds.", "repair"
    )
    srs_leniency: float = param(
        0.32,
        0.0,
        1.0,
        "alliance units",
        "How far above the latent alliance clients rate the SRS (its ceiling).",
        "repair",
    )
    srs_noise_sd: float = param(
        2.5, 0.0, 10.0, "SRS points", "Noise of the SRS total around its expected value.", "repair"
    )
    repair_base_logit: float = param(
        0.5, -10.0, 10.0, "log-odds", "Log-odds that a repair step succeeds for an average therapist.", "repair"
    )
    repair_skill_effect: float = param(
        4.0, 0.0, 20.0, "log-odds", "Log-odds per unit of repair skill minus defensiveness.", "repair"
    )
    repair_window: int = param(
        3, 1, 20, "sessions", "Sessions a rupture can stay open before it is left unresolved.", "repair"
    )
    repair_gain: float = param(
        0.857,
        0.0,
        3.0,
        "multiplier",
        "V shape: a resolved rupture lifts each component this many severities above its pre-rupture level.",
        "repair",
    )
    unresolved_deficit: float = param(
        1.0,
        0.0,
        3.0,
        "multiplier",
        "Lasting drop of the alliance ceiling per unresolved rupture, in severities.",
        "repair",
    )

    # --- symptoms ------------------------------------------------------------------------------
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
    ors_error_sd: float = param(
        2.7,
        0.0,
        10.0,
        "ORS points",
        "Measurement error of the ORS total (reliability ~.85; Miller et al. 2003).",
        "symptoms",
    )

    # --- attendance and dropout ------------------------------------------------------------------
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

    # --- instruments: the measurement model of the item-level layer (simulation.instruments) -------
    wai_client_leniency: float = param(
        0.05,
        -0.5,
        0.5,
        "alliance units",
        "How far above their latent component clients rate WAI-SR items (1 alliance unit = 4 item points).",
        "instruments",
    )
    wai_therapist_leniency: float = param(
        0.04,
        -0.5,
        0.5,
        "alliance units",
        "How far above their view of a component therapists rate WAI-SR items (their view already carries bias_mean).",
        "instruments",
    )
    wai_client_item_error_sd: float = param(
        0.1,
        0.0,
        1.0,
        "alliance units",
        "SD of the error of one client WAI-SR item response (sets the subscale alphas; 1 unit = 4 item points).",
        "instruments",
    )
    wai_therapist_item_error_sd: float = param(
        0.22,
        0.0,
        1.0,
        "alliance units",
        "SD of the error of one therapist WAI-SR item response (1 alliance unit = 4 item points).",
        "instruments",
    )
    wai_therapist_style_sd: float = param(
        0.12,
        0.0,
        1.0,
        "alliance units",
        "SD between therapists of a rating style that shifts all their WAI-SR ratings (therapist-level).",
        "instruments",
    )
    wai_therapist_dyad_sd: float = param(
        0.25,
        0.0,
        1.0,
        "alliance units",
        "SD of a therapist's lasting misjudgement of one client's alliance (dyad-level, fixed over sessions).",
        "instruments",
    )
    srs_item_spread: float = param(
        0.35,
        0.0,
        5.0,
        "log weight",
        "SD of the log weights that split a session's SRS shortfall from 40 among its 4 items.",
        "instruments",
    )
    ors_item_spread: float = param(
        0.25,
        0.0,
        5.0,
        "log weight",
        "SD of the log weights that split a session's ORS shortfall from 40 among its 4 items.",
        "instruments",
    )
    client_rupture_sensitivity: float = param(
        0.3,
        0.0,
        1.0,
        "probability",
        "Chance that the client reports a rupture that began in the session (Muran et al. 2009: fewest).",
        "instruments",
    )
    therapist_rupture_sensitivity: float = param(
        0.5, 0.0, 1.0, "probability", "Chance that the therapist reports a rupture begun in the session.", "instruments"
    )
    observer_rupture_sensitivity: float = param(
        0.8,
        0.0,
        1.0,
        "probability",
        "Chance that an observer coding rupture markers (3RS) codes a rupture that began in the session.",
        "instruments",
    )
    client_false_rupture_rate: float = param(
        0.02, 0.0, 1.0, "probability", "Chance that the client reports a rupture in a session without.", "instruments"
    )
    therapist_false_rupture_rate: float = param(
        0.04, 0.0, 1.0, "probability", "Chance the therapist reports a rupture in a session without.", "instruments"
    )
    observer_false_rupture_rate: float = param(
        0.05, 0.0, 1.0, "probability", "Chance an observer codes a rupture marker in a session without.", "instruments"
    )
    empathy_therapist_weight: float = param(
        1.0,
        0.0,
        10.0,
        "weight",
        "Weight of the therapist's empathy (trait) in what a client perceives on the empathy scale.",
        "instruments",
    )
    empathy_fit_weight: float = param(
        0.5, 0.0, 10.0, "weight", "Weight of the pair's fit in the empathy a client perceives.", "instruments"
    )
    empathy_bond_weight: float = param(
        2.0,
        0.0,
        10.0,
        "weight",
        "Weight of the client's bond that session in the empathy they perceive (weights are normalised).",
        "instruments",
    )
    empathy_perception_sd: float = param(
        0.05,
        0.0,
        1.0,
        "0-1",
        "SD between clients of a lasting shift in how much empathy they perceive (client-level).",
        "instruments",
    )
    empathy_leniency: float = param(
        0.1,
        -0.5,
        0.5,
        "0-1",
        "How far above their perceived empathy clients answer the empathy items (1 unit = 6 answer steps).",
        "instruments",
    )
    empathy_item_error_sd: float = param(
        0.12, 0.0, 1.0, "0-1", "SD of the error of one empathy item answer (sets the scale's alpha).", "instruments"
    )
    item_nonresponse_rate: float = param(
        0.0,
        0.0,
        0.5,
        "probability",
        "Chance that any one item of a given questionnaire is left blank, independently (MCAR).",
        "instruments",
    )

    # --- group format (act only in --format group; docs/ODD.md, Formats) ------------------------
    group_size: int = param(
        8, 2, 16, "members", "Members per group (the last group of a cohort may be smaller).", "groups"
    )
    open_groups: bool = flag(
        False,
        "Open groups with rolling admission: half the seats (rounded up) start at session 1, the others "
        "join one at a time, one every admission_interval sessions.",
        "groups",
    )
    admission_interval: int = param(3, 1, 26, "sessions", "Sessions between two admissions to an open group.", "groups")
    initial_tie_mean: float = param(
        0.40, 0.0, 1.0, "0-1", "Mean strength of a tie between two members when they first meet.", "groups"
    )
    initial_tie_sd: float = param(0.15, 0.0, 0.5, "0-1", "SD of the initial tie strength between members.", "groups")
    tie_growth_rate: float = param(
        0.08,
        0.0,
        1.0,
        "per session",
        "Share of the gap to 1 that a tie closes in a session both members attend.",
        "groups",
    )
    cohesion_tie_weight: float = param(
        0.95,
        0.0,
        1.0,
        "weight",
        "Weight of member-member ties in a member's cohesion (the rest: the members' mean alliance).",
        "groups",
    )
    cohesion_weight: float = param(
        0.97,
        0.0,
        1.0,
        "weight",
        "Weight of the member's cohesion (vs their alliance with the leader) in what they act on: "
        "attendance, dropout and symptom change.",
        "groups",
    )
    member_rupture_base_logit: float = param(
        -5.0, -10.0, 5.0, "log-odds", "Log-odds of a rupture between two attending members at a full tie.", "groups"
    )
    member_rupture_tie_weight: float = param(
        2.0, 0.0, 10.0, "log-odds", "Member-member rupture hazard per unit of missing tie strength.", "groups"
    )
    member_rupture_severity: float = param(
        0.20, 0.0, 1.0, "tie units", "How far a member-member rupture drops the tie between the two.", "groups"
    )
    witness_unresolved_loss: float = param(
        0.05,
        0.0,
        1.0,
        "cohesion units",
        "Cohesion a member loses for each rupture of others (member-leader or member-member) they see left unresolved.",
        "groups",
    )
    witness_repair_gain: float = param(
        0.03,
        0.0,
        1.0,
        "cohesion units",
        "Cohesion a member gains for each rupture of others they see repaired.",
        "groups",
    )

    # --- family format (act only in --format family; docs/ODD.md, Formats) ----------------------
    family_size: int = param(
        3,
        2,
        5,
        "members",
        "Members per family (2: a couple; the last family of a cohort may be smaller). Roles follow "
        "from the size (docs/ODD.md): partners; parent, adolescent, parent, sibling, sibling.",
        "families",
    )
    parent_motivation_shift: float = param(
        0.10, -1.0, 1.0, "0-1", "Motivation of a parent relative to the population mean.", "families"
    )
    adolescent_motivation_shift: float = param(
        -0.20, -1.0, 1.0, "0-1", "Motivation of an adolescent (brought by a parent) relative to the mean.", "families"
    )
    adolescent_resistance_shift: float = param(
        0.25, -1.0, 1.0, "0-1", "Resistance of an adolescent relative to the population mean.", "families"
    )
    shared_alliance_weight: float = param(
        0.4,
        0.0,
        1.0,
        "weight",
        "Weight of the family's shared alliance (vs the member's own) in what a member acts on: "
        "attendance, dropout and symptom change.",
        "families",
    )
    split_dropout_weight: float = param(
        0.75, 0.0, 20.0, "log-odds", "Family dropout per unit of split (range of the members' alliances).", "families"
    )
    therapist_neutrality: float = param(
        0.8,
        0.0,
        1.0,
        "0-1",
        "How even-handed the therapist is (1: fully neutral); below 1 the therapist sides with one member.",
        "families",
    )
    siding_effect: float = param(
        0.15,
        0.0,
        1.0,
        "per session",
        "At neutrality 0: share of the gap to 1 the sided member's bond gains per attended session, and "
        "share of their bond the others lose.",
        "families",
    )

    def __new__(cls, *positional: Any, **values: Any) -> Params:
        """Refuse an unknown name with the command line's message (a :class:`ParameterError` that
        suggests close names) rather than the generated constructor's bare TypeError."""
        for name in values:
            if name not in PARAMETERS:
                raise ParameterError(_unknown_message(name))
        return super().__new__(cls)

    def __post_init__(self) -> None:
        for spec in fields(self):
            value = getattr(self, spec.name)
            object.__setattr__(self, spec.name, _checked(spec, value))
        if self.share_anxious + self.share_avoidant > 1:
            raise ParameterError(
                f"share_anxious + share_avoidant must be at most 1 (secure is the rest); "
                f"got {self.share_anxious} + {self.share_avoidant}"
            )
        if self.bond_weight + self.goal_weight + self.task_weight <= 0:
            raise ParameterError("bond_weight, goal_weight and task_weight must not all be 0")
        if self.resolution_sessions >= self.course_length:
            raise ParameterError(
                f"resolution_sessions must be less than course_length ({self.course_length}); "
                f"got {self.resolution_sessions}"
            )

    def replace(self, **changes: Any) -> Params:
        """A copy with some parameters changed (checked like the constructor)."""
        return dataclasses.replace(self, **changes)

    def as_dict(self) -> dict[str, float | int | bool]:
        """Parameter name -> value, in declaration order."""
        return {spec.name: getattr(self, spec.name) for spec in fields(self)}

    def describe_changes(self) -> str:
        """'default parameters', or the parameters that differ from the defaults (for report headers)."""
        changed = {name: value for name, value in self.as_dict().items() if value != PARAMETERS[name].default}
        return (
            f"parameters changed from the defaults: {_assignments_text(changed)}" if changed else "default parameters"
        )


@dataclass(frozen=True)
class ParameterSpec:
    """What one parameter is: read from the :class:`Params` field metadata."""

    name: str
    default: float | int | bool
    low: float
    high: float
    unit: str
    meaning: str
    group: str
    kind: type

    def format_range(self) -> str:
        """The range as the parameter tables show it: '0 to 1', '2 to 104 (whole number)', 'true or false'."""
        if self.kind is bool:
            return "true or false"
        return f"{_fmt(self.low)} to {_fmt(self.high)}" + (" (whole number)" if self.kind is int else "")

    def valid_values(self) -> str:
        """What a value must be, as messages say it: 'a number from 0 to 1', 'a whole number from 2 to 104'."""
        if self.kind is bool:
            return "true or false"
        number = "a whole number" if self.kind is int else "a number"
        return f"{number} from {_fmt(self.low)} to {_fmt(self.high)}"

    def refusal(self, value: Any) -> ParameterError:
        """The one-line refusal of ``value`` for this parameter: its name, what is valid, what was given."""
        return ParameterError(f"{self.name} must be {self.valid_values()}; got {shown(value)}")


def _fmt(value: float) -> str:
    return f"{value:g}"


SHOWN_CHARACTERS = 40  # a value echoed in a message is cut to about this many characters


def shown(value: Any) -> str:
    """``value`` as a message echoes it: its repr, cut short when long (a 400-digit number, a long string)."""
    text = repr(value)
    if len(text) <= SHOWN_CHARACTERS:
        return text
    return f"{text[: SHOWN_CHARACTERS - 10]}... ({len(text)} characters)"


PARAMETERS: dict[str, ParameterSpec] = {
    spec.name: ParameterSpec(
        spec.name,
        spec.default,
        spec.metadata["low"],
        spec.metadata["high"],
        spec.metadata["unit"],
        spec.metadata["meaning"],
        spec.metadata["group"],
        {"int": int, "float": float, "bool": bool}[spec.type],
    )
    for spec in fields(Params)
}


def _unknown_message(name: str) -> str:
    import difflib

    close = difflib.get_close_matches(name, PARAMETERS, n=3)
    hint = f" Did you mean: {', '.join(close)}?" if close else ""
    return f"unknown parameter {shown(name)}.{hint} Run 'alliance params' for the full list."


def _assignments_text(values: dict[str, float | int | bool]) -> str:
    """``name=value`` pairs as a user would type them (``true``/``false`` for switches)."""
    return ", ".join(f"{name}={json.dumps(value)}" for name, value in values.items())


def _checked(dataclass_field: dataclasses.Field, value: Any) -> Any:
    """Check one value's type and range; return it converted to the parameter's type.

    Refused: a wrong type (strings, tables, lists; a boolean for a number or a number for a switch),
    NaN and infinities, values out of range (compared exactly, so a 400-digit integer is refused, not
    rounded to infinity) and fractions for whole-number parameters. -0.0 is stored as 0.0.
    """
    spec = PARAMETERS[dataclass_field.name]
    if spec.kind is bool:
        if not isinstance(value, bool):
            raise spec.refusal(value)
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise spec.refusal(value)
    if not spec.low <= value <= spec.high:  # False for NaN; exact for integers of any size
        raise spec.refusal(value)
    if spec.kind is int:
        if value != int(value):
            raise spec.refusal(value)
        return int(value)
    return float(value) + 0.0  # + 0.0 turns -0.0 into 0.0


def parse_value(name: str, text: str) -> float | int | bool:
    """Read a ``--set KEY=VALUE`` value as the parameter's type (the range is checked by Params).

    Whole numbers are read exactly (a 400-digit number stays itself and is refused by its range)."""
    if name not in PARAMETERS:
        raise ParameterError(_unknown_message(name))
    spec = PARAMETERS[name]
    if spec.kind is bool:
        lowered = text.strip().lower()
        if lowered in ("true", "1", "yes", "on"):
            return True
        if lowered in ("false", "0", "no", "off"):
            return False
        raise spec.refusal(text)
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        raise spec.refusal(text) from None
    if spec.kind is int and math.isfinite(number) and number == int(number):
        return int(number)
    return number


def parse_assignments(assignments: Sequence[str]) -> dict[str, float | int | bool]:
    """Turn ``["repair_skill_mean=0.7", ...]`` into a dict of typed values."""
    changes: dict[str, float | int | bool] = {}
    for assignment in assignments:
        name, sep, text = assignment.partition("=")
        if not sep or not name.strip():
            raise ParameterError(f"--set takes KEY=VALUE (e.g. repair_skill_mean=0.7); got {shown(assignment)}")
        changes[name.strip()] = parse_value(name.strip(), text)
    return changes


# --- presets ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Preset:
    """A named set of overrides over the same mechanisms (an orientation or a population)."""

    name: str
    kind: str
    summary: str
    overrides: dict[str, float | int | bool]


PRESETS: dict[str, Preset] = {
    preset.name: preset
    for preset in [
        Preset("working", "orientation", "Bordin's working alliance: the calibrated defaults.", {}),
        Preset(
            "reparative",
            "orientation",
            "Repair focus: attuned therapists who use the SRS and repair more skilfully.",
            {"attunement_mean": 0.70, "repair_skill_mean": 0.72, "feedback_use_mean": 0.80, "defensiveness_mean": 0.20},
        ),
        Preset(
            "transpersonal",
            "orientation",
            "Meaning and goals: faster goal agreement, higher expectancy.",
            {"goal_growth_rate": 0.60, "collaboration_mean": 0.72, "expectancy_mean": 0.70},
        ),
        Preset(
            "attachment_based",
            "orientation",
            "Secure base: warm therapists; insecure clients bond almost as fast as secure ones.",
            {
                "anxious_bond_factor": 0.95,
                "avoidant_bond_factor": 0.90,
                "empathy_mean": 0.72,
                "insecure_attachment_weight": 0.25,
            },
        ),
        Preset(
            "systemic",
            "orientation",
            "Systemic (group or family): an even-handed therapist who builds the shared alliance and the "
            "ties between members.",
            {
                "therapist_neutrality": 0.95,
                "shared_alliance_weight": 0.65,
                "tie_growth_rate": 0.12,
                "witness_repair_gain": 0.05,
                "collaboration_mean": 0.68,
            },
        ),
        Preset("general_outpatient", "population", "General adult outpatients: the calibrated defaults.", {}),
        Preset(
            "substance_use",
            "population",
            "Substance use: more ambivalence; ruptures drive dropout, so a strong early alliance doubles completion.",
            {
                "motivation_mean": 0.442,
                "resistance_mean": 0.435,
                "dropout_base_logit": -5.21,
                "dropout_alliance_weight": 3.26,
                "miss_base_logit": -0.5,
                "dropout_early_weight": 0.0,
                "dropout_missed_weight": 0.0,
                "dropout_rupture_weight": 3.3,
                "dropout_motivation_weight": 0.336,
            },
        ),
        Preset(
            "online",
            "population",
            "Online therapy: nearly all clients seen by video, withdrawals harder to notice.",
            {"share_online": 0.95},
        ),
    ]
}


def preset(name: str) -> Preset:
    """The preset called ``name``; a :class:`ParameterError` lists the valid names if none is."""
    if name not in PRESETS:
        raise ParameterError(f"unknown preset {shown(name)}; choose one of: {', '.join(PRESETS)}")
    return PRESETS[name]


def apply_presets(names: Sequence[str], base: Params | None = None) -> Params:
    """Apply named presets in order over ``base`` (the defaults)."""
    params = base or Params()
    for name in names:
        params = params.replace(**preset(name).overrides)
    return params


# --- TOML ------------------------------------------------------------------------------------------


@contextmanager
def _naming(path: str) -> Iterator[None]:
    """Prefix a :class:`ParameterError` raised inside with the config file it comes from."""
    try:
        yield
    except ParameterError as error:
        raise ParameterError(f"config file {path}: {error}") from None


@dataclass(frozen=True)
class ConfigFile:
    """A parameter file as read: where it was, its exact text, and what it sets (presets in order,
    then the ``[parameters]`` table)."""

    path: str
    text: str
    presets: tuple[str, ...]
    parameters: dict[str, Any]

    @classmethod
    def parse(cls, text: str, path: str) -> ConfigFile:
        """Check the document's shape and preset names; errors name the file."""
        try:
            document = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise ParameterError(f"config file {path} is not valid TOML: {error}") from None
        unknown_keys = sorted(set(document) - {"parameters", "presets"})
        if unknown_keys:
            raise ParameterError(
                f"config file {path}: unknown top-level key '{unknown_keys[0]}'; "
                "expected 'parameters' (a table) and optionally 'presets' (a list)"
            )
        presets = document.get("presets", [])
        if not isinstance(presets, list) or not all(isinstance(name, str) for name in presets):
            raise ParameterError(
                f"config file {path}: 'presets' must be a list of preset names ({', '.join(PRESETS)}); "
                f"got {shown(presets)}"
            )
        with _naming(path):
            for name in presets:
                preset(name)
        values = document.get("parameters", {})
        if not isinstance(values, dict):
            raise ParameterError(f"config file {path}: 'parameters' must be a table")
        return cls(path, text, tuple(presets), values)

    @property
    def sha256(self) -> str:
        """SHA-256 of the file's bytes (its UTF-8 text), hex."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def apply_parameters(self, params: Params) -> Params:
        """``params`` with the file's ``[parameters]`` table applied; errors name the file."""
        with _naming(self.path):
            return params.replace(**self.parameters)


def read_config(path: str | Path) -> ConfigFile:
    """Read a TOML parameter file: a ``[parameters]`` table and an optional ``presets = [...]`` list."""
    try:
        text = Path(path).read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise ParameterError(f"config file {path} does not exist") from None
    except OSError as error:
        raise ParameterError(f"config file {path} cannot be read: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise ParameterError(f"config file {path} is not UTF-8 text") from None
    return ConfigFile.parse(text, str(path))


def load_toml(path: str | Path, base: Params | None = None) -> Params:
    """Parameters from a TOML file over ``base`` (the defaults): its presets in order, then its
    ``[parameters]`` table. Every error names the file."""
    config = read_config(path)
    return config.apply_parameters(apply_presets(config.presets, base))


def save_toml(params: Params, path: str | Path) -> None:
    """Write every parameter to a TOML file that :func:`load_toml` reads back."""
    Path(path).write_text(to_toml(params), encoding="utf-8")


def to_toml(params: Params) -> str:
    """All parameters as a TOML document."""
    return tomli_w.dumps({"parameters": params.as_dict()})


def markdown_table() -> str:
    """Every parameter as a Markdown table, grouped (docs/ODD.md embeds it; a test keeps it current)."""
    lines = ["| parameter | default | range | unit | meaning |", "|---|---|---|---|---|"]
    group = None
    for spec in PARAMETERS.values():
        if spec.group != group:
            group = spec.group
            lines.append(f"| **{group}** | | | | |")
        default = str(spec.default).lower() if spec.kind is bool else f"{spec.default:g}"
        lines.append(f"| `{spec.name}` | {default} | {spec.format_range()} | {spec.unit} | {spec.meaning} |")
    return "\n".join(lines)


# --- how a run's parameters were made -------------------------------------------------------------


@dataclass(frozen=True)
class RunRecipe:
    """How a run's parameters were made, enough to remake them: the defaults, then ``presets`` in
    order (the ``--preset`` options, then the config file's ``presets`` list), then the config file's
    ``[parameters]``, then ``assignments`` (``--set``). ``argv`` is the command line that made the run.
    """

    presets: tuple[str, ...] = ()
    config: ConfigFile | None = None
    assignments: dict[str, float | int | bool] = field(default_factory=dict)
    argv: tuple[str, ...] = ()

    @classmethod
    def from_options(
        cls,
        presets: Sequence[str] = (),
        config: str | Path | None = None,
        assignments: Sequence[str] = (),
        argv: Sequence[str] = (),
    ) -> RunRecipe:
        """The recipe of command-line options: ``--preset`` names, ``--config`` path, ``--set KEY=VALUE``."""
        config_file = read_config(config) if config is not None else None
        return cls(
            presets=(*presets, *(config_file.presets if config_file else ())),
            config=config_file,
            assignments=parse_assignments(assignments),
            argv=tuple(argv),
        )

    def params(self) -> Params:
        """The parameters this recipe makes."""
        params = apply_presets(self.presets)
        if self.config is not None:
            params = self.config.apply_parameters(params)
        return params.replace(**self.assignments)

    def describe(self) -> str:
        """What was set, in one phrase: 'default parameters' or the sources in the order applied."""
        parts = []
        if self.presets:
            parts.append(f"preset{'s' if len(self.presets) > 1 else ''} {', '.join(self.presets)}")
        if self.config is not None:
            parts.append(f"config file {self.config.path}")
        if self.assignments:
            parts.append(f"--set {_assignments_text(self.assignments)}")
        return f"parameters from {'; '.join(parts)}" if parts else "default parameters"

    def as_dict(self) -> dict[str, Any]:
        """The recipe as JSON-ready data (the manifest's ``recipe``); :meth:`from_dict` reads it back."""
        config = self.config
        return {
            "presets": list(self.presets),
            "config": None if config is None else {"path": config.path, "sha256": config.sha256, "text": config.text},
            "set": dict(self.assignments),
            "argv": list(self.argv),
        }

    @classmethod
    def from_dict(cls, recorded: dict[str, Any]) -> RunRecipe:
        """The recipe recorded by :meth:`as_dict` (e.g. ``json.load(manifest)["recipe"]``)."""
        config = recorded["config"]
        return cls(
            presets=tuple(recorded["presets"]),
            config=None if config is None else ConfigFile.parse(config["text"], config["path"]),
            assignments=dict(recorded["set"]),
            argv=tuple(recorded["argv"]),
        )
