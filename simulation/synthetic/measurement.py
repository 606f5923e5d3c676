"""The measurement truth of a synthetic data set, per administration: for each WAI-SR form, subscale
and session of the schedule, Cronbach's alpha (a sample value of the data set), the true reliability
(the share of the subscale score's variance that is true-score variance, from the exact expected item
scores given the rater's view) and the standardized loadings of the latent item responses; the
client-therapist r of the totals per session; and the true measurement model as lavaan model syntax.

Reliability is a property of one administration: pooled over sessions, growth in the alliance adds
true-score variance that no single administration has (docs/instruments.md). Every figure is computed
from exact integer moments or exactly rounded sums, so it does not depend on the chunk size.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.special import ndtr

from simulation.config import Params
from simulation.instruments.items import WAI_LOADINGS, WAI_OFFSETS, WAI_SUBSCALE_OF_ITEM, WAI_SUBSCALES, WAI_THRESHOLDS
from simulation.instruments.scores import Moments, item_columns, subscale_columns
from simulation.measures import own_session

FORMS = {
    "wai_client": "client_view_",
    "wai_therapist": "therapist_view_",
}  # form -> prefix of its view in truth/sessions


def expected_items(view: np.ndarray, items: list[int], leniency: float, error_sd: float) -> np.ndarray:
    """E[item score | rater's view] (rows, items) under the ordinal probit model (items.wai_items)."""
    loadings, offsets = np.asarray(WAI_LOADINGS)[items], np.asarray(WAI_OFFSETS)[items]
    mean = loadings * (view[:, None] - 0.5) + 0.5 + leniency + offsets
    if error_sd == 0:
        return 1 + (mean[..., None] > np.asarray(WAI_THRESHOLDS)).sum(axis=-1)
    return 1 + ndtr((mean[..., None] - np.asarray(WAI_THRESHOLDS)) / error_sd).sum(axis=-1)


def _fsum_variance(parts: list[np.ndarray]) -> float:
    """The variance (n - 1) of the values in ``parts``, from exactly rounded sums."""
    values = np.concatenate(parts) if parts else np.empty(0)
    if values.size < 2:
        return math.nan
    mean = math.fsum(values) / values.size
    return math.fsum((values - mean) ** 2) / (values.size - 1)


@dataclass
class AdministrationFigures:
    """Accumulates the per-administration figures chunk by chunk."""

    items: dict[tuple[str, str, int], Moments] = field(default_factory=dict)
    agreement: dict[int, Moments] = field(default_factory=dict)
    true_scores: dict[tuple[str, str, int], list[np.ndarray]] = field(default_factory=lambda: defaultdict(list))
    views: dict[tuple[str, str, int], list[np.ndarray]] = field(default_factory=lambda: defaultdict(list))
    params: Params | None = None

    def add(self, long: pd.DataFrame, truth: pd.DataFrame, params: Params | None = None) -> None:
        """Take in the administrations of one chunk (long table and truth/sessions, row-aligned)."""
        self.params = params or self.params or Params()
        p = self.params
        session = own_session(long).to_numpy()
        given = long["wai_client_1"].notna().to_numpy() | long["wai_therapist_1"].notna().to_numpy()
        for number in np.unique(session[given]):
            rows = given & (session == number)
            both = long.loc[rows, ["wai_client_total", "wai_therapist_total"]].to_numpy(dtype=float)
            self.agreement.setdefault(int(number), Moments(2)).add(both)
            for form, prefix in FORMS.items():
                leniency, error_sd = getattr(p, f"{form}_leniency"), getattr(p, f"{form}_item_error_sd")
                for subscale in WAI_SUBSCALES:
                    key = (form, subscale, int(number))
                    scores = long.loc[rows, subscale_columns(form, subscale)].to_numpy(dtype=float)
                    self.items.setdefault(key, Moments(4)).add(scores)
                    complete = ~np.isnan(scores).any(axis=1)
                    view = truth.loc[rows, f"{prefix}{subscale}"].to_numpy(float)[complete]
                    positions = [index for index, name in enumerate(WAI_SUBSCALE_OF_ITEM) if name == subscale]
                    self.true_scores[key].append(expected_items(view, positions, leniency, error_sd).sum(axis=1))
                    self.views[key].append(view)

    def merge(self, other: AdministrationFigures) -> None:
        """Take in another chunk's figures (exact: integer moments and lists of values)."""
        self.params = self.params or other.params
        for mine, theirs in ((self.items, other.items), (self.agreement, other.agreement)):
            for key, moments in theirs.items():
                total = mine.setdefault(key, Moments(moments.width))
                total.count += moments.count
                total.sums = total.sums + moments.sums
                total.products = total.products + moments.products
        for key, parts in other.true_scores.items():
            self.true_scores[key] += parts
        for key, parts in other.views.items():
            self.views[key] += parts

    def values(self) -> dict[str, dict]:
        """Per session of the schedule ("session 3", ...): per form and subscale its alpha, true
        reliability and standardized loadings, and the client-therapist r of the totals."""
        out: dict[str, dict] = {}
        p = self.params or Params()
        for number in sorted(self.agreement):
            entry: dict[str, object] = {}
            for form in FORMS:
                error_sd = getattr(p, f"{form}_item_error_sd")
                for subscale in WAI_SUBSCALES:
                    key = (form, subscale, number)
                    moments = self.items[key]
                    n = moments.count
                    observed = (moments.products.sum() - moments.sums.sum() ** 2 / n) / (n - 1) if n > 1 else math.nan
                    view_sd = math.sqrt(_fsum_variance(self.views[key])) if n > 1 else math.nan
                    positions = [index for index, name in enumerate(WAI_SUBSCALE_OF_ITEM) if name == subscale]
                    entry[f"{form}_{subscale}"] = {
                        "administrations": n,
                        "alpha": moments.alpha(),
                        "true_reliability": _fsum_variance(self.true_scores[key]) / observed
                        if observed > 0
                        else math.nan,
                        "standardized_loadings": [
                            WAI_LOADINGS[i] * view_sd / math.sqrt((WAI_LOADINGS[i] * view_sd) ** 2 + error_sd**2)
                            if error_sd > 0 or view_sd > 0
                            else math.nan
                            for i in positions
                        ],
                    }
            entry["wai_client_therapist_r"] = self.agreement[number].correlation_and_d()[0]
            out[f"session {number}"] = entry
        return out


def lavaan_syntax() -> str:
    """The true measurement model of the WAI-SR forms as lavaan model syntax: per form, three
    correlated factors (goal, task, bond) with their four items each, loadings fixed at their true
    (unstandardized, latent-response) values relative to the first item of each subscale."""
    lines = [
        "# True measurement model of the WAI-SR (simulation.instruments.items): each item's latent",
        "# response is loading * view + error, cut at fixed thresholds into 1-5 (ordered categorical).",
        "# Loadings are fixed relative to the first item of each subscale; fit with ordered = all items.",
    ]
    for form in FORMS:
        for subscale in WAI_SUBSCALES:
            columns = subscale_columns(form, subscale)
            positions = [index for index, name in enumerate(WAI_SUBSCALE_OF_ITEM) if name == subscale]
            first = WAI_LOADINGS[positions[0]]
            terms = " + ".join(
                f"{WAI_LOADINGS[i] / first:.4g}*{column}" for i, column in zip(positions, columns, strict=True)
            )
            lines.append(f"{form}_{subscale} =~ {terms}")
    lines.append(
        f"# items of each form: {', '.join(item_columns('wai_client'))}; {', '.join(item_columns('wai_therapist'))}"
    )
    return "\n".join(lines) + "\n"
