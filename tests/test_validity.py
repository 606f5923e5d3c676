"""The mechanisms that make dropout and deterioration look as routine care shows them (docs/ODD.md
7.12-7.14): competing causes of dropout, life events and the harm of unresolved ruptures. Each test
runs the same clients (seed) with a mechanism on and off."""

import numpy as np
import pytest

from simulation import dynamics, measures
from simulation.config import Params
from simulation.tables import simulate

N, SEED = 3000, 17
QUIET = {"practical_dropout_hazard": 0.0, "improved_exit_hazard": 0.0, "life_event_rate": 0.0, "rupture_harm": 0.0}


@pytest.fixture(scope="module")
def default():
    return simulate(Params(), N, SEED).clients


@pytest.fixture(scope="module")
def quiet():
    """The same clients with the four mechanisms switched off."""
    return simulate(Params(**QUIET), N, SEED).clients


def test_every_dropout_has_a_cause_and_only_dropouts_have_one(default):
    assert ((default["dropout_cause"] != "none") == default["dropped_out"]).all()
    assert set(default["dropout_cause"].unique()) == set(dynamics.DROPOUT_CAUSES)


def test_switched_off_causes_never_occur(quiet):
    assert set(quiet["dropout_cause"].unique()) <= {"none", "disengaged"}


def test_clients_who_stop_after_improving_had_improved(default):
    """The improved exit needs a latent gain of 5 ORS points at the session the client left."""
    stopped = default[default["dropout_cause"] == "improved"]
    assert len(stopped) > 20
    gain = stopped["wellbeing_final"] - stopped["wellbeing_intake"]
    assert (gain >= dynamics.RELIABLE_CHANGE).all()


def test_dropout_outside_the_alliance_brings_the_groups_closer(default, quiet):
    """Dropout that does not run through the alliance shrinks the completers-vs-dropouts gap in early
    alliance (Sharf et al. 2010 report d = .55); the alliance-driven hazard alone gives about 1.1."""
    assert measures.alliance_dropout_d(default) < measures.alliance_dropout_d(quiet) - 0.2
    assert measures.dropout_rate(default) > measures.dropout_rate(quiet)


def test_life_events_and_rupture_harm_make_clients_worse(default, quiet):
    assert measures.deterioration_rate(default) > measures.deterioration_rate(quiet) + 0.02
    assert default["change"].mean() < quiet["change"].mean()


def test_rupture_harm_alone_hurts_clients_with_unresolved_ruptures():
    """Switching rupture harm on changes nothing for clients without an unresolved rupture (same
    draws), and lowers final well-being for those with one."""
    without = simulate(Params(**QUIET), N, SEED).clients
    harmed = simulate(Params(**{**QUIET, "rupture_harm": 20.0}), N, SEED).clients
    untouched = without["ruptures_unresolved"] == 0
    np.testing.assert_array_equal(
        harmed.loc[untouched, "wellbeing_final"].to_numpy(), without.loc[untouched, "wellbeing_final"].to_numpy()
    )
    hit = (without["ruptures_unresolved"] > 0) & (harmed["ruptures_unresolved"] > 0)
    assert harmed.loc[hit, "wellbeing_final"].mean() < without.loc[hit, "wellbeing_final"].mean() - 1.0


def test_life_event_loss_has_the_documented_rate_and_mean():
    """Loss is 0 with chance 1 - life_event_rate, else exponential with mean life_event_impact."""
    rng = np.random.default_rng(0)
    params = Params(life_event_rate=0.2, life_event_impact=6.0)
    loss = dynamics.life_event_loss(np, params, rng.uniform(size=200_000), rng.uniform(size=200_000))
    hit = loss > 0
    assert hit.mean() == pytest.approx(0.2, abs=0.005)
    assert loss[hit].mean() == pytest.approx(6.0, rel=0.02)
    assert np.median(loss[hit]) == pytest.approx(6.0 * np.log(2), rel=0.03)  # exponential, not constant
