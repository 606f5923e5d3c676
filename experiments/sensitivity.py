"""Experiment 4: global sensitivity analysis (Sobol) of outcome and dropout on the main parameters.

    python experiments/sensitivity.py [--workers N] [--overwrite]

Writes results/sensitivity/: indices.csv (S1, ST with 95 % bootstrap half-widths per figure and
parameter), sobol.png, README.md. The study's sample size is meant to rank the parameters: the README
states the largest 95 % half-width of each figure's leading indices, and the script ends with exit
status 1 if one is not under 0.1 (docs/sweeps.md, "Choosing N for a Sobol study").
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
from _experiment import run_experiment, write_readme

from simulation.sweeps.analysis import (
    SOBOL_HALF_WIDTH,
    leading_half_width,
    plot_indices,
    sensitivity,
    sobol_samples_needed,
    study_stamp,
)
from simulation.viz.figure import save_figure

FIGURES = {"mean_change": "mean ORS change", "dropout": "dropout rate", "recovered": "recovered share"}


def main() -> int:
    study, result, folder, seconds = run_experiment("sensitivity.toml", __doc__.splitlines()[0])
    tables = {name: sensitivity(study, result.summary, name) for name in FIGURES}
    indices = pd.concat(tables, names=["figure"]).reset_index()
    indices.to_csv(folder / "indices.csv", index=False)
    figure, axes = plt.subplots(1, len(FIGURES), figsize=(5 * len(FIGURES), 4.8), sharey=True, constrained_layout=True)
    for ax, (name, label) in zip(axes, FIGURES.items(), strict=True):
        plot_indices(tables[name], ax, title=f"{label}")
    figure.suptitle(f"Sobol indices over {len(result.summary)} runs ({study.samples} Saltelli base samples)")
    save_figure(figure, study_stamp(study), folder / "sobol.png")
    ranking = {
        name: ", ".join(f"{p} ({table.loc[p, 'ST']:.2f})" for p in table.sort_values("ST", ascending=False).index[:3])
        for name, table in tables.items()
    }
    widths = {name: leading_half_width(table) for name, table in tables.items()}
    narrow = all(width < SOBOL_HALF_WIDTH for width in widths.values())
    needed = sobol_samples_needed(max(widths.values()), study.samples)
    precision = "\n".join(
        f"- {FIGURES[name]}: {width:.3f}{'' if width < SOBOL_HALF_WIDTH else ' (over the target)'}"
        for name, width in widths.items()
    )
    bands = "\n".join(f"- `{factor.name}`: {factor.low:g} to {factor.high:g}" for factor in study.factors)
    write_readme(
        folder,
        study,
        seconds,
        "Experiment 4: global sensitivity (Sobol) of outcome and dropout",
        f"""
Eight parameters varied together over plausible bands around their calibrated defaults, on a Saltelli
design (SALib, {study.samples} base samples, {len(result.summary)} runs of {study.clients} clients):

{bands}

`sobol.png` and `indices.csv`: first-order (S1: the share of the figure's variance a parameter explains
alone) and total indices (ST: alone and in interactions), with 95 % bootstrap half-widths. Each run is
a finite cohort, so part of every figure's variance is sampling noise that no parameter explains; the
indices are shares of the total, noise included. Largest total effects:

{chr(10).join(f"- {FIGURES[name]}: {text}" for name, text in ranking.items())}

Precision: the largest 95 % bootstrap half-width (SALib's S1_conf and ST_conf) among each figure's three
leading parameters, to be under {SOBOL_HALF_WIDTH} so that the indices rank them:

{precision}

{"Every figure meets the target" if narrow else f"Not every figure meets the target: use samples = {needed}"}
({study.samples} base samples; half-widths shrink as 1 / sqrt(samples), docs/sweeps.md).
""",
    )
    if not narrow:
        print(f"sensitivity: half-widths over {SOBOL_HALF_WIDTH} at samples = {study.samples}; use samples = {needed}")
    return 0 if narrow else 1


if __name__ == "__main__":
    raise SystemExit(main())
