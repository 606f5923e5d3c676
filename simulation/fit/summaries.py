"""Summary statistics of session records, from the project's measures (simulation.measures): dropout
and its timing, attendance, ORS change and its spread, the therapist share of change, and the alliance
trajectory (SRS, WAI-SR client form) with its link to change.

Each summary says which columns it needs, so that data without (say) WAI-SR totals simply has fewer
summaries; the fit standardises them (pyabc's adaptive distance scales each by its spread over the
simulated data sets, docs/fit.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulation import measures

EARLY_END = 4
"""A course that ends by this scheduled session counts as an early ending (dropout timing)."""


@dataclass(frozen=True)
class Summary:
    """One summary statistic: its name, the columns it needs, what it is, and how it is computed from
    the per-client table of :func:`per_client`."""

    name: str
    needs: tuple[str, ...]
    meaning: str
    compute: Callable[[pd.DataFrame], float]


def _mean(column: str) -> Callable[[pd.DataFrame], float]:
    return lambda clients: float(clients[column].mean())


def _r(first: str, second: str) -> Callable[[pd.DataFrame], float]:
    return lambda clients: measures.correlation(clients[first], clients[second])


ATTENDANCE = ("client_id", "session", "attended")
ORS = ("client_id", "session", "attended", "ors_total")

SUMMARIES = (
    Summary(
        "sessions_scheduled",
        ATTENDANCE,
        "mean scheduled sessions per client (course length and dropout)",
        _mean("scheduled"),
    ),
    Summary(
        "ended_early",
        ATTENDANCE,
        f"share of courses that end by session {EARLY_END} (dropout timing)",
        lambda clients: float((clients["scheduled"] <= EARLY_END).mean()),
    ),
    Summary("missed_share", ATTENDANCE, "share of scheduled sessions not attended", _mean("missed")),
    Summary("ors_intake", ORS, "mean ORS total at intake (points)", _mean("ors_first")),
    Summary("ors_change", ORS, "mean ORS change, intake to last attended session (points)", _mean("ors_change")),
    Summary(
        "ors_change_sd",
        ORS,
        "standard deviation of ORS change (points)",
        lambda clients: float(clients["ors_change"].std()),
    ),
    Summary(
        "therapist_share",
        (*ORS, "therapist_id"),
        "therapist share (ICC) of the variance of ORS change",
        lambda clients: measures.therapist_share(clients, "ors_change"),
    ),
    Summary("srs_first", ("client_id", "srs_total"), "mean first SRS total (points)", _mean("srs_first")),
    Summary("srs_change", ("client_id", "srs_total"), "mean SRS change, first to last (points)", _mean("srs_change")),
    Summary(
        "srs_outcome_r", (*ORS, "srs_total"), "correlation of first SRS with ORS change", _r("srs_first", "ors_change")
    ),
    Summary(
        "wai_first", ("client_id", "wai_client_total"), "mean first WAI-SR client total (points)", _mean("wai_first")
    ),
    Summary(
        "wai_change",
        ("client_id", "wai_client_total"),
        "mean WAI-SR client change, first to last (points)",
        _mean("wai_change"),
    ),
    Summary(
        "wai_outcome_r",
        (*ORS, "wai_client_total"),
        "correlation of first WAI-SR client total with ORS change",
        _r("wai_first", "ors_change"),
    ),
)


def available(columns: tuple[str, ...]) -> tuple[Summary, ...]:
    """The summaries that records with ``columns`` have."""
    return tuple(summary for summary in SUMMARIES if set(summary.needs) <= set(columns))


def per_client(table: pd.DataFrame) -> pd.DataFrame:
    """One row per client: therapist, scheduled sessions, missed share, first and last scores (the last
    ORS is the last attended session's) and their changes. ``table`` is sorted by client and session."""
    groups = table.groupby("client_id", sort=False)
    clients = pd.DataFrame(
        {
            "therapist_id": groups["therapist_id"].first(),
            "scheduled": groups["session"].size(),
            "missed": 1.0 - groups["attended"].mean(),
        }
    )
    for column, short in (("ors_total", "ors"), ("srs_total", "srs"), ("wai_client_total", "wai")):
        if column in table.columns:
            clients[f"{short}_first"] = groups[column].first()
            clients[f"{short}_change"] = groups[column].last() - clients[f"{short}_first"]
    return clients


def summarise(table: pd.DataFrame, summaries: tuple[Summary, ...]) -> dict[str, float]:
    """The summaries of records (name -> value; NaN where undefined, e.g. a constant column)."""
    clients = per_client(table)
    return {summary.name: summary.compute(clients) for summary in summaries}


def as_finite(values: dict[str, float]) -> dict[str, float]:
    """Summaries with NaN as 0, for the distance (a simulated data set can lack a figure the observed has)."""
    return {name: (value if np.isfinite(value) else 0.0) for name, value in values.items()}
