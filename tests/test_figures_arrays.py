"""A sweep's figures computed on a stacked pass's arrays (simulation.figures.arrays) are the registry's
figures (simulation.figures.registry, computed on each run's tables), and do not depend on which runs
share the pass."""

import numpy as np
import pytest

from simulation.config import Params
from simulation.figures.arrays import ON_ARRAYS, stacked_run_figures
from simulation.figures.registry import FORMAT_FIGURES, RUN_FIGURES, run_figures
from simulation.runs import Rows, Run, simulate_rows
from simulation.tables import simulate

NAMES = {name: tuple(f.name for f in (*RUN_FIGURES, *FORMAT_FIGURES[name].values())) for name in FORMAT_FIGURES}


def stacked_runs(format_name: str) -> list[Run]:
    """Three runs of different parameters and seeds; the last one small, with few ruptures."""
    return [
        Run(Params(repair_skill_mean=0.3), 480, 11, format_name),
        Run(Params(repair_skill_mean=0.8, clients_per_therapist=12), 600, 12, format_name),
        Run(Params(), 48, 13, format_name),
    ]


def test_every_summary_figure_has_an_array_computation():
    wanted = {name for names in NAMES.values() for name in names}
    assert wanted <= set(ON_ARRAYS), sorted(wanted - set(ON_ARRAYS))


@pytest.mark.parametrize("format_name", sorted(FORMAT_FIGURES))
def test_array_figures_equal_the_registry_figures_on_each_runs_tables(format_name):
    """Each run's figures from the stacked pass agree with the registry's pandas computation on that
    run's own tables to 1e-9 (only the order of floating-point sums differs), NaN where it is NaN."""
    runs = stacked_runs(format_name)
    figures = stacked_run_figures(simulate_rows(runs, Rows.of_runs(runs)), NAMES[format_name])
    assert list(figures) == list(NAMES[format_name])
    for index, run in enumerate(runs):
        expected = run_figures(simulate(run.params, run.n_clients, run.seed, format=format_name), format_name)
        computed = [figures[name][index] for name in expected]
        np.testing.assert_allclose(computed, list(expected.values()), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("format_name", ["individual", "group"])
def test_a_runs_figures_do_not_depend_on_the_other_runs_of_its_pass(format_name):
    runs = stacked_runs(format_name)
    together = stacked_run_figures(simulate_rows(runs, Rows.of_runs(runs)), NAMES[format_name])
    alone = stacked_run_figures(simulate_rows(runs[1:2], Rows.of_runs(runs[1:2])), NAMES[format_name])
    for name in NAMES[format_name]:
        np.testing.assert_array_equal(together[name][1], alone[name][0], err_msg=name)  # exactly; NaN = NaN
