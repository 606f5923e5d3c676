"""Counter-based random numbers: distribution, independence, and independence from stacking."""

import numpy as np
from scipy import stats

from simulation.backend import Domain, Draws, Stream, namespace, run_key


def _draws(n, seed=3, start=0):
    return Draws.for_rows(
        namespace("numpy"), np.full(n, run_key(seed), np.uint64), np.arange(start, start + n), Domain.CLIENT
    )


def test_uniforms_are_uniform_and_independent():
    first, second = _draws(200_000).uniforms(Stream.RUPTURE, 4)
    assert stats.kstest(first, "uniform").pvalue > 0.001
    assert stats.kstest(second, "uniform").pvalue > 0.001
    assert abs(np.corrcoef(first, second)[0, 1]) < 0.01  # 4.5 SE at n = 200k
    assert abs(np.corrcoef(first[:-1], first[1:])[0, 1]) < 0.01  # neighbouring rows
    other = _draws(200_000).uniform(Stream.RUPTURE, 5)  # next session
    assert abs(np.corrcoef(first, other)[0, 1]) < 0.01


def test_normals_are_standard_normal():
    z, w = _draws(200_000).normals(Stream.SRS, 1)
    assert stats.kstest(z, "norm").pvalue > 0.001 and stats.kstest(w, "norm").pvalue > 0.001


def test_a_rows_draws_depend_only_on_its_coordinates():
    whole = _draws(1000).uniform(Stream.DETECTION, 7)
    part = _draws(100, start=400).uniform(Stream.DETECTION, 7)
    np.testing.assert_array_equal(whole[400:500], part)
    assert not np.array_equal(whole, _draws(1000, seed=4).uniform(Stream.DETECTION, 7))


def test_clients_and_therapists_draw_apart():
    xp, keys = namespace("numpy"), np.full(10, run_key(1), np.uint64)
    clients = Draws.for_rows(xp, keys, np.arange(10), Domain.CLIENT).uniform(Stream.INTAKE, 0)
    therapists = Draws.for_rows(xp, keys, np.arange(10), Domain.THERAPIST).uniform(Stream.INTAKE, 0)
    assert not np.any(clients == therapists)
