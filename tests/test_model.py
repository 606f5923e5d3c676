"""AllianceModel: Mesa-native, agents as views, the same tables as the batch path; edits through the
views are interventions that act from the next session on and never rewrite a recorded session."""

import gc
import weakref

import mesa
import numpy as np
import pandas as pd
import pytest

from simulation.agents import THERAPIST_TRAIT_RANGES, Client, Therapist
from simulation.config import Params
from simulation.model import AllianceModel
from simulation.runs import Course, Rows, Run
from simulation.tables import simulate

# every therapist has exactly the mean traits, so an edit of all therapists equals other means
UNIFORM_THERAPISTS = dict(therapist_trait_sd=0.0)


def test_model_tables_equal_the_batch_path():
    model = AllianceModel(Params(), n_clients=250, seed=21)
    model.run_model()
    batch = simulate(Params(), 250, 21)
    for name in ("sessions", "clients", "therapists"):
        pd.testing.assert_frame_equal(getattr(model.tables(), name), getattr(batch, name), check_exact=True)


def test_step_is_one_session_and_time_advances():
    model = AllianceModel(n_clients=60, seed=2)
    model.run_for(3)
    assert model.time == 3 and model.course.session == 3
    series = model.datacollector.get_model_vars_dataframe()
    assert list(series.columns) == ["in_therapy", "mean_alliance", "ruptures", "dropouts"]
    assert len(series) == 4  # the intake state plus three sessions
    clients = model.datacollector.get_agenttype_vars_dataframe(Client)
    assert set(clients["stage"]) <= {"engagement", "exploration", "working", "resolution"}
    with pytest.raises(RuntimeError, match="still in therapy"):
        model.tables()


def test_agents_are_views_onto_the_arrays():
    model = AllianceModel(n_clients=40, seed=3)
    assert len(model.agents_by_type[Client]) == 40 and len(model.agents_by_type[Therapist]) == 2
    client = model.clients_by_row[5]
    client.bond = 0.9
    assert model.course.state.bond[5] == 0.9 and client.bond == 0.9
    with pytest.raises(ValueError, match="bond must be from 0 to 1"):
        client.bond = 1.5
    therapist = client.therapist
    therapist.empathy = 0.1
    assert all(model.course.traits.empathy[row] == 0.1 for row in therapist.rows)
    assert client in therapist.clients


def test_two_live_models_do_not_share_arrays():
    first, second = AllianceModel(n_clients=30, seed=1), AllianceModel(n_clients=30, seed=1)
    first.clients_by_row[0].bond = 0.95
    assert second.clients_by_row[0].bond != 0.95
    first.run_model()
    assert second.course.session == 0


def test_model_is_freed_after_use():
    model = AllianceModel(n_clients=30, seed=1)
    model.run_model()
    ref = weakref.ref(model)
    del model
    gc.collect()
    assert ref() is None


def test_model_is_a_mesa_model():
    model = AllianceModel(n_clients=10, seed=4)
    assert isinstance(model, mesa.Model) and model.running


def test_per_client_data_from_the_common_datacollector_call():
    """get_agent_vars_dataframe() gives one row per client and step (therapists have no per-session
    state), the same frame as the agent-type call, keyed to the tables' client_id."""
    model = AllianceModel(n_clients=30, seed=5)
    model.run_for(2)
    frame = model.datacollector.get_agent_vars_dataframe()
    pd.testing.assert_frame_equal(frame, model.datacollector.get_agenttype_vars_dataframe(Client))
    assert list(frame.columns) == ["client_id", "alliance", "stage", "in_therapy"]
    assert len(frame) == 3 * 30  # the intake state plus two sessions
    last = frame.xs(2.0, level="Step").set_index("client_id")
    assert list(last.index) == list(range(1, 31))
    assert list(last["alliance"]) == [client.alliance for client in model.clients_by_row]


def _rows_of(tables, client_id: int) -> pd.DataFrame:
    sessions = tables.sessions
    return sessions[sessions["client_id"] == client_id].set_index("session")


def test_an_edit_acts_from_the_next_session_and_leaves_recorded_sessions_alone():
    """Client 1's bond is set to 0.01 after session 1: session 1 keeps the bond it was recorded with,
    session 2 starts from the edit, and no other client's course changes."""
    edited, untouched = AllianceModel(n_clients=50, seed=1), AllianceModel(n_clients=50, seed=1)
    edited.step(), untouched.step()
    client = edited.clients_by_row[0]
    recorded = client.bond
    client.bond = 0.01
    assert client.bond == 0.01
    edited.run_model(), untouched.run_model()
    mine, theirs = _rows_of(edited.tables(), 1), _rows_of(untouched.tables(), 1)
    assert mine.loc[1, "bond"] == np.float32(recorded)
    pd.testing.assert_series_equal(mine.loc[1], theirs.loc[1])
    assert mine.loc[2, "bond"] < theirs.loc[2, "bond"]  # grown from 0.01, not from the recorded bond
    others = lambda tables: tables.sessions[tables.sessions["client_id"] != 1].reset_index(drop=True)  # noqa: E731
    pd.testing.assert_frame_equal(others(edited.tables()), others(untouched.tables()))


def test_a_goal_edit_leaves_task_alone():
    """Goal and task start equal (initial_agreement) but in arrays of their own."""
    model = AllianceModel(n_clients=20, seed=2)
    client = model.clients_by_row[3]
    task = client.task
    client.goal = 0.9
    assert client.goal == 0.9 and client.task == task
    other = model.clients_by_row[4]
    assert other.goal == other.task == Params().initial_agreement  # nobody else's goal moved either


@pytest.mark.parametrize(("name", "bounds"), sorted(THERAPIST_TRAIT_RANGES.items()))
def test_out_of_range_trait_edits_are_refused_and_not_recorded(name, bounds):
    model = AllianceModel(n_clients=20, seed=3)
    therapist = model.therapists_by_index[0]
    before = getattr(therapist, name)
    low, high = bounds
    for bad in (high + 0.5, low - 0.5, float("nan")):
        with pytest.raises(ValueError, match=rf"^{name} must be from {low:g} to {high:g}; got "):
            setattr(therapist, name, bad)
    with pytest.raises(ValueError, match=rf"^{name} must be a number from"):
        setattr(therapist, name, "high")
    assert getattr(therapist, name) == before and model.interventions.empty


def test_edits_of_ended_courses_are_refused():
    model = AllianceModel(n_clients=20, seed=4)
    model.run_model()
    with pytest.raises(ValueError, match="client 1 is no longer in therapy"):
        model.clients_by_row[0].bond = 0.5
    with pytest.raises(ValueError, match="no client of therapist 1 is still in therapy"):
        model.therapists_by_index[0].empathy = 0.5
    assert model.interventions.empty


def test_cultural_sensitivity_edit_changes_fit_of_the_mismatched_clients_only():
    model = AllianceModel(Params(cultural_sensitivity_mean=0.2, **UNIFORM_THERAPISTS), n_clients=100, seed=5)
    fit, mismatch = model.course.traits.fit.copy(), model.course.traits.mismatch
    therapist = model.therapists_by_index[1]
    mine = np.zeros(fit.size, dtype=bool)
    mine[therapist.rows] = True
    assert (mine & mismatch).any() and (mine & ~mismatch).any()
    therapist.cultural_sensitivity = 0.9
    after = model.course.traits.fit
    assert np.all(after[mine & mismatch] > fit[mine & mismatch])  # the bridge to a client's culture is wider
    np.testing.assert_array_equal(after[~(mine & mismatch)], fit[~(mine & mismatch)])


def test_trait_edits_equal_a_cohort_drawn_with_the_edited_traits():
    """Setting every therapist's cultural sensitivity and empathy before session 1 gives the same tables,
    byte for byte, as a cohort whose therapists were drawn with those values: every derived quantity
    (fit) follows the edit, and the therapists table reports the traits the kernel used."""
    edited = AllianceModel(Params(**UNIFORM_THERAPISTS), n_clients=120, seed=6)
    for therapist in edited.therapists_by_index:
        therapist.cultural_sensitivity, therapist.empathy = 0.95, 0.2
    drawn = AllianceModel(
        Params(cultural_sensitivity_mean=0.95, empathy_mean=0.2, **UNIFORM_THERAPISTS), n_clients=120, seed=6
    )
    edited.run_model(), drawn.run_model()
    for name in ("sessions", "clients", "therapists"):
        pd.testing.assert_frame_equal(getattr(edited.tables(), name), getattr(drawn.tables(), name))
    assert (edited.tables().therapists["empathy"] == 0.2).all()


def test_a_trait_edit_mid_course_shows_in_the_therapists_table_and_acts_from_the_next_session():
    edited, untouched = AllianceModel(n_clients=60, seed=7), AllianceModel(n_clients=60, seed=7)
    edited.run_for(2), untouched.run_for(2)
    edited.therapists_by_index[0].empathy = 0.05
    edited.run_model(), untouched.run_model()
    mine, theirs = edited.tables(), untouched.tables()
    assert mine.therapists.loc[0, "empathy"] == 0.05 != theirs.therapists.loc[0, "empathy"]
    pd.testing.assert_frame_equal(mine.therapists.drop(columns="empathy"), theirs.therapists.drop(columns="empathy"))
    first_two = lambda tables: tables.sessions[tables.sessions["session"] <= 2].reset_index(drop=True)  # noqa: E731
    pd.testing.assert_frame_equal(first_two(mine), first_two(theirs))
    later = lambda tables: tables.sessions.query("therapist_id == 1 and session > 2")["bond"]  # noqa: E731
    assert later(mine).mean() < later(theirs).mean()  # less warmth: slower bond growth


def test_interventions_table_lists_every_edit():
    model = AllianceModel(n_clients=40, seed=8)
    assert list(model.interventions.columns) == ["from_session", "agent_kind", "agent_id", "attribute", "old", "new"]
    client, therapist = model.clients_by_row[4], model.therapists_by_index[1]
    initial_goal = client.goal
    client.goal = 0.7
    model.run_for(3)
    drawn_bias = therapist.bias
    therapist.bias = -0.4
    log = model.interventions
    assert log.to_dict("records") == [
        dict(from_session=1, agent_kind="client", agent_id=5, attribute="goal", old=initial_goal, new=0.7),
        dict(from_session=4, agent_kind="therapist", agent_id=2, attribute="bias", old=drawn_bias, new=-0.4),
    ]


def test_only_a_course_that_keeps_its_rows_in_place_can_be_edited():
    runs = [Run(Params(), 20, 1)]
    course = Course(runs, Rows.of_runs(runs))  # compacting, as the batch path runs
    with pytest.raises(RuntimeError, match="compact=False"):
        course.edit_state("bond", np.asarray([0]), 0.5)
