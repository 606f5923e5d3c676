"""Submodels of the session update, each on its own and in a running cohort."""

import dataclasses

import numpy as np
import pytest

from simulation import dynamics, measures
from simulation.backend import namespace
from simulation.config import Params
from simulation.runs import Course, Rows, Run
from simulation.tables import simulate

xp = namespace("numpy")

# therapists who always notice and whose repair steps always succeed
ALWAYS_REPAIR = dict(
    attunement_mean=1.0,
    therapist_trait_sd=0.0,
    withdrawal_visibility=1.0,
    online_visibility=1.0,
    openness_effect=0.0,
    repair_base_logit=10.0,
    repair_skill_effect=0.0,
)
# the rupture risk factors of a typical relation
TYPICAL_RISKS = dict(
    attunement=0.7,
    attachment=dynamics.SECURE,
    transference=0.2,
    defensiveness=0.2,
    mismatch=False,
    cultural_sensitivity=0.5,
    pitfalls=0.1,
    fit=0.8,
    challenge=0.3,
    resistance=0.3,
)
# therapists who never notice a rupture, and get no SRS alerts
NEVER_NOTICE = dict(attunement_mean=0.0, therapist_trait_sd=0.0, feedback_use_mean=0.0)


def test_v_shape_lifts_each_component_above_its_pre_rupture_level():
    params = Params()
    before, current, severity = np.array([0.5, 0.7]), np.array([0.3, 0.55]), np.array([0.1, 0.2])
    rebuilt = dynamics.v_shape(xp, params, current, before, severity, np.array([True, False]))
    assert rebuilt[0] == pytest.approx(0.5 + params.repair_gain * 0.1)
    assert rebuilt[1] == current[1]  # not resolved: unchanged


def test_resolved_ruptures_leave_the_alliance_higher_than_before_them():
    sessions = simulate(Params(**ALWAYS_REPAIR), 400, 3).sessions
    ruptures = sessions[sessions["rupture"]]
    assert len(ruptures) > 50 and ruptures["rupture_resolved"].all()  # noticed and repaired at once
    previous = sessions.set_index(["client_id", "session"])["alliance"]
    later = ruptures[ruptures["session"] > 1]
    before = previous.reindex(list(zip(later["client_id"], later["session"] - 1, strict=False))).to_numpy()
    after = later["alliance"].to_numpy()
    assert np.all((after > before) | (after == 1.0))  # at the top of the scale it cannot rise


FIELDS = ("unresolved", "ceiling")  # the fused kernel updates the state in place: keep what is compared


def test_no_detection_means_no_repair_and_a_lasting_deficit():
    """Unnoticed ruptures are never repaired. Each that expires lowers the ceiling by
    unresolved_deficit x its severity (not under 0.2), and bond, goal and task stay under the ceiling
    from then on: session by session, on every relation."""
    params = Params(**NEVER_NOTICE)
    runs = [Run(params, 400, 3)]
    course = Course(runs, Rows.of_runs(runs), compact=False)  # rows stay in place, session after session
    lowered = 0
    while course.running:
        before = dataclasses.replace(course.state, **{name: getattr(course.state, name).copy() for name in FIELDS})
        course.advance()
        after = course.state
        expired = after.unresolved > before.unresolved
        deficit = np.clip(before.ceiling - params.unresolved_deficit * after.severity, 0.2, 1.0)
        np.testing.assert_array_equal(after.ceiling, np.where(expired, deficit, before.ceiling))
        for component in (after.bond, after.goal, after.task):
            assert np.all(component <= after.ceiling)
        lowered += int(np.sum(after.ceiling < before.ceiling))
    assert course.state.ruptures.sum() > 50 and course.state.resolved.sum() == 0
    assert lowered > 20 and np.all(course.state.ceiling[course.state.unresolved > 0] < 1.0)


def test_repair_disabled_resolves_nothing_on_the_same_clients(cohort):
    without = simulate(Params(repair_enabled=False), 800, 11)
    assert without.clients["ruptures_resolved"].sum() == 0
    first = lambda t: t.sessions[t.sessions["session"] == 1]["rupture"].to_numpy()  # noqa: E731
    np.testing.assert_array_equal(first(cohort), first(without))  # common random numbers


def test_repair_steps_are_geometric():
    """The number of steps done in one session is min(5, successes before the first failure)."""
    n, chance = 200_000, 0.6
    params = Params(repair_base_logit=float(np.log(chance / (1 - chance))), repair_skill_effect=0.0)
    traits = type("T", (), {"repair_skill": np.zeros(n), "defensiveness": np.zeros(n)})
    u = np.random.default_rng(0).random(n)
    steps = dynamics.repair(xp, params, traits, np.zeros(n, np.int16), np.ones(n, bool), u)
    for k in range(1, dynamics.REPAIR_STEPS + 1):
        assert np.mean(steps >= k) == pytest.approx(chance**k, abs=0.005)  # > 4 SE
    unchanged = dynamics.repair(xp, params, traits, np.full(n, 2, np.int16), np.zeros(n, bool), u)
    assert np.all(unchanged == 2)  # not repairing: no progress


def test_detection_chance_follows_attunement_visibility_and_srs():
    params = Params(withdrawal_visibility=0.5, online_visibility=0.6, openness_effect=0.0, srs_detection_boost=0.5)
    n = 100_000
    traits = type("T", (), {"attunement": np.full(n, 0.8), "online": np.zeros(n, bool), "openness": np.full(n, 0.5)})
    u = np.random.default_rng(1).random(n)
    confrontation = np.full(n, dynamics.CONFRONTATION, np.int8)
    withdrawal = np.full(n, dynamics.WITHDRAWAL, np.int8)
    no_alert, alert = np.zeros(n, bool), np.ones(n, bool)
    assert dynamics.detection(xp, params, traits, confrontation, no_alert, u).mean() == pytest.approx(0.8, abs=0.01)
    assert dynamics.detection(xp, params, traits, withdrawal, no_alert, u).mean() == pytest.approx(0.4, abs=0.01)
    assert dynamics.detection(xp, params, traits, withdrawal, alert, u).mean() == pytest.approx(0.7, abs=0.01)
    traits.online = np.ones(n, bool)
    assert dynamics.detection(xp, params, traits, withdrawal, no_alert, u).mean() == pytest.approx(0.24, abs=0.01)


def test_rupture_hazard_rises_with_each_risk_factor():
    params, n = Params(), 4

    def hazard(stage=dynamics.WORKING, agreement=0.7, alliance=0.7, **changes):
        traits = type("T", (), {k: np.full(n, v) for k, v in {**TYPICAL_RISKS, **changes}.items()})
        return dynamics.rupture_hazard(
            xp, params, traits, np.full(n, stage), np.full(n, agreement), np.full(n, agreement), np.full(n, alliance)
        )[0]

    reference = hazard()
    for changes in [
        dict(attunement=0.3),
        dict(attachment=dynamics.ANXIOUS),
        dict(transference=0.8),
        dict(defensiveness=0.8),
        dict(mismatch=True),
        dict(pitfalls=0.8),
        dict(fit=0.2),
        dict(stage=dynamics.ENGAGEMENT),
        dict(agreement=0.2),
        dict(alliance=0.2),
    ]:
        assert hazard(**changes) > reference, changes


def test_early_sessions_help_most(cohort):
    """Dose-response: the mean ORS gain between attended sessions falls over the course."""
    per_session = measures.gain_per_session(cohort.sessions)
    assert per_session.loc[2:3].mean() > per_session.loc[7:9].mean() > 0


def test_stages_are_entered_in_order(cohort):
    """Stages move forward one at a time, or straight to resolution when the planned course is
    nearly done; the only way back is a regression from the working phase to exploration."""
    stages = cohort.sessions.sort_values(["client_id", "session"])
    code = stages["stage"].cat.codes.astype(int)
    step = code.groupby(stages["client_id"]).diff()
    jumps = stages[step > 1]
    assert (jumps["stage"] == "resolution").all()
    assert (jumps["session"] > Params().course_length - Params().resolution_sessions).all()
    assert set(stages.loc[step[step < 0].index, "stage"]) <= {"exploration"}
    assert step.min() >= -1
    assert (stages[stages["session"] == 1]["stage"] == "engagement").all()


def test_challenge_trade_off():
    """Challenge speeds change on a strong alliance (for a client low in resistance: reactance, 7.17)
    and provokes confrontation on a weak one."""
    params = Params()
    n = 4
    traits = type(
        "T",
        (),
        dict(
            challenge=np.array([0.0, 1.0, 0.0, 1.0]),
            resistance=np.full(n, 0.1),
            skill=np.full(n, 0.5),
            intake=np.full(n, 15.0),
            attainable=np.full(n, 30.0),
            therapist_factor=np.ones(n),
        ),
    )
    strong = np.full(n, 0.9)
    change = dynamics.symptom_change(
        xp,
        params,
        traits,
        np.full(n, dynamics.WORKING),
        np.full(n, 15.0),
        np.zeros(n),
        strong,
        np.ones(n, bool),
        np.zeros(n, np.int16),
        np.zeros(n),
    )
    assert change[1] > change[0]
    weak = np.full(n, 0.3)
    traits = type(
        "T", (), {**{k: np.full(n, v) for k, v in TYPICAL_RISKS.items()}, "challenge": np.array([0.0, 1.0, 0.0, 1.0])}
    )
    hazard = dynamics.rupture_hazard(xp, params, traits, np.full(n, dynamics.WORKING), weak, weak, weak)
    assert hazard[1] > hazard[0]
