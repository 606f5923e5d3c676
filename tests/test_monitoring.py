"""Routine outcome monitoring (simulation.monitoring): the expected course, the signals, and what a
therapist who acts on a signal changes (docs/monitoring.md)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulation.config import Params
from simulation.dynamics import feedback
from simulation.monitoring.course import BAND_EDGES, compute_course, expected_course, read_course
from simulation.monitoring.record import CLIENT_COLUMNS, SESSION_COLUMNS
from simulation.tables import simulate

ON = {"feedback_enabled": True}


def test_the_expected_course_is_remade_exactly_from_its_recipe():
    shipped = read_course()
    assert shipped.recipe["parameters"] == {} and shipped.band_edges == BAND_EDGES
    assert compute_course(shipped.recipe) == shipped


def test_the_expected_course_rises_from_the_intake_band():
    course = expected_course()
    intake = [row[0] for row in course.expected]
    assert intake == sorted(intake) and intake[0] < BAND_EDGES[0] and intake[-1] >= BAND_EDGES[-1]
    assert all(max(row[1:]) > row[0] for row in course.expected[:-1])  # clients below the cutoff improve


def own_expected(sessions: pd.DataFrame, clients: pd.DataFrame) -> np.ndarray:
    """The expected ORS of each session row, looked up by hand in the shipped table."""
    course = expected_course()
    intake = clients.set_index("client_id")["ors_intake"].astype(float).reindex(sessions["client_id"]).to_numpy()
    band = np.searchsorted(np.asarray(course.band_edges), intake, side="right")
    own = sessions["member_session"] if "member_session" in sessions else sessions["session"]
    column = np.minimum(own.to_numpy(), len(course.expected[0])) - 1
    return np.asarray(course.expected)[band, column]


@pytest.mark.parametrize("margin", [5.0, 2.0])
def test_signals_appear_where_the_ors_falls_below_the_curve_by_the_margin_and_only_there(margin):
    tables = simulate(Params(monitoring_margin=margin), 400, seed=3)
    sessions, clients = tables.sessions, tables.clients
    expected = own_expected(sessions, clients)
    np.testing.assert_array_equal(sessions["expected_ors"].to_numpy(), expected.astype(np.float32))
    ors = sessions["ors"].to_numpy(dtype=float, na_value=np.nan)
    below = sessions["attended"].to_numpy() & (sessions["session"].to_numpy() >= 2) & (ors < expected - margin)
    np.testing.assert_array_equal(sessions["not_on_track"].to_numpy(), below)
    assert 0 < below.sum() < len(below)
    first = sessions[below].groupby("client_id")["session"].min()
    flagged = clients.set_index("client_id")
    assert flagged["flagged"].sum() == len(first)
    assert (flagged.loc[first.index, "first_flagged"] == first).all()
    assert flagged.loc[~flagged["flagged"], "first_flagged"].isna().all()


def test_members_are_monitored_on_their_own_calendar():
    tables = simulate(Params(open_groups=True, **ON), 160, seed=4, format="group")
    sessions = tables.sessions
    assert (sessions["member_session"] != sessions["session"]).any()
    np.testing.assert_array_equal(
        sessions["expected_ors"].to_numpy(), own_expected(sessions, tables.clients).astype(np.float32)
    )
    assert sessions["not_on_track"].any() and (tables.clients["feedback_sessions"] > 0).any()


def test_the_family_format_is_monitored():
    tables = simulate(Params(**ON), 120, seed=4, format="family")
    assert set(SESSION_COLUMNS) <= set(tables.sessions) and set(CLIENT_COLUMNS) <= set(tables.clients)
    assert tables.clients["flagged"].any()


def test_with_feedback_off_no_therapist_acts():
    clients = simulate(Params(), 400, seed=3).clients
    assert clients["flagged"].any()
    assert (clients["feedback_sessions"] == 0).all() and (clients["sessions_added"] == 0).all()


def test_therapists_who_ignore_feedback_change_nothing():
    ignoring = {"feedback_use_mean": 0.0, "therapist_trait_sd": 0.0}
    off, on = simulate(Params(**ignoring), 300, seed=8), simulate(Params(**ignoring, **ON), 300, seed=8)
    assert on.clients["flagged"].any() and (on.clients["feedback_sessions"] == 0).all()
    pd.testing.assert_frame_equal(on.sessions, off.sessions)
    pd.testing.assert_frame_equal(on.clients, off.clients)


def test_paired_clients_differ_only_where_their_therapist_acted_on_a_signal():
    off, on = simulate(Params(), 600, seed=9), simulate(Params(**ON), 600, seed=9)
    acted = on.clients["feedback_sessions"].to_numpy() > 0
    assert 0 < acted.sum() < len(acted)
    assert (on.clients.loc[acted, "flagged"]).all()  # acting needs a signal
    core = [name for name in on.clients if name not in CLIENT_COLUMNS]
    untouched = ~acted
    pd.testing.assert_frame_equal(
        on.clients.loc[untouched, core].reset_index(drop=True), off.clients.loc[untouched, core].reset_index(drop=True)
    )
    changed = on.clients.loc[acted, core].reset_index(drop=True) != off.clients.loc[acted, core].reset_index(drop=True)
    assert changed.any(axis=1).mean() > 0.5
    # more sessions: one per acted signal, up to the cap; the course runs past course_length only so
    p = Params()
    expected_added = np.minimum(on.clients["feedback_sessions"] * p.feedback_extra_sessions, p.feedback_session_cap)
    assert (on.clients["sessions_added"] <= expected_added).all() and (on.clients["sessions_added"] > 0).any()
    assert on.clients["sessions_scheduled"].max() <= p.course_length + p.feedback_session_cap
    assert on.clients["sessions_scheduled"].max() > p.course_length


def test_each_mechanism_changes_only_the_rows_acted_on():
    p = Params(**ON)
    acted = np.array([True, False, True, False])
    goal, task, ceiling = np.full(4, 0.4), np.full(4, 0.5), np.full(4, 0.9)
    new_goal, new_task = feedback.revisit_goals(np, p, acted, goal, task, ceiling)
    np.testing.assert_allclose(new_goal, np.where(acted, 0.4 + p.feedback_agreement_gain * 0.5, 0.4))
    np.testing.assert_allclose(new_task, np.where(acted, 0.5 + p.feedback_agreement_gain * 0.4, 0.5))
    top = np.full(4, 0.99)  # a detection draw at the top of its range: noticed only through the talk
    np.testing.assert_array_equal(feedback.talk_about_alliance(np, p, acted, top), acted)
    assert not feedback.talk_about_alliance(np, p, acted, np.zeros(4)).any()
    np.testing.assert_allclose(feedback.retention_shift(np, p, acted, None), np.where(acted, -p.feedback_retention, 0))
    extension = np.array([0, 0, p.feedback_session_cap, 1], dtype=np.int16)
    np.testing.assert_array_equal(
        feedback.extend_course(np, p, acted, extension), [p.feedback_extra_sessions, 0, p.feedback_session_cap, 1]
    )


def test_a_signal_is_acted_on_with_the_therapists_feedback_use():
    p = Params(**ON)
    ors, attended = np.array([5.0, 5.0, 30.0]), np.ones(3, dtype=bool)
    intake = np.array([20.0, 20.0, 20.0])
    use, u = np.array([0.6, 0.6, 1.0]), np.array([0.5, 0.7, 0.0])
    signal = feedback.monitor(np, p, use, intake, ors, attended, 3, u)
    np.testing.assert_array_equal(signal.flagged, [True, True, False])
    np.testing.assert_array_equal(signal.acted, [True, False, False])
    off = feedback.monitor(np, Params(), use, intake, ors, attended, 3, u)
    assert off.flagged.any() and not off.acted.any()


@pytest.mark.slow  # two spawned workers import the package (~30 s on a busy machine)
def test_the_paired_experiment_gives_the_same_bytes_on_one_and_two_workers():
    from simulation.monitoring.paired import paired_effects

    one = paired_effects(2, 120, seed=5, workers=1)
    two = paired_effects(2, 120, seed=5, workers=2)
    for first, second in zip(one, two, strict=True):
        assert first.to_csv(index=False) == second.to_csv(index=False)
    per_replicate, effects = one
    assert list(effects["group"])[:3] == ["all", "on track", "not on track"]
    on_track = per_replicate[per_replicate["group"] == "on track"]
    assert (on_track["change_difference"] == 0).all() and (on_track["dropout_difference"] == 0).all()
