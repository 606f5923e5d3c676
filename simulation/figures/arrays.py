"""The figures of a sweep's summary (:data:`~simulation.figures.registry.RUN_FIGURES` and each
format's :data:`~simulation.figures.registry.FORMAT_FIGURES`) for every run of a stacked pass at once,
computed on the pass's arrays instead of on per-run DataFrames: a sweep of small runs would otherwise
spend most of its time in pandas (issue 23).

The definitions are the registry's: the per-client figures are the clients table's (both come from
:func:`simulation.figures.courses.course_figures`), with each format's ``client_columns`` and
:func:`simulation.formats.base.unit_mean`, and tests/test_figures_arrays.py checks every figure
against the registry's table-based computation on each run's tables. Each run's figures are sums over
that run's rows alone (segment reductions, or ``np.bincount`` in row order), so they do not depend on
which runs share the pass: the same bits however a study is packed, on any worker.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from simulation import dynamics, measures
from simulation.figures.courses import course_figures
from simulation.figures.windows import DOSE_RESPONSE_SESSION
from simulation.formats import get_format
from simulation.formats.base import unit_mean
from simulation.runs import CourseResult
from simulation.tables import session_arrays

RECORDED = frozenset(field.name for field in dataclasses.fields(dynamics.SessionRecord))
"""The kernel's own record fields; any other field of a record is the format's (cohesion, split, ...)."""


@dataclass(frozen=True)
class RunArrays:
    """Per client (row) of a stacked pass, in run order: the clients columns the figures read (the
    tables' values; therapist and unit as 0-based indices), and ``improved``: whether the client's ORS
    at their own session DOSE_RESPONSE_SESSION was reliably above intake (NaN where they did not attend
    it). ``starts``: each run's first row; ``run``: each row's run (0 .. runs - 1)."""

    starts: np.ndarray
    run: np.ndarray
    clients: dict[str, np.ndarray]
    improved: np.ndarray

    @property
    def runs(self) -> int:
        return int(self.starts.size)

    def sum(self, values: np.ndarray) -> np.ndarray:
        """Per run, the sum of ``values`` over its rows (a segment reduction over the run's rows alone)."""
        return np.add.reduceat(values, self.starts)

    def mean(self, values: np.ndarray, where: np.ndarray | None = None) -> np.ndarray:
        """Per run, the mean of ``values`` over its clients (``where``; NaN values skipped); NaN where none."""
        numbers = np.asarray(values, dtype=np.float64)
        counted = ~np.isnan(numbers) if where is None else where & ~np.isnan(numbers)
        total, n = self.sum(np.where(counted, numbers, 0.0)), self.sum(counted.astype(np.int64))
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(n > 0, total / n, np.nan)

    def units(self) -> tuple[np.ndarray, np.ndarray]:
        """Each unit's first client row (units are contiguous rows) and its run."""
        unit, run = self.clients["unit"], self.run
        starts = np.flatnonzero(np.r_[True, (unit[1:] != unit[:-1]) | (run[1:] != run[:-1])])
        return starts, run[starts]


def grouped_mean(group: np.ndarray, count: int, values: np.ndarray) -> np.ndarray:
    """Per group 0 .. count - 1, the mean of ``values`` where not NaN, summed in row order (NaN where
    a group has none)."""
    counted = ~np.isnan(values)
    total = np.bincount(group, np.where(counted, values, 0.0), count)
    n = np.bincount(group, counted.astype(np.float64), count)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, total / n, np.nan)


def run_arrays(result: CourseResult) -> RunArrays:
    """The per-client arrays of a pass (its rows in run order), as the tables would hold them."""
    rows, final = result.rows, result.final
    format_ = get_format(result.format)
    summary = course_figures(result)
    own = [name for name in result.sessions[0][2] if name not in RECORDED]  # the format's record fields
    if own:  # the format's client columns read the records client by client
        columns, _, offsets = session_arrays(result, ("attended", *own))
        format_columns = format_.client_columns(rows, final, columns, offsets)
    else:
        format_columns = {}
    clients = {
        "therapist": rows.therapist,  # 0-based indices: only their grouping matters here
        "unit": rows.unit,
        "change": summary["ors_final"] - summary["ors_intake"],
        "alliance_early": summary["alliance_early"],
        "sessions_scheduled": summary["sessions_scheduled"],
        "sessions_attended": summary["sessions_attended"],
        "dropped_out": final["dropped_out"],
        "ruptures": final["ruptures"],
        "ruptures_resolved": final["resolved"],
        "outcome": measures.classify_outcomes(summary["ors_intake"], summary["ors_final"], final["dropped_out"]),
        **format_columns,
    }
    run = rows.run.astype(np.int64)  # 0 .. runs - 1, in order, every run with rows (Rows.of_runs)
    return RunArrays(np.searchsorted(run, np.arange(run[-1] + 1)), run, clients, summary["improved"])


def correlation(arrays: RunArrays, x: np.ndarray, y: np.ndarray, where: np.ndarray | None = None) -> np.ndarray:
    """Per run, Pearson r of ``x`` and ``y`` over its clients where both are present (and ``where``);
    NaN with fewer than two such clients or either constant (as measures.correlation)."""
    both = ~np.isnan(x) & ~np.isnan(y) & (True if where is None else where)
    n = arrays.sum(both.astype(np.int64))
    dx = np.where(both, x - arrays.mean(x, both)[arrays.run], 0.0)
    dy = np.where(both, y - arrays.mean(y, both)[arrays.run], 0.0)
    sxy, sxx, syy = (arrays.sum(a * b) for a, b in ((dx, dy), (dx, dx), (dy, dy)))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where((n >= 2) & (sxx > 0) & (syy > 0), sxy / np.sqrt(sxx * syy), np.nan)


def therapist_share(arrays: RunArrays) -> np.ndarray:
    """Per run, the therapist-level share of the variance of change (measures.therapist_share: the
    one-way ANOVA estimator of the intraclass correlation with the unbalanced-groups size n0)."""
    change, therapist, run = arrays.clients["change"], arrays.clients["therapist"], arrays.run
    keep = ~np.isnan(change)
    x, therapist, run = change[keep], therapist[keep], run[keep]
    starts = np.flatnonzero(np.r_[True, (therapist[1:] != therapist[:-1]) | (run[1:] != run[:-1])])
    group = np.repeat(np.arange(starts.size), np.diff(np.r_[starts, x.size]))
    group_run = run[starts]
    sizes = np.bincount(group, minlength=starts.size).astype(np.float64)
    means = np.bincount(group, x, starts.size) / np.maximum(sizes, 1.0)
    count = arrays.runs
    n = np.bincount(group_run, sizes, count)
    k = np.bincount(group_run, minlength=count).astype(np.float64)
    grand = np.bincount(run, x, count) / np.maximum(n, 1.0)
    within = np.bincount(run, (x - means[group]) ** 2, count) / np.maximum(n - k, 1.0)
    between = np.bincount(group_run, sizes * (means - grand[group_run]) ** 2, count) / np.maximum(k - 1, 1.0)
    n0 = (n - np.bincount(group_run, sizes**2, count) / np.maximum(n, 1.0)) / np.maximum(k - 1, 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        tau2 = np.maximum((between - within) / n0, 0.0)
        share = np.where(tau2 + within > 0, tau2 / (tau2 + within), np.nan)
    return np.where((k >= 2) & (n > k), share, np.nan)


def alliance_dropout_d(arrays: RunArrays) -> np.ndarray:
    """Per run, Cohen's d of the early alliance, completers minus dropouts, pooled SD (NaN with
    fewer than two of either)."""
    alliance, dropped = arrays.clients["alliance_early"], arrays.clients["dropped_out"]
    known = ~np.isnan(alliance)
    sides = []
    for side in (known & ~dropped, known & dropped):
        n = arrays.sum(side.astype(np.int64))
        mean = arrays.mean(alliance, side)
        squares = arrays.sum(np.where(side, alliance - mean[arrays.run], 0.0) ** 2)
        sides.append((n, mean, squares))
    (n1, m1, s1), (n2, m2, s2) = sides
    with np.errstate(invalid="ignore", divide="ignore"):
        pooled = np.sqrt((s1 + s2) / (n1 + n2 - 2))
        return np.where((n1 >= 2) & (n2 >= 2), (m1 - m2) / pooled, np.nan)


def _share_resolved(arrays: RunArrays) -> np.ndarray:
    clients = arrays.clients
    resolved, ruptures = (arrays.sum(clients[name].astype(np.int64)) for name in ("ruptures_resolved", "ruptures"))
    with np.errstate(invalid="ignore", divide="ignore"):
        return resolved / ruptures


def _resolution_r(arrays: RunArrays) -> np.ndarray:
    ruptures = arrays.clients["ruptures"].astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(ruptures > 0, arrays.clients["ruptures_resolved"] / ruptures, np.nan)
    return correlation(arrays, share, arrays.clients["change"])


def _missed(arrays: RunArrays) -> np.ndarray:
    """Per run, the share of scheduled sessions (sessions-table rows) not attended."""
    attended, scheduled = (
        arrays.sum(arrays.clients[name].astype(np.int64)) for name in ("sessions_attended", "sessions_scheduled")
    )
    return 1.0 - attended / scheduled


def _unit_figure(name: str, mean_over_members: bool) -> Callable[[RunArrays], np.ndarray]:
    """Per run, the mean over its units of a unit's figure: the members' mean of clients column
    ``name`` (``mean_over_members``), or the first member's value (a figure of the whole unit)."""

    def compute(arrays: RunArrays) -> np.ndarray:
        starts, run = arrays.units()
        values = arrays.clients[name]
        per_unit = unit_mean(values, starts) if mean_over_members else np.asarray(values[starts], dtype=np.float64)
        return grouped_mean(run, arrays.runs, per_unit)

    return compute


def _outcome_share(name: str) -> Callable[[RunArrays], np.ndarray]:
    code = measures.OUTCOMES.index(name)
    return lambda arrays: arrays.mean((arrays.clients["outcome"] == code).astype(np.float64))


def _column_mean(name: str) -> Callable[[RunArrays], np.ndarray]:
    return lambda arrays: arrays.mean(arrays.clients[name])


def _alliance_r(arrays: RunArrays) -> np.ndarray:
    return correlation(arrays, arrays.clients["alliance_early"], arrays.clients["change"])


def _deterioration(arrays: RunArrays) -> np.ndarray:
    seen = arrays.clients["sessions_attended"] >= 2
    return arrays.mean((arrays.clients["change"] <= -dynamics.RELIABLE_CHANGE).astype(np.float64), seen)


ON_ARRAYS: dict[str, Callable[[RunArrays], np.ndarray]] = {
    "early_alliance_r": _alliance_r,
    "dropout": _column_mean("dropped_out"),
    "missed": _missed,
    "resolution_r": _resolution_r,
    f"improved_by_{DOSE_RESPONSE_SESSION}": lambda arrays: arrays.mean(arrays.improved),
    "therapist_share": therapist_share,
    "alliance_dropout_d": alliance_dropout_d,
    "deterioration": _deterioration,
    **{name: _outcome_share(name) for name in measures.OUTCOMES if name != "dropped_out"},
    "mean_change": _column_mean("change"),
    "alliance_early_mean": _column_mean("alliance_early"),
    "sessions_attended_mean": _column_mean("sessions_attended"),
    "ruptures_per_client": _column_mean("ruptures"),
    "ruptures_resolved_share": _share_resolved,
    "group_alliance_r": _alliance_r,
    "cohesion_mean": _column_mean("cohesion_mean"),
    "group_dropout_share": _unit_figure("dropped_out", mean_over_members=True),
    "family_alliance_r": _alliance_r,
    "split_mean": _unit_figure("split", mean_over_members=False),
    "shared_alliance_mean": _unit_figure("shared_alliance", mean_over_members=False),
    "family_dropout": _unit_figure("dropped_out", mean_over_members=False),
}
"""Each summary figure (by its registry name) per run of a pass, from the pass's :class:`RunArrays`."""


def stacked_run_figures(result: CourseResult, names: tuple[str, ...]) -> dict[str, np.ndarray]:
    """The figures ``names`` of every run of the pass ``result``: per name, one value per run in run order."""
    arrays = run_arrays(result)
    return {name: np.asarray(ON_ARRAYS[name](arrays), dtype=np.float64) for name in names}
