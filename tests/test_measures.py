"""Measures on a table of many stacked runs agree with the same runs one by one.

The one-by-one reference is the single-run code path on the runs' tables joined with client and
therapist ids made distinct across runs (the meaning a pooled figure has)."""

import numpy as np
import pandas as pd
import pytest

from simulation import calibration, measures
from simulation.config import Params
from simulation.runs import Run
from simulation.tables import Tables, run_table, simulate, simulate_runs

RUNS = [Run(Params(), 400, 3), Run(Params(repair_skill_mean=0.8, clients_per_therapist=10), 300, 4)]


@pytest.fixture(scope="module")
def stacked() -> Tables:
    return simulate_runs(RUNS)


@pytest.fixture(scope="module")
def one_by_one() -> Tables:
    """Each run simulated alone; ids shifted so that no two runs share a client or therapist id."""
    tables = [simulate(run.params, run.n_clients, run.seed) for run in RUNS]
    client_shift = np.cumsum([0] + [run.n_clients for run in RUNS])
    therapist_shift = np.cumsum([0] + [len(t.therapists) for t in tables])

    def joined(name: str) -> pd.DataFrame:
        frames = []
        for index, table in enumerate(tables):
            frame = getattr(table, name).copy()
            if "client_id" in frame:
                frame["client_id"] += client_shift[index]
            frame["therapist_id"] += therapist_shift[index]
            frames.append(frame)
        return pd.concat(frames, ignore_index=True)

    return Tables(joined("sessions"), joined("clients"), joined("therapists"), run_table(RUNS))


def test_stacked_tables_carry_repeated_ids(stacked):
    """The case the run key exists for: ids restart at 1 in every run."""
    assert stacked.clients.duplicated(["client_id"]).any()
    assert not stacked.clients.duplicated(["run", "client_id"]).any()


def test_improved_by_session_on_stacked_runs(stacked, one_by_one):
    expected = measures.improved_by_session(one_by_one.sessions, one_by_one.clients, 8)
    assert measures.improved_by_session(stacked.sessions, stacked.clients, 8) == pytest.approx(expected, abs=1e-12)


def test_gain_per_session_on_stacked_runs(stacked, one_by_one):
    expected = measures.gain_per_session(one_by_one.sessions)
    pd.testing.assert_series_equal(measures.gain_per_session(stacked.sessions), expected)


def test_therapist_share_on_stacked_runs(stacked, one_by_one):
    expected = measures.therapist_share(one_by_one.clients)
    assert measures.therapist_share(stacked.clients) == pytest.approx(expected, abs=1e-12)


def test_explained_share_on_stacked_runs(stacked, one_by_one):
    expected = calibration.explained_share(one_by_one)
    assert calibration.explained_share(stacked) == pytest.approx(expected, abs=1e-9)


def test_figures_of_one_run_taken_from_a_stack_equal_the_run_alone(stacked):
    """Selecting one run from a stacked table and dropping the run key gives that run's figures."""
    for index, run in enumerate(RUNS):
        alone = simulate(run.params, run.n_clients, run.seed)
        part = Tables(
            *(
                getattr(stacked, name)[getattr(stacked, name)["run"] == index]
                .drop(columns="run")
                .reset_index(drop=True)
                for name in ("sessions", "clients", "therapists", "runs")
            )
        )
        assert calibration.figures(part) == calibration.figures(alone)
