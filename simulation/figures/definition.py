"""The definition of one figure (:class:`Figure`): what every entry of the registry
(simulation.figures.registry) declares."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from simulation.tables import Tables


@dataclass(frozen=True)
class Figure:
    """One figure. ``compute`` maps a run's tables (one run, or several stacked, pooled) to its value;
        None for the instrument figures, which :class:`simulation.instruments.scores.InstrumentFigures`
        accumulates from item scores chunk by chunk. ``low``, ``high`` (the published band), ``aim`` (what
        the calibration search aims at: the published point estimate, except where noted) and ``source``
        are set where a band is published. ``preset``: the population preset of the cohort a calibration
        figure is computed on ("": the parameters as given). ``measured``: computed through an instrument
    of the measurement layer, which needs the run's own seed, so from one run's tables only (not in a
    sweep's summary)."""

    name: str
    label: str
    meaning: str
    unit: str
    compute: Callable[[Tables], float] | None = None
    low: float | None = None
    high: float | None = None
    aim: float | None = None
    source: str = ""
    preset: str = ""
    measured: bool = False

    def __call__(self, tables: Tables) -> float:
        """The figure's value on ``tables`` (NaN where it is undefined, e.g. a correlation without variance)."""
        if self.compute is None:
            raise TypeError(f"{self.name} is accumulated from item scores (simulation.instruments), not from tables")
        return float(self.compute(tables))

    def in_band(self, value: float) -> bool:
        """Whether ``value`` lies in the published band (inclusive)."""
        return self.low is not None and self.high is not None and self.low <= value <= self.high
