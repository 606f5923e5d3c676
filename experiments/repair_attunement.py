"""Experiment 1: therapist repair skill x attunement -> dropout and recovery, by attachment style.

    python experiments/repair_attunement.py [--workers N] [--overwrite]

Writes results/repair_attunement/: by_attachment.csv (dropout and recovered share per grid point and
attachment style, pooled over replicates), heatmaps.png, README.md.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from _experiment import run_experiment, write_readme

from simulation.dynamics import ATTACHMENT_STYLES
from simulation.sweeps.analysis import study_stamp
from simulation.viz.figure import save_figure

MEASURES = {"dropout": "dropout rate", "recovered": "recovered share"}


def by_attachment(clients: pd.DataFrame, summary: pd.DataFrame, factors: list[str]) -> pd.DataFrame:
    """Dropout and recovered shares per grid point, for all clients and per attachment style."""
    clients = clients.merge(summary[["run", *factors]], on="run")
    clients["recovered"] = clients["outcome"] == "recovered"
    clients["dropout"] = clients["dropped_out"]
    every = clients.groupby(factors)[list(MEASURES)].mean().assign(attachment="all")
    styles = clients.groupby([*factors, "attachment"], observed=True)[list(MEASURES)].mean().reset_index("attachment")
    return pd.concat([every, styles]).reset_index()


def plot_heatmap(grid: pd.DataFrame, ax: plt.Axes, vmin: float, vmax: float, cmap: str) -> plt.Axes:
    """One heat map: rows repair skill, columns attunement, cells the value (annotated)."""
    image = ax.imshow(grid.to_numpy(), origin="lower", cmap=cmap, vmin=vmin, vmax=vmax, aspect="auto")
    ax.set_xticks(range(grid.shape[1]), [f"{v:.2f}" for v in grid.columns])
    ax.set_yticks(range(grid.shape[0]), [f"{v:.2f}" for v in grid.index])
    for (row, column), value in np.ndenumerate(grid.to_numpy()):
        ax.text(column, row, f"{value:.2f}", ha="center", va="center", fontsize=7)
    ax.set_xlabel("attunement_mean (0-1)")
    ax.set_ylabel("repair_skill_mean (0-1)")
    return image


def main() -> None:
    study, result, folder, seconds = run_experiment("repair_attunement.toml", __doc__.splitlines()[0])
    table = by_attachment(result.clients, result.summary, study.names)
    table.to_csv(folder / "by_attachment.csv", index=False)
    groups = ["all", *ATTACHMENT_STYLES]
    figure, axes = plt.subplots(2, len(groups), figsize=(4.2 * len(groups), 7.6), constrained_layout=True)
    for row, (measure, label) in enumerate(MEASURES.items()):
        low, high = table[measure].min(), table[measure].max()
        for column, group in enumerate(groups):
            grid = table[table["attachment"] == group].pivot(
                index="repair_skill_mean", columns="attunement_mean", values=measure
            )
            image = plot_heatmap(grid, axes[row, column], low, high, "Reds" if measure == "dropout" else "Greens")
            axes[row, column].set_title(f"{label}: {group} clients")
        figure.colorbar(image, ax=axes[row, :], label=f"{label} (share of clients)", shrink=0.9)
    figure.suptitle("Repair skill x attunement: dropout (top) and recovery (bottom) by attachment style")
    save_figure(figure, study_stamp(study), folder / "heatmaps.png")

    def corner(group: str, measure: str, repair: float, attunement: float) -> float:
        pick = table[
            (table["attachment"] == group)
            & np.isclose(table["repair_skill_mean"], repair)
            & np.isclose(table["attunement_mean"], attunement)
        ]
        return float(pick[measure].iloc[0])

    low, high = min(table["repair_skill_mean"]), max(table["repair_skill_mean"])
    lines = [
        f"| {group} | {corner(group, 'dropout', low, low):.3f} | {corner(group, 'dropout', high, high):.3f} | "
        f"{corner(group, 'recovered', low, low):.3f} | {corner(group, 'recovered', high, high):.3f} |"
        for group in groups
    ]
    write_readme(
        folder,
        study,
        seconds,
        "Experiment 1: repair skill x attunement, by attachment style",
        f"""
Therapists' mean repair skill and mean attunement each over {low:.2f}-{high:.2f} (5 x 5 grid), the other
parameters at their calibrated defaults. `heatmaps.png`: dropout rate (top row) and recovered share
(bottom row), for all clients and for secure, anxious and avoidant clients separately (each cell pools
the replicates' clients). `by_attachment.csv` holds the numbers.

Attunement is the chance to notice a rupture (and misattunement raises the rupture hazard); repair skill
is the success of each repair step. Corners of the grid (low-low vs high-high):

| clients | dropout low | dropout high | recovered low | recovered high |
|---|---|---|---|---|
{chr(10).join(lines)}
""",
    )


if __name__ == "__main__":
    main()
