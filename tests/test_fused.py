"""The fused kernel (backend "numba", the default; simulation.jit) against the array-API reference
kernel (backend "numpy", simulation.dynamics): value for value.

The fused loop computes every submodel with the array kernel's operations in the array kernel's order
and takes numpy's own exp, log, cos and sin wherever a value (not only a comparison) depends on them,
so the tables are equal bit for bit. The one stated tolerance (docs/performance.md): where the fused
loop decides ``u < logistic(x)`` or counts repair steps with the C library's exp and log, a draw within
one unit in the last place of its threshold could fall the other way (about 1e-16 per draw; never seen).
The cohorts below mix what each format adds: stacked runs with different parameters, open groups,
the group's cushion of rupture harm (a different share per run), families of five, routine outcome
monitoring on, and the therapist knobs (their own factor on change).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulation.config import Params
from simulation.jit.session import _below_logistic, _logistic
from simulation.runs import Rows, Run, simulate_rows
from simulation.tables import build_tables

CASES = {
    "individual, two runs": ("individual", {}, {"repair_skill_mean": 0.75, "feedback_enabled": True}),
    "dropout on well-being (MNAR dial)": ("individual", {"dropout_wellbeing_weight": 1.5}, {}),
    "therapist knobs, per-row in the second run": (
        "individual",
        {"therapist_outcome_sd": 0.8, "therapist_alliance_outcome_effect": -0.6},
        {"therapist_alliance_outcome_effect": 1.2, "therapist_trait_sd": 0.2},
    ),
    "open groups, feedback on": (
        "group",
        {"open_groups": True, "feedback_enabled": True, "therapist_outcome_sd": 0.5},
        {"group_size": 5},
    ),
    "closed groups, rupture cushion per run": (
        "group",
        {"leader_rupture_cushion": 0.6, "cohesion_weight": 0.7},
        {"leader_rupture_cushion": 1.0},
    ),
    "families of five, feedback on": ("family", {"family_size": 5, "feedback_enabled": True}, {"family_size": 3}),
}


def tables_of(backend: str, format_name: str, first: dict, second: dict):
    runs = [Run(Params(**first), 400, 31, format_name), Run(Params(**{**first, **second}), 357, 32, format_name)]
    return build_tables(runs, simulate_rows(runs, Rows.of_runs(runs), backend), run_column=True)


@pytest.mark.parametrize("case", CASES)
def test_fused_tables_equal_the_array_kernels(case):
    """Every table of a pass (sessions, clients, therapists, units) is the same, value for value."""
    fused, reference = (tables_of(backend, *CASES[case]) for backend in ("numba", "numpy"))
    assert len(fused.sessions) > 6_000
    for name in ("sessions", "clients", "therapists", "units"):
        pd.testing.assert_frame_equal(getattr(fused, name), getattr(reference, name), check_exact=True)


def test_a_changed_rule_shows():
    """The comparison can fail: the fused kernel on other parameters gives other tables."""
    fused = tables_of("numba", "individual", {"rupture_base_logit": -2.0}, {})
    reference = tables_of("numpy", "individual", {}, {})
    assert not fused.clients["ruptures"].equals(reference.clients["ruptures"])


def test_logistic_bound_decides_as_the_logistic():
    """The exp-free shortcut of ``u < logistic(x)`` decides every case of a grid as the full logistic
    (C library exp) does, at the threshold itself too, and as numpy's logistic does one part in 1e9
    off the threshold (at it, the two exp may differ in the last bit: the stated tolerance)."""
    for x in np.linspace(-12.0, 3.0, 301):
        threshold = 1.0 / (1.0 + np.exp(-x))
        for u in (threshold * (1 - 1e-9), threshold, threshold * (1 + 1e-9), 0.5, 0.01, 0.99, 1e-6):
            assert _below_logistic(u, x) == (u < _logistic(x)), (u, x)
            if u != threshold:
                assert _below_logistic(u, x) == (u < threshold), (u, x)


def test_the_manifest_names_the_kernel(tmp_path):
    """A run's manifest records the backend that made it and numba's version."""
    from simulation.cli import main

    assert main(["run", "--clients", "60", "--seed", "3", "--out", str(tmp_path / "run")]) == 0
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert manifest["backend"] == "numba" and manifest["versions"]["numba"][0].isdigit()


def test_a_changed_layout_flushes_the_compiled_cache(monkeypatch, tmp_path):
    """numba reloads cached code while the function's own file is unchanged: a changed parameter list
    (or trait, state or code) must flush it. The cache is tagged with the layout's fingerprint; a
    different fingerprint flushes every kernel's cache, the same one none."""
    from simulation.jit import cache
    from simulation.jit.stepper import KERNELS

    flushed = []
    for kernel in KERNELS:
        monkeypatch.setattr(kernel._cache, "flush", lambda kernel=kernel: flushed.append(kernel))
    tag = Path(KERNELS[0]._cache._cache_path) / cache.TAG
    assert tag.read_text() == cache.fingerprint()
    cache.refresh(KERNELS)
    assert flushed == []
    current = cache.fingerprint()
    monkeypatch.setattr(cache, "fingerprint", lambda: "a parameter was added")
    try:
        cache.refresh(KERNELS)
        assert len(flushed) == len(KERNELS) and tag.read_text() == "a parameter was added"
    finally:
        tag.write_text(current)


def test_the_loops_read_only_columns_the_matrix_holds():
    """The trait matrix holds the traits the fused loops read and nothing else: every ``T.name`` in
    the loops' source is a column of it (a trait read but not added to ``tables.READ`` fails here, by
    name), and every column is read by a loop (none carried for nothing)."""
    import ast

    from simulation.jit import formats, session, tables

    read = set()
    for module in (session, formats):
        tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
        read |= {
            node.attr
            for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "T"
        }
    held = set(tables.T.__members__)
    assert read - held == set(), f"read by the loops but not in the trait matrix (add to tables.READ): {read - held}"
    assert held - read == set(), f"in the trait matrix but read by no loop: {held - read}"
    assert set(tables.READ) <= set(tables.TraitArrays._fields)


def test_fused_draws_are_the_backends_numbers():
    """FusedDraws (hashes and Box-Muller steps in fused loops, numpy's log, cos and sin) gives
    backend.Draws' numbers to the bit: uniform and normal processes, a process of several draws, a
    matrix of keys (the group's pairs), rows taken, and draws in kept buffers, whose next draw of the
    same stream overwrites them."""
    from simulation.backend import Domain, Draws
    from simulation.jit.draws import FusedDraws

    keys = np.arange(1_001, dtype=np.uint64) * np.uint64(7919)
    for domain, names, several in (
        (Domain.CLIENT, ("attachment", "culture", "intake"), "client_traits"),
        (Domain.THERAPIST, ("therapist_bias", "therapist_style"), "therapist_traits"),
    ):
        reference, fused = Draws.for_rows(np, keys, keys, domain), FusedDraws.for_rows(np, keys, keys, domain)
        for session in (0, 3):
            for expected, got in zip(reference.sample(names, session), fused.sample(names, session), strict=True):
                np.testing.assert_array_equal(got, expected, strict=True)
        for expected, got in zip(reference.sample_all(several), fused.sample_all(several), strict=True):
            np.testing.assert_array_equal(got, expected, strict=True)
    pairs = Draws(np, keys.reshape(143, 7), Domain.PAIR), FusedDraws(np, keys.reshape(143, 7), Domain.PAIR)
    for draws in (pairs, tuple(draws.take(np.arange(0, 143, 3)) for draws in pairs)):
        for name in ("initial_tie", "member_rupture"):
            np.testing.assert_array_equal(draws[1].sample((name,), 2)[0], draws[0].sample((name,), 2)[0], strict=True)
    kept = FusedDraws.for_rows(np, keys, keys, Domain.CLIENT).kept()
    first = kept.sample(("symptom_noise",), 1)[0]
    np.testing.assert_array_equal(first, Draws.for_rows(np, keys, keys, Domain.CLIENT).sample(("symptom_noise",), 1)[0])
    assert kept.sample(("symptom_noise",), 2)[0] is first
