"""Checking a study file's values, each against its valid range, with one clear message naming the
key: the ``[study]`` settings, and the ``[vary.<parameter>]`` tables that become :class:`Factor` s."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from simulation.config import PARAMETERS, ParameterError, _checked, _unknown_message, shown


class StudyError(ParameterError):
    """A study file that cannot run: the message names the key and what is valid."""


@dataclass(frozen=True)
class Factor:
    """One varied parameter: explicit levels (grid), or a range [low, high] (with ``steps`` for a grid)."""

    name: str
    levels: tuple[float | int | bool, ...] = ()
    low: float = math.nan
    high: float = math.nan
    steps: int = 0

    @property
    def level_count(self) -> int:
        """How many levels a grid gives this factor, known without making them."""
        return len(self.levels) or self.steps

    def grid_levels(self) -> tuple[float | int | bool, ...]:
        """The levels a grid uses: the listed ones, or ``steps`` evenly spaced over the range."""
        if self.levels:
            return self.levels
        values = np.linspace(self.low, self.high, self.steps)
        return tuple(typed(self.name, value) for value in values)


def typed(name: str, value: Any) -> float | int | bool:
    """``value`` as parameter ``name``'s type: a switch, a whole number (rounded) or a real number."""
    kind = PARAMETERS[name].kind
    return bool(value) if kind is bool else round(float(value)) if kind is int else float(value)


def checked_factor(name: str, spec: Any, sampler: str, where: str) -> Factor:
    """Check one [vary.<name>] table against the parameter's valid range."""
    if name not in PARAMETERS:
        raise StudyError(f"{where}: vary.{name}: {_unknown_message(name)}")
    if not isinstance(spec, dict):
        raise StudyError(f"{where}: vary.{name} must be a table with levels = [...] or range = [low, high]")
    parameter = PARAMETERS[name]
    unknown = sorted(set(spec) - {"levels", "range", "steps"})
    if unknown:
        raise StudyError(f"{where}: unknown key vary.{name}.{unknown[0]}; expected levels, or range and steps")
    valid = parameter.valid_values()
    if "levels" in spec:
        if sampler != "grid":
            raise StudyError(f"{where}: vary.{name}: the {sampler} sampler needs range = [low, high], not levels")
        levels = spec["levels"]
        if not isinstance(levels, list) or not levels:
            raise StudyError(f"{where}: vary.{name}.levels must be a non-empty list, each {valid}")
        checked = tuple(level(name, value, where) for value in levels)
        return Factor(name, levels=checked)
    if "range" not in spec:
        raise StudyError(f"{where}: vary.{name} needs levels = [...] or range = [low, high]")
    if parameter.kind is bool:
        raise StudyError(f"{where}: vary.{name} is a switch: give levels = [true, false] with the grid sampler")
    bounds = spec["range"]
    if (
        not isinstance(bounds, list)
        or len(bounds) != 2
        or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in bounds)
        or not bounds[0] < bounds[1]
    ):
        raise StudyError(f"{where}: vary.{name}.range must be [low, high] with low < high; got {shown(bounds)}")
    if not parameter.low <= bounds[0] < bounds[1] <= parameter.high:  # exact for integers of any size
        raise StudyError(
            f"{where}: vary.{name}.range {shown(bounds)} is outside the valid range of {name}: "
            f"{parameter.low:g} to {parameter.high:g}"
        )
    low, high = float(bounds[0]), float(bounds[1])
    steps = spec.get("steps", 0)
    if sampler == "grid" and (not isinstance(steps, int) or isinstance(steps, bool) or steps < 2):
        raise StudyError(f"{where}: vary.{name}: a grid over a range needs steps = 2 or more; got {shown(steps)}")
    return Factor(name, low=low, high=high, steps=steps)


def level(name: str, value: Any, where: str) -> float | int | bool:
    """One grid level, checked for its type and range (the cross-field rules are checked on whole points)."""
    try:
        return _checked(name, value)
    except ParameterError as error:
        raise StudyError(f"{where}: vary.{name}.levels: {error}") from None


def table(document: dict, key: str, where: str) -> dict:
    value = document.get(key, {})
    if not isinstance(value, dict):
        raise StudyError(f"{where}: '{key}' must be a table ([{key}])")
    return value


def whole(settings: dict, key: str, default: int, low: int, high: int, where: str) -> int:
    value = settings.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise StudyError(f"{where}: study.{key} must be a whole number from {low} to {high}; got {shown(value)}")
    return value


def real(settings: dict, key: str, default: float, low: float, high: float, where: str) -> float:
    value = settings.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise StudyError(f"{where}: study.{key} must be a number from {low:g} to {high:g}; got {shown(value)}")
    return float(value)


def switch(settings: dict, key: str, default: bool, where: str) -> bool:
    value = settings.get(key, default)
    if not isinstance(value, bool):
        raise StudyError(f"{where}: study.{key} must be true or false; got {shown(value)}")
    return value


def string_list(settings: dict, key: str, where: str) -> list[str]:
    value = settings.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise StudyError(f"{where}: study.{key} must be a list of names; got {shown(value)}")
    return value


def study_name(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value or not all(c.isalnum() or c in "-_" for c in value):
        raise StudyError(f"{where}: study.name must be letters, digits, - and _; got {shown(value)}")
    return value
