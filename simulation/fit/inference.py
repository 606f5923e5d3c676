"""The fit itself: ABC-SMC with pyabc (Klinger, Rickert & Hasenauer 2018) over the simulator of
simulation.fit.model, on summaries standardised by pyabc's adaptive distance (each summary divided by
its median absolute deviation over the generation's simulations; Prangle 2017), with a sampler whose
result depends on the seed alone (simulation.fit.sampler). See docs/fit.md."""

from __future__ import annotations

import concurrent.futures as cf
import logging
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.config import Params
from simulation.extras import require
from simulation.fit.data import DataError, Records
from simulation.fit.defaults import DEFAULT_GENERATIONS, DEFAULT_POPULATION, DEFAULT_SEED
from simulation.fit.model import Prior, Simulator
from simulation.fit.summaries import Summary, available, summarise

NOT_IDENTIFIED_RATIO = 0.8
"""A posterior whose standard deviation is above this share of the prior's counts as not identified."""
UNIFORM_SD = 1 / np.sqrt(12)  # a uniform prior's standard deviation per unit of width


@dataclass(frozen=True)
class Settings:
    """How the fit runs: seed, particles per generation, generations (ABC-SMC populations)."""

    seed: int = DEFAULT_SEED
    population: int = DEFAULT_POPULATION
    generations: int = DEFAULT_GENERATIONS


@dataclass
class Fit:
    """A finished fit: the final generation's weighted particles (one column per parameter and
    ``weight``), the priors, the observed summaries, the simulator, and each generation's record."""

    samples: pd.DataFrame
    priors: tuple[Prior, ...]
    observed: dict[str, float]
    simulator: Simulator
    settings: Settings
    generations: list[dict[str, float]] = field(default_factory=list)
    evaluations: int = 0

    def table(self) -> pd.DataFrame:
        """Per parameter: prior range, posterior mean, SD, 5 % and 95 % quantiles (the 90 % interval)
        and whether the data identify it (posterior SD under NOT_IDENTIFIED_RATIO of the prior's)."""
        weights = self.samples["weight"].to_numpy()
        rows = []
        for prior in self.priors:
            values = self.samples[prior.name].to_numpy()
            mean = float(np.sum(weights * values))
            sd = float(np.sqrt(np.sum(weights * (values - mean) ** 2)))
            low, high = weighted_quantiles(values, weights, (0.05, 0.95))
            ratio = sd / ((prior.high - prior.low) * UNIFORM_SD)
            rows.append(
                {
                    "parameter": prior.name,
                    "prior_low": prior.low,
                    "prior_high": prior.high,
                    "mean": mean,
                    "sd": sd,
                    "q05": low,
                    "q95": high,
                    "sd_over_prior_sd": ratio,
                    "identified": bool(ratio < NOT_IDENTIFIED_RATIO),
                }
            )
        return pd.DataFrame(rows)

    def draws(self, count: int, seed: int) -> list[dict[str, float]]:
        """``count`` parameter sets drawn from the weighted particles (for the posterior predictive check)."""
        rng = np.random.default_rng([seed, 1])
        picks = rng.choice(len(self.samples), size=count, p=self.samples["weight"].to_numpy())
        names = [prior.name for prior in self.priors]
        return [dict(zip(names, map(float, self.samples.iloc[pick][names]), strict=True)) for pick in picks]


def weighted_quantiles(values: np.ndarray, weights: np.ndarray, levels: tuple[float, ...]) -> tuple[float, ...]:
    """Quantiles of a weighted sample (the inverse of the weighted empirical distribution function)."""
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weights[order]) / np.sum(weights)
    return tuple(float(values[order][min(np.searchsorted(cumulative, level), len(values) - 1)]) for level in levels)


def defined_summaries(records: Records) -> tuple[tuple[Summary, ...], dict[str, float]]:
    """The summaries the records' columns give, less any the records leave undefined (a correlation
    over too few clients, say), and their observed values."""
    summaries = available(records.columns)
    observed = summarise(records.table, summaries)
    kept = tuple(summary for summary in summaries if np.isfinite(observed[summary.name]))
    if not kept:
        raise DataError(f"{records.source}: too few clients for any summary of the fit")
    return kept, {summary.name: observed[summary.name] for summary in kept}


def _quiet_pyabc() -> None:
    """pyabc logs every generation at INFO; the command prints its own lines."""
    for name in ("ABC", "pyabc", "Sampler", "Distance", "Epsilon", "History", "Acceptor", "Transition"):
        logging.getLogger(name).setLevel(logging.WARNING)


def run_abc(
    records: Records,
    priors: tuple[Prior, ...],
    base: Params | None = None,
    settings: Settings = Settings(),
    executor: cf.Executor | None = None,
    slots: int = 1,
) -> Fit:
    """Fit ``priors``' parameters to ``records`` by ABC-SMC. ``executor`` runs the simulations (None:
    this process) with ``slots`` at once; the result is the same either way."""
    pyabc = require("pyabc", "fit", "alliance fit")
    from simulation.fit.sampler import OrderedSampler

    _quiet_pyabc()
    summaries, observed = defined_summaries(records)
    simulator = Simulator.mirroring(records, base or Params(), summaries)

    def model(parameters: dict) -> dict[str, float]:
        seed = int(np.random.randint(0, 2**31 - 1))
        return simulator.summarise({prior.name: parameters[prior.name] for prior in priors}, seed)

    prior = pyabc.Distribution(**{p.name: pyabc.RV("uniform", p.low, p.high - p.low) for p in priors})
    distance = pyabc.AdaptivePNormDistance(p=2, scale_function=pyabc.distance.mad)
    sampler = OrderedSampler(settings.seed, executor, slots)
    abc = pyabc.ABCSMC(model, prior, distance, population_size=settings.population, sampler=sampler)
    with tempfile.TemporaryDirectory(prefix="alliance-fit-") as folder:
        abc.new(f"sqlite:///{Path(folder) / 'abc.db'}", observed)
        history = abc.run(max_nr_populations=settings.generations)
        frame, weights = history.get_distribution(m=0, t=history.max_t)
        populations = history.get_all_populations()
    names = [p.name for p in priors]
    samples = frame.reset_index(drop=True)[names].astype(float).assign(weight=weights / np.sum(weights))
    generations = [
        {
            "generation": int(row.t),
            "epsilon": float(row.epsilon),
            "particles": int(row.particles),
            "evaluations": int(row.samples),
        }
        for row in populations.itertuples()
        if row.t >= 0
    ]
    return Fit(samples, priors, observed, simulator, settings, generations, sampler.evaluations)


def cores() -> int:
    """This machine's cores available to this process."""
    return len(os.sched_getaffinity(0))
