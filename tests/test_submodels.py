"""Each submodel of the session update (simulation.dynamics, docs/ODD.md section 7) on its own: small
deterministic array checks with inputs that can be checked by hand. Chances are checked on an even
grid of uniforms ((k + 0.5) / n), on which the share of ``u < c`` is c to within 1/n."""

import dataclasses
import importlib
import inspect
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from simulation import dynamics
from simulation.config import Params
from simulation.dynamics import session as session_module
from simulation.formats.base import Members
from simulation.formats.group import pair_view

xp = np
P = Params()
GRID = (np.arange(10_000) + 0.5) / 10_000
ODD = Path(__file__).resolve().parent.parent / "docs" / "ODD.md"


def traits(n: int = 1, **values) -> dynamics.Traits:
    """A relation of typical traits (every trait 0.5, secure, same culture, in person), with ``values``."""
    defaults = dict(
        attachment=dynamics.SECURE,
        minority=False,
        online=False,
        mismatch=False,
        intake=15.0,
        attainable=30.0,
        therapist_factor=1.0,  # the therapist knobs off
    )
    fields = {f.name: np.full(n, defaults.get(f.name, 0.5)) for f in dataclasses.fields(dynamics.Traits)}
    return dynamics.Traits(**{**fields, **{name: np.broadcast_to(value, n).copy() for name, value in values.items()}})


def state(n: int = 1, **values) -> dynamics.State:
    """The intake state of ``n`` typical relations, with ``values`` (scalars or arrays) set."""
    start = dynamics.initial_state(xp, P, traits(n))
    return dataclasses.replace(start, **{name: np.broadcast_to(value, n).copy() for name, value in values.items()})


def share(flags: np.ndarray) -> float:
    return float(np.mean(flags))


# --- 7.6 stage -----------------------------------------------------------------------------------


def test_stages_move_on_their_thresholds_one_step_at_a_time():
    t = traits(6)
    below, at = P.bond_threshold - 0.01, P.bond_threshold
    met = 15.0 + P.goal_fraction * 15.0  # the goal fraction of the attainable gain (15 -> 30)
    s = state(
        6,
        stage=np.array([0, 0, 1, 1, 2, 2], np.int8),
        bond=np.array([below, at, 0.9, 0.9, 0.9, 0.9]),
        goal=np.array([0.9, 0.9, P.agreement_threshold, 0.9, 0.9, 0.9]),
        task=np.array([0.9, 0.9, P.agreement_threshold - 0.01, P.agreement_threshold, 0.9, 0.9]),
        wellbeing=np.array([30.0, 30.0, 30.0, 30.0, met - 0.01, met + 0.01]),
    )
    attended = np.ones(6, bool)
    stage = dynamics.next_stage(xp, P, t, s, 2, attended)
    assert list(stage) == [0, 1, 1, 2, 2, 3]  # one step at most: rows 0-3 have their goals met too
    assert list(dynamics.next_stage(xp, P, t, s, 2, ~attended)) == list(s.stage)  # missed: no move
    nearly_done = P.course_length - P.resolution_sessions + 1
    assert set(dynamics.next_stage(xp, P, t, s, nearly_done, attended)) == {dynamics.RESOLUTION}


# --- 7.3, 7.7 growth ------------------------------------------------------------------------------


def test_composite_is_the_normalised_weighted_mean():
    p = Params(bond_weight=2.0, goal_weight=1.0, task_weight=1.0)
    assert dynamics.composite(xp, p, np.array([0.8]), np.array([0.4]), np.array([0.0]))[0] == pytest.approx(0.5)


def test_bond_grows_by_a_share_of_its_gap_and_falls_by_the_whole_severity():
    """Warmth 1, fit 0.5 and no resistance leave the bond's rate at bond_growth_rate: an attended session
    closes that share of the gap to the ceiling (here 0.9), while a rupture takes the whole severity at once, so a
    session of growth after a rupture does not make up for it."""
    t = traits(2, empathy=1.0, congruence=1.0, regard=1.0, resistance=0.0)
    s = state(2, bond=0.65, goal=0.5, task=0.5, ceiling=0.9)
    bond, goal, _ = dynamics.grow_alliance(xp, P, t, s, np.array([True, False]))
    assert bond[0] == pytest.approx(0.65 + P.bond_growth_rate * (0.9 - 0.65))
    assert bond[1] == 0.65  # missed: no growth
    assert goal[0] == pytest.approx(0.5 + P.goal_growth_rate * 0.5 * 0.65 * (0.9 - 0.5))  # gated by the bond
    before, severity = 0.8, P.severity_mean
    _, (fallen,), _ = dynamics.open_ruptures(
        xp, track(1), np.array([True]), severity, (np.array([before]),), (np.zeros(1),), (1.0,)
    )
    assert fallen[0] == pytest.approx(before - severity)
    regrown, _, _ = dynamics.grow_alliance(
        xp,
        P,
        traits(1, empathy=1.0, congruence=1.0, regard=1.0, resistance=0.0),
        state(1, bond=fallen),
        np.array([True]),
    )
    assert fallen[0] < regrown[0] < before
    no_bond = state(1, bond=0.0, goal=0.5, task=0.5)
    _, goal, task = dynamics.grow_alliance(xp, P, traits(1), no_bond, np.array([True]))
    assert goal[0] == 0.5 and task[0] == 0.5  # agreement grows only on a bond


# --- 7.8 onset -------------------------------------------------------------------------------------


def test_onset_only_where_eligible_with_severity_uniform_and_kind_by_attachment():
    n = 3
    t = traits(n, attachment=np.array([dynamics.SECURE, dynamics.ANXIOUS, dynamics.AVOIDANT]), challenge=0.0)
    components = (np.full(n, 0.9),) * 3
    always = np.zeros(n)
    onset, kind, severity = dynamics.rupture_onset(
        xp,
        P,
        t,
        np.full(n, dynamics.WORKING),
        components,
        np.array([True, False, True]),
        (always, np.full(n, P.confrontation_share), np.array([0.0, 0.5, 1.0])),
    )
    assert list(onset) == [True, False, True]
    np.testing.assert_allclose(severity, P.severity_mean * np.array([0.25, 1.0, 1.75]))
    # at u = confrontation_share: the anxious client confronts, the avoidant one withdraws
    assert kind[1] == dynamics.CONFRONTATION and kind[2] == dynamics.WITHDRAWAL


# --- 7.9, 7.10, 7.11 detection and repair ----------------------------------------------------------


def test_srs_alert_needs_an_attended_session_a_therapist_who_reads_it_and_a_low_score():
    t = traits(4, feedback_use=0.5)
    srs = np.array([30.0, 30.0, 30.0, P.srs_cutoff])
    alert = dynamics.srs_alert(xp, P, t, srs, np.array([True, False, True, True]), np.array([0.2, 0.2, 0.8, 0.2]))
    assert list(alert) == [True, False, False, False]
    assert dynamics.srs_total(xp, P, np.array([1.0, 0.0]), np.zeros(2))[0] == dynamics.SRS_MAX  # clipped
    assert dynamics.srs_total(xp, P, np.array([0.5]), np.zeros(1))[0] == round(40 * (0.5 + P.srs_leniency))


def chance_of_detection(p: Params, attunement: float, alert: bool, kind: int = dynamics.WITHDRAWAL, **values) -> float:
    t = traits(GRID.size, attunement=attunement, **values)
    kinds = np.full(GRID.size, kind, np.int8)
    return share(dynamics.detection(xp, p, t, kinds, np.full(GRID.size, alert), GRID))


def test_detection_rises_with_attunement_openness_and_an_srs_alert():
    chances = [chance_of_detection(P, attunement, False) for attunement in (0.2, 0.5, 0.8)]
    assert chances == sorted(chances) and chances[0] < chances[-1]
    plain = chance_of_detection(P, 0.5, False)
    assert plain == pytest.approx(0.5 * P.withdrawal_visibility, abs=1e-4)  # openness 0.5: no shift
    alerted = chance_of_detection(P, 0.5, True)
    assert alerted == pytest.approx(plain + P.srs_detection_boost * (1 - plain), abs=1e-4)
    assert chance_of_detection(P, 0.5, False, openness=0.9) > plain
    assert (
        chance_of_detection(P, 0.5, False, dynamics.CONFRONTATION)
        > plain
        > chance_of_detection(P, 0.5, False, online=True)
    )


def test_a_pair_is_seen_with_both_members_openness_and_either_members_srs_alert():
    """Member pairs (formats.group.pair_view): symmetric figures, and the row's detection chance with
    the visibility of a confrontation, the pair's mean openness and either member's alert."""
    members = Members(xp, np.arange(3), np.full(3, 3), np.ones(3, np.int16), 3)
    t = traits(3, openness=np.array([0.2, 0.8, 0.5]), attunement=0.6)
    pair = pair_view(xp, t, members, np.array([False, False, True]))
    np.testing.assert_array_equal(pair.openness, pair.openness.T)
    np.testing.assert_array_equal(pair.srs_alert, pair.srs_alert.T)
    assert pair.openness[0, 2] == pytest.approx(0.35) and pair.srs_alert[0, 2] and not pair.srs_alert[0, 1]
    chance = dynamics.detection_chance(xp, P, pair.attunement, 1.0, pair.openness, pair.srs_alert)

    def alone(openness: float) -> float:
        return dynamics.detection_chance(xp, P, np.array([0.6]), 1.0, np.array([openness]), np.array([False]))[0]

    assert alone(0.5) == pytest.approx(0.6) and chance[0, 1] == pytest.approx(alone(0.5))  # mean openness 0.5
    assert alone(0.35) < alone(0.5)
    assert chance[0, 2] == pytest.approx(alone(0.35) + P.srs_detection_boost * (1 - alone(0.35)))  # 2's alert


def test_repair_steps_are_geometric_and_capped_at_five():
    """With step chance q, a uniform in (q^(k+1), q^k] gives exactly k successes before the first failure."""
    q = 0.6
    p = Params(repair_base_logit=float(np.log(q / (1 - q))), repair_skill_effect=0.0)
    t = traits(4)
    u = np.array([q**0.5, q**2.5, q**9, 1.0])
    steps = dynamics.repair(xp, p, t, np.array([0, 1, 0, 3], np.int16), np.ones(4, bool), u)
    assert list(steps) == [0, 3, dynamics.REPAIR_STEPS, 3]
    assert list(dynamics.repair(xp, p, t, np.full(4, 2, np.int16), np.zeros(4, bool), u)) == [2] * 4


def test_v_shape_rebuilds_above_the_level_before_the_rupture():
    rebuilt = dynamics.v_shape(
        xp, P, np.array([0.3, 0.3, 0.9]), np.array([0.5, 0.5, 0.95]), 0.1, np.array([True, False, True])
    )
    np.testing.assert_allclose(rebuilt, [0.5 + P.repair_gain * 0.1, 0.3, 1.0])  # clipped at 1


def track(n: int | tuple, **values) -> dynamics.RuptureTrack:
    """A rupture track with nothing open, or ``values``."""
    empty = dict(
        open=np.zeros(n, bool), detected=np.zeros(n, bool), step=np.zeros(n, np.int16), age=np.zeros(n, np.int16)
    )
    return dynamics.RuptureTrack(**{**empty, **values})


def test_the_lifecycle_resolves_with_five_steps_and_expires_at_the_repair_window():
    """Rows: a rupture noticed at onset with sure steps resolves at once (V shape); one never noticed
    expires unresolved when its age reaches repair_window; age counts only while the course runs."""
    p = Params(repair_base_logit=10.0, repair_skill_effect=0.0)
    onset = np.array([True, True, False, False])
    opened, (bond,), (pre,) = dynamics.open_ruptures(
        xp, track(4), onset, 0.2, (np.full(4, 0.7),), (np.zeros(4),), (1.0,)
    )
    assert list(opened.open) == [True, True, False, False] and bond[0] == pytest.approx(0.5) and pre[0] == 0.7
    before = track(4, open=np.array([True, True, True, True]), age=np.array([0, 0, p.repair_window - 1, 0], np.int16))
    noticed = np.array([True, False, False, False])
    running = np.array([True, True, True, False])
    after, (bond,), resolved, expired = dynamics.tend_ruptures(
        xp,
        p,
        traits(4),
        before,
        onset,
        np.ones(4, bool),
        running,
        noticed,
        np.full(4, 0.5),
        0.2,
        (np.full(4, 0.5),),
        (np.full(4, 0.7),),
    )
    assert list(resolved) == [True, False, False, False] and bond[0] == pytest.approx(0.7 + p.repair_gain * 0.2)
    assert list(expired) == [False, False, True, False]
    assert list(after.open) == [False, True, False, True] and not after.detected.any()
    assert list(after.age) == [1, 1, p.repair_window, 0]  # not running: the age stands still


def test_the_lifecycle_serves_pair_matrices_as_it_serves_rows():
    """The same numbers laid out as a (2, 3) matrix give the same matrix, entry by entry."""
    p = Params(repair_base_logit=0.0, repair_skill_effect=0.0, repair_window=2)
    rng = np.random.default_rng(0)
    onset, present, noticed = (rng.random(6) < 0.5 for _ in range(3))
    before = track(
        6, open=rng.random(6) < 0.5, detected=rng.random(6) < 0.5, age=rng.integers(0, 2, 6).astype(np.int16)
    )
    level, pre, u = rng.random(6), rng.random(6), rng.random(6)

    def lifecycle(shape):
        def m(a):
            return a.reshape(shape)

        t = dataclasses.replace(traits(6), repair_skill=m(np.full(6, 0.5)), defensiveness=m(np.full(6, 0.5)))
        opened, (x,), (kept,) = dynamics.open_ruptures(
            xp,
            track(shape, **{f: m(getattr(before, f)) for f in ("open", "detected", "step", "age")}),
            m(onset),
            0.1,
            (m(level),),
            (m(pre),),
            (1.0,),
        )
        after, (x,), resolved, expired = dynamics.tend_ruptures(
            xp, p, t, opened, m(onset), m(present), True, m(noticed), m(u), 0.1, (x,), (kept,)
        )
        return [a.ravel() for a in (after.open, after.detected, after.step, after.age, x, resolved, expired)]

    for rows, matrix in zip(lifecycle((6,)), lifecycle((2, 3)), strict=True):
        np.testing.assert_array_equal(rows, matrix)


def test_an_expired_rupture_lowers_the_ceiling_and_a_severe_one_sets_the_working_stage_back():
    severity = np.array([0.1, 0.3, 0.9, 0.3])
    expired = np.array([True, True, True, False])
    stage = np.full(4, dynamics.WORKING, np.int8)
    ceiling, (bond,), stage = dynamics.lasting_deficit(xp, P, np.ones(4), severity, expired, (np.full(4, 0.95),), stage)
    np.testing.assert_allclose(ceiling, [1 - P.unresolved_deficit * 0.1, 1 - P.unresolved_deficit * 0.3, 0.2, 1.0])
    np.testing.assert_allclose(bond, np.minimum(0.95, ceiling))
    assert list(stage) == [dynamics.WORKING, dynamics.EXPLORATION, dynamics.EXPLORATION, dynamics.WORKING]


# --- 7.13 symptoms ---------------------------------------------------------------------------------


def test_an_attended_session_closes_a_share_of_the_gap_and_harm_lowers_the_level_within_reach():
    p = Params(symptom_noise_sd=0.0)
    t = traits(2)
    common = (np.full(2, dynamics.WORKING), np.full(2, 15.0), np.zeros(2), np.full(2, p.full_reach_alliance))
    changed = dynamics.symptom_change(xp, p, t, *common, np.array([True, False]), np.zeros(2, np.int16), np.ones(2))
    assert 15.0 < changed[0] < 30.0 and changed[1] == 15.0  # missed (and no noise): unchanged
    harmed = dynamics.symptom_change(
        xp, p, t, common[0], common[1], np.full(2, 10.0), common[3], np.ones(2, bool), np.zeros(2, np.int16), np.ones(2)
    )
    assert harmed[0] < changed[0]
    loss = dynamics.life_event_loss(xp, p, np.array([0.0, 1.0]), np.array([np.exp(-1.0), 0.5]))
    np.testing.assert_allclose(loss, [p.life_event_impact, 0.0])
    harm = dynamics.lasting_harm(xp, p, np.array([True, True]), np.full(2, 0.2), (np.ones(2), np.ones(2)))
    np.testing.assert_allclose(harm, [p.rupture_harm * 0.2] * 2)  # u = 1: no life event
    s = state(2, active=np.array([True, False]))
    wellbeing, setback = dynamics.week_of_symptoms(
        xp, p, t, s, common[0], common[3], np.zeros(2, bool), harm, np.zeros(2)
    )
    np.testing.assert_allclose(setback, [p.rupture_harm * 0.2, 0.0])  # ended courses keep theirs
    np.testing.assert_allclose(wellbeing, [15.0 - p.rupture_harm * 0.2, 15.0])


# --- 7.4, 7.14 attendance and dropout ----------------------------------------------------------------


def test_a_weak_alliance_and_an_open_withdrawal_mean_more_missed_sessions():
    n = GRID.size
    t, s = traits(n), state(n)
    missed = [1 - share(dynamics.attendance(xp, P, t, s, np.full(n, a), GRID)) for a in (0.8, 0.5, 0.2)]
    assert missed == sorted(missed) and missed[0] < missed[-1]
    withdrawn = state(n, rupture_open=True, rupture_kind=dynamics.WITHDRAWAL)
    assert 1 - share(dynamics.attendance(xp, P, t, withdrawn, np.full(n, 0.5), GRID)) > missed[1]
    assert not dynamics.attendance(xp, P, t, state(n, active=False), np.full(n, 0.9), GRID).any()


def test_dropout_hazard_rises_with_a_weak_alliance_early_sessions_and_open_ruptures():
    t, s, attended = traits(3), state(3), np.ones(3, bool)
    hazard = dynamics.dropout_chance(xp, P, t, s, np.array([0.8, 0.5, 0.2]), attended, 6)
    assert hazard[0] < hazard[1] < hazard[2]
    alliance = np.full(3, 0.5)
    assert (dynamics.dropout_chance(xp, P, t, s, alliance, attended, 2) > hazard[1]).all()
    ruptured = state(3, rupture_open=True)
    assert (dynamics.dropout_chance(xp, P, t, ruptured, alliance, attended, 6) > hazard[1]).all()
    assert (dynamics.dropout_chance(xp, P, t, s, alliance, attended, 6, shift=1.0) > hazard[1]).all()


def test_dropout_causes_in_order_and_a_planned_ending_first():
    t = traits(4)
    s = state(4, wellbeing=np.array([15.0, 15.0, 15.0, 15.0 + dynamics.RELIABLE_CHANGE]))
    u = (np.array([0.0, 1.0, 1.0, 1.0]), np.array([0.0, 0.0, 1.0, 1.0]), np.zeros(4))
    cause = dynamics.dropout_cause(xp, P, t, s, np.full(4, 0.5), np.ones(4, bool), 6, u)
    assert list(cause) == [dynamics.DISENGAGED, dynamics.PRACTICAL, dynamics.NOT_DROPPED, dynamics.IMPROVED]
    planned = dynamics.planned_ending(P, s, np.array([P.course_length, 1, 1, 1]))
    ended = dynamics.end_courses(xp, s, s, planned, cause)
    assert list(ended.active) == [False, False, True, False]
    assert list(ended.dropout_cause) == [dynamics.NOT_DROPPED, dynamics.PRACTICAL, 0, dynamics.IMPROVED]


# --- 7.5, 7.15 measurement ---------------------------------------------------------------------------


def test_ors_and_the_therapists_view_are_missing_for_a_missed_session():
    attended = np.array([True, False])
    ors = dynamics.ors_reading(xp, P, np.array([20.4, 20.4]), attended, np.zeros(2))
    assert ors[0] == 20.0 and np.isnan(ors[1])
    view = dynamics.therapist_view(xp, P, traits(2, bias=-0.1), np.full(2, 0.6), attended, np.zeros(2))
    assert view[0] == pytest.approx(0.5) and np.isnan(view[1])


# --- the seam (7.16) --------------------------------------------------------------------------------


def test_the_individual_seam_hands_every_input_back_and_the_member_seam_blends():
    plain, alliance, bond = dynamics.INDIVIDUAL, np.array([0.4, 0.6]), np.array([0.5, 0.5])
    assert plain.own_session(4) == 4 and plain.acted_on(alliance) is alliance
    assert plain.sided(xp, bond, np.ones(2, bool)) is bond and plain.dropout_shift is None
    draws, planned, cause = (np.zeros(2),) * 3, np.zeros(2, bool), np.zeros(2, np.int8)
    assert plain.endings_drawn(draws) is draws
    assert all(a is b for a, b in zip(plain.unit_endings(planned, cause, planned), (planned, cause), strict=True))
    member = dynamics.Context(
        member_session=np.array([1, 3]),
        shared_alliance=np.array([1.0, 0.0]),
        shared_weight=0.25,
        bond_shift=np.array([0.2, -0.2]),
    )
    np.testing.assert_allclose(member.acted_on(alliance), [0.75 * 0.4 + 0.25, 0.75 * 0.6])
    np.testing.assert_allclose(member.sided(xp, bond, np.ones(2, bool)), [0.5 + 0.2 * 0.5, 0.5 - 0.2 * 0.5])
    assert list(dynamics.at_intake(xp, member.own_session(4) == 1, np.array([7, 7]), lambda: np.zeros(2))) == [7, 0]
    assert dynamics.at_intake(xp, True, bond, lambda: pytest.fail("computed at the intake")) is bond
    assert dynamics.at_intake(xp, False, bond, lambda: alliance) is alliance


# --- 7.19 the group's cushion of rupture harm -------------------------------------------------------


def test_a_group_member_bears_the_share_of_rupture_harm_that_cohesion_leaves():
    """A member bears 1 - leader_rupture_cushion x cohesion_weight of an unresolved leader rupture's
    lasting harm (life events untouched); individuals and family members bear all of it, and with the
    cushion at 0 a group member does too."""
    from simulation.formats.group import cushioned_harm_share

    p = Params(cohesion_weight=0.8, leader_rupture_cushion=0.5)
    assert cushioned_harm_share(p) == pytest.approx(0.6)
    assert cushioned_harm_share(Params(leader_rupture_cushion=0.0)) == 1.0
    assert cushioned_harm_share(Params(cohesion_weight=1.0, leader_rupture_cushion=1.0)) == 0.0
    expired, severity, no_event = np.array([True, False]), np.full(2, 0.2), (np.ones(2), np.ones(2))
    harm = dynamics.lasting_harm(xp, p, expired, severity, no_event, cushioned_harm_share(p))
    np.testing.assert_allclose(harm, [p.rupture_harm * 0.2 * 0.6, 0.0])
    event = (np.zeros(2), np.full(2, np.exp(-1.0)))  # a life event of mean size on both rows
    np.testing.assert_allclose(
        dynamics.lasting_harm(xp, p, np.zeros(2, bool), severity, event, 0.6), [p.life_event_impact] * 2
    )
    member = dynamics.Context(member_session=np.ones(2), shared_alliance=np.ones(2), shared_weight=0.5, bond_shift=None)
    assert dynamics.INDIVIDUAL.rupture_harm_share == 1.0 and member.rupture_harm_share == 1.0


# --- the package and docs/ODD.md section 7 name each other ------------------------------------------


def odd_submodels() -> dict[str, set[tuple[str, str]]]:
    """ODD 7.x subsection -> the (module, function) pairs its heading names: `simulation.dynamics.m.f`,
    or `simulation.dynamics.m`: `f`, `g` (clauses split at semicolons); a format's submodel is named
    the same way in `simulation.formats.m`."""
    section = ODD.read_text(encoding="utf-8").split("## 7. Submodels", 1)[1].split("\n## ", 1)[0]
    found: dict[str, set[tuple[str, str]]] = {}
    for number, heading in re.findall(r"\*\*(7\.\d+) [^*]+\*\* \(((?:[^()]|\([^()]*\))*)\)", section):
        named = found.setdefault(number, set())
        for clause in heading.split(";"):
            listed = re.search(r"`(simulation\.(?:dynamics|formats)\.\w+)`: (.*)", clause, re.S)
            if listed:
                named |= {(listed[1], name) for name in re.findall(r"`(\w+)`", listed[2])}
            named |= set(re.findall(r"`(simulation\.(?:dynamics|formats)\.\w+)\.(\w+)`", clause))
    return found


def test_odd_section_7_and_the_modules_name_each_other():
    """Every function ODD 7 names exists in the module it names and that module's docstring names the
    subsection; every submodel module is named by ODD 7, under each subsection its docstring names."""
    named_by: dict[str, set[str]] = {}
    subsections = odd_submodels()
    assert sorted(subsections, key=lambda number: int(number[2:])) == [f"7.{k}" for k in range(1, 20)]
    for number, references in subsections.items():
        for module_name, function in references:
            module = importlib.import_module(module_name)
            assert callable(getattr(module, function, None)), f"ODD {number} names {module_name}.{function}"
            assert re.search(rf"\b{re.escape(number)}\b", module.__doc__), f"{module_name} docstring lacks {number}"
            named_by.setdefault(module_name, set()).add(number)
    submodels = {path.stem for path in Path(dynamics.__file__).parent.glob("*.py")} - {"__init__", "state", "session"}
    for stem in submodels:
        name = f"simulation.dynamics.{stem}"
        claims = set(re.findall(r"\b7\.\d+\b", importlib.import_module(name).__doc__))
        assert claims and claims == named_by.get(name), (name, claims, named_by.get(name))


def test_step_session_has_no_format_branches_and_the_kernel_imports_no_mesa_pandas_or_io():
    assert "context is None" not in inspect.getsource(session_module)
    code = (
        "import sys, simulation.dynamics; print(sorted({'mesa', 'pandas', 'pyarrow', 'matplotlib'} & set(sys.modules)))"
    )
    imported = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert imported.strip() == "[]"
