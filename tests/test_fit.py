"""alliance fit: bad records are refused in one line with nothing written; the columns decide what can be
informed; same records and seed give the same bytes in this process and on a Dask cluster; a parameter
the records cannot inform is reported as not identified; and (slow) the 90 % intervals cover the truth
over generated data sets. Data sets are tiny (24-30 clients) and fits short (12-40 particles, 1-2
generations): these tests check the machinery, experiments/fit_calibration.py checks the statistics."""

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulation.cli import main
from simulation.config import Params
from simulation.fit import prepare
from simulation.fit.calibration import Design, calibrate_one, coverage
from simulation.fit.data import check
from simulation.fit.inference import Settings, run_abc
from simulation.fit.model import Simulator, make_priors
from simulation.fit.outputs import FIT_FILES
from simulation.fit.screen import screen
from simulation.fit.summaries import available
from simulation.synthetic import generate

pytest.importorskip("pyabc")
DOCS = Path(__file__).parent.parent / "docs"
SHORT = ["--population", "10", "--generations", "1", "--workers", "0"]  # should a refusal ever fail to refuse


@pytest.fixture(scope="module")
def sessions() -> pd.DataFrame:
    """A generated data set's long session table: 4 therapists x 6 clients."""
    return generate(Params(), therapists=4, clients_per_therapist=6, seed=7).sessions


@pytest.fixture
def data(sessions, tmp_path) -> Path:
    sessions.to_parquet(tmp_path / "sessions.parquet")
    return tmp_path / "sessions.parquet"


def refused(capsys, argv: list[str]) -> str:
    """Run the command, assert exit 2 with one line on stderr, and return that line."""
    assert main(argv) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1, error
    return error


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (
            lambda table: table.drop(columns=["ors_total", "ors_1", "ors_2", "ors_3", "ors_4"]),
            "missing column ors_total",
        ),
        (lambda table: table.assign(session=table["session"].where(table.index != 3, 1)), "must increase"),
        (lambda table: table.assign(ors_total=table["ors_total"].astype(float) + 30), "from 0 to 40"),
        (lambda table: table.assign(attended="maybe"), "column attended"),
    ],
)
def test_bad_records_get_one_line_exit_2_and_nothing_written(sessions, tmp_path, capsys, damage, message):
    """A missing column, a session number out of order, an ORS total outside 0-40 and a non-boolean
    attendance are each refused in one line naming the column, and --out is never created."""
    damage(sessions.copy()).to_csv(tmp_path / "bad.csv", index=False)
    out = tmp_path / "out"
    error = refused(
        capsys, ["fit", str(tmp_path / "bad.csv"), "--params", "attunement_mean", *SHORT, "--out", str(out)]
    )
    assert message in error
    assert not out.exists()


def test_bad_parameters_and_priors_are_refused_before_any_simulation(data, tmp_path, capsys):
    """An unknown parameter, a switch, and a prior outside the declared range: one line each, exit 2."""
    out = str(tmp_path / "out")
    assert "--params" in refused(capsys, ["fit", str(data), "--params", ",", *SHORT, "--out", out])
    assert "repair_skill_mean" in refused(
        capsys, ["fit", str(data), "--params", "repair_skil_mean", *SHORT, "--out", out]
    )
    assert "cannot be fitted" in refused(capsys, ["fit", str(data), "--params", "repair_enabled", *SHORT, "--out", out])
    (tmp_path / "fit.toml").write_text("[priors]\nattunement_mean = [0.2, 1.5]\n")
    line = refused(capsys, ["fit", str(data), "--params", "attunement_mean", "--config", str(tmp_path / "fit.toml"),
                            *SHORT, "--out", out])  # fmt: skip
    assert "prior of attunement_mean" in line
    assert not Path(out).exists()


def test_own_columns_map_through_the_toml_and_extra_columns_are_ignored(sessions, tmp_path):
    """A CSV with its own column names (and an extra column) reads through [columns]; [priors] narrows
    a prior; without WAI-SR columns the WAI summaries are gone."""
    own = sessions[["client_id", "therapist_id", "session", "attended", "ors_total"]].rename(
        columns={"client_id": "person", "ors_total": "ORS"}
    )
    own.assign(site="north").to_csv(tmp_path / "own.csv", index=False)
    (tmp_path / "fit.toml").write_text(
        '[columns]\nclient_id = "person"\nors_total = "ORS"\n[priors]\nattunement_mean = [0.3, 0.8]\n'
    )
    records, priors, _ = prepare(tmp_path / "own.csv", ["attunement_mean"], tmp_path / "fit.toml")
    assert records.columns == ("client_id", "therapist_id", "session", "attended", "ors_total")
    assert (priors[0].low, priors[0].high) == (0.3, 0.8)
    assert not [
        summary.name for summary in available(records.columns) if "wai" in summary.name or "srs" in summary.name
    ]


def test_the_screen_says_which_parameters_the_columns_can_inform(sessions, tmp_path):
    """WAI-SR client leniency moves only WAI-SR scores: with the WAI-SR columns the screen finds it
    informed through a WAI summary; without them, not informed, and the message says which columns
    are lacking. A dropout hazard is informed by attendance alone."""
    priors = make_priors(["wai_client_leniency", "practical_dropout_hazard"])
    full = check(sessions, tmp_path / "full")
    answer = screen(Simulator.mirroring(full, Params(), available(full.columns)), priors, seed=1)
    assert any(name.startswith("wai_") for name in answer.informing["wai_client_leniency"])
    bare = check(sessions.drop(columns=[c for c in sessions.columns if c.startswith(("wai_", "srs_"))]), tmp_path)
    answer = screen(Simulator.mirroring(bare, Params(), available(bare.columns)), priors, seed=1)
    assert answer.informing["wai_client_leniency"] == ()
    assert answer.informing["practical_dropout_hazard"]
    assert "cannot inform it (the records lack srs_total, wai_client_total)" in answer.message()


def digest(folder: Path, name: str) -> str:
    return hashlib.sha256((folder / name).read_bytes()).hexdigest()


def test_same_records_and_seed_same_bytes_here_and_on_a_dask_cluster(data, tmp_path, capsys):
    """`alliance fit` in this process and on a dask.distributed LocalCluster (--scheduler) writes the
    same posterior, estimates and figures byte for byte, and manifests that differ only in the command."""
    distributed = pytest.importorskip("distributed")
    common = ["--params", "practical_dropout_hazard", "--population", "12", "--generations", "1", "--seed", "5"]
    assert main(["fit", str(data), *common, "--workers", "0", "--out", str(tmp_path / "here")]) == 0
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, protocol="tcp", dashboard_address=":0"
    ) as cluster:
        argv = ["fit", str(data), *common, "--scheduler", cluster.scheduler_address, "--out", str(tmp_path / "dask")]
        assert main(argv) == 0
    output = capsys.readouterr().out
    assert "practical_dropout_hazard: the given columns can inform it" in output
    for name in FIT_FILES[:-1]:
        assert digest(tmp_path / "here", name) == digest(tmp_path / "dask", name), name
    here, there = (json.loads((tmp_path / where / "manifest.json").read_text()) for where in ("here", "dask"))
    assert here.pop("command") != there.pop("command")
    assert here == there
    assert here["library"]["name"] == "pyabc" and here["seeds"]["fit"] == 5
    assert here["data"]["sha256"] == hashlib.sha256(data.read_bytes()).hexdigest()
    assert len(pd.read_parquet(tmp_path / "here" / "posterior.parquet")) == 12
    assert main(["fit", str(data), *common, "--workers", "0", "--out", str(tmp_path / "here")]) == 2  # no overwrite


def test_a_parameter_the_records_cannot_inform_is_reported_as_not_identified(sessions, tmp_path):
    """Fitted from records without WAI-SR columns, WAI-SR client leniency keeps a posterior about as
    wide as its prior and the table says it is not identified; the dropout hazard fitted beside it,
    which attendance informs, is narrower than its prior."""
    bare = check(sessions.drop(columns=[c for c in sessions.columns if c.startswith(("wai_", "srs_"))]), tmp_path)
    priors = make_priors(["wai_client_leniency", "practical_dropout_hazard"])
    table = run_abc(bare, priors, None, Settings(seed=3, population=40, generations=2)).table().set_index("parameter")
    assert not table.loc["wai_client_leniency", "identified"]
    assert table.loc["wai_client_leniency", "sd_over_prior_sd"] > 0.8
    assert (
        table.loc["practical_dropout_hazard", "sd_over_prior_sd"] < table.loc["wai_client_leniency", "sd_over_prior_sd"]
    )


def test_the_documented_calibration_and_recovery_match_their_tables():
    """docs/fit.md's calibration figures are those of docs/fit_calibration.csv (written by
    experiments/fit_calibration.py over 50 data sets), and its recovery sentences hold for
    docs/fit_recovery.csv (written by experiments/fit_recovery.py)."""
    ranks = pd.read_csv(DOCS / "fit_calibration.csv")
    table = coverage(ranks)
    text = " ".join((DOCS / "fit.md").read_text().split())
    assert ranks["data_set"].nunique() >= 50
    for row in table.itertuples():
        line = f"| {row.parameter} | {row.data_sets} | {100 * row.coverage_90:.0f} % | {row.sd_over_prior_sd:.2f} | "
        assert line + f"{row.uniform_ranks_p:.2f} |" in text
    attunement = ranks[ranks["parameter"] == "attunement_mean"]
    share = 100 * (attunement["sd_over_prior_sd"] >= 0.8).mean()
    assert f"{share:.0f} % of its fits report it as not identified" in text
    recovery = pd.read_csv(DOCS / "fit_recovery.csv").set_index("parameter")
    assert ((recovery["q05"] <= recovery["truth"]) & (recovery["truth"] <= recovery["q95"])).all()
    width = (recovery["q95"] - recovery["q05"]) / (recovery["prior_high"] - recovery["prior_low"])
    assert 0.15 < width["practical_dropout_hazard"] < 0.25 and "about a fifth of its prior range" in text
    assert (width[["repair_skill_mean", "attunement_mean"]] > 0.5).all() and "spanning over half" in text
    assert recovery["sd_over_prior_sd"][["repair_skill_mean", "attunement_mean"]].between(0.55, 0.65).all()
    assert "Their posterior SD is about 0.6 of the prior's" in text


@pytest.mark.slow
def test_intervals_cover_the_truth_over_generated_data_sets():
    """Simulation-based calibration at test size: 6 data sets of 30 clients with the dropout hazard
    drawn from its prior, each fitted (20 particles, 2 generations; about 10 s of processor time each);
    the 90 % intervals cover the truth in at least 4 of 6 (a binomial(6, 0.9) count is 4 or more with
    probability 0.98), and the truth's posterior CDF values are not piled at one end (at most 3 of 6 in
    either outer fifth)."""
    design = Design(make_priors(["practical_dropout_hazard"]), therapists=3, caseload=10, population=20, generations=2)
    ranks = pd.DataFrame([row for index in range(6) for row in calibrate_one(design, index)])
    assert ranks["covered"].sum() >= 4
    assert (ranks["rank"] < 0.2).sum() <= 3 and (ranks["rank"] > 0.8).sum() <= 3
    assert np.all((ranks["q05"] <= ranks["mean"]) & (ranks["mean"] <= ranks["q95"]))


def test_the_doc_states_the_codes_settings_and_summaries():
    """docs/fit.md's numbers about the method are the code's: defaults, batch size, the screen's repeats
    and threshold, the identification ratio, the predictive draws; and it lists every summary with its
    meaning."""
    from simulation.fit import defaults, inference, outputs, sampler
    from simulation.fit import screen as screening
    from simulation.fit.summaries import SUMMARIES

    text = " ".join((DOCS / "fit.md").read_text().split())
    assert f"(particles per round, default {defaults.DEFAULT_POPULATION})" in text
    assert f"(rounds, default {defaults.DEFAULT_GENERATIONS})" in text
    assert f"numbered batches of {sampler.BATCH}" in text
    assert screening.REPEATS == 3 and screening.INFORMS_Z == 3.0 and screening.ENDS == (0.1, 0.9)
    assert "(three data sets each)" in text and "more than three standard errors" in text
    assert f"posterior SD is {inference.NOT_IDENTIFIED_RATIO} or more of its prior's" in text
    assert f"beside {outputs.PREDICTIVE_DRAWS} data sets simulated at posterior draws" in text
    for summary in SUMMARIES:
        assert f"| `{summary.name}` |" in text and summary.meaning in text, summary.name


def test_the_wai_schedule_of_generated_records_includes_the_planned_last_session(tmp_path):
    """`alliance generate` gives the WAI-SR at 3, 5, 8 and the planned last session (12): the fit's
    simulated data sets must get all four (the last was left out, which biased wai_change)."""
    from simulation.fit.data import read_records
    from simulation.fit.model import wai_schedule

    out = tmp_path / "data"
    assert (
        main(["generate", "--therapists", "10", "--clients-per-therapist", "10", "--seed", "1", "--out", str(out)]) == 0
    )
    schedule = wai_schedule(read_records(out))
    assert schedule.sessions == (3, 5, 8, 12) and not schedule.every
