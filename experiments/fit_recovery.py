"""Fit a generated data set with known parameters and show the recovery (docs/fit.md): 500 clients (25
therapists x 20) from `alliance generate` with three parameters away from their defaults, fitted by
`alliance fit` with its default settings on two local worker processes, timed.

    python experiments/fit_recovery.py  # -> results/fit_recovery/ (data/, fit/, recovery.png, README.md), docs/img
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from simulation.cli import main as alliance
from simulation.viz.figure import OKABE_ITO, save_figure

HERE = Path(__file__).parent
TRUTH = {"repair_skill_mean": 0.7, "attunement_mean": 0.4, "practical_dropout_hazard": 0.05}
THERAPISTS, CASELOAD, SEED = 25, 20, 11


def recovery_figure(table: pd.DataFrame) -> Figure:
    """Each parameter on its prior range (0 = low end, 1 = high end): the 90 % interval, the posterior
    mean and the truth."""
    figure = Figure(figsize=(7.5, 1.2 + 0.8 * len(table)))
    ax = figure.subplots()
    for y, row in enumerate(table.itertuples()):
        width = row.prior_high - row.prior_low
        scaled = [(value - row.prior_low) / width for value in (row.q05, row.q95, row.mean, TRUTH[row.parameter])]
        ax.plot(
            scaled[:2],
            [y, y],
            color=OKABE_ITO["blue"],
            linewidth=6,
            alpha=0.5,
            label="90 % interval" if y == 0 else None,
        )
        ax.plot(scaled[2], y, "o", color=OKABE_ITO["blue"], label="posterior mean" if y == 0 else None)
        ax.plot(
            scaled[3], y, "x", color=OKABE_ITO["vermillion"], markersize=10, mew=2, label="truth" if y == 0 else None
        )
    ax.set_yticks(
        range(len(table)),
        [f"{row.parameter}\n(prior {row.prior_low:g} to {row.prior_high:g})" for row in table.itertuples()],
    )
    ax.set(xlim=(0, 1), ylim=(len(table) - 0.5, -0.5), xlabel="place in the prior range (0: low end, 1: high end)")
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title("Recovery: 90 % intervals beside the true parameters")
    return figure


def cpu_seconds() -> float:
    """Processor time of this process and its finished children (the fit's worker processes)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2, help="local worker processes (default 2)")
    parser.add_argument("--results", type=Path, default=HERE.parent / "results", help="results root")
    args = parser.parse_args()
    folder = args.results / "fit_recovery"
    settings = [f"--set={name}={value}" for name, value in TRUTH.items()]
    assert (
        alliance(
            [
                "generate",
                "--out",
                str(folder / "data"),
                "--therapists",
                str(THERAPISTS),
                "--clients-per-therapist",
                str(CASELOAD),
                "--seed",
                str(SEED),
                "--overwrite",
                *settings,
            ]
        )
        == 0
    )
    load_before = os.getloadavg()
    start, cpu_start = time.perf_counter(), cpu_seconds()
    assert (
        alliance(
            [
                "fit",
                str(folder / "data"),
                "--params",
                ",".join(TRUTH),
                "--workers",
                str(args.workers),
                "--out",
                str(folder / "fit"),
                "--overwrite",
            ]
        )
        == 0
    )
    seconds, cpu = time.perf_counter() - start, cpu_seconds() - cpu_start
    table = pd.read_csv(folder / "fit" / "estimates.csv")
    manifest = json.loads((folder / "fit" / "manifest.json").read_text())
    stamp = f"{THERAPISTS * CASELOAD} clients, {THERAPISTS} therapists · data seed {SEED} · fit seed 1"
    save_figure(
        recovery_figure(table), stamp, folder / "recovery.png", HERE.parent / "docs" / "img" / "fit_recovery.png"
    )
    covered = [row.q05 <= TRUTH[row.parameter] <= row.q95 for row in table.itertuples()]
    lines = [
        f"| {row.parameter} | {TRUTH[row.parameter]:g} | {row.mean:.3g} | {row.q05:.3g} to {row.q95:.3g} | "
        f"{'yes' if hit else 'no'} |"
        for row, hit in zip(table.itertuples(), covered, strict=True)
    ]
    timing = {
        "seconds": round(seconds, 1),
        "cpu_seconds": round(cpu, 1),
        "workers": args.workers,
        "evaluations": manifest["evaluations"],
        "load_average_before": [round(value, 2) for value in load_before],
        "load_average_after": [round(value, 2) for value in os.getloadavg()],
        "cores": os.cpu_count(),
    }
    table.assign(truth=[TRUTH[name] for name in table["parameter"]]).to_csv(
        HERE.parent / "docs" / "fit_recovery.csv", index=False, float_format="%.6g"
    )
    (folder / "timing.json").write_text(json.dumps(timing, indent=2) + "\n")
    (folder / "README.md").write_text(
        "# Fitting a generated data set: recovery\n\n| parameter | truth | posterior mean | 90 % interval | covered |\n"
        "|---|---|---|---|---|\n" + "\n".join(lines) + f"\n\nThe fit ({manifest['evaluations']} simulations, "
        f"{len(manifest['generations'])} generations) took {seconds:.0f} s on {args.workers} worker processes, "
        f"{cpu:.0f} s of processor time "
        f"(load average {load_before[0]:.1f} before, {os.getloadavg()[0]:.1f} after, {os.cpu_count()} cores). "
        "Figures: recovery.png, fit/pairs.png, fit/predictive_check.png.\n",
        encoding="utf-8",
    )
    print(f"fit took {seconds:.0f} s ({cpu:.0f} s of processor time); covered {sum(covered)} of {len(covered)}")
    print(np.round(table[["mean", "q05", "q95"]].to_numpy(), 3))


if __name__ == "__main__":
    main()
