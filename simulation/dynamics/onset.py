"""ODD 7.8 Rupture onset: the hazard of a member-therapist rupture, its kind and its severity. What
follows an onset (the drop, detection, repair, expiry) is the rupture lifecycle of
:mod:`simulation.dynamics.repair`, which member-member ruptures share."""

from __future__ import annotations

from typing import Any

from simulation.backend import Array
from simulation.dynamics.growth import composite
from simulation.dynamics.reactance import reactance_hazard
from simulation.dynamics.state import (
    ANXIOUS,
    AVOIDANT,
    CONFRONTATION,
    EXPLORATION,
    SECURE,
    WITHDRAWAL,
    Traits,
    as_float,
    logistic,
    select,
    unit_clip,
)


def challenge_weakness(xp: Any, p: Any, alliance: Array) -> Array:
    """How far the alliance is under the level where challenge becomes productive (0-1)."""
    return unit_clip(xp, (p.challenge_alliance_threshold - alliance) / (p.challenge_alliance_threshold + 1e-9))


def rupture_hazard(xp: Any, p: Any, t: Traits, stage: Array, goal: Array, task: Array, alliance: Array) -> Array:
    """Per-session rupture probability from the risk factors of docs/ODD.md."""
    log_odds = (
        p.rupture_base_logit
        + p.misattunement_weight * (1.0 - t.attunement)
        + p.insecure_attachment_weight * as_float(xp, t.attachment != SECURE)
        + p.transference_weight * t.transference
        + p.countertransference_weight * t.defensiveness
        + p.low_agreement_weight * (1.0 - 0.5 * (goal + task))
        + p.cultural_mismatch_weight * as_float(xp, t.mismatch) * (1.0 - t.cultural_sensitivity)
        + p.early_stage_weight * as_float(xp, stage <= EXPLORATION)
        + p.pitfalls_weight * t.pitfalls
        + p.poor_fit_weight * (1.0 - t.fit)
        + p.challenge_hazard_weight * t.challenge * challenge_weakness(xp, p, alliance)
        + reactance_hazard(xp, p, t)  # 7.17
    )
    return logistic(xp, log_odds)


def rupture_onset(
    xp: Any,
    p: Any,
    t: Traits,
    stage: Array,
    components: tuple[Array, Array, Array],
    eligible: Array,
    draws: tuple[Array, Array, Array],
) -> tuple[Array, Array, Array]:
    """Which ``eligible`` relations rupture this session, the kind (withdrawal or confrontation) and
    severity, from the stage and the alliance's (bond, goal, task) ``components`` after growth.

    Severity is uniform on [0.25, 1.75] x ``severity_mean``. Anxious clients confront more, avoidant
    clients withdraw more, and challenge on a weak alliance provokes confrontation.
    """
    _, goal, task = components
    alliance = composite(xp, p, *components)
    occur_u, kind_u, severity_u = draws
    occurs = eligible & (occur_u < rupture_hazard(xp, p, t, stage, goal, task, alliance))
    shift = p.attachment_kind_shift * (as_float(xp, t.attachment == ANXIOUS) - as_float(xp, t.attachment == AVOIDANT))
    confrontation_share = unit_clip(
        xp, p.confrontation_share + shift + t.challenge * challenge_weakness(xp, p, alliance)
    )
    kind = select(xp, kind_u < confrontation_share, CONFRONTATION, WITHDRAWAL)
    severity = p.severity_mean * (0.25 + 1.5 * severity_u)
    return occurs, xp.astype(kind, xp.int8), severity
