"""Therapy formats on the one kernel: individual, group and family (docs/ODD.md, Formats).

Each format declares its roster (who meets whom), its per-row, per-pair and per-unit fields and its
extra submodels (:class:`simulation.formats.base.Format`); the kernel (simulation.dynamics) stays one
vectorized pass over all rows of all units of all runs.
"""

from __future__ import annotations

from simulation.formats.base import Format, FormatError, Members, Roster, unit_matrix
from simulation.formats.family import Family
from simulation.formats.group import Group
from simulation.formats.individual import Individual

FORMATS: dict[str, Format] = {format_.name: format_ for format_ in (Individual(), Group(), Family())}


def get_format(name: str) -> Format:
    """The format called ``name``; a :class:`FormatError` lists the valid names if none is."""
    if name not in FORMATS:
        raise FormatError(f"unknown format '{name}'; choose one of: {', '.join(FORMATS)}")
    return FORMATS[name]


__all__ = ["FORMATS", "Format", "FormatError", "Members", "Roster", "get_format", "unit_matrix"]
