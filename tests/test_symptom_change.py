"""Symptom change (dynamics.symptom_change, docs/ODD.md 7.13) keeps the sign of harm: a session on a
very weak alliance (a negative rate) lowers well-being wherever well-being stands, and, below the
level within reach, a weaker alliance never leaves a client better off than a stronger one would,
whatever valid parameters are chosen (issue 21: a negative rate times a negative gap was a gain)."""

from types import SimpleNamespace

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation import dynamics
from simulation.backend import namespace
from simulation.config import PARAMETERS, Params

xp = namespace("numpy")
SYMPTOM_PARAMETERS = (
    "change_rate",
    "alliance_effect",
    "dose_decay",
    "alliance_level_effect",
    "full_reach_alliance",
    "skill_effect",
    "challenge_gain",
    "engagement_change_factor",
    "exploration_change_factor",
    "resolution_change_factor",
    "challenge_alliance_threshold",
    "reactance_change_weight",
    "reactance_pivot",
)
unit = st.floats(0.0, 1.0, allow_nan=False)


@st.composite
def symptom_parameters(draw) -> Params:
    """Params with every parameter of the symptom submodel drawn anywhere in its valid range."""
    return Params().replace(
        **{name: draw(st.floats(PARAMETERS[name].low, PARAMETERS[name].high)) for name in SYMPTOM_PARAMETERS}
    )


@st.composite
def relations(draw) -> dict:
    """One relation's traits and state before a session: intake, attainable level (at or above
    intake, as dynamics.relation_traits makes it), the therapist's own factor on change (e^-3 to e^3),
    setback, stage and sessions attended before."""
    intake = draw(st.floats(0.0, dynamics.ORS_MAX))
    return dict(
        traits=SimpleNamespace(
            skill=np.array([draw(unit)]),
            challenge=np.array([draw(unit)]),
            resistance=np.array([draw(unit)]),
            intake=np.array([intake]),
            attainable=np.array([intake + draw(unit) * (dynamics.ORS_MAX - intake)]),
            therapist_factor=np.array([np.exp(draw(st.floats(-3.0, 3.0)))]),  # the therapist's own factor (7.1)
        ),
        stage=np.array([draw(st.sampled_from(range(len(dynamics.STAGES))))], dtype=np.int8),
        setback=np.array([draw(unit) * intake]),  # lasting harm so far, at most the intake level
        dose=np.array([draw(st.integers(0, 40))], dtype=np.int16),
    )


def after_session(params: Params, relation: dict, wellbeing: float, alliance: float, z: float = 0.0) -> float:
    """Well-being after one attended session at ``alliance``."""
    return float(
        dynamics.symptom_change(
            xp,
            params,
            relation["traits"],
            relation["stage"],
            np.array([wellbeing]),
            relation["setback"],
            np.array([alliance]),
            np.array([True]),
            relation["dose"],
            np.array([z]),
        )[0]
    )


def harms(params: Params, alliance: float) -> bool:
    """The alliance is weak enough for the session to harm (the alliance factor of the rate is negative)."""
    return 1.0 + params.alliance_effect * (alliance - 0.5) < 0.0


def test_a_harmful_session_lowers_well_being_above_the_level_within_reach():
    """The issue's case: alliance_effect 8, well-being 25 above the level within reach. A strong
    alliance brings it down to that level; alliance 0.2 (a harmful session) used to lift it."""
    params = Params(alliance_effect=8.0)
    relation = dict(
        traits=SimpleNamespace(
            skill=np.array([0.5]),
            challenge=np.array([0.0]),
            resistance=np.array([0.3]),
            intake=np.array([15.0]),
            attainable=np.array([20.0]),
            therapist_factor=np.array([1.0]),
        ),
        stage=np.array([dynamics.WORKING], dtype=np.int8),
        setback=np.array([0.0]),
        dose=np.array([2], dtype=np.int16),
    )
    assert harms(params, 0.2) and not harms(params, 0.7)
    assert after_session(params, relation, 25.0, 0.2) < 25.0
    assert after_session(params, relation, 25.0, 0.7) < 25.0  # towards the level within reach


@settings(max_examples=150, deadline=None)
@given(params=symptom_parameters(), relation=relations(), wellbeing=st.floats(0.0, dynamics.ORS_MAX), alliance=unit)
def test_harm_never_raises_well_being(params, relation, wellbeing, alliance):
    if harms(params, alliance):
        assert after_session(params, relation, wellbeing, alliance) <= wellbeing


@settings(max_examples=150, deadline=None)
@given(
    params=symptom_parameters(),
    relation=relations(),
    place=unit,
    alliances=st.tuples(unit, unit).map(sorted),
    z=st.floats(-3.0, 3.0),
    noise=st.floats(0.0, 10.0),
)
def test_a_weaker_alliance_never_leaves_a_client_better_off_below_the_level_within_reach(
    params, relation, place, alliances, z, noise
):
    """Well-being anywhere from 0 to the lowest level within reach (intake - setback: no alliance
    puts less in reach), the same noise draw for both: the weaker alliance's session ends no higher.
    (Above the level within reach both sessions draw well-being down to it, a stronger alliance
    faster: the level is an attractor, docs/ODD.md 7.13.)"""
    params = params.replace(symptom_noise_sd=noise)
    wellbeing = place * float(relation["traits"].intake[0] - relation["setback"][0])
    weak, strong = alliances
    assert after_session(params, relation, wellbeing, weak, z) <= after_session(params, relation, wellbeing, strong, z)
