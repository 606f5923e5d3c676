"""The truth of a synthetic data set (simulation.synthetic): replayed causal estimands, sample values
beside population values, the recorded reference and its Monte Carlo error, the knobs a simulation
study varies (MNAR dropout, item non-response), the signals of routine outcome monitoring and what
each changed, the empathy scale, and replicates that share one truth."""

from __future__ import annotations

import json

import numpy as np
import pytest

from simulation import measures
from simulation.cli import main
from simulation.config import Params
from simulation.runs import Rows, simulate_rows
from simulation.synthetic import generate, make_design
from simulation.synthetic.population import BATCHES, recorded, reference_values
from simulation.synthetic.replay import replay

SEED = 7


@pytest.fixture(scope="module")
def data():
    """400 clients of 20 therapists, default parameters."""
    return generate(therapists=20, clients_per_therapist=20, seed=SEED)


def test_replay_with_delta_zero_is_the_data_sets_own_course_to_the_bit(data):
    """Raising the alliance by 0 at session 3 replays every client's course exactly: the same final
    state, bit for bit, as the compacting pass that made the data set."""
    design = make_design(Params(), 20, 20, SEED)
    run = design.run()
    same = replay(run, 0, design.n_clients, delta=0.0, at_session=3).final
    made = simulate_rows([run], Rows.of_runs([run], 0, design.n_clients)).final
    for name, values in made.items():
        assert np.array_equal(same[name], values, equal_nan=True), name
    assert data.truth["clients"]["wellbeing_final"].to_numpy().tobytes() == same["wellbeing"].tobytes()


def test_no_dropout_replay_changes_only_the_dropouts(data):
    """Undoing dropouts leaves every client who did not drop out exactly where they were; dropouts
    get a course to the planned end."""
    clients = data.truth["clients"]
    stayed = ~clients["dropped_out"]
    assert (clients.loc[stayed, "wellbeing_no_dropout"] == clients.loc[stayed, "wellbeing_final"]).all()
    assert (clients.loc[~stayed, "wellbeing_no_dropout"] != clients.loc[~stayed, "wellbeing_final"]).mean() > 0.9


def test_alliance_raise_effect_grows_with_delta_and_with_alliance_effect():
    """The causal effect of a raised alliance is positive, larger for a larger delta, and larger where
    the alliance drives change more (alliance_effect): the knob moves its estimand."""

    def effect(**changes: float) -> float:
        one = generate(Params(**changes), 40, 20, SEED, population_clients=0)
        return one.parameters["estimands"]["alliance_raise_effect"]["sample"]

    small, large = effect(estimand_alliance_delta=0.05), effect(estimand_alliance_delta=0.2)
    assert 0 < small < large
    assert effect(alliance_effect=0.5) < effect() < effect(alliance_effect=3.0)


def test_change_icc_is_defined_on_latent_wellbeing_not_the_observed_column(data):
    """The change ICC's sample value is the ICC of latent change, which the observed `change` column
    only estimates (not circular): it differs from the observed column's ICC."""
    estimands = data.parameters["estimands"]
    truth = data.truth["clients"]
    latent = truth.assign(latent=truth["wellbeing_final"] - truth["wellbeing_intake"])
    assert estimands["therapist_share_of_change_variance"]["sample"] == pytest.approx(
        measures.therapist_share(latent, "latent"), abs=1e-12
    )
    observed = measures.therapist_share(data.clients.assign(change=data.clients["change"].astype(float)), "change")
    assert abs(estimands["therapist_share_of_change_variance"]["sample"] - observed) > 1e-4


def test_every_estimand_states_sample_and_population_values(data):
    """Each estimand has a unit, a meaning and a sample value; the population value with its Monte
    Carlo error comes from the recorded reference for the default parameters."""
    for name, entry in data.parameters["estimands"].items():
        assert entry["unit"] and entry["meaning"] and "sample" in entry, name
        assert "population" in entry and entry["mc_error"] is not None, name
    assert "recorded reference" in data.parameters["population_source"]


def test_a_smaller_reference_run_agrees_with_the_recorded_one_within_monte_carlo_error():
    """Population values: a rerun with other seeds and a twentieth of the clients agrees with
    population.json within 4 combined Monte Carlo errors, for every estimand."""
    stored = recorded()
    assert stored["batches"] == BATCHES
    small = reference_values(Params(), "individual", batches=8, therapists=50)
    for name, entry in stored["formats"]["individual"]["estimands"].items():
        bound = 4 * np.hypot(entry["mc_error"], small[name]["mc_error"])
        assert abs(small[name]["value"] - entry["value"]) <= bound, (name, small[name], entry)


def test_mnar_dial_biases_complete_case_change_upward():
    """With dropout_wellbeing_weight above 0, the clients who drop out are those whose latent
    well-being fell: the completers' change exceeds the no-dropout change, the more the higher the
    dial. (At 0 complete-case change is biased upward too, since disengaged dropout follows the latent
    alliance, which drives change: the dial adds to that.)"""

    def complete_case_bias(weight: float) -> float:
        one = generate(Params(dropout_wellbeing_weight=weight), 80, 20, SEED, population_clients=0)
        truth = one.truth["clients"]
        completers = truth[~truth["dropped_out"]]
        return float(
            (completers["wellbeing_final"] - completers["wellbeing_intake"]).mean()
            - (truth["wellbeing_no_dropout"] - truth["wellbeing_intake"]).mean()
        )

    none, some, strong = (complete_case_bias(weight) for weight in (0.0, 2.0, 5.0))
    assert none < some < strong and strong > none + 0.25


def test_the_mnar_dial_leaves_the_no_dropout_potential_outcome_alone():
    """The dial changes who drops out, not what would happen without dropout: every client's
    no-dropout potential outcome is the same, to the bit, with the dial at 0 and at 5."""
    at = {
        weight: generate(Params(dropout_wellbeing_weight=weight), 10, 20, SEED, population_clients=0)
        for weight in (0, 5)
    }
    assert at[0].truth["clients"]["wellbeing_no_dropout"].equals(at[5].truth["clients"]["wellbeing_no_dropout"])
    assert not at[0].truth["clients"]["dropped_out"].equals(at[5].truth["clients"]["dropped_out"])


@pytest.mark.parametrize(
    ("changes", "mechanism"),
    [
        ({"item_nonresponse_session_weight": 3.0}, "MAR"),  # later sessions: observed
        ({"item_nonresponse_alliance_weight": 6.0}, "MNAR"),  # a weaker latent alliance: unobserved
        ({}, "MCAR"),
    ],
)
def test_item_nonresponse_mechanisms(changes, mechanism):
    """Blank ORS items follow their mechanism: MAR rises with the session and not with the latent
    alliance within a session; MNAR rises as the latent alliance within a session falls; MCAR neither."""
    one = generate(Params(item_nonresponse_rate=0.1, **changes), 40, 20, SEED, population_clients=0)
    rows = one.sessions[one.sessions["attended"]]
    blank = rows["ors_1"].isna()
    alliance = one.truth["sessions"].loc[rows.index, "alliance"]
    weak = alliance < alliance.groupby(rows["session"]).transform("median")  # within each session
    late = blank[rows["session"] > 4].mean() - blank[rows["session"] <= 4].mean()
    weaker = blank[weak].mean() - blank[~weak].mean()
    if mechanism == "MAR":
        assert late > 0.04 and abs(weaker) < 0.03, (late, weaker)
    elif mechanism == "MNAR":
        assert weaker > 0.04, weaker
    else:
        assert abs(late) < 0.03 and abs(weaker) < 0.03, (late, weaker)


def test_feedback_signals_and_what_each_changed():
    """With feedback on, the long table carries the clinic's signals, and the truth what they changed:
    a client whose therapist never acted on a signal ends exactly as in the replay without feedback."""
    one = generate(Params(feedback_enabled=True), 40, 20, SEED, population_clients=0)
    assert {"expected_ors", "not_on_track"} <= set(one.sessions.columns)
    truth = one.truth["clients"]
    untouched = truth["feedback_sessions"] == 0
    assert (truth.loc[untouched, "wellbeing_final"] == truth.loc[untouched, "wellbeing_final_feedback_off"]).all()
    acted = truth[~untouched]
    assert len(acted) > 20 and (acted["wellbeing_final"] != acted["wellbeing_final_feedback_off"]).any()
    flagged = truth[truth["flagged"]]
    assert one.parameters["estimands"]["feedback_effect_flagged"]["sample"] == pytest.approx(
        float((flagged["wellbeing_final"] - flagged["wellbeing_final_feedback_off"]).mean())
    )


def test_the_empathy_scale_is_in_the_long_table_at_early_sessions(data):
    """The empathy items are answered at attended sessions 3-5 only, sum to their total, and their
    perceived empathy (truth) is known exactly there."""
    sessions, truth = data.sessions, data.truth["sessions"]
    given = sessions["empathy_total"].notna()
    assert given.any() and sessions.loc[given, "session"].between(3, 5).all() and sessions.loc[given, "attended"].all()
    items = sessions.loc[given, [f"empathy_{item}" for item in range(1, 7)]].astype(int)
    assert (items.sum(axis=1) == sessions.loc[given, "empathy_total"].astype(int)).all()
    assert (truth["empathy_perceived"].notna() == given).all()
    assert (
        np.corrcoef(truth.loc[given, "empathy_perceived"], sessions.loc[given, "empathy_total"].astype(float))[0, 1]
        > 0.5
    )


def test_replicates_share_one_truth_and_each_is_its_own_seed(tmp_path, capsys):
    """--replicates 2 writes two data sets (seeds 4 and 5) that share study.json's population values,
    and says so; replicate 2 is, to the byte, the data set of seed 5."""
    small = ["--therapists", "4", "--clients-per-therapist", "5"]
    assert main(["generate", "--out", str(tmp_path / "study"), *small, "--seed", "4", "--replicates", "2"]) == 0
    said = capsys.readouterr().out
    assert "Simulation study of 2 synthetic data sets" in said
    assert "replicate_001/ to replicate_002/" in said and "study.json" in said
    assert main(["generate", "--out", str(tmp_path / "single"), *small, "--seed", "5"]) == 0
    study = json.loads((tmp_path / "study" / "study.json").read_text())
    assert study["seeds"] == [4, 5]
    second = tmp_path / "study" / "replicate_002"
    for name in ("sessions.parquet", "clients.parquet", "truth/clients.parquet"):
        assert (second / name).read_bytes() == (tmp_path / "single" / name).read_bytes(), name
    for folder in ("replicate_001", "replicate_002"):
        truth = json.loads((tmp_path / "study" / folder / "truth" / "parameters.json").read_text())
        for name, entry in study["estimands"].items():
            assert truth["estimands"][name]["population"] == entry["population"], name
    assert "=~" in (tmp_path / "study" / "measurement_model.lavaan").read_text()
    manifest = json.loads((tmp_path / "study" / "manifest.json").read_text())
    assert "replicate_002/sessions.parquet" in manifest["checksums"]


def test_population_values_for_other_parameters_come_from_a_reference_run():
    """Parameters other than the defaults get population values from a reference simulation made
    with the data set (its size stated), or none when asked for none."""
    one = generate(Params(alliance_effect=1.0), 5, 10, SEED, population_clients=2000)
    assert "reference simulation" in one.parameters["population_source"]
    assert one.parameters["estimands"]["dropout_rate"]["population"] is not None
    none = generate(Params(alliance_effect=1.0), 5, 10, SEED, population_clients=0)
    assert "population" not in none.parameters["estimands"]["dropout_rate"]
    measured = generate(Params(item_nonresponse_rate=0.1), 5, 10, SEED, population_clients=0)  # no estimand moves
    assert "recorded reference" in measured.parameters["population_source"]


@pytest.mark.parametrize("format_name", ["group", "family"])
def test_groups_and_families_have_unit_level_truth(format_name):
    """Groups and families state the unit's share of latent change and early alliance, on the data set
    and in the recorded population."""
    estimands = generate(therapists=4, seed=SEED, format=format_name).parameters["estimands"]
    for name in ("unit_share_of_change_variance", "unit_share_of_alliance_variance"):
        assert 0 <= estimands[name]["sample"] < 1 and 0 < estimands[name]["population"] < 1, name


def test_no_dropout_replay_in_families_and_groups():
    """A family ends together, so members of families that stayed keep their value exactly; in a group
    the members who stayed change too, since their group keeps the members who would have left."""
    changed = {}
    for format_name in ("family", "group"):
        truth = generate(therapists=20, seed=5, format=format_name, population_clients=0).truth["clients"]
        stayed = truth[~truth["dropped_out"]]
        changed[format_name] = (stayed["wellbeing_no_dropout"] != stayed["wellbeing_final"]).mean()
    assert changed["family"] == 0 and changed["group"] > 0.5, changed
