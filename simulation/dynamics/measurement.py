"""ODD 7.5 ORS measurement, 7.9 SRS and 7.15 Therapist's view: what the instruments and the
therapist see of the latent state at a session (NaN where the session was missed)."""

from __future__ import annotations

from typing import Any

from simulation.backend import Array
from simulation.dynamics.state import ORS_MAX, SRS_MAX, Traits, unit_clip


def ors_reading(xp: Any, p: Any, wellbeing: Array, attended: Array, z: Array) -> Array:
    """The ORS at the start of an attended session (7.5): latent well-being plus measurement error,
    in whole points 0-40; NaN for a missed session."""
    return xp.where(attended, xp.clip(xp.round(wellbeing + p.ors_error_sd * z), 0.0, ORS_MAX), xp.nan)


def srs_total(xp: Any, p: Any, alliance: Array, z: Array) -> Array:
    """The client's SRS total (7.9; 0-40, whole points): lenient, so it sits near its ceiling."""
    return xp.clip(xp.round(SRS_MAX * (alliance + p.srs_leniency) + p.srs_noise_sd * z), 0.0, SRS_MAX)


def srs_alert(xp: Any, p: Any, t: Traits, srs: Array, attended: Array, used_u: Array) -> Array:
    """Whether the SRS of an attended session alerts the therapist (7.9): they read it (with chance
    ``feedback_use``) and it is under ``srs_cutoff``."""
    return attended & (used_u < t.feedback_use) & (srs < p.srs_cutoff)


def therapist_view(xp: Any, p: Any, t: Traits, alliance: Array, attended: Array, z: Array) -> Array:
    """The therapist's rating of the alliance (7.15): the client's, shifted by the therapist's bias,
    with fresh noise every session; NaN for a missed session."""
    return xp.where(attended, unit_clip(xp, alliance + t.bias + p.therapist_view_noise_sd * z), xp.nan)
