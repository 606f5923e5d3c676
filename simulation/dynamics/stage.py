"""ODD 7.6 Stages: engagement, exploration, working and resolution, entered by state."""

from __future__ import annotations

from typing import Any

from simulation.backend import Array
from simulation.dynamics.state import ENGAGEMENT, EXPLORATION, RESOLUTION, WORKING, State, Traits


def goals_met(t: Traits, wellbeing: Array, p: Any) -> Array:
    """The client has gained the goal fraction of their attainable gain."""
    return (wellbeing - t.intake) >= p.goal_fraction * (t.attainable - t.intake)


def next_stage(xp: Any, p: Any, t: Traits, s: State, session: int | Array, attended: Array) -> Array:
    """Stage at the start of an attended session, entered by state: one step forward at most, except
    that any stage moves to resolution when the planned course is nearly done. ``session`` is the
    client's own session number; a missed session keeps the stage."""
    stage = s.stage
    to_exploration = (stage == ENGAGEMENT) & (s.bond >= p.bond_threshold)
    to_working = (stage == EXPLORATION) & (s.goal >= p.agreement_threshold) & (s.task >= p.agreement_threshold)
    nearly_done = (session + p.resolution_sessions) > p.course_length
    to_resolution = ((stage == WORKING) & goals_met(t, s.wellbeing, p)) | ((stage < RESOLUTION) & nearly_done)
    moved = xp.where(
        to_resolution, RESOLUTION, xp.where(to_working, WORKING, xp.where(to_exploration, EXPLORATION, stage))
    )
    return xp.where(attended, xp.astype(moved, xp.int8), stage)
