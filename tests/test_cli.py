"""The alliance command, run in-process in a temporary folder."""

import hashlib
import importlib.util
import json

import pandas as pd
import pytest

from simulation.cli import main
from simulation.store import RUN_FILES


def digest(folder):
    return {name: hashlib.sha256((folder / name).read_bytes()).hexdigest() for name in RUN_FILES}


def test_run_writes_four_files_and_prints_a_summary(tmp_path, capsys):
    assert main(["run", "--clients", "300", "--seed", "3", "--out", str(tmp_path / "out")]) == 0
    printed = capsys.readouterr().out
    assert "Outcomes of 300 clients" in printed and "dropped_out" in printed and "Dropout" in printed
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(RUN_FILES)
    sessions = pd.read_parquet(tmp_path / "out" / "sessions.parquet")
    clients = pd.read_parquet(tmp_path / "out" / "clients.parquet")
    assert list(sessions.columns[:5]) == ["client_id", "therapist_id", "session", "stage", "attended"]
    assert {
        "ors_intake",
        "ors_final",
        "sessions_attended",
        "dropped_out",
        "ruptures",
        "ruptures_resolved",
        "alliance_early",
        "outcome",
    } <= set(clients.columns)
    assert len(clients) == 300 and sessions["client_id"].nunique() == 300
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["seed"] == 3 and manifest["parameters"]["course_length"] == 12
    assert {"mesa", "numpy", "pandas", "python"} <= set(manifest["versions"])


def test_same_seed_same_bytes_across_runs_and_chunkings(tmp_path):
    main(["run", "--clients", "500", "--seed", "8", "--out", str(tmp_path / "a")])
    main(["run", "--clients", "500", "--seed", "8", "--out", str(tmp_path / "b"), "--chunk", "90"])
    main(["run", "--clients", "500", "--seed", "9", "--out", str(tmp_path / "c")])
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    assert digest(tmp_path / "a")["sessions.parquet"] != digest(tmp_path / "c")["sessions.parquet"]


def test_presets_config_and_set_reach_the_manifest(tmp_path):
    config = tmp_path / "study.toml"
    config.write_text("[parameters]\nrepair_skill_mean = 0.8\ncourse_length = 16\n")
    out = tmp_path / "out"
    assert (
        main(
            [
                "run",
                "--clients",
                "50",
                "--out",
                str(out),
                "--preset",
                "online",
                "--config",
                str(config),
                "--set",
                "course_length=14",
            ]
        )
        == 0
    )
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["presets"] == ["online"]
    assert manifest["parameters"]["share_online"] == 0.95
    assert manifest["parameters"]["repair_skill_mean"] == 0.8
    assert manifest["parameters"]["course_length"] == 14  # --set wins over --config


def exit_status(argv):
    """main's status, whether it returns it or argparse exits with it."""
    try:
        return main(argv)
    except SystemExit as stop:
        return stop.code


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--set", "repair_skil_mean=0.7"], "unknown parameter 'repair_skil_mean'"),
        (["--set", "repair_skill_mean=1.7"], "repair_skill_mean must be from 0 to 1; got 1.7"),
        (["--set", "course_length=many"], "course_length must be a number from 2 to 104"),
        (["--set", "repair_enabled=perhaps"], "repair_enabled must be true or false"),
        (["--preset", "psychoanalytic"], "unknown preset 'psychoanalytic'; choose one of: working"),
        (["--clients", "0"], "--clients must be from 1 to"),
        (["--clients", "ten"], "--clients must be a whole number"),
        (["--seed", "-1"], "--seed must be from 0 to"),
        (["--config", "BROKEN"], "is not valid TOML"),
        (["--config", "MISSING"], "does not exist"),
        pytest.param(
            ["--backend", "cupy"],
            "backend 'cupy' needs CuPy",
            marks=pytest.mark.skipif(importlib.util.find_spec("cupy") is not None, reason="CuPy is installed here"),
        ),
    ],
)
def test_bad_input_exits_2_with_one_clear_line_and_writes_nothing(tmp_path, capsys, arguments, message):
    (tmp_path / "BROKEN").write_text("[parameters\n")
    arguments = [str(tmp_path / a) if a in ("BROKEN", "MISSING") else a for a in arguments]
    out = tmp_path / "out"
    assert exit_status(["run", "--out", str(out), *arguments]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_existing_output_needs_overwrite(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", "--clients", "40", "--out", str(out)]) == 0
    before = digest(out)
    assert main(["run", "--clients", "40", "--seed", "2", "--out", str(out)]) == 2
    assert "already exists; pass --overwrite" in capsys.readouterr().err
    assert digest(out) == before
    assert main(["run", "--clients", "40", "--seed", "2", "--out", str(out), "--overwrite"]) == 0
    assert digest(out) != before
    assert not [p for p in out.iterdir() if p.name.startswith(".partial")]


def test_run_needs_out(capsys):
    assert main(["run", "--clients", "10"]) == 2
    assert "run needs --out DIR" in capsys.readouterr().err


def test_params_and_presets_list_everything(tmp_path, capsys):
    from simulation.config import PARAMETERS, PRESETS

    assert main(["params"]) == 0
    listing = capsys.readouterr().out
    assert all(name in listing for name in PARAMETERS)
    assert "repair_skill_mean = 0.55   range 0 to 1" in listing
    assert main(["params", "--set", "repair_skill_mean=0.7", "--out", str(tmp_path)]) == 0
    assert "repair_skill_mean = 0.7" in (tmp_path / "parameters.toml").read_text()
    assert main(["presets"]) == 0
    lines = capsys.readouterr().out.splitlines()[-len(PRESETS) :]
    assert [line.split()[0] for line in lines] == list(PRESETS)
