"""The alliance submodels of the session update (docs/ODD.md section 7): stage and bond/goal/task growth,
rupture, and detection and repair. Part of the core dynamics' parameters, assembled into
:class:`simulation.config.Params`.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulation.params.declare import flag, param


@dataclass(frozen=True)
class AllianceParams:
    """Alliance growth and stages: composite weights, intake levels, growth rates, stage thresholds."""

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


@dataclass(frozen=True)
class RuptureParams:
    """Ruptures: the hazard's log-odds terms, the kind (confrontation or withdrawal) and severity."""

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


@dataclass(frozen=True)
class RepairParams:
    """Detection and repair: visibility, the SRS alert, repair success, window and V shape."""

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
