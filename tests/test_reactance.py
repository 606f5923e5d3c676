"""The reactance submodel (docs/ODD.md 7.17; Beutler et al. 2018): challenge slows a resistant client's
change and speeds a compliant one's, raises the rupture hazard with resistance, and a nondirective
therapist leaves everything as it was."""

import numpy as np
import pytest

from simulation import dynamics
from simulation.config import Params

REACTANT = Params(reactance_change_weight=8.0, reactance_pivot=0.25, reactance_hazard_weight=2.0)


def traits(resistance: np.ndarray, challenge: np.ndarray) -> dynamics.Traits:
    """Traits of relations that differ in the client's resistance and the therapist's challenge only."""
    fields = {name: np.full(resistance.shape, 0.5) for name in dynamics.Traits.__dataclass_fields__}
    return dynamics.Traits(**{**fields, "resistance": resistance, "challenge": challenge})


def test_a_nondirective_therapist_leaves_change_and_hazard_as_they_were():
    t = traits(np.linspace(0.0, 1.0, 11), np.zeros(11))
    np.testing.assert_array_equal(dynamics.reactance_change_factor(np, REACTANT, t), 1.0)
    np.testing.assert_array_equal(dynamics.reactance_hazard(np, REACTANT, t), 0.0)


def test_challenge_slows_resistant_clients_and_speeds_compliant_ones():
    resistance = np.array([0.05, 0.25, 0.6, 1.0])
    low, high = (dynamics.reactance_change_factor(np, REACTANT, traits(resistance, np.full(4, c))) for c in (0.1, 0.9))
    assert high[0] > low[0] > 1.0  # under the pivot: challenge helps
    assert high[1] == pytest.approx(1.0) and low[1] == pytest.approx(1.0)  # at the pivot: neither
    assert high[2] < low[2] < 1.0 and high[3] < high[2]  # above: challenge hinders, the more resistant the more
    strongest = REACTANT.replace(reactance_change_weight=20.0)
    most = dynamics.reactance_change_factor(np, strongest, traits(np.ones(1), np.ones(1)))
    assert most[0] > 0.0  # it slows change, it never turns it into harm


def test_challenge_on_resistance_raises_the_rupture_hazard():
    stage, agreement = np.full(3, dynamics.WORKING, dtype=np.int8), np.full(3, 0.8)
    t = traits(np.array([0.1, 0.5, 0.9]), np.full(3, 0.9))
    hazard = dynamics.rupture_hazard(np, REACTANT, t, stage, agreement, agreement, agreement)
    quiet = REACTANT.replace(reactance_hazard_weight=0.0)
    without = dynamics.rupture_hazard(np, quiet, t, stage, agreement, agreement, agreement)
    assert (np.diff(hazard) > 0).all() and (hazard > without).all()
