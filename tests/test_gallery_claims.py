"""Each figure of ``alliance figures`` states its claim in its title; these tests check each claim on
the data the figure draws (simulation.viz.data, as the gallery computes it), for cohorts of the size
the lesson runs (2,000 clients) over three seeds, with intervals where the claim compares."""

import numpy as np
import pandas as pd
import pytest

from simulation.config import Params
from simulation.figures.windows import DOSE_RESPONSE_SESSION, EARLY_DROPOUT_SESSIONS
from simulation.tables import simulate
from simulation.viz import data

SEEDS, CLIENTS = (1, 2, 3), 2000


@pytest.fixture(scope="module", params=SEEDS)
def cohort(request):
    """A default cohort of the lesson's size."""
    return simulate(Params(), CLIENTS, request.param)


def final_alliance(sessions: pd.DataFrame) -> pd.Series:
    return sessions.sort_values(["client_id", "session"]).groupby("client_id")["alliance"].last()


def test_trajectories_typical_repaired_client_ends_above_the_typical_unrepaired_one(cohort):
    """trajectories: the median clients (by final alliance) of 'every rupture repaired' and 'no
    rupture repaired': the first ends higher, and so do the groups (difference of means, 95% interval)."""
    picked = data.typical_clients(cohort.sessions)
    final = final_alliance(cohort.sessions)
    repaired, unrepaired = data.EXAMPLE_GROUPS[:2]
    assert final[picked[repaired]] > final[picked[unrepaired]]
    events = data.rupture_events(cohort.sessions)
    every, none = events.groupby("client_id")["resolved"].all(), ~events.groupby("client_id")["resolved"].any()
    groups = [final[every.index[every]], final[none.index[none]]]
    difference = groups[0].mean() - groups[1].mean()
    half = 1.96 * np.sqrt(sum(group.var() / len(group) for group in groups))
    assert difference - half > 0


def test_typical_client_is_the_median_of_its_group():
    """The rule, on a known answer: of clients ending at 0.2, 0.5, 0.9 without a rupture, the one at 0.5."""
    sessions = pd.DataFrame(
        {"client_id": [1, 2, 3], "session": 1, "alliance": [0.9, 0.2, 0.5], "rupture": False, "rupture_resolved": False}
    )
    assert data.typical_clients(sessions) == {"no rupture": 3}


def test_v_shape_dips_below_the_no_rupture_course_and_repair_climbs_above_it(cohort):
    """v_shape: at the rupture the alliance of both repaired-later and unrepaired ruptures is below
    the no-rupture course of the same sessions (intervals apart); repaired, it is above that course
    from two sessions on; not repaired, it stays below it through six sessions."""
    v = data.v_shape(cohort.sessions).set_index(["group", "offset"])
    later, _, unrepaired = data.V_GROUPS
    for group in (later, unrepaired):
        assert v.loc[(group, 0), "high"] < v.loc[(group, 0), "baseline_low"]
    for offset in range(2, 7):
        assert v.loc[(later, offset), "low"] > v.loc[(later, offset), "baseline_high"]
    for offset in range(0, 7):
        assert v.loc[(unrepaired, offset), "high"] < v.loc[(unrepaired, offset), "baseline_low"]


def test_outcomes_by_repair_skill_thirds_differ_by_less_than_ten_points(cohort):
    """outcomes_by_repair_skill: in one cohort, no outcome share differs by 10 points or more
    between two thirds of therapists by repair skill."""
    thirds = data.therapist_tercile(cohort.clients, cohort.therapists, "repair_skill")
    shares = data.outcomes_by(thirds, cohort.clients["outcome"])
    assert (shares.max() - shares.min()).max() < 0.10


def test_dropout_survival_is_steepest_in_the_first_sessions(cohort):
    """dropout_survival: the weekly dropout hazard of the first sessions is above that of the later
    ones (Wilson intervals apart)."""
    early = data.dropout_hazard(cohort.clients, 1, EARLY_DROPOUT_SESSIONS)
    later = data.dropout_hazard(cohort.clients, EARLY_DROPOUT_SESSIONS + 1, Params().course_length)
    assert early[1] > later[2]


def test_dose_response_climbs_and_is_in_the_published_band_at_session_8(cohort):
    """dose_response: the share reliably improved rises from session 2 to 5 and lies in 35-65% at
    session 8 (Howard et al. 1986)."""
    curve = data.dose_response(cohort.sessions, cohort.clients).set_index("session")["improved"]
    assert curve.loc[2:5].is_monotonic_increasing
    assert 0.35 <= curve.loc[DOSE_RESPONSE_SESSION] <= 0.65


@pytest.mark.parametrize("seed", SEEDS)
def test_cohesion_is_lower_for_members_who_saw_ruptures_left_unresolved(seed):
    """cohesion (group runs): in every group session from the third on, the mean cohesion of members
    whose net witnessing ended negative is below the others' (95% intervals apart, pooled sessions)."""
    tables = simulate(Params(), CLIENTS, seed, format="group")
    sessions = tables.sessions.assign(cohesion=tables.sessions["cohesion"])
    summary = data.cohesion_by_session(sessions, tables.clients)
    table = summary.pivot(index="session", columns="group", values="mean").loc[3:]
    unresolved, rest = data.WITNESS_GROUPS
    assert (table[unresolved] < table[rest]).all()


@pytest.mark.parametrize("seed", SEEDS)
def test_families_drop_out_most_when_split_widest(seed):
    """split_dropout (family runs): the weekly dropout rate of the widest-split fifth of family-weeks
    is the highest of the five and above the narrowest fifth's (Wilson intervals apart)."""
    tables = simulate(Params(), CLIENTS, seed, format="family")
    table = data.split_dropout(tables.sessions, tables.units)
    assert table["rate"].idxmax() == len(table) - 1
    assert table["low"].iloc[-1] > table["high"].iloc[0]
