"""Reading a study's results: per-point summaries across replicates, and Sobol or Morris sensitivity
indices (SALib) with their bar plot. Plots follow the project's rule: ``plot_*(data, ax=None)``
draws already computed numbers and returns the Axes."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy import stats

from simulation.store import versions
from simulation.sweeps.study import Study

INTERVAL = 0.95


def point_summary(study: Study, summary: pd.DataFrame, figures: list[str]) -> pd.DataFrame:
    """One row per point and figure: the point's parameter values, and over its replicates the mean,
    standard deviation, count and a 95 % t interval of the mean (NaN bounds with one replicate).
    Runs where a figure is undefined (NaN) are left out of that figure's numbers."""
    long = summary.melt(id_vars=["point", *study.names], value_vars=figures, var_name="figure")
    grouped = long.groupby(["point", *study.names, "figure"], sort=True)["value"]
    table = grouped.agg(mean="mean", sd="std", n="count").reset_index()
    with np.errstate(invalid="ignore", divide="ignore"):
        half = stats.t.ppf(0.5 + INTERVAL / 2, table["n"] - 1) * table["sd"] / np.sqrt(table["n"])
    table["low"], table["high"] = table["mean"] - half, table["mean"] + half
    return table


def paired(summary: pd.DataFrame, factor: str, figure: str) -> pd.DataFrame:
    """A paired study's figure with one row per replicate and one column per level of ``factor``
    (a study with ``paired = true``: replicate r of every level met the same clients)."""
    return summary.pivot(index="replicate", columns=factor, values=figure)


def paired_differences(summary: pd.DataFrame, factor: str, figures: list[str], reference: object) -> pd.DataFrame:
    """For each figure and each level of ``factor`` other than ``reference``: the mean of both levels
    and of the paired difference (level minus reference) over replicates, with a 95 % t interval."""
    rows = []
    for figure in figures:
        table = paired(summary, factor, figure)
        for level in (column for column in table.columns if column != reference):
            difference = (table[level] - table[reference]).dropna()
            n, sd = len(difference), difference.std()
            half = stats.t.ppf(0.5 + INTERVAL / 2, n - 1) * sd / np.sqrt(n) if n > 1 else np.nan
            rows.append(
                {
                    "figure": figure,
                    "reference": reference,
                    "level": level,
                    "mean_reference": table[reference].mean(),
                    "mean_level": table[level].mean(),
                    "difference": difference.mean(),
                    "low": difference.mean() - half,
                    "high": difference.mean() + half,
                    "replicates": n,
                }
            )
    return pd.DataFrame(rows)


def plot_paired(pairs: pd.DataFrame, ax: plt.Axes | None = None, ylabel: str = "", title: str = "") -> plt.Axes:
    """One grey line per replicate across the levels (columns of ``pairs``, see :func:`paired`) and
    the mean at each level in black."""
    ax = ax or plt.figure(figsize=(4, 4)).add_subplot()
    positions = np.arange(pairs.shape[1])
    for _, row in pairs.iterrows():
        ax.plot(positions, row.to_numpy(dtype=float), color="0.7", linewidth=0.8, marker="o", markersize=3)
    ax.plot(positions, pairs.mean().to_numpy(dtype=float), color="black", linewidth=2.5, marker="o", label="mean")
    ax.set_xticks(positions, [str(level) for level in pairs.columns])
    ax.set_xlim(-0.4, len(positions) - 0.6)
    ax.set_xlabel(pairs.columns.name or "level")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(
        handles=[*ax.lines[-1:], plt.Line2D([], [], color="0.7", marker="o", markersize=3)],
        labels=["mean", "one replicate (same clients)"],
        fontsize=8,
    )
    return ax


def point_means(study: Study, summary: pd.DataFrame, figure: str) -> np.ndarray:
    """The figure's mean over each point's replicates, in design order (what SALib analyses)."""
    means = summary.groupby("point")[figure].mean().sort_index()
    if len(means) != len(study.design()) or means.isna().any():
        raise ValueError(f"{figure}: every point needs at least one run where it is defined")
    return means.to_numpy(dtype=float)


def sobol_table(
    problem: dict, outputs: np.ndarray, second_order: bool = False, seed: int | None = None
) -> pd.DataFrame:
    """First-order (S1) and total (ST) Sobol indices with their 95 % bootstrap half-widths, one row per
    input, from outputs on a Saltelli design (SALib.sample.sobol, in its order)."""
    from SALib.analyze import sobol

    indices = sobol.analyze(problem, outputs, calc_second_order=second_order, seed=seed)
    return pd.DataFrame(
        {key: indices[key] for key in ("S1", "S1_conf", "ST", "ST_conf")},
        index=pd.Index(problem["names"], name="parameter"),
    )


SOBOL_HALF_WIDTH = 0.1  # largest 95 % bootstrap half-width of a leading Sobol index that ranks parameters
LEADING = 3  # the indices that must be that narrow: each figure's parameters with the largest ST


def leading_half_width(indices: pd.DataFrame, leading: int = LEADING) -> float:
    """The largest 95 % bootstrap half-width (SALib's ``S1_conf`` and ``ST_conf``) among the
    ``leading`` parameters with the largest total index: how precisely a Sobol table ranks them."""
    top = indices.sort_values("ST", ascending=False).head(leading)
    return float(max(top["S1_conf"].max(), top["ST_conf"].max()))


def sobol_samples_needed(half_width: float, samples: int, target: float = SOBOL_HALF_WIDTH) -> int:
    """The Saltelli base sample size N (a power of 2) at which a half-width measured with ``samples``
    base samples (:func:`leading_half_width` of a pilot study) shrinks under ``target``: half-widths
    fall as 1 / sqrt(N), so N = samples x (half_width / target) ** 2, rounded up to a power of 2."""
    wanted = samples * (half_width / target) ** 2
    return max(samples, 1 << max(0, math.ceil(math.log2(wanted))))


def morris_table(
    problem: dict, design: np.ndarray, outputs: np.ndarray, levels: int = 4, seed: int | None = None
) -> pd.DataFrame:
    """Morris elementary effects: mu_star (mean absolute effect) with its 95 % half-width, and sigma
    (spread: interactions or nonlinearity), one row per input."""
    from SALib.analyze import morris

    indices = morris.analyze(problem, design, outputs, num_levels=levels, seed=seed)
    return pd.DataFrame(
        {key: np.asarray(indices[key], dtype=float) for key in ("mu_star", "mu_star_conf", "sigma")},
        index=pd.Index(problem["names"], name="parameter"),
    )


def sensitivity(study: Study, summary: pd.DataFrame, figure: str) -> pd.DataFrame:
    """The sensitivity indices of ``figure`` for a sobol or morris study (point means over replicates)."""
    outputs = point_means(study, summary, figure)
    if study.sampler == "sobol":
        return sobol_table(study.problem(), outputs, study.second_order, study.seed)
    if study.sampler == "morris":
        design = study.design().to_numpy(dtype=float)
        return morris_table(study.problem(), design, outputs, study.morris_levels, study.seed)
    raise ValueError(f"sensitivity indices need a sobol or morris study; {study.name} uses {study.sampler}")


def plot_indices(indices: pd.DataFrame, ax: plt.Axes | None = None, title: str | None = None) -> plt.Axes:
    """Bars of each index column (S1 and ST, or mu_star) per parameter, with the 95 % half-widths of
    the matching ``*_conf`` column as error bars."""
    ax = ax or plt.figure(figsize=(7, 0.5 + 0.45 * len(indices))).add_subplot()
    columns = [c for c in indices.columns if not c.endswith("_conf") and c != "sigma"]
    height = 0.8 / len(columns)
    positions = np.arange(len(indices))
    for offset, column in enumerate(columns):
        error = indices.get(f"{column}_conf")
        ax.barh(positions + offset * height, indices[column], height, xerr=error, label=column, capsize=2)
    ax.set_yticks(positions + height * (len(columns) - 1) / 2, indices.index)
    ax.invert_yaxis()
    ax.axvline(0, color="black", linewidth=0.6)
    sobol = "S1" in indices.columns
    ax.set_xlabel("Sobol index (share of output variance)" if sobol else "Morris mu* (output units per range)")
    ax.set_ylabel("parameter")
    ax.set_title(title or ("Sobol indices: first order (S1) and total (ST)" if sobol else "Morris mu*"))
    ax.legend(loc="lower right")
    return ax


def study_stamp(study: Study) -> str:
    """The provenance line of a study's figure (simulation.viz.figure.save_figure stamps it): clients
    per run, sessions, replicates, seed and version."""
    sessions = "varied" if "course_length" in study.names else study.base.course_length
    return (
        f"study {study.name}: {study.clients} {study.people} per run, {sessions} sessions at most, "
        f"{study.replicates} replicate(s), "
        f"seed {study.seed}, alliance-dynamics {versions()['alliance-dynamics']}"
    )
