"""What ``alliance calibrate --format`` checks besides a format's calibration row: each format declares
its mechanism checks (``Format.mechanism_checks``), and simulation.calibration runs them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class MechanismCheck:
    """A mechanism check of ``alliance calibrate --format`` (docs/ODD.md section 5): the same members
    with ``overrides`` (a mechanism switched off) move the figure ``figure`` (a name in
    simulation.figures.registry.FIGURES) ``"lower"`` or ``"higher"`` than the calibration cohort's.
    ``shown_as``: where the switched-off value is also shown among the report's figures, the words
    after the figure's label (e.g. "without the split's effect"), placed just before the cohort's value."""

    text: str
    overrides: Mapping[str, Any]
    figure: str
    direction: str  # "lower" or "higher": where the figure goes with the mechanism off
    shown_as: str | None = None

    def holds(self, switched_off: float, cohort: float) -> bool:
        """Whether the figure with the mechanism off lies on the declared side of the cohort's."""
        return switched_off < cohort if self.direction == "lower" else switched_off > cohort


WITHOUT_REPAIR: Mapping[str, Any] = {"repair_enabled": False}  # the counterfactual of most checks
