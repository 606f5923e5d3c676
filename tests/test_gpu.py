"""The CuPy backend gives the numpy results in distribution (skipped where CuPy or a GPU is absent).

The uniform draws are the same integers on both; only the math library's last-bit rounding differs
(docs/ODD.md 4.9), so nearly every client's course is identical and the cohort figures agree closely.
"""

import numpy as np
import pytest

from simulation.config import Params
from simulation.runs import Rows, Run, simulate_rows
from simulation.tables import build_tables

cupy = pytest.importorskip("cupy")
if cupy.cuda.runtime.getDeviceCount() == 0:  # pragma: no cover - depends on the machine
    pytest.skip("no GPU", allow_module_level=True)


def test_cupy_backend_agrees_with_numpy():
    runs = [Run(Params(), 20_000, 3)]
    on_cpu = build_tables(runs, simulate_rows(runs, Rows.of_runs(runs), "numpy")).clients
    on_gpu = build_tables(runs, simulate_rows(runs, Rows.of_runs(runs), "cupy")).clients
    same_outcome = np.mean(on_cpu["outcome"].to_numpy() == on_gpu["outcome"].to_numpy())
    assert same_outcome > 0.98
    # binomial SE of a 20 % share at n = 20,000 is 0.003: allow 4 SE
    assert abs(on_cpu["dropped_out"].mean() - on_gpu["dropped_out"].mean()) < 0.012
    assert abs(on_cpu["change"].mean() - on_gpu["change"].mean()) < 0.2


@pytest.mark.parametrize("format_name", ["group", "family"])
def test_cupy_backend_agrees_with_numpy_in_the_group_and_family_formats(format_name):
    """The formats' unit matrices and pair draws run on CuPy too, with the numpy results (as above)."""
    runs = [Run(Params(open_groups=format_name == "group"), 8_000, 3, format_name)]
    on_cpu = build_tables(runs, simulate_rows(runs, Rows.of_runs(runs), "numpy"))
    on_gpu = build_tables(runs, simulate_rows(runs, Rows.of_runs(runs), "cupy"))
    assert np.mean(on_cpu.clients["outcome"].to_numpy() == on_gpu.clients["outcome"].to_numpy()) > 0.97
    assert abs(on_cpu.clients["dropped_out"].mean() - on_gpu.clients["dropped_out"].mean()) < 0.02
    assert len(on_cpu.units) == len(on_gpu.units)
