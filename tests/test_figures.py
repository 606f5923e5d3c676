"""The figure registry: one definition per figure, one session convention (each client's own calendar),
and the instrument figures computed from tables already simulated."""

import numpy as np
import pandas as pd
import pytest

from simulation import dynamics, measures
from simulation.config import Params
from simulation.figures import windows
from simulation.figures.registry import (
    CALIBRATION,
    FAMILY_FIGURES,
    FIGURES,
    FORMAT_CALIBRATION,
    GROUP_FIGURES,
    INSTRUMENT,
    MEMBER_FIGURES,
    OUTCOME_SHARES,
    RUN_FIGURES,
    run_figures,
)
from simulation.instruments import administer, instrument_figures
from simulation.instruments.items import WaiSchedule
from simulation.synthetic import generate
from simulation.tables import simulate

SESSION = windows.DOSE_RESPONSE_SESSION


@pytest.fixture(scope="module")
def open_groups():
    """Open groups joined every 2 sessions: a late joiner's own session 8 is a later group session."""
    return simulate(Params(open_groups=True, admission_interval=2), 600, 11, format="group")


def test_every_published_figure_has_its_band_and_source():
    for figure in (*CALIBRATION, *FORMAT_CALIBRATION.values(), *INSTRUMENT):
        assert figure.low < figure.high and figure.source and figure.unit and figure.meaning, figure.name
        assert figure.aim is None or figure.low <= figure.aim <= figure.high, figure.name


def test_no_two_figures_share_a_name():
    defined = [*CALIBRATION, *FORMAT_CALIBRATION.values(), *OUTCOME_SHARES, *MEMBER_FIGURES]
    defined += [*GROUP_FIGURES, *FAMILY_FIGURES, *INSTRUMENT]
    assert len(FIGURES) == len(defined)


def test_instrument_figures_are_not_computed_from_tables(open_groups):
    with pytest.raises(TypeError, match="item scores"):
        INSTRUMENT[0](open_groups)


def test_run_figures_hold_every_run_figure_and_the_formats(open_groups):
    values = run_figures(open_groups, "group")
    assert [*values][: len(RUN_FIGURES)] == [figure.name for figure in RUN_FIGURES]
    assert values["group_alliance_r"] == pytest.approx(measures.early_alliance_outcome_r(open_groups.clients))


def late_joiners(tables) -> pd.Series:
    return tables.clients.set_index("client_id")["first_session"] > 1


def test_a_late_joiner_is_improved_by_its_own_session_8(open_groups):
    sessions, clients = open_groups.sessions, open_groups.clients
    assert late_joiners(open_groups).sum() > 50
    there = sessions[(sessions["member_session"] == SESSION) & sessions["attended"]]
    intake = there["client_id"].map(clients.set_index("client_id")["ors_intake"]).astype(float)
    expected = float(np.mean(there["ors"].astype(float) - intake >= dynamics.RELIABLE_CHANGE))
    assert measures.improved_by_session(sessions, clients, SESSION) == pytest.approx(expected, abs=1e-12)
    # on the group's calendar a late joiner's session 8 would be an earlier session of its own
    group_calendar = sessions.drop(columns="member_session")
    assert measures.improved_by_session(group_calendar, clients, SESSION) != pytest.approx(expected, abs=1e-6)


def test_gain_per_session_is_by_the_members_own_session(open_groups):
    gains = measures.gain_per_session(open_groups.sessions)
    assert gains.index.max() == open_groups.sessions["member_session"].max()
    assert np.isnan(gains.loc[1])  # nobody gains at their own first session


def test_the_wai_schedule_is_on_each_members_own_sessions(open_groups):
    sessions = open_groups.sessions
    given = WaiSchedule(sessions=(3, 5, 8), last=False).given(sessions)
    late = sessions["client_id"].map(late_joiners(open_groups)).to_numpy()
    own = sessions["member_session"].to_numpy()
    assert given[late].any()
    assert np.isin(own[given], (3, 5, 8)).all()
    assert (given == (np.isin(own, (3, 5, 8)) & sessions["attended"].to_numpy())).all()


def test_instrument_figures_of_a_sessions_table_match_the_synthetic_data_set():
    """The calibration's item-level figures need no second simulation: the same cohort measured from
    its sessions table gives the synthetic data set's figures (whole caseloads, same seed)."""
    params = Params(clients_per_therapist=10)
    data = generate(params, therapists=6, seed=7)
    sessions = simulate(params, 60, 7).sessions
    assert instrument_figures(sessions, params, 7).values() == data.figures.values()
    long, _ = administer(sessions, params, 7)
    pd.testing.assert_frame_equal(long, data.sessions[long.columns])  # the data set adds the empathy scale
