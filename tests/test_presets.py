"""Each preset moves the cohort the way its one-line summary says (same clients, same seed).

Presets hold absolute values, so a recalibration of the defaults could silently turn one around:
these checks catch that."""

import pytest

from simulation import measures
from simulation.config import Params
from simulation.presets import apply_presets
from simulation.tables import simulate

N, SEED = 3000, 5


def figures(params):
    tables = simulate(params, N, SEED)
    clients, sessions = tables.clients, tables.sessions
    insecure = clients[clients["attachment"] != "secure"]
    return {
        "dropout": clients["dropped_out"].mean(),
        "missed": 1 - sessions["attended"].mean(),
        "resolved": clients["ruptures_resolved"].sum() / clients["ruptures"].sum(),
        "goal_at_5": sessions[sessions["session"] == 5]["goal"].mean(),
        "insecure_early_alliance": insecure["alliance_early"].mean(),
        "clients": clients,
    }


@pytest.fixture(scope="module")
def default():
    return figures(Params())


@pytest.mark.parametrize(
    "preset, figure, direction",
    [
        ("reparative", "resolved", +1),
        ("reparative", "dropout", -1),
        ("transpersonal", "goal_at_5", +1),
        ("attachment_based", "insecure_early_alliance", +1),
        ("substance_use", "dropout", +1),
        ("substance_use", "missed", +1),
        ("online", "resolved", -1),
    ],
)
def test_preset_moves_the_cohort_as_described(default, preset, figure, direction):
    value = figures(apply_presets([preset]))[figure]
    assert (value - default[figure]) * direction > 0, (preset, figure, value, default[figure])


def test_substance_use_completion_depends_more_on_the_alliance(default):
    """Completion of the top vs the bottom tercile of early alliance (a ratio of rates) is larger under
    the substance-use preset than under the defaults (its band is checked in test_calibration.py)."""
    substance_use = figures(apply_presets(["substance_use"]))["clients"]
    assert measures.completion_ratio(substance_use) > measures.completion_ratio(default["clients"])
