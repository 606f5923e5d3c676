"""The fit's figures: the posterior predictive check (the records' course beside the fitted model's,
on the same axes) and pair plots of the posterior."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from simulation.viz.figure import OKABE_ITO

TRAJECTORIES = (
    ("retention", "client_id", "clients still scheduled (share)", (0.0, 1.05)),
    ("ors_total", "ors_total", "mean ORS total (points, 0-40)", (0.0, 40.0)),
    ("srs_total", "srs_total", "mean SRS total (points, 0-40)", (0.0, 40.0)),
    ("wai_client_total", "wai_client_total", "mean WAI-SR client total (points, 12-60)", (12.0, 60.0)),
)
"""The predictive check's panels: name, the column it needs, axis label and limits."""
OBSERVED_COLOUR, MODEL_COLOUR = OKABE_ITO["black"], OKABE_ITO["blue"]


def trajectories(table: pd.DataFrame, sessions: int) -> dict[str, np.ndarray]:
    """Per session 1..``sessions``: share of clients still scheduled, and the mean of each score over
    the attended sessions that have it (NaN where none)."""
    index = pd.RangeIndex(1, sessions + 1)
    clients = table["client_id"].nunique()
    curves = {"retention": table.groupby("session").size().reindex(index, fill_value=0).to_numpy() / clients}
    attended = table[table["attended"]]
    for column in ("ors_total", "srs_total", "wai_client_total"):
        if column in table.columns:
            curves[column] = attended.groupby("session")[column].mean().reindex(index).to_numpy(dtype=float)
    return curves


def predictive_check(
    observed: pd.DataFrame,
    simulated: list[pd.DataFrame],
    observed_summaries: dict[str, float],
    simulated_summaries: list[dict[str, float]],
    title: str,
) -> Figure:
    """The records (black) beside the model at posterior draws (blue: median and 90 % band of the
    simulated data sets), session by session, and each summary as a z-score in the predictive spread."""
    sessions = int(observed["session"].max())
    seen = trajectories(observed, sessions)
    made = [trajectories(table, sessions) for table in simulated]
    panels = [panel for panel in TRAJECTORIES if panel[0] in seen]
    columns = (len(panels) + 1) // 2
    layout = [[panels[row * columns + column][0] if row * columns + column < len(panels) else "." for column in
               range(columns)] + ["z"] for row in range(2)]  # fmt: skip
    figure = Figure(figsize=(4.0 * columns + 5.0, 7.0))
    named = figure.subplot_mosaic(layout, width_ratios=[1.0] * columns + [1.2])
    axes = [named[panel[0]] for panel in panels] + [named["z"]]
    x = np.arange(1, sessions + 1)
    for ax, (name, _, label, limits) in zip(axes, panels, strict=False):
        values = np.array([curves[name] for curves in made])
        with warnings.catch_warnings():  # a session no simulated data set reaches has no band: NaN, not drawn
            warnings.simplefilter("ignore", RuntimeWarning)
            low, middle, high = np.nanpercentile(values, [5, 50, 95], axis=0)
        ax.fill_between(x, low, high, color=MODEL_COLOUR, alpha=0.25, label="fitted model, 90 % band")
        ax.plot(x, middle, color=MODEL_COLOUR, label="fitted model, median")
        ax.plot(x, seen[name], "o-", color=OBSERVED_COLOUR, markersize=3, label="your records")
        ax.set(xlabel="session", ylabel=label, ylim=limits, xlim=(0.5, sessions + 0.5))
    axes[0].legend(loc="lower left", fontsize=8)
    names = list(observed_summaries)
    spread = np.array([[row[name] for name in names] for row in simulated_summaries])
    centre, scale = spread.mean(axis=0), spread.std(axis=0, ddof=1)
    z = (np.array([observed_summaries[name] for name in names]) - centre) / np.where(scale > 0, scale, np.nan)
    ax = axes[-1]
    ax.axvspan(-2, 2, color=MODEL_COLOUR, alpha=0.15, label="within 2 SD of the model")
    ax.plot(z, np.arange(len(names)), "o", color=OBSERVED_COLOUR, label="your records")
    ax.axvline(0, color=MODEL_COLOUR)
    ax.set_yticks(np.arange(len(names)), names, fontsize=8)
    ax.set(
        xlabel="summary, in SD of the fitted model's (z)",
        xlim=(min(-4, np.nanmin(z) - 0.5), max(4, np.nanmax(z) + 0.5)),
    )
    ax.invert_yaxis()
    ax.legend(loc="lower right", fontsize=8)
    figure.suptitle(title)
    return figure


def pair_plot(
    samples: pd.DataFrame,
    limits: dict[str, tuple[float, float]],
    title: str,
    truth: dict[str, float] | None = None,
    draws: int = 1000,
) -> Figure:
    """Weighted marginal histograms on the diagonal (x: the prior range) and draws from the posterior
    below it; ``truth`` (a generated data set's parameters) as vermillion lines."""
    names = list(limits)
    k = len(names)
    figure = Figure(figsize=(2.6 * k + 1.2, 2.6 * k + 0.6))
    axes = np.atleast_2d(figure.subplots(k, k, squeeze=False))
    weights = samples["weight"].to_numpy()
    picks = np.random.default_rng(0).choice(len(samples), size=draws, p=weights)
    for row, y_name in enumerate(names):
        for column, x_name in enumerate(names):
            ax = axes[row, column]
            if column > row:
                ax.set_axis_off()
                continue
            if row == column:
                ax.hist(samples[x_name], bins=25, range=limits[x_name], weights=weights, color=MODEL_COLOUR, alpha=0.8)
                ax.set_yticks([])
                if truth is not None:
                    ax.axvline(truth[x_name], color=OKABE_ITO["vermillion"], label="truth")
            else:
                ax.scatter(
                    samples[x_name].to_numpy()[picks],
                    samples[y_name].to_numpy()[picks],
                    s=3,
                    alpha=0.3,
                    color=MODEL_COLOUR,
                )
                ax.set_ylim(limits[y_name])
                if truth is not None:
                    ax.plot(truth[x_name], truth[y_name], "x", color=OKABE_ITO["vermillion"], markersize=9, mew=2)
                if column == 0:
                    ax.set_ylabel(y_name)
            ax.set_xlim(limits[x_name])
            if row == k - 1:
                ax.set_xlabel(x_name)
    if truth is not None:
        axes[0, 0].legend(fontsize=8)
    figure.suptitle(title)
    return figure
