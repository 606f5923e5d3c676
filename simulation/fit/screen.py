"""Which fitted parameters the given columns can inform: each parameter is set near the low and the
high end of its prior (the others at their fixed values) and the records' summaries simulated a few
times at each; a summary informs the parameter when the two ends differ by more than
:data:`INFORMS_Z` standard errors. Columns a data set lacks take their summaries with them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulation.fit.data import OPTIONAL
from simulation.fit.model import Prior, Simulator

REPEATS = 3
ENDS = (0.1, 0.9)
"""Where in the prior the two ends sit (shares of its width)."""
INFORMS_Z = 3.0


@dataclass(frozen=True)
class Screen:
    """Per fitted parameter, the summaries that move with it (empty: the columns cannot inform it)."""

    informing: dict[str, tuple[str, ...]]
    missing_columns: tuple[str, ...]

    def message(self) -> str:
        """Lines for the command: what each parameter is informed by, or that it is not."""
        lines = []
        lacking = f" (the records lack {', '.join(self.missing_columns)})" if self.missing_columns else ""
        for name, summaries in self.informing.items():
            if summaries:
                lines.append(f"{name}: the given columns can inform it, through {', '.join(summaries)}")
            else:
                lines.append(
                    f"{name}: the given columns cannot inform it{lacking}; expect a posterior close to its prior"
                )
        return "\n".join(lines)


def screen(simulator: Simulator, priors: tuple[Prior, ...], seed: int) -> Screen:
    """Screen each prior's parameter (see the module docstring); same seed, same answer."""
    informing = {}
    for index, prior in enumerate(priors):
        ends = []
        for share in ENDS:
            value = prior.low + share * (prior.high - prior.low)
            seeds = np.random.SeedSequence([seed, 3, index]).generate_state(REPEATS)
            rows = [simulator.summarise({prior.name: value}, int(s)) for s in seeds]
            ends.append(np.array([[row[summary.name] for summary in simulator.summaries] for row in rows]))
        low, high = ends
        error = np.sqrt((low.var(axis=0, ddof=1) + high.var(axis=0, ddof=1)) / REPEATS)
        z = np.abs(high.mean(axis=0) - low.mean(axis=0)) / np.maximum(error, 1e-12)
        informing[prior.name] = tuple(
            summary.name for summary, moves in zip(simulator.summaries, z > INFORMS_Z, strict=True) if moves
        )
    return Screen(informing, tuple(column for column in OPTIONAL if column not in simulator.columns))
