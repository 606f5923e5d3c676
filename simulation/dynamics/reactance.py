"""ODD 7.17 Reactance (Beutler, Edwards & Someah 2018): how a client's resistance meets the therapist's
challenge (directiveness). It scales the symptom-change rate and adds to the rupture hazard (the
onset and symptom submodels call it), whatever the alliance; parameters in
:mod:`simulation.params.reactance`."""

from __future__ import annotations

from typing import Any

from simulation.backend import Array
from simulation.dynamics.state import Traits


def reactance_change_factor(xp: Any, p: Any, t: Traits) -> Array:
    """The factor on the symptom-change rate: above ``reactance_pivot`` resistance, challenge slows
    change (a reactant client resists direction); below it, challenge speeds change; 1 for a
    nondirective therapist. Log-linear, so always positive (reactance slows change; harm comes from the
    alliance)."""
    return xp.exp(p.reactance_change_weight * t.challenge * (p.reactance_pivot - t.resistance))


def reactance_hazard(xp: Any, p: Any, t: Traits) -> Array:
    """Reactance's log-odds on the rupture hazard: challenge on a resistant client provokes ruptures,
    whatever the alliance (``reactance_hazard_weight`` per unit of resistance x challenge)."""
    return p.reactance_hazard_weight * t.resistance * t.challenge
