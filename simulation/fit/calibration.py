"""Simulation-based calibration of the fit (Talts et al. 2018): draw parameters from the prior, generate
a data set with them (simulation.synthetic, as ``alliance generate``), fit it, and record where the truth
falls in the posterior (its weighted posterior CDF: uniform on [0, 1] when the posterior is calibrated)
and whether the 90 % interval covers it. experiments/fit_calibration.py runs it over 50+ data sets;
tests/test_fit.py over a few."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.config import Params
from simulation.fit.data import check
from simulation.fit.inference import Settings, run_abc
from simulation.fit.model import Prior
from simulation.synthetic import generate

RANK_BINS = 10


@dataclass(frozen=True)
class Design:
    """One calibration: the priors, data sets' size, and the fit's particles and generations."""

    priors: tuple[Prior, ...]
    therapists: int
    caseload: int
    population: int
    generations: int
    seed: int = 1


def truth(design: Design, index: int) -> dict[str, float]:
    """Data set ``index``'s parameters, drawn from the priors."""
    rng = np.random.default_rng([design.seed, index])
    return {prior.name: float(rng.uniform(prior.low, prior.high)) for prior in design.priors}


def calibrate_one(design: Design, index: int) -> list[dict[str, object]]:
    """Generate data set ``index`` and fit it: one row per parameter (truth, posterior mean, 90 %
    interval, covered, the truth's posterior CDF ``rank``, identified)."""
    values = truth(design, index)
    data = generate(
        Params(**values), design.therapists, design.caseload, seed=design.seed * 100_003 + index, population_clients=0
    )
    records = check(data.sessions, Path(f"calibration-{index}"))
    fit = run_abc(records, design.priors, None, Settings(design.seed + index, design.population, design.generations))
    table = fit.table().set_index("parameter")
    weights = fit.samples["weight"].to_numpy()
    rows = []
    for prior in design.priors:
        row = table.loc[prior.name]
        rank = float(np.sum(weights[fit.samples[prior.name].to_numpy() < values[prior.name]]))
        rows.append(
            {
                "data_set": index,
                "parameter": prior.name,
                "truth": values[prior.name],
                "mean": float(row["mean"]),
                "q05": float(row["q05"]),
                "q95": float(row["q95"]),
                "covered": bool(row["q05"] <= values[prior.name] <= row["q95"]),
                "rank": rank,
                "sd_over_prior_sd": float(row["sd_over_prior_sd"]),
                "evaluations": fit.evaluations,
            }
        )
    return rows


def coverage(ranks: pd.DataFrame) -> pd.DataFrame:
    """Per parameter: data sets, 90 % interval coverage, mean posterior SD over the prior's, and the
    chi-square test of uniform ranks over :data:`RANK_BINS` bins (its p value)."""
    from scipy.stats import chisquare

    rows = []
    for name, group in ranks.groupby("parameter", sort=False):
        counts = np.histogram(group["rank"], bins=RANK_BINS, range=(0, 1))[0]
        rows.append(
            {
                "parameter": name,
                "data_sets": len(group),
                "coverage_90": float(group["covered"].mean()),
                "sd_over_prior_sd": float(group["sd_over_prior_sd"].mean()),
                "uniform_ranks_p": float(chisquare(counts).pvalue),
            }
        )
    return pd.DataFrame(rows)
