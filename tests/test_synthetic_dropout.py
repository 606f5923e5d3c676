"""The imposed dropout of synthetic data sets (simulation.synthetic.dropout, docs/synthetic.md): missing
at random given the observed ORS with the MNAR dial at 0 and not at random above it, by construction;
refused outside the individual format; recorded in the truth; nothing changed with it off."""

from __future__ import annotations

import json
import re
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulation.cli import main
from simulation.config import Params
from simulation.synthetic import generate

SEED = 3


def imposed(dial: float = 0.0, therapists: int = 50, seed: int = SEED, **changes: float):
    """A data set of ``therapists`` x 40 clients with the imposed dropout at MNAR dial ``dial``."""
    params = Params(imposed_dropout=True, dropout_wellbeing_weight=dial, **changes)
    return generate(params, therapists, 40, seed, population_clients=0)


def person_sessions(data) -> pd.DataFrame:
    """One row per client and session at risk of the imposed dropout (every session of a client who
    dropped out, every session but the planned last of one who did not) with whether the course ended
    there and both declines from intake per 10 ORS points: observed (intake ORS minus the last observed
    ORS total, from the long table) and latent (from the truth)."""
    rows = data.sessions[["client_id", "session", "ors_total"]].copy()
    truth = data.truth["clients"].set_index("client_id")
    ended_at = rows["client_id"].map(truth["imposed_dropout_session"]).astype(float)
    rows["ended"] = (rows["session"] == ended_at).astype(float)
    rows = rows[(rows["ended"] == 1) | (rows["session"] < rows.groupby("client_id")["session"].transform("max"))]
    last_ors = rows["ors_total"].astype(float).groupby(rows["client_id"]).ffill()
    ors_intake = rows["client_id"].map(data.clients.set_index("client_id")["ors_intake"].astype(float))
    rows["observed"] = (ors_intake - last_ors) / 10
    wellbeing = data.truth["sessions"]["wellbeing"].astype(float).loc[rows.index]
    rows["latent"] = (rows["client_id"].map(truth["wellbeing_intake"]) - wellbeing) / 10
    return rows


def dropout_model(data) -> tuple[dict[str, float], dict[str, float]]:
    """Discrete-time logistic regression of the imposed dropout on the observed and the latent decline:
    coefficients and standard errors (log-odds per 10 ORS points)."""
    sm = pytest.importorskip("statsmodels.api")
    rows = person_sessions(data)
    fit = sm.Logit(rows["ended"], sm.add_constant(rows[["observed", "latent"]])).fit(disp=0)
    return dict(fit.params), dict(fit.bse)


def test_dial_zero_is_mar_given_the_observed_ors_and_the_dial_makes_it_mnar():
    """2,000 clients per dial (seed 3), about 400 dropouts each. Given the observed decline the latent
    decline predicts nothing at dial 0 (its coefficient within 2.5 standard errors of 0; measured
    -0.26, SE .18), and recovers the dial above 0 (within 3 SE; measured 1.74 at 2 and 4.07 at 4), rising
    with it; the observed decline keeps its weight (imposed_dropout_ors_weight 1) at every dial."""
    fits = {dial: dropout_model(imposed(dial)) for dial in (0.0, 2.0, 4.0)}
    coefficients, errors = fits[0.0]
    assert abs(coefficients["latent"]) <= 2.5 * errors["latent"], fits[0.0]
    for dial in (2.0, 4.0):
        coefficients, errors = fits[dial]
        assert abs(coefficients["latent"] - dial) <= 3 * errors["latent"], (dial, fits[dial])
    assert fits[0.0][0]["latent"] < fits[2.0][0]["latent"] < fits[4.0][0]["latent"]
    for coefficients, errors in fits.values():
        assert abs(coefficients["observed"] - 1.0) <= 3 * errors["observed"], coefficients


def test_complete_case_change_rises_with_the_dial_and_the_no_dropout_outcome_stays():
    """Complete-case ORS change rises with the dial (0, 2, 4; 2,000 clients); every client's no-dropout
    potential outcome is that of the model's own data set, to the bit: the imposed dropout changes who
    drops out, not what would happen without dropout."""
    data = {dial: imposed(dial) for dial in (0.0, 2.0, 4.0)}
    complete_case = [float(one.clients.loc[~one.clients["dropped_out"], "change"].mean()) for one in data.values()]
    assert complete_case[0] < complete_case[1] < complete_case[2], complete_case
    model = generate(Params(), 50, 40, SEED, population_clients=0).truth["clients"]["wellbeing_no_dropout"]
    for one in data.values():
        assert one.truth["clients"]["wellbeing_no_dropout"].equals(model)


def test_truth_records_the_dial_and_each_clients_imposed_dropout():
    """parameters.json states the switch, the dial and the imposed dropout's mechanism; truth/clients
    gives the session each imposed dropout ended the course at, which is the client's last row; every
    dropout is imposed (the model's own causes, practical and improved, never occur)."""
    data = imposed(4.0, therapists=10, seed=5)
    parameters = data.parameters["parameters"]
    assert parameters["imposed_dropout"]["value"] is True
    assert parameters["dropout_wellbeing_weight"]["value"] == 4.0
    assert parameters["imposed_dropout_rate"]["unit"] == "per session"
    assert "imposed_dropout" in data.parameters["missingness"] and "dropout" not in data.parameters["missingness"]
    clients = data.truth["clients"]
    ended = clients["imposed_dropout_session"]
    assert ended.notna().sum() > 20
    assert (ended.notna() == clients["dropped_out"]).all()
    last = data.sessions.groupby("client_id")["session"].max()
    dropped = clients[clients["dropped_out"]]
    assert (dropped["imposed_dropout_session"].to_numpy() == last.loc[dropped["client_id"]].to_numpy()).all()
    assert set(clients.loc[clients["dropped_out"], "dropout_cause"]) == {"disengaged"}


def test_replay_with_delta_zero_keeps_the_imposed_course():
    """With the imposed dropout the replayed courses meet it too: raising the alliance by 0 gives every
    client's own final well-being, to the bit."""
    clients = imposed(2.0, therapists=5, seed=7, estimand_alliance_delta=0.0).truth["clients"]
    assert clients["wellbeing_alliance_raised"].to_numpy().tobytes() == clients["wellbeing_final"].to_numpy().tobytes()


def test_with_the_switch_off_the_imposed_parameters_change_nothing():
    """imposed_dropout off (the default): its rate and weight change no table, and no truth column is added."""
    plain = generate(Params(), 5, 10, SEED, population_clients=0)
    changed = Params(imposed_dropout_rate=0.3, imposed_dropout_ors_weight=5.0)
    other = generate(changed, 5, 10, SEED, population_clients=0)
    for name, table in plain.tables().items():
        pd.testing.assert_frame_equal(table, other.tables()[name], obj=name)
    assert "imposed_dropout_session" not in plain.truth["clients"].columns


@pytest.mark.parametrize("format_name", ["group", "family"])
def test_groups_and_families_are_refused(format_name, tmp_path, capsys):
    """A group or family ends or stays together: imposed_dropout is refused there with exit status 2, one
    line naming the parameter, and nothing written."""
    out = tmp_path / "data"
    arguments = ["generate", "--out", str(out), "--format", format_name, "--therapists", "2"]
    assert main([*arguments, "--set", "imposed_dropout=true"]) == 2
    error = capsys.readouterr().err.strip()
    assert "imposed_dropout" in error and "individual format only" in error and len(error.splitlines()) == 1
    assert not out.exists()


def test_the_written_data_set_holds_the_imposed_dropout(tmp_path):
    """`alliance generate --set imposed_dropout=true` writes the truth column and the mechanism."""
    out = tmp_path / "data"
    arguments = ["generate", "--out", str(out), "--therapists", "3", "--clients-per-therapist", "10"]
    settings = ["--set", "imposed_dropout=true", "--set", "dropout_wellbeing_weight=2", "--file-format", "csv"]
    assert main([*arguments, "--population-clients", "0", *settings]) == 0
    document = json.loads((out / "truth" / "parameters.json").read_text(encoding="utf-8"))
    assert "imposed_dropout" in document["missingness"]
    assert "imposed_dropout_session" in pd.read_csv(out / "truth" / "clients.csv").columns
    assert np.isclose(document["parameters"]["dropout_wellbeing_weight"]["value"], 2.0)


DOC_TABLE_ROWS = {  # the rows of docs/synthetic.md's table, by the study's condition names
    "no dropout": "none (rate 0)",
    "constant hazard per session": "constant hazard per session (ORS weight 0)",
    "observed ORS (MAR, dial 0)": "observed ORS decline, MAR (dial 0)",
    "observed ORS + dial 4 (MNAR)": "observed ORS decline and dial 4, MNAR",
}


def documented_biases() -> dict[str, tuple[float, float]]:
    """The complete-case and weighted biases docs/synthetic.md states per condition."""
    text = (Path(__file__).parents[1] / "docs" / "synthetic.md").read_text(encoding="utf-8")
    stated = {}
    for condition, label in DOC_TABLE_ROWS.items():
        row = re.search(
            rf"^\| {re.escape(label)} \| [\d.]+ % \| ([+-][\d.]+) \([\d.]+\) \| ([+-][\d.]+) \(", text, re.M
        )
        assert row, label
        stated[condition] = (float(row[1]), float(row[2]))
    return stated


@pytest.mark.slow
def test_the_documented_dropout_study_holds_on_a_fresh_quarter_of_it():
    """docs/synthetic.md's table (40 replicates of 800 clients per condition, seeds 500-539) against a
    fresh run of its first 10 replicates: every stated bias within 3 of the fresh run's Monte Carlo
    errors (plus the table's rounding) of the fresh bias, and what the doc says of them: complete cases
    biased upward under MAR (above 0.4) and more under MNAR, weighting unbiased under MAR (within 0.25)
    and not under MNAR (above 0.25)."""
    pytest.importorskip("statsmodels")
    sys.path.insert(0, str(Path(__file__).parents[1] / "experiments"))
    from synthetic_study import DROPOUT_CONDITIONS, dropout_study

    assert set(DOC_TABLE_ROWS) == set(DROPOUT_CONDITIONS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fresh = dropout_study(10, 40, 20, first_seed=500).set_index(["condition", "estimator"])
    for condition, stated in documented_biases().items():
        for estimator, value in zip(("complete case", "inverse probability weighted"), stated, strict=True):
            row = fresh.loc[(condition, estimator)]
            assert abs(value - row["bias"]) <= 3 * row["bias_mc_error"] + 0.005, (condition, estimator, row)
    bias = fresh["bias"]
    mar, mnar = "observed ORS (MAR, dial 0)", "observed ORS + dial 4 (MNAR)"
    assert bias[(mar, "complete case")] > 0.4 and bias[(mnar, "complete case")] > bias[(mar, "complete case")]
    assert abs(bias[(mar, "inverse probability weighted")]) < 0.25
    assert bias[(mnar, "inverse probability weighted")] > 0.25


def test_the_experiments_readme_states_the_documented_biases():
    """experiments/README.md quotes the MAR and MNAR rows of docs/synthetic.md's table."""
    readme = " ".join((Path(__file__).parents[1] / "experiments" / "README.md").read_text(encoding="utf-8").split())
    stated = documented_biases()
    mar, mnar = stated["observed ORS (MAR, dial 0)"], stated["observed ORS + dial 4 (MNAR)"]
    assert (
        f"by {mar[0]:.2f} ORS points, inverse probability weighting on the observed decline by {mar[1]:.2f}" in readme
    )
    assert f"with the dial at 4 (MNAR) by {mnar[0]:.2f} and {mnar[1]:.2f}" in readme
