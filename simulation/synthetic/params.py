"""Parameters of the synthetic data sets (docs/synthetic.md): the intervention that the replayed
estimand ``alliance_raise_effect`` applies (:mod:`simulation.synthetic.replay`), which changes no
simulated course, only which replay the truth reports; and the imposed dropout process
(:mod:`simulation.synthetic.dropout`), which replaces the model's own dropout with one whose
missingness mechanism is known by construction (MAR given the observed ORS, or MNAR with the dial
``dropout_wellbeing_weight``)."""

from __future__ import annotations

from dataclasses import dataclass

from simulation.params.declare import flag, param


@dataclass(frozen=True)
class SyntheticParams:
    """The stated intervention of the causal estimand (how much the alliance is raised, and when) and
    the imposed dropout process."""

    estimand_alliance_delta: float = param(
        0.1,
        -0.5,
        0.5,
        "alliance units",
        "How much the replay raises each client's bond, goal and task (so the alliance) for the causal "
        "estimand alliance_raise_effect (0 replays the course unchanged).",
        "synthetic data",
    )
    estimand_alliance_session: int = param(
        3,
        1,
        52,
        "session",
        "The client's own session at whose end the replay raises the alliance (alliance_raise_effect).",
        "synthetic data",
    )
    imposed_dropout: bool = flag(
        False,
        "Synthetic data, individual format: replace the model's own dropout with an imposed one whose hazard "
        "reads only the observed ORS, plus dropout_wellbeing_weight times the latent decline (MAR at 0, MNAR above).",
        "synthetic data",
    )
    imposed_dropout_rate: float = param(
        0.03,
        0.0,
        0.5,
        "per session",
        "Chance per session that the imposed dropout ends a course whose observed ORS and latent well-being are "
        "at the intake level (imposed_dropout).",
        "synthetic data",
    )
    imposed_dropout_ors_weight: float = param(
        1.0,
        0.0,
        10.0,
        "log-odds",
        "Imposed dropout per 10 ORS points that the last observed ORS total lies below the observed intake ORS, "
        "and less by as much above it (the MAR part of imposed_dropout).",
        "synthetic data",
    )
