"""Simulation-based calibration of `alliance fit` (docs/fit.md): 50 data sets from `alliance generate`
with parameters drawn from the prior, each fitted; rank histograms and 90 % interval coverage.

    python experiments/fit_calibration.py            # -> results/fit_calibration/, docs/fit_calibration.csv

Each data set's rows are kept in results/fit_calibration/sets/, so a stopped run resumes.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import multiprocessing
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy.stats import binom

from simulation.fit.calibration import RANK_BINS, Design, calibrate_one, coverage
from simulation.fit.model import make_priors
from simulation.viz.figure import OKABE_ITO, save_figure

HERE = Path(__file__).parent
DESIGN = Design(
    make_priors(["attunement_mean", "practical_dropout_hazard"]),
    therapists=10,
    caseload=10,
    population=40,
    generations=2,
)


def rank_histograms(ranks: pd.DataFrame, table: pd.DataFrame) -> Figure:
    """One panel per parameter: the truth's posterior CDF over the data sets, in RANK_BINS bins, with
    the band where 99 % of uniform counts fall."""
    names = list(table["parameter"])
    figure = Figure(figsize=(5.0 * len(names), 4.0))
    axes = np.atleast_1d(figure.subplots(1, len(names)))
    sets = ranks["data_set"].nunique()
    low, high = binom.ppf([0.005, 0.995], sets, 1 / RANK_BINS)
    for ax, row in zip(axes, table.itertuples(), strict=True):
        values = ranks.loc[ranks["parameter"] == row.parameter, "rank"]
        ax.axhspan(low, high, color=OKABE_ITO["grey"], alpha=0.25, label="99 % band of uniform ranks")
        ax.hist(values, bins=RANK_BINS, range=(0, 1), color=OKABE_ITO["blue"], edgecolor="white", label="data sets")
        ax.axhline(sets / RANK_BINS, color=OKABE_ITO["black"], linewidth=1, label="expected if calibrated")
        ax.set_ylim(0, 1.6 * high)  # headroom above the band for the legend
        ax.set(
            xlabel="truth's place in the posterior (posterior CDF at the truth)",
            ylabel="data sets",
            title=f"{row.parameter}\n90 % intervals cover the truth in {100 * row.coverage_90:.0f} % of {sets}",
        )
    axes[0].legend(loc="upper right", fontsize=8)
    figure.suptitle("Simulation-based calibration of alliance fit: rank histograms")
    return figure


def markdown(table: pd.DataFrame) -> str:
    """A table as Markdown, numbers to 3 decimals."""
    cells = [[f"{value:.3f}" if isinstance(value, float) else str(value) for value in row] for row in table.values]
    lines = ["| " + " | ".join(table.columns) + " |", "|" + "---|" * len(table.columns)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in cells])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", type=int, default=50, help="data sets (default 50)")
    parser.add_argument("--workers", type=int, default=2, help="local processes (default 2)")
    parser.add_argument("--results", type=Path, default=HERE.parent / "results", help="results root")
    args = parser.parse_args()
    folder = args.results / "fit_calibration"
    (folder / "sets").mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    todo = [i for i in range(args.sets) if not (folder / "sets" / f"{i}.csv").exists()]
    with cf.ProcessPoolExecutor(args.workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {pool.submit(calibrate_one, DESIGN, i): i for i in todo}
        for future in cf.as_completed(futures):
            pd.DataFrame(future.result()).to_csv(folder / "sets" / f"{futures[future]}.csv", index=False)
            print(f"data set {futures[future]} done ({time.perf_counter() - start:.0f} s)", flush=True)
    ranks = pd.concat([pd.read_csv(folder / "sets" / f"{i}.csv") for i in range(args.sets)], ignore_index=True)
    table = coverage(ranks)
    ranks.to_csv(HERE.parent / "docs" / "fit_calibration.csv", index=False, float_format="%.6g")
    stamp = (
        f"{args.sets} data sets of {DESIGN.therapists * DESIGN.caseload} clients · pyabc ABC-SMC, "
        f"{DESIGN.population} particles x {DESIGN.generations} generations · seed {DESIGN.seed}"
    )
    figure = rank_histograms(ranks, table)
    save_figure(figure, stamp, folder / "rank_histograms.png")
    save_figure(rank_histograms(ranks, table), stamp, HERE.parent / "docs" / "img" / "fit_rank_histograms.png")
    (folder / "README.md").write_text(
        f"# Simulation-based calibration of alliance fit\n\n{markdown(table)}\n\n{stamp}; this invocation took "
        f"{time.perf_counter() - start:.0f} s.\n",
        encoding="utf-8",
    )
    print(table.to_string(index=False))


if __name__ == "__main__":
    main()
