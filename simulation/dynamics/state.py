"""What every submodel reads and writes: codes and scales, the per-relation containers (ODD section 2,
state variables: :class:`Traits`, :class:`State`, :class:`SessionRecord`) and the small array helpers
the submodels share. Every helper is written against an array namespace ``xp`` and returns new arrays.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from simulation.backend import Array

ORS_MAX = 40.0
SRS_MAX = 40.0
RELIABLE_CHANGE = 5.0  # ORS points (Miller et al. 2003; Duncan et al. 2003)
REPAIR_STEPS = 5  # acknowledge, clarify, take responsibility, rebuild, monitor

# stages, attachment styles and rupture kinds as small integer codes
ENGAGEMENT, EXPLORATION, WORKING, RESOLUTION = 0, 1, 2, 3
STAGES = ("engagement", "exploration", "working", "resolution")
SECURE, ANXIOUS, AVOIDANT = 0, 1, 2
ATTACHMENT_STYLES = ("secure", "anxious", "avoidant")
NO_RUPTURE, WITHDRAWAL, CONFRONTATION = 0, 1, 2
RUPTURE_KINDS = ("none", "withdrawal", "confrontation")
# why a course ended early: disengaged (the alliance-driven hazard), practical (outside therapy),
# improved (stopped after feeling better); "none" for a course that did not end by dropout
NOT_DROPPED, DISENGAGED, PRACTICAL, IMPROVED = 0, 1, 2, 3
DROPOUT_CAUSES = ("none", "disengaged", "practical", "improved")

CLIENT_TRAITS = ("motivation", "resistance", "transference", "expectancy", "openness")
THERAPIST_TRAITS = (
    "empathy",
    "congruence",
    "regard",
    "collaboration",
    "skill",
    "attunement",
    "repair_skill",
    "defensiveness",
    "cultural_sensitivity",
    "feedback_use",
    "pitfalls",
    "challenge",
)
# a therapist's alliance-building ability (7.1): the traits that build the bond, goal and task agreement
# and catch and mend ruptures, each with its sign; skill is left out, as it scales change already (7.13)
ALLIANCE_ABILITY = {
    "empathy": 1.0,
    "congruence": 1.0,
    "regard": 1.0,
    "collaboration": 1.0,
    "attunement": 1.0,
    "repair_skill": 1.0,
    "defensiveness": -1.0,
}


def logistic(xp: Any, log_odds: Array) -> Array:
    """The logistic function, 1 / (1 + exp(-x))."""
    return 1.0 / (1.0 + xp.exp(-log_odds))


def as_float(xp: Any, flags: Array) -> Array:
    """Booleans as 0.0 / 1.0."""
    return xp.astype(flags, xp.float64)


def unit_clip(xp: Any, values: Array) -> Array:
    """Clip to [0, 1]."""
    return xp.clip(values, 0.0, 1.0)


def select(xp: Any, condition: Array, chosen: Array | float, otherwise: Array | float) -> Array:
    """``where`` that also takes two scalars (parameters are scalars in a single run)."""
    if isinstance(chosen, (int, float)) and isinstance(otherwise, (int, float)):
        chosen = xp.full(condition.shape, float(chosen))
    return xp.where(condition, chosen, otherwise)


def at_intake(xp: Any, intake: bool | Array, at_first: Array, later: Callable[[], Array]) -> Array:
    """``at_first`` where this is the client's first session, ``later()`` elsewhere. ``intake`` is one
    bool when every row shares one calendar (the individual format: ``later`` is then not computed at
    the intake) and a per-row mask when members joined at different sessions (open groups)."""
    if isinstance(intake, bool):
        return at_first if intake else later()
    return xp.where(intake, at_first, later())


@dataclass(frozen=True)
class Traits:
    """Fixed per-relation quantities: the client's traits, their therapist's, and the pair's fit."""

    attachment: Array
    minority: Array  # the client is of a minority cultural background
    online: Array
    mismatch: Array  # client and therapist of different cultural backgrounds
    intake: Array  # latent well-being at intake (ORS points)
    attainable: Array  # level the client can reach (ORS points)
    fit: Array  # 0-1: style convergence, bridged culture
    motivation: Array
    resistance: Array
    transference: Array
    expectancy: Array
    openness: Array
    empathy: Array
    congruence: Array
    regard: Array
    collaboration: Array
    skill: Array
    attunement: Array
    repair_skill: Array
    defensiveness: Array
    cultural_sensitivity: Array
    feedback_use: Array
    pitfalls: Array
    challenge: Array
    bias: Array
    therapist_factor: Array  # the therapist's own factor on the change rate (7.1; 1 with the knobs off)


@dataclass(frozen=True)
class State:
    """Per-relation state after the last simulated session (the client's own view of the alliance)."""

    bond: Array
    goal: Array
    task: Array
    ceiling: Array  # 1 minus the lasting deficit of unresolved ruptures
    stage: Array  # int8 code, see STAGES
    wellbeing: Array  # latent ORS level, 0-40
    setback: Array  # ORS points of lasting harm (life events, unresolved ruptures): lowers the level within reach
    active: Array  # the course is still running
    dropped_out: Array
    dropout_cause: Array  # int8 code, see DROPOUT_CAUSES
    rupture_open: Array
    rupture_kind: Array  # int8 code of the open (or last) rupture
    severity: Array
    rupture_age: Array  # sessions since the open rupture began
    detected: Array
    repair_step: Array  # repair steps completed on the open rupture (0-5)
    pre_bond: Array  # components just before the open rupture (for the V shape)
    pre_goal: Array
    pre_task: Array
    attended: Array  # sessions attended so far
    ruptures: Array  # counts over the course
    resolved: Array
    unresolved: Array
    resolution_attended: Array
    intake_ors: Array  # ORS at the intake (routine outcome monitoring; NaN until then, or with feedback off)
    extension: Array  # sessions that acted-on signals added to the planned course
    feedback_sessions: Array  # sessions in which the therapist acted on a not-on-track signal


@dataclass(frozen=True)
class SessionRecord:
    """What one session leaves in the sessions table, for the rows active at its start (``srs_alert``
    is not tabled: the group format reads it for the ruptures between members, 7.16)."""

    stage: Array
    attended: Array
    bond: Array
    goal: Array
    task: Array
    alliance: Array
    alliance_therapist: Array
    wellbeing: Array  # latent well-being at the start of the session (ORS points; what the ORS measures)
    rupture: Array
    rupture_kind: Array
    rupture_resolved: Array
    ors: Array  # observed ORS at the start of the session (NaN if missed)
    srs: Array  # observed SRS at its end (NaN if missed)
    srs_alert: Array  # the client attended and their low SRS alerted a therapist who reads it
