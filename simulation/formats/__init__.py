"""Therapy formats on the one kernel: individual, group and family (docs/ODD.md, Formats).

Each format declares its roster (who meets whom), its per-row, per-pair and per-unit fields and its
extra submodels (:class:`simulation.formats.base.Format`), and its parameters (``group_params``,
``family_params``); the kernel (simulation.dynamics) stays one vectorized pass over all rows of all
units of all runs.

The formats load on first use of a name below, not on ``import simulation.formats``: the parameter
declarations of this package are read by :mod:`simulation.config` while it assembles ``Params``, which
the formats themselves import, and a declaration module must be importable without them.
"""

from __future__ import annotations

import functools
from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simulation.formats.base import Format, FormatError, Members, Roster, unit_matrix

    FORMATS: dict[str, Format]

_FROM_BASE = ("Format", "FormatError", "Members", "Roster", "unit_matrix")


@functools.cache
def _formats() -> dict[str, Format]:
    """Every format by name, built once."""
    from simulation.formats.family import Family
    from simulation.formats.group import Group
    from simulation.formats.individual import Individual

    return {format_.name: format_ for format_ in (Individual(), Group(), Family())}


def get_format(name: str) -> Format:
    """The format called ``name``; a :class:`FormatError` lists the valid names if none is."""
    formats = _formats()
    if name not in formats:
        from simulation.formats.base import FormatError

        raise FormatError(f"unknown format '{name}'; choose one of: {', '.join(formats)}")
    return formats[name]


def __getattr__(name: str) -> Any:
    """``FORMATS`` and the names of :mod:`.base`, imported on first use (see the module docstring)."""
    if name == "FORMATS":
        return _formats()
    if name in _FROM_BASE:
        return getattr(import_module("simulation.formats.base"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["FORMATS", "Format", "FormatError", "Members", "Roster", "get_format", "unit_matrix"]
