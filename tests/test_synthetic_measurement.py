"""Measurement as published, per administration (simulation.synthetic.measurement, instruments.items):
the client WAI-SR subscale alphas and the client-therapist r at single administrations, the true
reliability beside alpha, a therapist form with three factors, a foresight-free ``last`` and the
true measurement model in lavaan syntax."""

from __future__ import annotations

import numpy as np
import pytest

from simulation.config import Params
from simulation.instruments.items import WAI_SUBSCALE_OF_ITEM, WAI_SUBSCALES, WaiSchedule
from simulation.instruments.scores import item_columns, subscale_columns
from simulation.synthetic import generate
from simulation.synthetic.measurement import lavaan_syntax

SESSIONS = (3, 5, 8)


@pytest.fixture(scope="module")
def data():
    """2,000 clients of 100 therapists, default parameters, WAI-SR at 3, 5, 8 and the planned last."""
    return generate(therapists=100, clients_per_therapist=20, seed=11)


def test_client_subscale_alphas_at_single_administrations_are_as_published(data):
    """Hatcher & Gillaspy 2006, Munder et al. 2010: WAI-SR subscale alphas .80-.92, here at each single
    administration (sessions 3, 5 and 8), not pooled over the course."""
    figures = data.parameters["measurement_per_administration"]
    for session in SESSIONS:
        for subscale in WAI_SUBSCALES:
            alpha = figures[f"session {session}"][f"wai_client_{subscale}"]["alpha"]
            assert 0.80 <= alpha <= 0.92, (session, subscale, alpha)


def test_client_therapist_r_at_each_administration(data):
    """Tryon, Blackwell & Hammel 2007 (r = .36): .25-.45 at each of sessions 3, 5 and 8."""
    figures = data.parameters["measurement_per_administration"]
    for session in SESSIONS:
        r = figures[f"session {session}"]["wai_client_therapist_r"]
        assert 0.25 <= r <= 0.45, (session, r)


def test_true_reliability_and_loadings_are_stated_beside_alpha(data):
    """The true reliability (true-score share of the subscale's variance) is within .08 of alpha (alpha
    is no lower bound here: the rounding errors of items cut at the same thresholds correlate);
    standardized loadings are between 0 and 1."""
    for session in SESSIONS:
        for form in ("wai_client", "wai_therapist"):
            for subscale in WAI_SUBSCALES:
                entry = data.parameters["measurement_per_administration"][f"session {session}"][f"{form}_{subscale}"]
                assert abs(entry["true_reliability"] - entry["alpha"]) <= 0.08, entry
                assert all(0.3 < loading < 1 for loading in entry["standardized_loadings"]), entry


def test_therapist_form_has_three_factors_not_one(data):
    """The therapist's component-specific misjudgement separates goal, task and bond: at session 5 the
    subscale scores correlate below .80 (they were .96-.98 with rating errors common to all three),
    and items of one subscale correlate more with each other than with the other subscales' items
    (a one-factor model would make the two the same) by more than .08."""
    rows = data.sessions[(data.sessions["session"] == 5) & data.sessions["wai_therapist_1"].notna()]
    subscales = np.column_stack(
        [rows[subscale_columns("wai_therapist", name)].astype(float).sum(axis=1) for name in WAI_SUBSCALES]
    )
    correlations = np.corrcoef(subscales, rowvar=False)[np.triu_indices(3, 1)]
    assert correlations.max() < 0.80, correlations
    items = np.corrcoef(rows[item_columns("wai_therapist")].astype(float), rowvar=False)
    same = np.equal.outer(np.asarray(WAI_SUBSCALE_OF_ITEM), np.asarray(WAI_SUBSCALE_OF_ITEM))
    within, between = items[same & ~np.eye(len(same), dtype=bool)].mean(), items[~same].mean()
    assert within - between > 0.08, (within, between)


def test_pooled_instrument_figures_stay_in_their_bands(data):
    """The calibration's pooled instrument figures stay in their published bands."""
    from simulation.instruments.scores import FIGURES

    for name, value in data.figures.values().items():
        assert FIGURES[name].in_band(value), (name, value)


def test_last_is_the_planned_last_session_not_the_clients_last(data):
    """'last' is the session the clinic scheduled last (course_length): no client is measured at a
    last attended session that the schedule does not list, so dropouts are measured at 3, 5, 8 only."""
    given = data.sessions[data.sessions["wai_client_1"].notna()]
    assert set(given["session"]) <= {*SESSIONS, Params().course_length}
    dropouts = data.clients.loc[data.clients["dropped_out"], "client_id"]
    assert not given[given["client_id"].isin(dropouts)]["session"].eq(Params().course_length).any()
    with pytest.raises(ValueError, match="planned last session"):
        WaiSchedule().given(data.sessions)


def test_lavaan_syntax_lists_each_item_once_under_its_subscale():
    """Six factors (goal, task, bond of each form), each item of each form on exactly one."""
    lines = [line for line in lavaan_syntax().splitlines() if "=~" in line]
    assert len(lines) == 6
    for form in ("wai_client", "wai_therapist"):
        named = [column for line in lines for column in item_columns(form) if f"*{column} " in f"{line} "]
        assert sorted(named) == sorted(item_columns(form))
