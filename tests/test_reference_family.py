"""The family format of the kernel against the per-agent family reference (benchmarks/reference.py:
ReferenceFamilyModel, the same rules written per agent, with Mesa's generator). They share no random
numbers, so they are compared in distribution, as in tests/test_reference_agreement.py: every figure
within 4 cluster-robust standard errors of the difference (therapists as clusters), on one cohort of
each with fixed seeds; and a kernel that differs by one mechanism is caught."""

from __future__ import annotations

import pytest

from benchmarks import reference
from simulation.config import Params
from simulation.presets import apply_presets
from simulation.tables import Tables, simulate
from tests.test_reference_agreement import Z_TOLERANCE, clustered_mean, compare, feedback_figures, figures, report

N_MEMBERS = 9_000


def family_figures(tables: Tables) -> dict[str, tuple[float, float]]:
    """The individual figures, plus the early alliance of each role and the family's ending."""
    out = figures(tables)
    clients = tables.clients
    for role in ("parent", "adolescent"):
        rows = clients[(clients["role"] == role) & clients["alliance_early"].notna()]
        out[f"{role} early alliance"] = clustered_mean(
            rows["alliance_early"].to_numpy(), rows["therapist_id"].to_numpy()
        )
    ended = clients.groupby("unit_id")["sessions_scheduled"].nunique()
    out["families that end together"] = (float((ended == 1).mean()), 0.0)
    return out


@pytest.fixture(scope="module")
def reference_families() -> Tables:
    return reference.simulate_family(Params(), N_MEMBERS, seed=20240611)


def test_family_kernel_and_reference_agree_in_distribution(reference_families):
    table = compare(reference_families, simulate(Params(), N_MEMBERS, 20240612, format="family"), family_figures)
    print(report(table))
    beyond = list(table.index[table["z"].abs() > Z_TOLERANCE])
    assert not beyond, f"figures beyond {Z_TOLERANCE} SE: {beyond}" + report(table)


@pytest.mark.parametrize(
    "change",
    [{"therapist_neutrality": 0.0, "siding_effect": 0.5}, {"split_dropout_weight": 8.0}],
    ids=["siding", "split weight"],
)
def test_the_family_check_catches_a_rule_mismatch(reference_families, change):
    """A kernel whose family mechanism differs from the reference's falls outside the tolerance."""
    table = compare(
        reference_families, simulate(Params(**change), N_MEMBERS, 20240612, format="family"), family_figures
    )
    assert (table["z"].abs() > Z_TOLERANCE).any(), report(table)


@pytest.mark.slow
def test_family_kernel_and_reference_agree_with_feedback_on():
    """With the monitoring preset, each member is monitored and acted on (ODD 7.18) alike in both: the
    family figures and the per-member signals, sessions acted on and sessions added agree within 4 SE."""
    params = apply_presets(["monitoring"], Params())
    table = compare(
        reference.simulate_family(params, N_MEMBERS, seed=20240613),
        simulate(params, N_MEMBERS, 20240614, format="family"),
        lambda tables: family_figures(tables) | feedback_figures(tables),
    )
    assert table.loc["sessions_added", "reference"] > 0.1, report(table)  # the feedback acts
    beyond = list(table.index[table["z"].abs() > Z_TOLERANCE])
    assert not beyond, f"figures beyond {Z_TOLERANCE} SE: {beyond}" + report(table)
