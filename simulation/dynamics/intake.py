"""ODD 7.1 Traits and 7.2 Initial state: who the clients and therapists are, and the state of each
relation at intake."""

from __future__ import annotations

import math
from typing import Any

from simulation.backend import Array, Draws
from simulation.dynamics.state import (
    ALLIANCE_ABILITY,
    ANXIOUS,
    AVOIDANT,
    CLIENT_TRAITS,
    ENGAGEMENT,
    NO_RUPTURE,
    NOT_DROPPED,
    ORS_MAX,
    SECURE,
    THERAPIST_TRAITS,
    State,
    Traits,
    as_float,
    unit_clip,
)


def draw_therapists(xp: Any, p: Any, draws: Draws) -> dict[str, Array]:
    """Therapist traits (7.1), one row per therapist key: each trait is clip(mean + sd * z, 0, 1).

    Called with therapist keys for the therapist table, and with each client row's therapist key for
    the relations: both give the same numbers, so no gather is needed.
    """
    normals = draws.sample_all("therapist_traits")
    traits = {
        name: unit_clip(xp, getattr(p, f"{name}_mean") + p.therapist_trait_sd * z)
        for name, z in zip(THERAPIST_TRAITS, normals, strict=True)
    }
    bias_z, style_u, culture_u = draws.sample(("therapist_bias", "therapist_style", "therapist_culture"))
    traits["bias"] = xp.clip(p.bias_mean + p.therapist_trait_sd * bias_z, -1.0, 1.0)
    traits["style"] = style_u
    traits["minority"] = culture_u < p.share_minority_therapists
    return traits


def _inverse(xp: Any, value: float | Array) -> float | Array:
    """1 / value where value > 0, else 0 (a scalar for one run, per-row values for stacked runs)."""
    if isinstance(value, (int, float)):
        return 1.0 / value if value > 0.0 else 0.0
    positive = value > 0.0
    return xp.where(positive, 1.0 / xp.where(positive, value, 1.0), 0.0)


def alliance_ability(xp: Any, p: Any, therapist: dict[str, Array]) -> Array:
    """A therapist's alliance-building ability, standardized (7.1): the deviations of the traits of
    :data:`ALLIANCE_ABILITY` from their means (defensiveness counted against), summed and divided by
    therapist_trait_sd x sqrt(7), the SD of that sum before clipping, so about standard normal; 0 where
    therapist_trait_sd is 0."""
    deviation = sum(sign * (therapist[name] - getattr(p, f"{name}_mean")) for name, sign in ALLIANCE_ABILITY.items())
    return deviation * _inverse(xp, p.therapist_trait_sd * math.sqrt(len(ALLIANCE_ABILITY)))


def therapist_outcome(xp: Any, p: Any, therapist: dict[str, Array], outcome_z: Array) -> dict[str, Array]:
    """The therapist's own effect on their clients' change (7.1, used in 7.13): ``outcome_z`` (a
    standard normal draw), the alliance ability and the factor on the change rate, ``rate_factor =
    exp(therapist_outcome_sd * outcome_z + therapist_alliance_outcome_effect * alliance_ability)``
    (exactly 1 with both at 0, the defaults)."""
    ability = alliance_ability(xp, p, therapist)
    log_factor = p.therapist_outcome_sd * outcome_z + p.therapist_alliance_outcome_effect * ability
    return {"outcome_z": outcome_z, "alliance_ability": ability, "rate_factor": xp.exp(log_factor)}


def draw_therapist_outcome(xp: Any, p: Any, draws: Draws, therapist: dict[str, Array]) -> dict[str, Array]:
    """:func:`therapist_outcome` of the therapists of ``draws`` (their traits: ``therapist``), with
    ``outcome_z`` drawn from its own random process, so that every other draw stays as it was."""
    (outcome_z,) = draws.sample(("therapist_outcome",))
    return therapist_outcome(xp, p, therapist, outcome_z)


def draw_clients(xp: Any, p: Any, draws: Draws) -> dict[str, Array]:
    """Client traits (7.1): attachment style, culture, modality, intake level and continuous traits."""
    attachment_u, culture_u, modality_u, style_u, intake_z = draws.sample(
        ("attachment", "culture", "modality", "client_style", "intake")
    )
    anxious = attachment_u < p.share_anxious
    avoidant = ~anxious & (attachment_u < p.share_anxious + p.share_avoidant)
    attachment = xp.where(anxious, ANXIOUS, xp.where(avoidant, AVOIDANT, xp.zeros_like(attachment_u, dtype=xp.int8)))
    traits: dict[str, Array] = {
        "attachment": xp.astype(attachment, xp.int8),
        "minority": culture_u < p.share_minority_clients,
        "online": modality_u < p.share_online,
        "intake": xp.clip(p.intake_ors_mean + p.intake_ors_sd * intake_z, 0.0, ORS_MAX),
        "style": style_u,
    }
    for name, z in zip(CLIENT_TRAITS, draws.sample_all("client_traits"), strict=True):
        traits[name] = unit_clip(xp, getattr(p, f"{name}_mean") + p.client_trait_sd * z)
    return traits


def relation_traits(xp: Any, p: Any, client: dict[str, Array], therapist: dict[str, Array]) -> Traits:
    """Combine a client's and their therapist's traits (with :func:`therapist_outcome`'s terms) into the
    relation's fixed quantities (7.1)."""
    mismatch = client["minority"] != therapist["minority"]
    bridged = 1.0 - as_float(xp, mismatch) * (1.0 - therapist["cultural_sensitivity"])
    fit = (1.0 - xp.abs(client["style"] - therapist["style"])) * (0.5 + 0.5 * bridged)
    readiness = 0.5 + 0.5 * (client["motivation"] + client["expectancy"])
    attainable = xp.clip(
        client["intake"] + p.recovery_potential * readiness * (ORS_MAX - client["intake"]), 0.0, ORS_MAX
    )
    return Traits(
        attachment=client["attachment"],
        minority=client["minority"],
        online=client["online"],
        mismatch=mismatch,
        intake=client["intake"],
        attainable=attainable,
        fit=fit,
        **{name: client[name] for name in CLIENT_TRAITS},
        **{name: therapist[name] for name in THERAPIST_TRAITS},
        bias=therapist["bias"],
        therapist_factor=therapist["rate_factor"],
    )


def initial_state(xp: Any, p: Any, traits: Traits) -> State:
    """State at intake (7.2): bond from expectancy and attachment; low goal and task agreement.

    Every field is an array of its own, so that writing into one (an edit through a Mesa view)
    cannot change another.
    """

    def fresh(dtype: Any, fill: bool | int | float = 0) -> Array:
        return xp.full_like(traits.intake, fill, dtype=dtype)

    secure = as_float(xp, traits.attachment == SECURE)
    return State(
        bond=unit_clip(xp, p.initial_bond * (0.75 + 0.5 * traits.expectancy) * (0.85 + 0.15 * secure)),
        goal=fresh(xp.float64) + p.initial_agreement,
        task=fresh(xp.float64) + p.initial_agreement,
        ceiling=fresh(xp.float64, 1.0),
        stage=fresh(xp.int8, ENGAGEMENT),
        wellbeing=xp.asarray(traits.intake, copy=True),
        setback=fresh(xp.float64),
        active=fresh(xp.bool, True),
        dropped_out=fresh(xp.bool, False),
        dropout_cause=fresh(xp.int8, NOT_DROPPED),
        rupture_open=fresh(xp.bool, False),
        rupture_kind=fresh(xp.int8, NO_RUPTURE),
        severity=fresh(xp.float64),
        rupture_age=fresh(xp.int16),
        detected=fresh(xp.bool, False),
        repair_step=fresh(xp.int16),
        pre_bond=fresh(xp.float64),
        pre_goal=fresh(xp.float64),
        pre_task=fresh(xp.float64),
        attended=fresh(xp.int16),
        ruptures=fresh(xp.int16),
        resolved=fresh(xp.int16),
        unresolved=fresh(xp.int16),
        resolution_attended=fresh(xp.int16),
        intake_ors=fresh(xp.float64, float("nan")),
        extension=fresh(xp.int16),
        feedback_sessions=fresh(xp.int16),
    )
