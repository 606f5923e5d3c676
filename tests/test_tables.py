"""The tables keep the timing definitions of docs/ODD.md; stacked runs carry what made them."""

import numpy as np
import pandas as pd
import pytest

from simulation import measures
from simulation.backend import run_key
from simulation.config import PARAMETERS, Params
from simulation.runs import Run
from simulation.tables import SESSION_COLUMNS, simulate, simulate_runs

STACKED = [
    Run(Params(), 300, 1),
    Run(Params(repair_enabled=False, course_length=16), 200, 2),
    Run(Params(clients_per_therapist=7, severity_mean=0.3), 250, np.random.SeedSequence(5).spawn(2)[1]),
    Run(Params(), 120, np.random.SeedSequence(5).spawn(2)[0].spawn(3)[2]),
]


def test_sessions_table_has_the_documented_columns(cohort):
    assert tuple(cohort.sessions.columns) == SESSION_COLUMNS


def test_sessions_run_from_one_to_the_end_without_gaps(cohort):
    sessions, clients = cohort.sessions, cohort.clients
    counts = sessions.groupby("client_id")["session"].agg(["min", "max", "count"])
    assert (counts["min"] == 1).all() and (counts["max"] == counts["count"]).all()
    assert (counts["max"] <= Params().course_length).all()
    assert (counts["count"].to_numpy() == clients["sessions_scheduled"].to_numpy()).all()
    attended = sessions.groupby("client_id")["attended"].sum().to_numpy()
    assert (attended == clients["sessions_attended"].to_numpy()).all()
    assert sessions[sessions["session"] == 1]["attended"].all()  # the intake is attended


def test_missed_sessions_have_no_instrument_scores(cohort):
    missed = cohort.sessions[~cohort.sessions["attended"]]
    assert len(missed) > 0 and missed["ors"].isna().all() and missed["srs"].isna().all()
    attended = cohort.sessions[cohort.sessions["attended"]]
    assert attended["ors"].notna().all() and attended["ors"].between(0, 40).all()


def test_intake_final_and_early_alliance(cohort):
    sessions, clients = cohort.sessions, cohort.clients.set_index("client_id")
    first = sessions[sessions["session"] == 1].set_index("client_id")["ors"]
    assert (first == clients["ors_intake"]).all()
    last = sessions[sessions["attended"]].groupby("client_id").last()["ors"]
    assert (last == clients["ors_final"]).all()
    early = sessions[sessions["attended"] & sessions["session"].between(3, 5)]
    expected = early.groupby("client_id")["alliance"].mean().reindex(clients.index)
    np.testing.assert_allclose(clients["alliance_early"], expected, rtol=1e-6)
    assert clients["alliance_early"].isna().sum() == expected.isna().sum() > 0
    assert (clients["change"] == clients["ors_final"] - clients["ors_intake"]).all()


def test_outcome_categories_follow_the_rules():
    intake = np.array([20.0, 20.0, 20.0, 20.0, 26.0, 20.0])
    final = np.array([27.0, 24.0, 14.0, 22.0, 33.0, 30.0])
    dropped = np.array([False, False, False, False, False, True])
    codes = measures.classify_outcomes(intake, final, dropped)
    assert [measures.OUTCOMES[c] for c in codes] == [
        "recovered",
        "unchanged",
        "deteriorated",
        "unchanged",
        "improved",
        "dropped_out",
    ]
    codes = measures.classify_outcomes(np.array([20.0]), np.array([25.0]), np.array([False]))
    assert measures.OUTCOMES[codes[0]] == "recovered"  # +5 and crossing to 25 counts


def test_outcome_counts_add_up(cohort):
    clients = cohort.clients
    assert clients["outcome"].value_counts().sum() == len(clients)
    assert ((clients["outcome"] == "dropped_out") == clients["dropped_out"]).all()


def test_ruptures_in_sessions_match_the_client_counts(cohort):
    per_client = cohort.sessions.groupby("client_id")[["rupture", "rupture_resolved"]].sum()
    clients = cohort.clients.set_index("client_id")
    assert (per_client["rupture"] == clients["ruptures"]).all()
    assert (per_client["rupture_resolved"] == clients["ruptures_resolved"]).all()
    kinds = cohort.sessions["rupture_kind"]
    assert ((kinds != "none") == cohort.sessions["rupture"]).all()


def test_therapist_share_recovers_a_known_icc():
    """The ANOVA estimator recovers the ICC of data simulated with a known one (0.10)."""
    rng = np.random.default_rng(0)
    therapists = np.repeat(np.arange(400), 25)
    values = rng.normal(0, np.sqrt(0.10), 400)[therapists] + rng.normal(0, np.sqrt(0.90), therapists.size)
    share = measures.therapist_share(pd.DataFrame({"therapist_id": therapists, "change": values}))
    assert abs(share - 0.10) < 0.02  # SE about 0.008


@pytest.mark.parametrize(
    ("values_by_therapist", "share"),
    [
        # balanced, n = 4: MS_between = 16/3, MS_within = 4/3, ICC = (MSB - MSW) / (MSB + 3 MSW) = 3/7
        ([[10, 12, 10, 12], [8, 10, 8, 10], [10, 12, 10, 12], [8, 10, 8, 10]], 3 / 7),
        # unbalanced: MSB = 12, MSW = 1.5, n0 = (6 - 20/6) / 1 = 8/3, tau2 = 63/16, ICC = 21/29
        ([[0, 2], [3, 5, 3, 5]], 21 / 29),
        # equal therapist means: the negative estimate counts as 0
        ([[1, 3], [2, 2], [3, 1]], 0.0),
    ],
)
def test_therapist_share_is_exact_on_constructed_data(values_by_therapist, share):
    """The method-of-moments ICC in closed form on small constructed caseloads."""
    clients = pd.DataFrame(
        [(therapist, value) for therapist, values in enumerate(values_by_therapist) for value in values],
        columns=["therapist_id", "change"],
    )
    assert measures.therapist_share(clients) == pytest.approx(share, rel=1e-12, abs=1e-15)


def test_therapists_table(cohort):
    therapists = cohort.therapists
    assert len(therapists) == 800 // Params().clients_per_therapist
    assert therapists["clients"].sum() == 800
    assert therapists[["empathy", "skill", "repair_skill"]].apply(lambda c: c.between(0, 1).all()).all()


def test_each_stacked_run_equals_that_run_simulated_alone():
    stacked = simulate_runs(STACKED)
    for index, run in enumerate(STACKED):
        alone = simulate(run.params, run.n_clients, run.seed)
        for name in ("sessions", "clients", "therapists"):
            part = getattr(stacked, name)
            part = part[part["run"] == index].drop(columns="run").reset_index(drop=True)
            pd.testing.assert_frame_equal(part, getattr(alone, name), check_exact=True)
        own_row = stacked.runs[stacked.runs["run"] == index].drop(columns="run").reset_index(drop=True)
        pd.testing.assert_frame_equal(own_row, alone.runs.drop(columns="run"))


def test_runs_table_carries_parameters_sizes_and_seeds():
    runs = simulate_runs(STACKED).runs
    assert list(runs.columns) == ["run", "seed", "seed_entropy", "seed_spawn_key", "n_clients", "format", *PARAMETERS]
    assert list(runs["run"]) == list(range(len(STACKED)))
    for row, run in zip(runs.itertuples(index=False), STACKED, strict=True):
        assert row.n_clients == run.n_clients
        assert {name: getattr(row, name) for name in PARAMETERS} == run.params.as_dict()
        if isinstance(run.seed, np.random.SeedSequence):  # the recorded seed remakes the run's streams
            assert pd.isna(row.seed)
            spawn_key = tuple(int(part) for part in row.seed_spawn_key.split(","))
            recorded = np.random.SeedSequence(int(row.seed_entropy), spawn_key=spawn_key)
            assert run_key(recorded) == run_key(run.seed)
        else:
            assert row.seed == run.seed and pd.isna(row.seed_entropy) and pd.isna(row.seed_spawn_key)
    assert list(runs["seed_spawn_key"].iloc[2:]) == ["1", "0,2"]


def test_one_stacked_run_has_a_run_column_and_simulate_has_none(cohort):
    one = simulate_runs(STACKED[:1])
    assert all(getattr(one, name).columns[0] == "run" for name in ("sessions", "clients", "therapists", "runs"))
    assert "run" not in cohort.clients.columns and "run" not in cohort.sessions.columns
    assert cohort.runs[["run", "seed", "n_clients"]].to_dict("records") == [{"run": 0, "seed": 11, "n_clients": 800}]


def test_correlation_is_nan_where_undefined_without_a_warning():
    """With repair off every resolved share is 0: r is undefined and says so (pytest turns a numpy
    divide warning into an error)."""
    constant, varying = pd.Series([0.0, 0.0, 0.0]), pd.Series([1.0, 2.0, 4.0])
    assert np.isnan(measures.correlation(constant, varying))
    assert np.isnan(measures.correlation(pd.Series([1.0, np.nan]), pd.Series([2.0, 3.0])))
    assert measures.correlation(varying, 2 * varying) == pytest.approx(1.0)


def test_alliance_dropout_d_is_nan_without_two_of_each_group():
    clients = pd.DataFrame({"alliance_early": [0.5, 0.6, 0.7], "dropped_out": [False, False, True]})
    assert np.isnan(measures.alliance_dropout_d(clients))
    clients = pd.DataFrame({"alliance_early": [0.5, 0.7, 0.4, 0.6], "dropped_out": [False, False, True, True]})
    assert measures.alliance_dropout_d(clients) == pytest.approx(0.1 / np.sqrt(0.02))
