"""docs/teaching.md's claims about attunement and challenge, checked on the cohorts the lesson runs
(1,000 clients; the same clients with one slider moved)."""

import numpy as np
import pytest

from simulation.config import Params
from simulation.tables import simulate

N, SEED = 1000, 1


def test_attuned_therapists_meet_fewer_ruptures_repair_more_and_lose_fewer_clients():
    """Step 2: attunement 0.3 vs 0.85."""
    low, high = (simulate(Params(attunement_mean=value), N, SEED).clients for value in (0.3, 0.85))
    assert high["ruptures"].mean() < low["ruptures"].mean()
    resolved = [c["ruptures_resolved"].sum() / c["ruptures"].sum() for c in (low, high)]
    assert resolved[1] > resolved[0]
    assert high["dropped_out"].mean() < low["dropped_out"].mean()


@pytest.fixture(scope="module")
def challenge_cohorts():
    """Step 4: challenge 0 vs 1 (the same clients), with their sessions."""
    return [simulate(Params(challenge_mean=value), N, SEED) for value in (0.0, 1.0)]


def test_challenge_provokes_confrontations(challenge_cohorts):
    counts = [(t.sessions["rupture_kind"] == "confrontation").sum() for t in challenge_cohorts]
    assert counts[1] > counts[0]


def test_challenge_helps_compliant_clients_and_hurts_reactant_ones(challenge_cohorts):
    """The reactance submodel: the bottom resistance third gains from challenge, the top third loses."""
    support, challenge = (t.clients for t in challenge_cohorts)
    resistance = support["resistance"].to_numpy()
    low_cut, high_cut = np.quantile(resistance, [1 / 3, 2 / 3])
    for third, sign in ((resistance <= low_cut, 1.0), (resistance >= high_cut, -1.0)):
        gain = challenge.loc[third, "change"].mean() - support.loc[third, "change"].mean()
        assert sign * gain > 0


def test_full_challenge_lowers_the_cohorts_outcome_bar(challenge_cohorts):
    """Most clients are above the reactance pivot: fewer recover and more drop out at challenge 1."""
    support, challenge = (t.clients for t in challenge_cohorts)
    assert (challenge["outcome"] == "recovered").mean() < (support["outcome"] == "recovered").mean()
    assert challenge["dropped_out"].mean() > support["dropped_out"].mean()
