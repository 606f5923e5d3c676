"""The Monte Carlo study on synthetic data (experiments/synthetic_study.py): its tables and figure,
and near-nominal interval coverage of a correctly specified model of the population truth."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulation.config import Params
from simulation.synthetic import generate
from simulation.synthetic.population import recorded

pytest.importorskip("statsmodels")
pytest.importorskip("semopy")
SCRIPT = Path(__file__).parents[1] / "experiments" / "synthetic_study.py"


@pytest.mark.slow
def test_the_study_writes_bias_rmse_coverage_and_its_figure(tmp_path):
    """Two replicates per condition: every estimator has a truth, a bias and an RMSE; the figure is drawn."""
    arguments = ["--replicates", "2", "--therapists", "10", "--population-clients", "2000", "--results", str(tmp_path)]
    subprocess.run([sys.executable, str(SCRIPT), *arguments], capture_output=True, text=True, check=True)
    summary = pd.read_csv(tmp_path / "synthetic_study" / "summary.csv")
    assert set(summary["condition"]) == {"MNAR dial 0", "MNAR dial 4"}
    rated = summary[summary["estimand"] != "therapist form: 3 factors fit better than 1 (share)"]
    assert rated[["truth", "bias", "rmse"]].notna().all().all()
    assert (tmp_path / "synthetic_study" / "study.png").stat().st_size > 10_000


@pytest.mark.slow
def test_a_correctly_specified_model_covers_the_population_change_icc_near_nominally():
    """25 replicates of 800 clients (40 therapists): REML random-intercept ICCs of latent change, with
    Swiger's standard error, cover the recorded population value in 80-100 % of replicates (95 %
    nominal; the binomial SD over 25 replicates is .044), and their mean lies within 3 standard errors
    of the mean of the population value."""
    sys.path.insert(0, str(SCRIPT.parent))
    from synthetic_methods import therapist_share

    truth = recorded()["formats"]["individual"]["estimands"]["therapist_share_of_change_variance"]["value"]
    estimates = []
    for seed in range(900, 925):
        clients = generate(Params(), 40, 20, seed, population_clients=0).truth["clients"]
        latent = clients.assign(latent=clients["wellbeing_final"] - clients["wellbeing_intake"])
        estimates.append(therapist_share(latent, "latent"))
    values, errors = np.asarray(estimates).T
    coverage = float(np.mean(np.abs(values - truth) <= 1.96 * errors))
    assert 0.80 <= coverage <= 1.0, coverage
    assert abs(values.mean() - truth) <= 3 * values.std(ddof=1) / np.sqrt(len(values)), (values.mean(), truth)
