"""ODD 7.10 Detection, 7.11 Repair (with the V shape) and 7.12 Expiry and lasting deficit: the rupture
lifecycle, from the drop at onset (7.8; the hazard is :mod:`simulation.dynamics.onset`'s) on.

The lifecycle serves a client's rupture with their therapist (relation rows: 1-D arrays) and a
rupture between two members of a group (pair matrices: rows x members, simulation.formats.group)
alike: :func:`open_ruptures` at onset, then :func:`tend_ruptures` once the session's SRS is known
(detection reads it). Parameters broadcast against the arrays they meet (per-row parameters of
stacked runs as a column for matrices). What only a relation row has (a ceiling, a stage) follows in
:func:`lasting_deficit`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from simulation.backend import Array
from simulation.dynamics.state import (
    CONFRONTATION,
    EXPLORATION,
    REPAIR_STEPS,
    WORKING,
    as_float,
    logistic,
    select,
    unit_clip,
)


def visibility(xp: Any, p: Any, t: Any, kind: Array) -> Array:
    """How visible an open rupture is (7.10): 1 for a confrontation; ``withdrawal_visibility`` for a
    withdrawal, times ``online_visibility`` when the client meets online (``t.online``)."""
    withdrawal_visibility = p.withdrawal_visibility * select(xp, t.online, p.online_visibility, 1.0)
    return xp.where(kind == CONFRONTATION, 1.0, withdrawal_visibility)


def detection_chance(
    xp: Any, p: Any, attunement: Array, visible: Array | float, openness: Array, srs_alert: Array
) -> Array:
    """Chance that the therapist notices an open rupture this session (7.10): attunement x visibility x
    the client's openness; a low SRS that the therapist looks at adds a share of the remaining chance."""
    chance = unit_clip(xp, attunement * visible * (1.0 + p.openness_effect * (2.0 * openness - 1.0)))
    return xp.where(srs_alert, chance + p.srs_detection_boost * (1.0 - chance), chance)


def detection(xp: Any, p: Any, t: Any, kind: Array, srs_alert: Array, u: Array) -> Array:
    """Whether the therapist notices a relation's open rupture of ``kind`` this session (7.10): ``t``
    has the relation's ``attunement``, ``online`` and ``openness``."""
    return u < detection_chance(xp, p, t.attunement, visibility(xp, p, t, kind), t.openness, srs_alert)


def repair_step_chance(xp: Any, p: Any, t: Any) -> Array:
    """Chance that one repair step succeeds (7.11): repair skill against defensiveness."""
    log_odds = p.repair_base_logit + p.repair_skill_effect * (t.repair_skill - t.defensiveness)
    return xp.clip(logistic(xp, log_odds), 1e-9, 1.0 - 1e-9)


def repair(xp: Any, p: Any, t: Any, step: Array, repairing: Array, u: Array) -> Array:
    """Advance the five-step repair (7.11): the steps are tried in order until one fails (it is tried
    again next session). The count of successes before the first failure is geometric, so one uniform
    gives it exactly: floor(log u / log chance)."""
    successes = xp.floor(xp.log(u) / xp.log(repair_step_chance(xp, p, t)))
    advanced = xp.minimum(xp.astype(step, xp.float64) + successes, float(REPAIR_STEPS))
    return xp.where(repairing, xp.astype(advanced, xp.int16), step)


def v_shape(xp: Any, p: Any, current: Array, before: Array, severity: Array, resolved: Array) -> Array:
    """A resolved rupture leaves a component above its pre-rupture level (by repair_gain severities)."""
    rebuilt = unit_clip(xp, xp.maximum(current, before) + p.repair_gain * severity)
    return xp.where(resolved, rebuilt, current)


@dataclass(frozen=True)
class RuptureTrack:
    """Where each rupture stands: one entry per relation row, or per (row, member) of a pair matrix."""

    open: Array
    detected: Array  # noticed by the therapist (the group's leader for a pair); False once closed
    step: Array  # repair steps completed on the open rupture (0-5)
    age: Array  # sessions since the open rupture began


def open_ruptures(
    xp: Any,
    track: RuptureTrack,
    onset: Array,
    severity: Array | float,
    components: tuple[Array, ...],
    before: tuple[Array, ...],
    shares: tuple[float, ...],
) -> tuple[RuptureTrack, tuple[Array, ...], tuple[Array, ...]]:
    """Onset (7.8): where a rupture begins, keep each component's level (for the V shape) and lower
    it by its share of the severity (clipped to 0-1); the rupture is open. Returns the track, the
    components after the drop, and the levels before the open ruptures."""
    kept = tuple(xp.where(onset, now, old) for now, old in zip(components, before, strict=True))
    drop = as_float(xp, onset) * severity
    shared = tuple(drop if share == 1.0 else share * drop for share in shares)  # 1.0 x: exact, but a pass
    dropped = tuple(unit_clip(xp, now - fall) for now, fall in zip(components, shared, strict=True))
    return RuptureTrack(track.open | onset, track.detected, track.step, track.age), dropped, kept


def tend_ruptures(
    xp: Any,
    p: Any,
    t: Any,
    track: RuptureTrack,
    onset: Array,
    present: Array,
    running: Array | bool,
    noticed: Array,
    repair_u: Array,
    severity: Array | float,
    components: tuple[Array, ...],
    before: tuple[Array, ...],
) -> tuple[RuptureTrack, tuple[Array, ...], Array, Array]:
    """Detection, repair and expiry of the open ruptures (``track`` as :func:`open_ruptures` left it).

    Where the people are ``present`` (the client attended; both members of a pair attended), an open
    rupture not yet noticed is noticed where ``noticed`` (the outcome of :func:`detection`), and a
    noticed one advances its repair steps (when ``repair_enabled``; ``t`` has the repairing
    therapist's ``repair_skill`` and ``defensiveness``); five steps resolve it, with the V shape
    (7.11). Its age counts the sessions while ``running``; one still open at ``repair_window`` expires
    unresolved (7.12). Returns the track, the components, and the resolved and expired masks.
    """
    detected = (track.detected & ~onset) | (present & track.open & ~track.detected & noticed)
    repairing = present & track.open & detected & p.repair_enabled
    step = repair(xp, p, t, xp.where(onset, xp.zeros_like(track.step), track.step), repairing, repair_u)
    resolved = repairing & (step >= REPAIR_STEPS)
    rebuilt = tuple(v_shape(xp, p, now, old, severity, resolved) for now, old in zip(components, before, strict=True))
    age = xp.where(onset, xp.ones_like(track.age), track.age + xp.astype(track.open & running, xp.int16))
    expired = track.open & ~resolved & (age >= p.repair_window)
    still_open = track.open & ~resolved & ~expired
    return RuptureTrack(still_open, detected & still_open, step, age), rebuilt, resolved, expired


def lasting_deficit(
    xp: Any, p: Any, ceiling: Array, severity: Array, expired: Array, components: tuple[Array, ...], stage: Array
) -> tuple[Array, tuple[Array, ...], Array]:
    """What an expired rupture leaves on a relation (7.12): the ceiling falls by
    ``unresolved_deficit`` x severity (not under 0.2), the components stay under it, and a severe one
    in the working stage sends the relation back to exploration. Returns ceiling, components, stage."""
    ceiling = xp.where(expired, xp.clip(ceiling - p.unresolved_deficit * severity, 0.2, 1.0), ceiling)
    capped = tuple(xp.where(expired, xp.minimum(component, ceiling), component) for component in components)
    setback = expired & (stage == WORKING) & (severity > p.severe_rupture_threshold)
    return ceiling, capped, xp.where(setback, xp.astype(xp.zeros_like(stage) + EXPLORATION, xp.int8), stage)
