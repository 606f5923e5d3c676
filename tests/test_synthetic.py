"""Synthetic data sets: the kernel's results unchanged under the measurement layer, the codebook
covering every written column, the missingness mechanism, byte-identical regeneration in both file
formats whatever the chunk size, and refusals that write nothing."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulation.cli import main
from simulation.config import Params
from simulation.synthetic import TABLES, file_names, generate
from simulation.tables import simulate

SMALL = ["--therapists", "6", "--clients-per-therapist", "10", "--seed", "4"]


def exit_status(arguments: list[str]) -> int:
    """The status of ``alliance ARGUMENTS`` (argparse's own refusals exit through SystemExit)."""
    try:
        return main(arguments)
    except SystemExit as stop:
        return int(stop.code)


@pytest.fixture(scope="module")
def data():
    """400 clients of 20 therapists, default parameters, fixed seed."""
    return generate(therapists=20, clients_per_therapist=20, seed=7)


def test_the_kernels_results_do_not_change(data):
    """The truth holds the kernel's own tables: the same run simulated without instruments."""
    kernel = simulate(Params(), 400, 7)
    truth = data.truth["sessions"]
    for column in ("attended", "bond", "alliance", "alliance_therapist", "rupture", "rupture_kind"):
        assert truth[column].equals(kernel.sessions[column])
    assert truth["ors_kernel"].equals(kernel.sessions["ors"])
    added = ["wai_therapist_dyad", "wellbeing_alliance_raised", "wellbeing_no_dropout"]
    pd.testing.assert_frame_equal(data.truth["clients"].drop(columns=added), kernel.clients)


def test_long_table_has_one_row_per_scheduled_session_and_observed_clients_agree(data):
    """One row per client and scheduled session; the client table's ORS figures come from the items."""
    assert len(data.sessions) == int(data.clients["sessions_scheduled"].sum())
    assert data.clients["ors_intake"].equals(data.truth["clients"]["ors_intake"].astype("Int16"))
    assert (data.clients["change"] == data.clients["ors_final"] - data.clients["ors_intake"]).all()
    assert set(data.therapists["therapist_id"]) == set(data.sessions["unit_id"])


def test_dropout_depends_on_the_latent_alliance(data):
    """Missing not at random: clients who drop out disengaged had a weaker latent alliance at their last
    attended session than clients who completed, and missed sessions follow a weaker alliance."""
    truth = data.truth["sessions"]
    last = truth[truth["attended"]].groupby("client_id").tail(1).set_index("client_id")["alliance"]
    cause = data.truth["clients"].set_index("client_id")["dropout_cause"]
    assert last[cause == "disengaged"].mean() < last[cause == "none"].mean() - 0.05
    before = truth.groupby("client_id")["alliance"].shift(1)
    assert before[~truth["attended"]].mean() < before[truth["attended"]].mean()


def test_truth_documents_parameters_and_estimands(data):
    document = data.parameters
    assert document["parameters"]["item_nonresponse_rate"]["unit"] == "probability"
    estimands = document["estimands"]
    assert 0 < estimands["therapist_share_of_alliance_variance"]["sample"] < 1
    assert 0 < estimands["therapist_share_of_alliance_variance"]["population"] < 1
    assert estimands["within_client_alliance_to_next_ors"]["sample"] > 0
    assert {"dropout", "item_nonresponse", "missed_sessions"} <= set(document["missingness"])


@pytest.mark.parametrize("file_format", ["parquet", "csv"])
def test_same_seed_same_bytes_whatever_the_chunk(tmp_path, file_format):
    """Two data sets from one seed are identical to the byte, in chunks of 7 clients or in one."""
    for name, chunk in (("a", "7"), ("b", "100000")):
        assert (
            main(
                [
                    "generate",
                    "--out",
                    str(tmp_path / name),
                    *SMALL,
                    "--chunk",
                    chunk,
                    "--file-format",
                    file_format,
                    "--set",
                    "item_nonresponse_rate=0.05",
                ]
            )
            == 0
        )
    for name in file_names(file_format):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def assert_codebook_complete(folder: Path, file_format: str) -> None:
    """codebook.json lists exactly the columns of every written table, each with all its fields."""
    book = json.loads((folder / "codebook.json").read_text())
    markdown = (folder / "codebook.md").read_text()
    for table in TABLES:
        file = f"{table}.{file_format}"
        path = folder / file
        columns = pd.read_parquet(path).columns if file_format == "parquet" else pd.read_csv(path, nrows=1).columns
        assert [entry["name"] for entry in book[file]] == list(columns)
        for entry in book[file]:
            assert all(entry[key] for key in ("meaning", "type", "unit", "range", "missing"))
            assert f"`{entry['name']}`" in markdown


@pytest.mark.parametrize("file_format", ["parquet", "csv"])
def test_codebook_covers_every_column_of_every_table(tmp_path, file_format):
    assert main(["generate", "--out", str(tmp_path), *SMALL, "--file-format", file_format]) == 0
    assert_codebook_complete(tmp_path, file_format)
    readme = (tmp_path / "README.md").read_text()
    assert "alliance generate --out DATASET --seed 4" in readme


@pytest.mark.parametrize(("format_name", "unit_figure"), [("group", "cohesion"), ("family", "split")])
def test_group_and_family_data_sets(tmp_path, format_name, unit_figure):
    """--format makes whole groups or families: units and roles pass through to the observed tables,
    the unit's latent figure and the latent well-being go to the truth, item totals still equal the
    kernel's, every column is in the codebook, and the bytes do not depend on the chunk size."""
    for name, chunk in (("a", "7"), ("b", "100000")):
        options = ["--format", format_name, "--therapists", "3", "--seed", "4", "--chunk", chunk]
        assert main(["generate", "--out", str(tmp_path / name), *options]) == 0
    for name in file_names("parquet"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    assert_codebook_complete(tmp_path / "a", "parquet")
    sessions = pd.read_parquet(tmp_path / "a" / "sessions.parquet")
    truth = pd.read_parquet(tmp_path / "a" / "truth" / "sessions.parquet")
    assert (sessions["format"] == format_name).all() and "member_session" in sessions.columns
    assert sessions.groupby("unit_id")["client_id"].nunique().max() > 1  # members share a unit
    assert sessions["therapist_id"].nunique() == 3
    assert {unit_figure, "wellbeing"} <= set(truth.columns)
    attended = sessions["attended"].to_numpy()
    assert sessions["ors_total"][attended].astype(int).equals(truth["ors_kernel"][attended].astype(int))
    if format_name == "family":
        assert "role" in pd.read_parquet(tmp_path / "a" / "clients.parquet").columns
    assert f"--format {format_name}" in (tmp_path / "a" / "README.md").read_text()


def test_csv_and_parquet_hold_the_same_values(tmp_path):
    for file_format in ("parquet", "csv"):
        assert main(["generate", "--out", str(tmp_path / file_format), *SMALL, "--file-format", file_format]) == 0
    parquet = pd.read_parquet(tmp_path / "parquet" / "sessions.parquet")
    csv = pd.read_csv(tmp_path / "csv" / "sessions.csv")
    assert np.allclose(parquet["ors_total"].astype(float), csv["ors_total"], equal_nan=True)
    assert np.allclose(parquet["wai_therapist_7"].astype(float), csv["wai_therapist_7"], equal_nan=True)


@pytest.mark.parametrize(
    "options",
    [
        ["--wai-schedule", "0,5"],
        ["--set", "item_nonresponse_rate=0.9"],
        ["--therapists", "0"],
        ["--file-format", "xlsx"],
        ["--replicates", "0"],
        ["--population-clients", "-1"],
        ["--set", "dropout_wellbeing_weight=11"],
        [],  # no --out
    ],
)
def test_bad_input_exits_2_and_writes_nothing(tmp_path, capsys, options):
    out = tmp_path / "data"
    arguments = ["generate", *(["--out", str(out)] if options else []), *SMALL, *options]
    assert exit_status(arguments) == 2
    assert not out.exists()
    assert "error" in capsys.readouterr().err


def test_existing_data_set_is_not_overwritten(tmp_path, capsys):
    assert main(["generate", "--out", str(tmp_path), *SMALL]) == 0
    before = {path: path.read_bytes() for path in tmp_path.rglob("*") if path.is_file()}
    assert main(["generate", "--out", str(tmp_path), *SMALL, "--seed", "5"]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert {path: path.read_bytes() for path in tmp_path.rglob("*") if path.is_file()} == before
    assert main(["generate", "--out", str(tmp_path), *SMALL, "--seed", "5", "--overwrite"]) == 0
    assert (tmp_path / "sessions.parquet").read_bytes() != before[tmp_path / "sessions.parquet"]


def test_worked_example_runs_and_puts_estimates_beside_the_truth(tmp_path):
    """experiments/synthetic_methods.py fits its models and writes its table and figure."""
    import subprocess
    import sys

    script = Path(__file__).parents[1] / "experiments" / "synthetic_methods.py"
    done = subprocess.run(
        [sys.executable, str(script), "--results", str(tmp_path)], capture_output=True, text=True, check=True
    )
    assert "truth" in done.stdout
    table = pd.read_csv(tmp_path / "synthetic_methods" / "estimates_vs_truth.csv")
    assert len(table) == 3 and table[["estimate", "se", "truth", "sample_truth"]].notna().all().all()
    population = json.loads((tmp_path / "synthetic_methods" / "data" / "truth" / "parameters.json").read_text())
    for row in table.itertuples():
        entry = population["estimands"][row.estimand]
        entry = entry.get("per_wai_total_point", entry)
        assert row.truth == pytest.approx(entry["population"]) and row.sample_truth == pytest.approx(entry["sample"])
    assert (tmp_path / "synthetic_methods" / "estimates_vs_truth.png").stat().st_size > 10_000
