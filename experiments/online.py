"""Experiment 3: online vs in person. The same clients seen all in person or all online.

    python experiments/online.py [--workers N] [--overwrite]

Writes results/online/: paired_differences.csv, paired.png, README.md.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from _experiment import run_experiment, write_readme

from simulation.sweeps.analysis import paired, paired_differences, plot_paired, save_figure

FIGURES = {
    "alliance_early_mean": "mean early alliance, sessions 3-5 (0-1)",
    "ruptures_per_client": "ruptures per client",
    "ruptures_resolved_share": "share of ruptures resolved",
    "dropout": "dropout rate (share of clients)",
    "recovered": "recovered share (share of clients)",
    "mean_change": "mean ORS change (points)",
}


def main() -> None:
    study, result, folder, seconds = run_experiment("online.toml", __doc__.splitlines()[0])
    summary = result.summary.assign(setting=lambda t: t["share_online"].map({0.0: "in person", 1.0: "online"}))
    differences = paired_differences(summary, "setting", list(FIGURES), reference="in person")
    differences.to_csv(folder / "paired_differences.csv", index=False)
    figure, axes = plt.subplots(2, 3, figsize=(12, 8), constrained_layout=True)
    for ax, (name, label) in zip(axes.flat, FIGURES.items(), strict=True):
        plot_paired(paired(summary, "setting", name), ax, ylabel=label, title=name.replace("_", " "))
        ax.set_xlabel("all clients seen")
    figure.suptitle(
        f"In person vs online, the same clients: {study.replicates} paired replicates of {study.clients} clients"
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
        "Experiment 3: online vs in person (paired)",
        f"""
Each replicate simulates the same {study.clients} clients twice: every client seen in person
(`share_online = 0`) and every client seen online (`share_online = 1`); nothing else changes. In the
model, online sessions make a withdrawal rupture harder to notice (`online_visibility`), so fewer
ruptures are repaired. The tables do not record whether a rupture was *noticed*; the share of ruptures
resolved (resolution needs noticing first) stands in for it. `paired.png`: one grey line per replicate,
the mean in black; `paired_differences.csv`: online minus in person with a 95 % t interval.

| figure | in person | online | online - in person (95 % interval) |
|---|---|---|---|
{chr(10).join(rows)}
""",
    )


if __name__ == "__main__":
    main()
