"""Stacked runs, chunked cohorts and other array namespaces give each run the same results."""

import numpy as np
import pandas as pd
import pytest

from simulation import backend
from simulation.config import Params
from simulation.runs import Rows, Run, simulate_rows
from simulation.tables import build_tables, simulate


def test_chunks_equal_the_whole_cohort():
    runs = [Run(Params(), 500, 9)]
    whole = build_tables(runs, simulate_rows(runs, Rows.of_runs(runs)), with_therapists=False)
    pieces = [
        build_tables(runs, simulate_rows(runs, Rows.of_runs(runs, start, start + 130)), with_therapists=False)
        for start in range(0, 500, 130)
    ]
    for name in ("sessions", "clients"):
        joined = pd.concat([getattr(piece, name) for piece in pieces], ignore_index=True)
        pd.testing.assert_frame_equal(joined, getattr(whole, name), check_exact=True)


def test_same_seed_same_tables_and_other_seed_other_tables():
    first, again, other = simulate(Params(), 300, 4), simulate(Params(), 300, 4), simulate(Params(), 300, 5)
    pd.testing.assert_frame_equal(first.sessions, again.sessions, check_exact=True)
    assert not first.clients["change"].equals(other.clients["change"])


def test_kernel_runs_on_a_strict_array_api_namespace(monkeypatch):
    """The kernel uses only the array API standard: on array-api-strict it gives numpy's numbers."""
    strict = pytest.importorskip("array_api_strict")
    reference = simulate(Params(), 200, 8)
    real_namespace = backend.namespace
    monkeypatch.setattr("simulation.runs.namespace", lambda name: strict if name == "strict" else real_namespace(name))
    monkeypatch.setattr(
        "simulation.runs.to_numpy", lambda array: np.asarray(array) if not isinstance(array, np.ndarray) else array
    )
    runs = [Run(Params(), 200, 8)]
    result = simulate_rows(runs, Rows.of_runs(runs), backend="strict")
    tables = build_tables(runs, result)
    pd.testing.assert_frame_equal(tables.sessions, reference.sessions, check_exact=True)
    pd.testing.assert_frame_equal(tables.clients, reference.clients, check_exact=True)


def test_unknown_backend_is_refused():
    with pytest.raises(ValueError, match="unknown backend 'torch'; choose one of: numba, numpy, cupy"):
        backend.namespace("torch")
