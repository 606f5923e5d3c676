"""ODD 7.3 Composite alliance and 7.7 Alliance growth: bond, goal and task agreement, and the
weighted alliance they make."""

from __future__ import annotations

from typing import Any

from simulation.backend import Array
from simulation.dynamics.state import ANXIOUS, AVOIDANT, State, Traits, as_float, select, unit_clip


def composite(xp: Any, p: Any, bond: Array, goal: Array, task: Array) -> Array:
    """The composite alliance (7.3): the weighted mean of bond, goal and task (weights normalised)."""
    total = p.bond_weight + p.goal_weight + p.task_weight
    return (p.bond_weight * bond + p.goal_weight * goal + p.task_weight * task) / total


def grow_alliance(xp: Any, p: Any, t: Traits, s: State, attended: Array) -> tuple[Array, Array, Array]:
    """Alliance growth at an attended session (7.7): bond grows with the therapist's warmth (Rogers),
    fit and attachment; goal and task agreement grow with collaboration and skill, gated by the bond at
    the start of the session. Each closes a share of its gap to the ceiling."""
    attachment_factor = xp.where(
        t.attachment == ANXIOUS,
        p.anxious_bond_factor,
        select(xp, t.attachment == AVOIDANT, p.avoidant_bond_factor, 1.0),
    )
    warmth = (t.empathy + t.congruence + t.regard) / 3.0
    bond_rate = (
        p.bond_growth_rate
        * warmth
        * attachment_factor
        * (1.0 + p.fit_effect * (t.fit - 0.5))
        * (1.0 - p.resistance_effect * t.resistance)
    )
    on = as_float(xp, attended)
    bond = s.bond + on * unit_clip(xp, bond_rate) * (s.ceiling - s.bond)
    goal = s.goal + on * unit_clip(xp, p.goal_growth_rate * t.collaboration * s.bond) * (s.ceiling - s.goal)
    task = s.task + on * unit_clip(xp, p.task_growth_rate * t.skill * s.bond) * (s.ceiling - s.task)
    return unit_clip(xp, bond), unit_clip(xp, goal), unit_clip(xp, task)
