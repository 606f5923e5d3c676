"""Imported once by the local workers' fork server (simulation.sweeps.executors): the package a part
needs, and a few clients of each format simulated with their figures, so that numba has loaded the
compiled kernels. Each worker is then forked from that server with all of it in memory and starts on
its first part at once, instead of paying the imports and the loading (2-3 s a worker) itself."""

from __future__ import annotations

from simulation.config import Params
from simulation.figures.arrays import stacked_run_figures
from simulation.figures.registry import FORMAT_FIGURES, RUN_FIGURES
from simulation.formats import FORMATS
from simulation.runs import Rows, Run, simulate_rows
from simulation.sweeps.execute import simulate_part  # noqa: F401  (what workers run: imported here once)

WARM_UP_MEMBERS = 24  # members per format in the warm-up: a few units of each


def warm_up() -> None:
    """Simulate a few members of each format and compute their figures (results thrown away)."""
    for format_name in FORMATS:
        runs = [Run(Params(), WARM_UP_MEMBERS, 0, format_name)]
        names = tuple(figure.name for figure in (*RUN_FIGURES, *FORMAT_FIGURES[format_name].values()))
        stacked_run_figures(simulate_rows(runs, Rows.of_runs(runs)), names)


warm_up()
