"""The tables keep DESIGN.md section 3's timing definitions."""

import numpy as np
import pandas as pd

from simulation import measures
from simulation.config import Params
from simulation.tables import SESSION_COLUMNS


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


def test_therapists_table(cohort):
    therapists = cohort.therapists
    assert len(therapists) == 800 // Params().clients_per_therapist
    assert therapists["clients"].sum() == 800
    assert therapists[["empathy", "skill", "repair_skill"]].apply(lambda c: c.between(0, 1).all()).all()
