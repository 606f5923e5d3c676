"""Counter-based random numbers: the process registry, distributions, independence, and independence
from stacking."""

import itertools

import numpy as np
import pytest
from scipy import stats

from simulation.backend import PROCESSES, Domain, Draws, Process, Registry, RegistryError, namespace, run_key


def _draws(n, seed=3, start=0, domain=Domain.CLIENT):
    return Draws.for_rows(namespace("numpy"), np.full(n, run_key(seed), np.uint64), np.arange(start, start + n), domain)


def test_no_two_declared_processes_share_draws():
    PROCESSES.check_disjoint(sessions=30)


def test_a_duplicated_declaration_is_refused():
    """The registry's checks would catch two processes on one stream: shown on deliberate mistakes."""
    twice = Process("attendance", Domain.CLIENT, "uniform", "declared twice")
    with pytest.raises(RegistryError, match="declared twice"):
        Registry([*PROCESSES.processes.values(), twice])
    # a layout forced by hand onto another process's stream and half is found by the overlap check
    broken = Registry(list(PROCESSES.processes.values()))
    broken.slots["dropout"] = broken.slots["attendance"]
    with pytest.raises(RegistryError, match="share draws"):
        broken.check_disjoint()


def test_pairs_share_a_hash_but_not_a_half():
    attendance, dropout = PROCESSES.slots["attendance"], PROCESSES.slots["dropout"]
    assert attendance.stream == dropout.stream and {attendance.half, dropout.half} == {0, 1}
    assert PROCESSES.slots["client_traits"].half is None  # several draws: a stream of its own


def test_uniforms_are_uniform():
    first, second = _draws(200_000).sample(("attendance", "dropout"), 4)
    assert stats.kstest(first, "uniform").pvalue > 0.001
    assert stats.kstest(second, "uniform").pvalue > 0.001


def test_normals_are_standard_normal():
    z, w = _draws(200_000).sample(("symptom_noise", "ors_error"), 1)
    assert stats.kstest(z, "norm").pvalue > 0.001 and stats.kstest(w, "norm").pvalue > 0.001


def _session_values(draws: Draws, session: int) -> list[np.ndarray]:
    """Every per-session process's values in ``session`` for the domain of ``draws``: the first two
    draws of a process with several."""
    values = []
    for name, process in PROCESSES.processes.items():
        if process.per_session and process.domain == draws.domain:
            values += draws.sample((name,), session) if process.draws == 1 else draws.sample_all(name, session)[:2]
    return values


@pytest.mark.parametrize("domain", [Domain.CLIENT, Domain.UNIT, Domain.PAIR])
def test_neighbouring_rows_sessions_and_processes_are_uncorrelated(domain):
    """|r| < 0.01 is 4.5 standard errors at n = 200,000: every per-session process of a domain (clients;
    the units and member pairs of the group and family formats) against the next session, the
    neighbouring row, and every other process of the same session."""
    draws = _draws(200_000, domain=domain)
    this, following = _session_values(draws, 6), _session_values(draws, 7)
    for values, later in zip(this, following, strict=True):
        assert abs(np.corrcoef(values, later)[0, 1]) < 0.01
        assert abs(np.corrcoef(values[:-1], values[1:])[0, 1]) < 0.01
    for first, second in itertools.combinations(this, 2):
        assert abs(np.corrcoef(first, second)[0, 1]) < 0.01


def test_several_draws_of_one_process_are_independent():
    traits = _draws(100_000, domain=Domain.THERAPIST).sample_all("therapist_traits")
    assert len(traits) == PROCESSES.processes["therapist_traits"].draws
    correlations = np.corrcoef(np.vstack(traits)) - np.eye(len(traits))
    assert np.abs(correlations).max() < 0.015


def test_a_rows_draws_depend_only_on_its_coordinates():
    (whole,) = _draws(1000).sample(("detection",), 7)
    (part,) = _draws(100, start=400).sample(("detection",), 7)
    np.testing.assert_array_equal(whole[400:500], part)
    assert not np.array_equal(whole, _draws(1000, seed=4).sample(("detection",), 7)[0])


def test_clients_and_therapists_draw_apart():
    xp, keys = namespace("numpy"), np.full(10, run_key(1), np.uint64)
    clients = Draws.for_rows(xp, keys, np.arange(10), Domain.CLIENT).keys
    therapists = Draws.for_rows(xp, keys, np.arange(10), Domain.THERAPIST).keys
    assert not np.any(clients == therapists)


def test_processes_are_drawn_only_in_their_own_domain():
    with pytest.raises(RegistryError, match="belongs to THERAPIST"):
        _draws(10).sample_all("therapist_traits")
    with pytest.raises(RegistryError, match="not declared"):
        _draws(10).sample(("coin_flip",), 1)
