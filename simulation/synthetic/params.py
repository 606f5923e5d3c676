"""Parameters of the synthetic data sets' causal truth (docs/instruments.md, Causal estimands): the
intervention that the replayed estimand ``alliance_raise_effect`` applies (:mod:`simulation.synthetic.replay`).
They change no simulated course, only which replay the truth reports."""

from __future__ import annotations

from dataclasses import dataclass

from simulation.params.declare import param


@dataclass(frozen=True)
class SyntheticParams:
    """The stated intervention of the causal estimand: how much the alliance is raised, and when."""

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
