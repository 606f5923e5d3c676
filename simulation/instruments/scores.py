"""Derived scores of the instruments: scale and subscale totals, reliable and clinically significant
change on the ORS, SRS below-cutoff flags, and the instrument figures of docs/calibration.md
(reliabilities, client-therapist agreement, the SRS ceiling).

The figures are computed from integer moments (counts, sums and cross-products of whole-point item
scores), accumulated exactly chunk by chunk, so that a data set written in chunks reports the very same
numbers as one made in a single pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from simulation.dynamics import RELIABLE_CHANGE
from simulation.figures.registry import INSTRUMENT
from simulation.instruments.items import ITEMS_PER_SCALE, WAI_ITEMS, WAI_SUBSCALE_OF_ITEM, WAI_SUBSCALES
from simulation.measures import ORS_CUTOFF

SRS_CUTOFF = 36  # SRS total under which the alliance is a concern (Duncan et al. 2003)
CHANGE_CATEGORIES = ("deteriorated", "unchanged", "improved")  # reliable change on the ORS


def item_columns(form: str) -> list[str]:
    """The item columns of a form: 'wai_client', 'wai_therapist' (12 items), 'srs', 'ors' (4)."""
    count = WAI_ITEMS if form.startswith("wai") else ITEMS_PER_SCALE
    return [f"{form}_{item}" for item in range(1, count + 1)]


def subscale_columns(form: str, subscale: str) -> list[str]:
    """The four WAI-SR item columns of one subscale (goal, task or bond) of a form."""
    return [f"{form}_{index + 1}" for index, name in enumerate(WAI_SUBSCALE_OF_ITEM) if name == subscale]


def sum_score(table: pd.DataFrame, columns: list[str]) -> pd.arrays.IntegerArray:
    """The sum of item scores per row; missing (NA) where any item is missing (no prorating)."""
    items = table[columns].to_numpy(dtype=float)
    missing = np.isnan(items).any(axis=1)
    return pd.arrays.IntegerArray(np.where(missing, 0, np.nansum(items, axis=1)).astype(np.int16), missing)


def scale_scores(table: pd.DataFrame) -> dict[str, pd.arrays.IntegerArray]:
    """Every scale score of the long table: WAI-SR subscales (4-20) and totals (12-60) of both forms,
    SRS and ORS totals (0-40)."""
    scores = {}
    for form in ("wai_client", "wai_therapist"):
        for subscale in WAI_SUBSCALES:
            scores[f"{form}_{subscale}"] = sum_score(table, subscale_columns(form, subscale))
        scores[f"{form}_total"] = sum_score(table, item_columns(form))
    for form in ("srs", "ors"):
        scores[f"{form}_total"] = sum_score(table, item_columns(form))
    return scores


def srs_below_cutoff(srs_total: pd.Series) -> pd.Series:
    """Whether an SRS total is under the cutoff 36 (a session to talk about the alliance); NA where missing."""
    return (srs_total < SRS_CUTOFF).astype("boolean")


def reliable_change(intake: pd.Series, final: pd.Series) -> pd.Categorical:
    """ORS reliable change (index 5 points; Miller et al. 2003): improved (+5 or more), deteriorated
    (-5 or less) or unchanged; missing where either total is."""
    change = (final - intake).astype(float).to_numpy()
    codes = np.select([change >= RELIABLE_CHANGE, change <= -RELIABLE_CHANGE], [2, 0], default=1)
    return pd.Categorical.from_codes(np.where(np.isnan(change), -1, codes), categories=list(CHANGE_CATEGORIES))


def clinically_significant(intake: pd.Series, final: pd.Series) -> pd.Series:
    """Clinically significant change (Jacobson & Truax 1991 on the ORS): reliably improved and
    crossed from under the clinical cutoff 25 to 25 or above; NA where either total is missing."""
    both = intake.notna() & final.notna()
    met = ((final - intake) >= RELIABLE_CHANGE) & (intake < ORS_CUTOFF) & (final >= ORS_CUTOFF)
    return met.astype("boolean").where(both, pd.NA)


def cronbach_alpha_from_moments(count: int, sums: np.ndarray, products: np.ndarray) -> float:
    """Cronbach's alpha of k items from their count, sums and cross-product matrix (complete rows)."""
    if count < 2:
        return float("nan")
    covariance = (products - np.outer(sums, sums) / count) / (count - 1)
    k = sums.size
    total_variance = covariance.sum()
    return float(k / (k - 1) * (1 - np.trace(covariance) / total_variance)) if total_variance > 0 else float("nan")


def cronbach_alpha(items: np.ndarray) -> float:
    """Cronbach's alpha of the complete rows of an (administrations, items) array."""
    complete = items[~np.isnan(items).any(axis=1)].astype(np.int64)
    return cronbach_alpha_from_moments(len(complete), complete.sum(axis=0), complete.T @ complete)


@dataclass
class Moments:
    """Exact integer moments of whole-point columns over the complete rows seen so far."""

    width: int
    count: int = 0
    sums: np.ndarray = field(init=False)
    products: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.sums = np.zeros(self.width, dtype=np.int64)
        self.products = np.zeros((self.width, self.width), dtype=np.int64)

    def add(self, values: np.ndarray) -> None:
        complete = values[~np.isnan(values).any(axis=1)].astype(np.int64)
        self.count += len(complete)
        self.sums += complete.sum(axis=0)
        self.products += complete.T @ complete

    def alpha(self) -> float:
        return cronbach_alpha_from_moments(self.count, self.sums, self.products)

    def correlation_and_d(self) -> tuple[float, float]:
        """For two columns: Pearson r, and Cohen's d of the first minus the second (paired rows, with
        the SD pooled over the two columns)."""
        n = self.count
        if n < 2:
            return float("nan"), float("nan")
        covariance = (self.products - np.outer(self.sums, self.sums) / n) / (n - 1)
        r = covariance[0, 1] / np.sqrt(covariance[0, 0] * covariance[1, 1])
        d = (self.sums[0] - self.sums[1]) / n / np.sqrt((covariance[0, 0] + covariance[1, 1]) / 2)
        return float(r), float(d)


FIGURES = {figure.name: figure for figure in INSTRUMENT}
"""The instrument figures of docs/calibration.md with their bands (simulation.figures.registry). Alphas
are over every administration (a client's several sessions count as several rows)."""


class InstrumentFigures:
    """Accumulates the instrument figures of a long table, chunk by chunk, exactly."""

    def __init__(self) -> None:
        self.subscales = {
            (form, subscale): Moments(4) for form in ("wai_client", "wai_therapist") for subscale in WAI_SUBSCALES
        }
        self.totals = {form: Moments(ITEMS_PER_SCALE) for form in ("ors", "srs")}
        self.agreement = Moments(2)
        self.srs_sessions = 0
        self.srs_high = 0

    def add(self, table: pd.DataFrame) -> None:
        for (form, subscale), moments in self.subscales.items():
            moments.add(table[subscale_columns(form, subscale)].to_numpy(dtype=float))
        for form, moments in self.totals.items():
            moments.add(table[item_columns(form)].to_numpy(dtype=float))
        self.agreement.add(table[["wai_client_total", "wai_therapist_total"]].to_numpy(dtype=float))
        srs = table["srs_total"].dropna().to_numpy()
        self.srs_sessions += srs.size
        self.srs_high += int((srs >= SRS_CUTOFF).sum())

    def values(self) -> dict[str, float]:
        values = {f"{form}_{subscale}_alpha": m.alpha() for (form, subscale), m in self.subscales.items()}
        values["wai_client_therapist_r"], values["wai_client_minus_therapist_d"] = self.agreement.correlation_and_d()
        values["ors_alpha"] = self.totals["ors"].alpha()
        values["srs_alpha"] = self.totals["srs"].alpha()
        values["srs_at_or_above_cutoff"] = self.srs_high / self.srs_sessions if self.srs_sessions else float("nan")
        return {name: values[name] for name in FIGURES}

    def to_markdown(self) -> str:
        lines = ["| figure | simulated | target | in band | source |", "|---|---|---|---|---|"]
        for name, value in self.values().items():
            figure = FIGURES[name]
            inside = "yes" if figure.in_band(value) else "no"
            lines.append(
                f"| {figure.label} | {value:.3f} | {figure.low:g} - {figure.high:g} | {inside} | {figure.source} |"
            )
        return "\n".join(lines)
