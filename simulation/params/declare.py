"""How a parameter is declared: a dataclass field whose metadata carries its range, unit, meaning and
group (the submodel or format it belongs to). Each concern declares its parameters with these in a small
frozen dataclass beside its code; :class:`simulation.config.Params` is assembled from them and checks
every value against the declared range.

This module imports nothing from the package, so any concern can declare parameters without an import
cycle through :mod:`simulation.config`.
"""

from __future__ import annotations

from dataclasses import field
from typing import Any


def param(default: float | int | bool, low: float, high: float, unit: str, meaning: str, group: str) -> Any:
    """A dataclass field whose metadata carries the parameter's range, unit, meaning and group."""
    return field(default=default, metadata={"low": low, "high": high, "unit": unit, "meaning": meaning, "group": group})


def flag(default: bool, meaning: str, group: str) -> Any:
    """A boolean parameter (a switch)."""
    return param(default, 0, 1, "switch", meaning, group)
