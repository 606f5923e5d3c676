"""ODD 7.13 Symptom change: latent well-being (ORS points) over the week, with the lasting harm of
life events and of ruptures left unresolved (7.12), of which a group member bears the share their
group's cohesion leaves (7.19)."""

from __future__ import annotations

from typing import Any

from simulation.backend import Array
from simulation.dynamics.reactance import reactance_change_factor
from simulation.dynamics.state import (
    ENGAGEMENT,
    EXPLORATION,
    ORS_MAX,
    WORKING,
    State,
    Traits,
    as_float,
    select,
    unit_clip,
)


def symptom_change(
    xp: Any,
    p: Any,
    t: Traits,
    stage: Array,
    wellbeing: Array,
    setback: Array,
    alliance: Array,
    attended: Array,
    dose: Array,
    z: Array,
) -> Array:
    """Latent well-being after the session: an attended session closes a share (the rate) of the gap
    to the level within reach (negatively accelerated dose-response), scaled by stage, alliance, skill,
    productive challenge and the therapist's own factor (``therapist_factor``, 7.1), and decaying with
    the sessions already attended (``dose``; Howard et al. 1986: early sessions help most); every week
    adds noise. The alliance also sets how much of the attainable
    gain is within reach: all of it at ``full_reach_alliance``, less on a weaker alliance; lasting harm
    (``setback``, ORS points) lowers the level within reach.

    A very weak alliance makes the rate negative: the session harms, and takes that share of the
    distance from well-being down to the floor (0) instead, so that harm always lowers well-being
    (a negative rate times the gap would raise a client above the level within reach) and harms
    more the weaker the alliance."""
    stage_factor = xp.where(
        stage == ENGAGEMENT,
        p.engagement_change_factor,
        xp.where(
            stage == EXPLORATION,
            p.exploration_change_factor,
            select(xp, stage == WORKING, 1.0, p.resolution_change_factor),
        ),
    )
    productive = (stage == WORKING) & (alliance >= p.challenge_alliance_threshold)
    challenge_factor = 1.0 + p.challenge_gain * t.challenge * as_float(xp, productive)
    rate = (
        p.change_rate
        * stage_factor
        * challenge_factor
        * reactance_change_factor(xp, p, t)  # 7.17
        * xp.maximum(1.0 + p.skill_effect * (t.skill - 0.5), 0.0)  # no skill: no change (harm comes from the alliance)
        * xp.exp(-p.dose_decay * xp.astype(dose, xp.float64))
        * (1.0 + p.alliance_effect * (alliance - 0.5))
        * t.therapist_factor  # the therapist's own effect (7.1; 1 with the knobs off)
    )
    rate = xp.minimum(xp.maximum(rate, -p.change_rate), 1.0)  # a very weak alliance can harm
    reach = unit_clip(xp, 1.0 + p.alliance_level_effect * (alliance - p.full_reach_alliance))
    within_reach = t.intake + reach * (t.attainable - t.intake) - setback
    distance = xp.where(rate >= 0.0, within_reach - wellbeing, wellbeing)  # harm: towards the floor
    change = as_float(xp, attended) * rate * distance
    return xp.clip(wellbeing + change + p.symptom_noise_sd * z, 0.0, ORS_MAX)


def life_event_loss(xp: Any, p: Any, occurs_u: Array, size_u: Array) -> Array:
    """Well-being lost to a life event this week (ORS points): with chance ``life_event_rate`` an
    exponentially distributed drop of mean ``life_event_impact``, else 0."""
    return xp.where(occurs_u < p.life_event_rate, -p.life_event_impact * xp.log(size_u), 0.0)


def lasting_harm(
    xp: Any,
    p: Any,
    expired: Array,
    severity: Array,
    life_event_draws: tuple[Array, Array],
    rupture_share: float | Array = 1.0,
) -> Array:
    """This week's lasting harm (ORS points): ``rupture_harm`` x severity x ``rupture_share`` (0-1, the
    share of it the client bears: 1 alone, less for a group member, 7.19) for a rupture left unresolved
    this week (7.12), plus a life event (attended or not, whatever the alliance)."""
    rupture = xp.where(expired, p.rupture_harm * severity * rupture_share, 0.0)
    return rupture + life_event_loss(xp, p, *life_event_draws)


def week_of_symptoms(
    xp: Any,
    p: Any,
    t: Traits,
    s: State,
    stage: Array,
    alliance: Array,
    attended: Array,
    harm: Array,
    z: Array,
) -> tuple[Array, Array]:
    """Latent well-being and setback after the week of an active course: the harm is added to the
    setback (it lowers the level within reach from now on) and taken off well-being at once, after
    the session's change on ``alliance`` (the one the client acts on). Ended courses keep theirs."""
    setback = xp.where(s.active, s.setback + harm, s.setback)
    changed = symptom_change(xp, p, t, stage, s.wellbeing, setback, alliance, attended, s.attended, z)
    return xp.where(s.active, xp.clip(changed - harm, 0.0, ORS_MAX), s.wellbeing), setback
