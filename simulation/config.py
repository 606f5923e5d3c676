"""Model parameters: the one :class:`Params` that every run reads, assembled from the concerns that
declare them, and the checks every value passes.

Each concern declares its parameters beside its code (name, default, unit, range, meaning and group, with
:func:`simulation.params.declare.param`): the core dynamics in :mod:`simulation.params` (by submodel),
the instruments in :mod:`simulation.instruments.params`, the group and family formats in
:mod:`simulation.formats.group_params` and :mod:`simulation.formats.family_params`. Everything else (the
CLI's ``--set``, ``alliance params``, TOML files and presets (:mod:`simulation.recipe`,
:mod:`simulation.presets`), docs/ODD.md's tables, the sweep bounds, the teaching page's sliders and the
synthetic data's codebook) reads them from :data:`PARAMETERS`.

Defaults are calibrated against the published targets (see docs/calibration.md and
``experiments/calibration_search.py``, which repeats the search).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from typing import Any

from simulation.formats.family_params import FamilyParams
from simulation.formats.group_params import GroupParams
from simulation.instruments.params import InstrumentParams
from simulation.monitoring.params import MonitoringParams
from simulation.params.alliance import AllianceParams, RepairParams, RuptureParams
from simulation.params.outcomes import AttendanceParams, SymptomParams
from simulation.params.population import ClientParams, CourseParams, TherapistParams
from simulation.params.reactance import ReactanceParams
from simulation.synthetic.params import SyntheticParams


class ParameterError(ValueError):
    """Bad user input about parameters: one message that names the parameter and what is valid."""


CONCERNS: dict[str, tuple[type, ...]] = {
    "core dynamics": (
        CourseParams,
        ClientParams,
        TherapistParams,
        AllianceParams,
        RuptureParams,
        RepairParams,
        SymptomParams,
        AttendanceParams,
        ReactanceParams,
    ),
    "instruments": (InstrumentParams,),
    "group format": (GroupParams,),
    "family format": (FamilyParams,),
    "routine outcome monitoring": (MonitoringParams,),
    "synthetic data": (SyntheticParams,),
}
"""Each concern's parameter declarations, in the order :class:`Params` lists their fields."""


@dataclass(frozen=True)
class Params(
    SyntheticParams,
    MonitoringParams,
    FamilyParams,
    GroupParams,
    InstrumentParams,
    ReactanceParams,
    AttendanceParams,
    SymptomParams,
    RepairParams,
    RuptureParams,
    AllianceParams,
    TherapistParams,
    ClientParams,
    CourseParams,
):
    """All parameters of the alliance model. Probabilities and traits are on [0, 1]; ORS in points.

    Construct with keyword overrides (``Params(repair_skill_mean=0.7)``); values are checked on
    construction and a :class:`ParameterError` names the offender and its valid range.

    The fields come from the concerns' declarations (:data:`CONCERNS`) by inheritance: each base is a
    frozen dataclass of one concern's fields, and a dataclass takes its bases' fields from the last base
    to the first, so the bases are listed in reverse to keep the fields in :data:`CONCERNS` order (course
    first, families last). Inheritance rather than ``dataclasses.make_dataclass`` keeps ``Params`` an
    ordinary class statement: type checkers and readers see every field with its type, and instances
    pickle by reference to this class (Dask ships them to workers). Only ``Params`` checks values; the
    concern classes are declarations, not meant to be built on their own (tests/test_params_assembly.py
    checks the order and that no name is declared twice).
    """

    def __new__(cls, *positional: Any, **values: Any) -> Params:
        """Refuse an unknown name with the command line's message (a :class:`ParameterError` that
        suggests close names) rather than the generated constructor's bare TypeError."""
        for name in values:
            if name not in PARAMETERS:
                raise ParameterError(_unknown_message(name))
        return super().__new__(cls)

    def __post_init__(self) -> None:
        for spec in fields(self):
            value = getattr(self, spec.name)
            object.__setattr__(self, spec.name, _checked(spec.name, value))
        _check_relations(self, RELATIONS)

    def replace(self, **changes: Any) -> Params:
        """A copy with some parameters changed, checked like the constructor: the changed values, and
        the relations between parameters that involve them (the others held before and still do).
        A sweep builds one Params per point this way."""
        for name in changes:
            if name not in PARAMETERS:
                raise ParameterError(_unknown_message(name))
        copy = object.__new__(type(self))
        copy.__dict__.update(self.__dict__)
        for name, value in changes.items():
            object.__setattr__(copy, name, _checked(name, value))
        _check_relations(copy, [relation for relation in RELATIONS if not changes.keys().isdisjoint(relation[0])])
        return copy

    def as_dict(self) -> dict[str, float | int | bool]:
        """Parameter name -> value, in declaration order."""
        return {spec.name: getattr(self, spec.name) for spec in fields(self)}

    def describe_changes(self) -> str:
        """'default parameters', or the parameters that differ from the defaults (for report headers)."""
        changed = {name: value for name, value in self.as_dict().items() if value != PARAMETERS[name].default}
        return f"parameters changed from the defaults: {assignments_text(changed)}" if changed else "default parameters"


@dataclass(frozen=True)
class ParameterSpec:
    """What one parameter is: read from the :class:`Params` field metadata."""

    name: str
    default: float | int | bool
    low: float
    high: float
    unit: str
    meaning: str
    group: str
    kind: type
    concern: str  # the key of CONCERNS whose declarations hold it

    def format_range(self) -> str:
        """The range as the parameter tables show it: '0 to 1', '2 to 104 (whole number)', 'true or false'."""
        if self.kind is bool:
            return "true or false"
        return f"{_fmt(self.low)} to {_fmt(self.high)}" + (" (whole number)" if self.kind is int else "")

    def valid_values(self) -> str:
        """What a value must be, as messages say it: 'a number from 0 to 1', 'a whole number from 2 to 104'."""
        if self.kind is bool:
            return "true or false"
        number = "a whole number" if self.kind is int else "a number"
        return f"{number} from {_fmt(self.low)} to {_fmt(self.high)}"

    def refusal(self, value: Any) -> ParameterError:
        """The one-line refusal of ``value`` for this parameter: its name, what is valid, what was given."""
        return ParameterError(f"{self.name} must be {self.valid_values()}; got {shown(value)}")


def _fmt(value: float) -> str:
    return f"{value:g}"


SHOWN_CHARACTERS = 40  # a value echoed in a message is cut to about this many characters


def shown(value: Any) -> str:
    """``value`` as a message echoes it: its repr, cut short when long (a 400-digit number, a long string)."""
    text = repr(value)
    if len(text) <= SHOWN_CHARACTERS:
        return text
    return f"{text[: SHOWN_CHARACTERS - 10]}... ({len(text)} characters)"


_CONCERN_OF: dict[str, str] = {
    spec.name: concern
    for concern, declarations in CONCERNS.items()
    for declaration in declarations
    for spec in fields(declaration)
}

PARAMETERS: dict[str, ParameterSpec] = {
    spec.name: ParameterSpec(
        spec.name,
        spec.default,
        spec.metadata["low"],
        spec.metadata["high"],
        spec.metadata["unit"],
        spec.metadata["meaning"],
        spec.metadata["group"],
        {"int": int, "float": float, "bool": bool}[spec.type],
        _CONCERN_OF[spec.name],
    )
    for spec in fields(Params)
}


Relation = tuple[frozenset[str], Callable[[Params], str | None]]


def _shares_message(params: Params) -> str | None:
    if params.share_anxious + params.share_avoidant > 1:
        return (
            f"share_anxious + share_avoidant must be at most 1 (secure is the rest); "
            f"got {params.share_anxious} + {params.share_avoidant}"
        )
    return None


def _weights_message(params: Params) -> str | None:
    if params.bond_weight + params.goal_weight + params.task_weight <= 0:
        return "bond_weight, goal_weight and task_weight must not all be 0"
    return None


def _resolution_message(params: Params) -> str | None:
    if params.resolution_sessions >= params.course_length:
        return (
            f"resolution_sessions must be less than course_length ({params.course_length}); "
            f"got {params.resolution_sessions}"
        )
    return None


RELATIONS: tuple[Relation, ...] = (
    (frozenset({"share_anxious", "share_avoidant"}), _shares_message),
    (frozenset({"bond_weight", "goal_weight", "task_weight"}), _weights_message),
    (frozenset({"resolution_sessions", "course_length"}), _resolution_message),
)
"""The checks that involve more than one parameter: the parameters each reads, and the refusal it
gives (None: the values are valid together). Params.replace runs those that read a changed value."""


def _check_relations(params: Params, relations: Sequence[Relation]) -> None:
    """Raise the first refusal of ``relations`` for ``params``, in RELATIONS order."""
    for _, message_of in relations:
        message = message_of(params)
        if message is not None:
            raise ParameterError(message)


def _unknown_message(name: str) -> str:
    import difflib

    close = difflib.get_close_matches(name, PARAMETERS, n=3)
    hint = f" Did you mean: {', '.join(close)}?" if close else ""
    return f"unknown parameter {shown(name)}.{hint} Run 'alliance params' for the full list."


def assignments_text(values: dict[str, float | int | bool]) -> str:
    """``name=value`` pairs as a user would type them (``true``/``false`` for switches)."""
    return ", ".join(f"{name}={json.dumps(value)}" for name, value in values.items())


def _checked(name: str, value: Any) -> Any:
    """Check one value's type and range; return it converted to the parameter's type.

    Refused: a wrong type (strings, tables, lists; a boolean for a number or a number for a switch),
    NaN and infinities, values out of range (compared exactly, so a 400-digit integer is refused, not
    rounded to infinity) and fractions for whole-number parameters. -0.0 is stored as 0.0.
    """
    spec = PARAMETERS[name]
    if spec.kind is bool:
        if not isinstance(value, bool):
            raise spec.refusal(value)
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise spec.refusal(value)
    if not spec.low <= value <= spec.high:  # False for NaN; exact for integers of any size
        raise spec.refusal(value)
    if spec.kind is int:
        if value != int(value):
            raise spec.refusal(value)
        return int(value)
    return float(value) + 0.0  # + 0.0 turns -0.0 into 0.0


def parse_value(name: str, text: str) -> float | int | bool:
    """Read a ``--set KEY=VALUE`` value as the parameter's type (the range is checked by Params).

    Whole numbers are read exactly (a 400-digit number stays itself and is refused by its range)."""
    if name not in PARAMETERS:
        raise ParameterError(_unknown_message(name))
    spec = PARAMETERS[name]
    if spec.kind is bool:
        lowered = text.strip().lower()
        if lowered in ("true", "1", "yes", "on"):
            return True
        if lowered in ("false", "0", "no", "off"):
            return False
        raise spec.refusal(text)
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        raise spec.refusal(text) from None
    if spec.kind is int and math.isfinite(number) and number == int(number):
        return int(number)
    return number


def parse_assignments(assignments: Sequence[str]) -> dict[str, float | int | bool]:
    """Turn ``["repair_skill_mean=0.7", ...]`` into a dict of typed values."""
    changes: dict[str, float | int | bool] = {}
    for assignment in assignments:
        name, sep, text = assignment.partition("=")
        if not sep or not name.strip():
            raise ParameterError(f"--set takes KEY=VALUE (e.g. repair_skill_mean=0.7); got {shown(assignment)}")
        changes[name.strip()] = parse_value(name.strip(), text)
    return changes


def declared_in(concern: str) -> list[str]:
    """The source files that declare a concern's parameters (``simulation/params/alliance.py``, ...)."""
    modules = dict.fromkeys(declaration.__module__ for declaration in CONCERNS[concern])
    return [module.replace(".", "/") + ".py" for module in modules]


def markdown_table() -> str:
    """Every parameter as Markdown: per concern a heading that names the files declaring it, then a table
    with a bold row per group (docs/ODD.md embeds it; a test keeps it current)."""
    lines: list[str] = []
    concern = group = None
    for spec in PARAMETERS.values():
        if spec.concern != concern:
            concern = spec.concern
            files = ", ".join(f"`{path}`" for path in declared_in(concern))
            lines += [""] if lines else []  # a blank line between two concerns' tables
            lines += [f"### Parameters: {concern} ({files})", ""]
            lines += ["| parameter | default | range | unit | meaning |", "|---|---|---|---|---|"]
        if spec.group != group:
            group = spec.group
            lines.append(f"| **{group}** | | | | |")
        default = str(spec.default).lower() if spec.kind is bool else f"{spec.default:g}"
        lines.append(f"| `{spec.name}` | {default} | {spec.format_range()} | {spec.unit} | {spec.meaning} |")
    return "\n".join(lines)
