"""The reactance submodel's parameters (docs/ODD.md 7.17; simulation.dynamics.reactance): how a client's
resistance meets the therapist's challenge (Beutler, Edwards & Someah 2018). Part of the core dynamics'
parameters, assembled into :class:`simulation.config.Params`; set by experiments/reactance_search.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulation.params.declare import param


@dataclass(frozen=True)
class ReactanceParams:
    """Reactance: challenge slows a resistant client's change and provokes ruptures; speeds a compliant one's."""

    reactance_hazard_weight: float = param(
        2.1,
        0.0,
        10.0,
        "log-odds",
        "Reactance: rupture hazard per unit of client resistance x therapist challenge (Beutler et al. 2018).",
        "reactance",
    )
    reactance_change_weight: float = param(
        8.4,
        0.0,
        20.0,
        "log-multiplier",
        "Reactance: log change-rate factor per unit of challenge x (reactance_pivot - resistance); a resistant "
        "client changes slower, a compliant one faster, under a directive therapist (Beutler et al. 2018).",
        "reactance",
    )
    reactance_pivot: float = param(
        0.17,
        0.0,
        1.0,
        "0-1",
        "Reactance: client resistance at which challenge neither speeds nor slows change.",
        "reactance",
    )
