"""Every figure the package reports, defined once: its name, label, one-line meaning, unit, how it is
computed from a run's tables and, where published, its target band and source (docs/calibration.md).

The definitions live by kind (:mod:`.definition` the :class:`Figure` itself, :mod:`.targets` those with
a published band, :mod:`.descriptive` those without, :mod:`.instrument` the instruments'); this module
gathers them. ``alliance calibrate`` reads :data:`CALIBRATION` and each format's row
(:func:`format_target`, :func:`format_report`); the instrument layer reads the bands of
:data:`INSTRUMENT`; a sweep's summary holds :data:`RUN_FIGURES` of every run and the format's own
(:func:`format_figures`; :func:`run_figures`). Which figures are a format's own, each format declares
(simulation.formats.base.Format). Session windows are in :mod:`simulation.figures.windows`; every
session number is the client's own (a member's first session is their session 1).
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np

from simulation.figures.definition import Figure
from simulation.figures.descriptive import FAMILY_FIGURES, GROUP_FIGURES, MEMBER_FIGURES, OUTCOME_SHARES
from simulation.figures.instrument import INSTRUMENT
from simulation.figures.targets import CALIBRATION, DIRECTIVENESS, FORMAT_TARGETS
from simulation.formats import FORMATS, get_format

if TYPE_CHECKING:
    from simulation.tables import Tables

RUN_FIGURES: tuple[Figure, ...] = (
    *(figure for figure in CALIBRATION if not figure.preset and not figure.measured),  # on the run's own cohort
    *OUTCOME_SHARES,
    *MEMBER_FIGURES,
)
"""A sweep's figures of every run, over clients (members in the group and family formats)."""

FIGURES: dict[str, Figure] = {
    figure.name: figure
    for figure in (
        *CALIBRATION,
        *FORMAT_TARGETS,
        *OUTCOME_SHARES,
        *MEMBER_FIGURES,
        *GROUP_FIGURES,
        *FAMILY_FIGURES,
        *INSTRUMENT,
    )
}
"""Every figure by name."""


def format_figures(format_name: str) -> dict[str, Figure]:
    """The format's own figures in a sweep's summary (after :data:`RUN_FIGURES`), by name: its
    calibration row and figures of its units, as the format declares them (``summary_figures``)."""
    return {name: FIGURES[name] for name in get_format(format_name).summary_figures}


def format_target(format_name: str) -> Figure | None:
    """The format's calibration row (``calibration_figure``); None for the individual format."""
    name = get_format(format_name).calibration_figure
    return None if name is None else FIGURES[name]


def format_report(format_name: str) -> tuple[Figure, ...]:
    """The figures without a band that ``alliance calibrate --format`` prints (``report_figures``)."""
    return tuple(FIGURES[name] for name in get_format(format_name).report_figures)


# the same declarations by format name, for the callers that look a format up in a mapping
FORMAT_FIGURES: dict[str, dict[str, Figure]] = {name: format_figures(name) for name in FORMATS}
FORMAT_CALIBRATION: dict[str, Figure] = {
    name: target for name in FORMATS if (target := format_target(name)) is not None
}
FORMAT_REPORT: dict[str, tuple[Figure, ...]] = {name: format_report(name) for name in FORMAT_CALIBRATION}

__all__ = [
    "CALIBRATION",
    "DIRECTIVENESS",
    "FAMILY_FIGURES",
    "FIGURES",
    "FORMAT_CALIBRATION",
    "FORMAT_FIGURES",
    "FORMAT_REPORT",
    "FORMAT_TARGETS",
    "GROUP_FIGURES",
    "INSTRUMENT",
    "MEMBER_FIGURES",
    "OUTCOME_SHARES",
    "RUN_FIGURES",
    "Figure",
    "format_figures",
    "format_report",
    "format_target",
    "run_figures",
]


def run_figures(tables: Tables, format_name: str = "individual") -> dict[str, float]:
    """One run's :data:`RUN_FIGURES` and then its format's own (:func:`format_figures`), by name; NaN
    where a figure is undefined for the run (e.g. a correlation in a run with no rupture)."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        return {figure.name: figure(tables) for figure in (*RUN_FIGURES, *FORMAT_FIGURES[format_name].values())}
