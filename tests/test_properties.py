"""Property tests over the parameter space (hypothesis): whatever valid parameters a user picks,
states stay in bounds, nothing is NaN that should not be, and the tables add up."""

import numpy as np
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from simulation.config import PARAMETERS, ParameterError, Params
from simulation.tables import simulate


@st.composite
def parameter_sets(draw):
    """Valid Params with a random subset of parameters drawn anywhere in their ranges (sets that
    break a cross-field rule are rejected)."""
    names = draw(st.lists(st.sampled_from(sorted(PARAMETERS)), min_size=1, max_size=12, unique=True))
    changes = {}
    for name in names:
        spec = PARAMETERS[name]
        if spec.kind is bool:
            changes[name] = draw(st.booleans())
        elif spec.kind is int:
            changes[name] = draw(st.integers(int(spec.low), int(spec.high)))
        else:
            changes[name] = draw(st.floats(spec.low, spec.high, allow_nan=False))
    try:
        return Params().replace(**changes)
    except ParameterError:  # a cross-field rule, e.g. anxious + avoidant shares above 1
        reject()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(params=parameter_sets(), seed=st.integers(0, 2**32))
def test_any_valid_parameters_give_sound_tables(params, seed):
    tables = simulate(params, 60, seed)
    sessions, clients = tables.sessions, tables.clients
    for column in ("bond", "goal", "task", "alliance", "alliance_therapist"):
        values = sessions[column].to_numpy()
        if column == "alliance_therapist":  # rated after attended sessions only
            assert np.isnan(values[~sessions["attended"].to_numpy()]).all()
            values = values[sessions["attended"].to_numpy()]
        assert not np.isnan(values).any() and values.min() >= 0 and values.max() <= 1, column
    assert sessions["ors"].dropna().between(0, 40).all() and sessions["srs"].dropna().between(0, 40).all()
    extension = params.feedback_session_cap if params.feedback_enabled else 0  # sessions that signals may add
    assert sessions["session"].max() <= params.course_length + extension
    assert clients["outcome"].value_counts().sum() == len(clients) == 60
    assert clients["ors_intake"].notna().all() and clients["ors_final"].notna().all()
    assert (clients["ruptures_resolved"] + clients["ruptures_unresolved"] == clients["ruptures"]).all()
    assert (clients["sessions_attended"] >= 1).all()
    assert (clients["sessions_attended"] <= clients["sessions_scheduled"]).all()
    if not params.repair_enabled:
        assert clients["ruptures_resolved"].sum() == 0
