"""The client-rated perceived-empathy scale (simulation.instruments.empathy): its answers and totals,
its reliability, when it is given, and what drives it (the therapist's empathy, the client's bond)."""

import numpy as np
import pandas as pd
import pytest

from simulation.config import Params
from simulation.instruments.empathy import (
    EMPATHY_ANSWERS,
    EMPATHY_ITEMS,
    EMPATHY_TOTAL_RANGE,
    administer_empathy,
    empathy_early,
    empathy_outcome_r,
)
from simulation.instruments.scores import cronbach_alpha
from simulation.tables import simulate

N, SEED = 1500, 5
ITEMS = [f"empathy_{item}" for item in range(1, len(EMPATHY_ITEMS) + 1)]


@pytest.fixture(scope="module")
def tables():
    return simulate(Params(), N, SEED)


@pytest.fixture(scope="module")
def scale(tables):
    return administer_empathy(tables.sessions, tables.clients, tables.therapists, Params(), SEED)


def test_answers_and_totals_are_on_the_blri_scale(scale):
    assert set(np.unique(scale[ITEMS].to_numpy())) <= set(EMPATHY_ANSWERS)
    assert (scale["empathy_total"] == scale[ITEMS].sum(axis=1)).all()
    assert scale["empathy_total"].between(*EMPATHY_TOTAL_RANGE).all()


def test_given_at_attended_early_sessions_only(tables, scale):
    assert scale["session"].between(3, 5).all()
    attended = tables.sessions.set_index(["client_id", "session"])["attended"]
    assert attended.reindex(pd.MultiIndex.from_frame(scale[["client_id", "session"]])).all()


def test_reliability_is_that_of_a_short_published_scale(scale):
    """Short BLRI empathy forms report alphas of about .80-.90."""
    assert 0.78 <= cronbach_alpha(scale[ITEMS].to_numpy(float)) <= 0.92


def test_same_seed_same_answers(tables, scale):
    again = administer_empathy(tables.sessions, tables.clients, tables.therapists, Params(), SEED)
    pd.testing.assert_frame_equal(scale, again)


def test_perceived_empathy_follows_the_therapist_and_the_bond(tables):
    """More empathic therapists are perceived as more empathic (same clients, only the weight of the
    therapist's trait changes what is perceived), and so are therapists with whom the bond is stronger."""
    early = empathy_early(tables.sessions, tables.clients, tables.therapists, Params(), SEED)
    clients = tables.clients.merge(tables.therapists[["therapist_id", "empathy"]], on="therapist_id")
    known = early.notna()
    assert np.corrcoef(early[known], clients.loc[known, "empathy"])[0, 1] > 0.1
    assert np.corrcoef(early[known], clients.loc[known, "alliance_early"])[0, 1] > 0.3


def test_the_figure_needs_one_run_with_its_seed(tables):
    assert -1 < empathy_outcome_r(tables) < 1
    stacked = type(tables)(tables.sessions, tables.clients, tables.therapists, pd.concat([tables.runs] * 2))
    with pytest.raises(ValueError, match="one run"):
        empathy_outcome_r(stacked)
