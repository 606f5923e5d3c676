"""ODD 7.1 Traits and 7.2 Initial state: who the clients and therapists are, and the state of each
relation at intake."""

from __future__ import annotations

from typing import Any

from simulation.backend import Array, Draws
from simulation.dynamics.state import (
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
    """Combine a client's and their therapist's traits into the relation's fixed quantities (7.1)."""
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
    )
