"""Experiment 2: without repair. The same clients (common random numbers) with repair on and off.

    python experiments/without_repair.py [--workers N] [--overwrite]

Writes results/without_repair/: paired_differences.csv, paired.png, README.md.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from _experiment import run_experiment, write_readme

from simulation.sweeps.analysis import paired, paired_differences, plot_paired, save_figure

FIGURES = {
    "dropout": "dropout rate (share of clients)",
    "recovered": "recovered share (share of clients)",
    "mean_change": "mean ORS change, intake to last (points)",
    "alliance_early_mean": "mean early alliance, sessions 3-5 (0-1)",
}


def main() -> None:
    study, result, folder, seconds = run_experiment("without_repair.toml", __doc__.splitlines()[0])
    summary = result.summary
    differences = paired_differences(summary, "repair_enabled", list(FIGURES), reference=True)
    differences.to_csv(folder / "paired_differences.csv", index=False)
    figure, axes = plt.subplots(1, len(FIGURES), figsize=(4 * len(FIGURES), 4.2), constrained_layout=True)
    for ax, (name, label) in zip(axes, FIGURES.items(), strict=True):
        plot_paired(paired(summary, "repair_enabled", name), ax, ylabel=label, title=name.replace("_", " "))
        ax.set_xlabel("repair_enabled")
    figure.suptitle(
        f"Repair on vs off, the same clients: {study.replicates} paired replicates of {study.clients} clients"
    )
    save_figure(figure, folder / "paired.png", study)
    rows = [
        f"| {row.figure} | {row.mean_reference:.3f} | {row.mean_level:.3f} | {row.difference:+.3f} "
        f"({row.low:+.3f} to {row.high:+.3f}) |"
        for row in differences.itertuples()
    ]
    write_readme(
        folder,
        study,
        seconds,
        "Experiment 2: without repair (paired, common random numbers)",
        f"""
Each replicate simulates the same {study.clients} clients and therapists twice, with repair on and off
(`paired = true`: both runs of a replicate share one seed, and every random process has its own
stream, so switching repair off changes nothing but repair). `paired.png`: one grey line per replicate,
the mean in black. `paired_differences.csv`: means and the paired difference (off minus on) with a
95 % t interval over replicates.

| figure | repair on | repair off | off - on (95 % interval) |
|---|---|---|---|
{chr(10).join(rows)}
""",
    )


if __name__ == "__main__":
    main()
