"""AllianceModel: Mesa-native, agents as views, the same tables as the batch path."""

import gc
import weakref

import mesa
import pandas as pd
import pytest

from simulation.agents import Client, Therapist
from simulation.config import Params
from simulation.model import AllianceModel
from simulation.tables import simulate


def test_model_tables_equal_the_batch_path():
    model = AllianceModel(Params(), n_clients=250, seed=21)
    model.run_model()
    batch = simulate(Params(), 250, 21)
    for name in ("sessions", "clients", "therapists"):
        pd.testing.assert_frame_equal(getattr(model.tables(), name), getattr(batch, name))


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
