"""The item-level measurement layer: scales and ranges, items that sum to the kernel's totals, the
derived scores, and the instrument figures of docs/calibration.md on a fixed-seed cohort."""

import numpy as np
import pandas as pd
import pytest

from simulation.backend import PROCESSES
from simulation.config import Params
from simulation.instruments.items import WaiSchedule, split_total, wai_items
from simulation.instruments.scores import (
    FIGURES,
    clinically_significant,
    cronbach_alpha,
    item_columns,
    reliable_change,
    srs_below_cutoff,
    subscale_columns,
)
from simulation.synthetic import generate

INSTRUMENT_PROCESSES = (
    "wai_client_items",
    "wai_therapist_items",
    "srs_items",
    "ors_items",
    "rupture_reports",
    "item_nonresponse",
    "wai_therapist_dyad",
    "wai_therapist_style",
)


@pytest.fixture(scope="module")
def cohort():
    """1,000 clients of 50 therapists, default parameters, fixed seed."""
    return generate(therapists=50, clients_per_therapist=20, seed=2026)


def test_instrument_processes_are_appended_after_the_kernels():
    """The measurement layer's draws come after every kernel process of the individual format, so the
    kernel's draws stay put (the group and family formats' processes were appended after them)."""
    names = list(PROCESSES.processes)
    first = names.index("life_event_size") + 1
    assert names[first : first + len(INSTRUMENT_PROCESSES)] == list(INSTRUMENT_PROCESSES)
    PROCESSES.check_disjoint()


def test_split_total_sums_exactly_and_stays_in_range():
    """Every total 0-40 splits into four 0-10 items that sum to it, whatever the weights."""
    rng = np.random.default_rng(0)
    totals = np.repeat(np.arange(41), 50)
    items = split_total(totals, rng.normal(0, 2, (totals.size, 4)))
    assert items.min() >= 0 and items.max() <= 10
    assert np.array_equal(items.sum(axis=1), totals)
    assert (items[totals == 40] == 10).all() and (items[totals == 0] == 0).all()


def test_wai_items_follow_the_view():
    """WAI-SR items are whole points on 1-5 and rise with the rater's view."""
    views = np.linspace(-0.5, 1.5, 9)[:, None].repeat(12, axis=1)
    items = wai_items(views, 0.0, 0.0, np.zeros_like(views))
    assert items.min() == 1 and items.max() == 5
    assert (np.diff(items.sum(axis=1)) >= 0).all()


def test_items_sum_to_the_kernels_totals(cohort):
    """SRS and ORS items sum to the kernel's totals, so ors, srs and the outcomes agree with the items."""
    observed, truth = cohort.sessions, cohort.truth["sessions"]
    for form in ("srs", "ors"):
        items = observed[item_columns(form)].astype(float).to_numpy()
        kernel = truth[f"{form}_kernel"].astype(float).to_numpy()
        attended = observed["attended"].to_numpy()
        assert np.array_equal(items[attended].sum(axis=1), kernel[attended])
        assert np.isnan(items[~attended]).all()
        assert observed[f"{form}_total"].astype(float).equals(truth[f"{form}_kernel"].astype(float))


def test_scales_and_ranges(cohort):
    """Each item and score lies on its instrument's scale."""
    table = cohort.sessions
    for form, (low, high) in {"wai_client": (1, 5), "wai_therapist": (1, 5), "srs": (0, 10), "ors": (0, 10)}.items():
        values = table[item_columns(form)].astype(float).to_numpy()
        assert np.nanmin(values) >= low and np.nanmax(values) <= high
    for subscale in ("goal", "task", "bond"):
        assert table[f"wai_client_{subscale}"].dropna().between(4, 20).all()
    assert table["wai_client_total"].dropna().between(12, 60).all()
    assert table["srs_total"].dropna().between(0, 40).all()


def test_wai_is_given_on_the_schedule(cohort):
    """The WAI-SR appears at attended sessions 3, 5, 8 and the planned last session (course_length)
    only: a schedule fixed in advance, blind to when a client will drop out."""
    table = cohort.sessions
    given = table["wai_client_total"].notna()
    expected = table["attended"] & table["session"].isin([3, 5, 8, Params().course_length])
    assert given.equals(expected)


def test_schedule_parsing():
    assert WaiSchedule.parse("8,3,last") == WaiSchedule((3, 8), True, False)
    assert WaiSchedule.parse("all").every
    for bad in ("", "0", "3,x", "first"):
        with pytest.raises(ValueError, match="--wai-schedule"):
            WaiSchedule.parse(bad)


def test_instrument_figures_are_in_band(cohort):
    """Subscale alphas .80-.92 (both forms), client-therapist WAI r .25-.47 with clients higher
    (d .4-.8), ORS alpha .82-.92, SRS alpha .88-.97, and most SRS totals at the cutoff 36 or above."""
    for name, value in cohort.figures.values().items():
        figure = FIGURES[name]
        assert figure.low <= value <= figure.high, f"{figure.label}: {value:.3f}"


def test_alpha_matches_the_textbook_formula(cohort):
    """The exact moment-based alpha equals k/(k-1) (1 - sum of item variances / total variance)."""
    items = cohort.sessions[subscale_columns("wai_client", "bond")].astype(float).dropna().to_numpy()
    k = items.shape[1]
    textbook = k / (k - 1) * (1 - items.var(axis=0, ddof=1).sum() / items.sum(axis=1).var(ddof=1))
    assert cronbach_alpha(items) == pytest.approx(textbook)


def test_rupture_reports_client_fewest_observer_most(cohort):
    """Clients report the fewest true ruptures and observers code the most (Muran et al. 2009)."""
    truth = cohort.truth["sessions"]["rupture"].to_numpy()
    table = cohort.sessions
    hits = {rater: table.loc[truth, f"rupture_{rater}"].astype(float).mean() for rater in ("client", "therapist")}
    hits["observer"] = (table.loc[truth, "rupture_observer"] != "none").mean()
    assert hits["client"] < hits["therapist"] < hits["observer"]
    coded = table.loc[truth, "rupture_observer"]
    kinds = cohort.truth["sessions"].loc[truth, "rupture_kind"]
    assert (coded[coded != "none"].astype(str) == kinds[coded != "none"].astype(str)).all()


def test_derived_scores():
    intake = pd.Series([20, 20, 20, 30, None], dtype="Int8")
    final = pd.Series([26, 24, 14, 36, 30], dtype="Int8")
    assert list(reliable_change(intake, final).astype(object)[:4]) == [
        "improved",
        "unchanged",
        "deteriorated",
        "improved",
    ]
    assert pd.isna(reliable_change(intake, final)[4])
    assert list(clinically_significant(intake, final)[:4]) == [True, False, False, False]
    assert pd.isna(clinically_significant(intake, final)[4])
    assert list(srs_below_cutoff(pd.Series([35, 36, None], dtype="Int8"))[:2]) == [True, False]


def test_item_nonresponse_rate_and_total_missing():
    """Items of administered questionnaires are blank at about item_nonresponse_rate; a scale score is
    missing exactly when one of its items is."""
    data = generate(Params(item_nonresponse_rate=0.1), therapists=10, clients_per_therapist=10, seed=3)
    table = data.sessions[data.sessions["attended"]]
    ors = table[item_columns("ors")]
    assert 0.08 < ors.isna().to_numpy().mean() < 0.12
    assert table["ors_total"].isna().equals(ors.isna().any(axis=1))
