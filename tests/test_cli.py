"""The alliance command, run in-process in a temporary folder."""

import hashlib
import importlib.util
import json

import pandas as pd
import pytest

from simulation.cli import main
from simulation.presets import PRESETS
from simulation.recipe import RunRecipe
from simulation.store import RUN_FILES


def digest(folder):
    return {name: hashlib.sha256((folder / name).read_bytes()).hexdigest() for name in RUN_FILES}


def manifest_but_command_line(folder):
    """The manifest without the command line it records (which names the output folder)."""
    manifest = json.loads((folder / "manifest.json").read_text())
    del manifest["recipe"]["argv"]
    return manifest


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
    causes = manifest["summary"]["dropout_causes"]
    assert set(causes) == {"disengaged", "practical", "improved"}
    assert sum(causes.values()) == pytest.approx(manifest["summary"]["dropout_rate"])
    assert causes["practical"] == pytest.approx((clients["dropout_cause"] == "practical").mean())


def test_same_seed_same_bytes_across_runs_and_chunkings(tmp_path):
    main(["run", "--clients", "500", "--seed", "8", "--out", str(tmp_path / "a")])
    main(["run", "--clients", "500", "--seed", "8", "--out", str(tmp_path / "b"), "--chunk", "90"])
    main(["run", "--clients", "500", "--seed", "9", "--out", str(tmp_path / "c")])
    data = [name for name in RUN_FILES if name.endswith(".parquet")]
    assert [digest(tmp_path / "a")[name] for name in data] == [digest(tmp_path / "b")[name] for name in data]
    assert manifest_but_command_line(tmp_path / "a") == manifest_but_command_line(tmp_path / "b")
    assert digest(tmp_path / "a")["sessions.parquet"] != digest(tmp_path / "c")["sessions.parquet"]


def test_manifest_records_how_the_parameters_were_made_and_remakes_them(tmp_path):
    """Presets from --preset and from the config file (in order), the config file (path, sha256, text),
    the --set values and the command line reach the manifest; the recorded recipe, re-applied
    without the file, gives the recorded parameters."""
    config = tmp_path / "study.toml"
    config.write_text('presets = ["reparative"]\n[parameters]\nseverity_mean = 0.2\ncourse_length = 16\n')
    out = tmp_path / "out"
    argv = ["run", "--clients", "50", "--out", str(out), "--preset", "online", "--config", str(config)]
    argv += ["--set", "course_length=14"]
    assert main(argv) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    recipe = manifest["recipe"]
    assert recipe["presets"] == ["online", "reparative"]
    assert recipe["config"] == {
        "path": str(config),
        "sha256": hashlib.sha256(config.read_bytes()).hexdigest(),
        "text": config.read_text(),
    }
    assert recipe["set"] == {"course_length": 14}
    assert recipe["argv"] == ["alliance", *argv]
    parameters = manifest["parameters"]
    assert parameters["share_online"] == PRESETS["online"].overrides["share_online"]
    assert parameters["attunement_mean"] == PRESETS["reparative"].overrides["attunement_mean"]
    assert parameters["severity_mean"] == 0.2
    assert parameters["course_length"] == 14  # --set wins over --config
    config.unlink()  # the recorded text is enough
    assert RunRecipe.from_dict(recipe).params().as_dict() == parameters


def test_repair_contrast_of_the_readme_is_paired(tmp_path):
    """The same command with and without --set repair_enabled=false: the same therapists and clients
    (counter-based draws), and repair is what differs."""
    command = ["run", "--clients", "400", "--preset", "reparative", "--seed", "7"]
    assert main([*command, "--out", str(tmp_path / "repair")]) == 0
    assert main([*command, "--out", str(tmp_path / "no-repair"), "--set", "repair_enabled=false"]) == 0
    assert digest(tmp_path / "repair")["therapists.parquet"] == digest(tmp_path / "no-repair")["therapists.parquet"]
    with_repair, without = (pd.read_parquet(tmp_path / name / "clients.parquet") for name in ("repair", "no-repair"))
    traits = ["client_id", "therapist_id", "attachment", "motivation", "wellbeing_intake", "ors_intake"]
    pd.testing.assert_frame_equal(with_repair[traits], without[traits])
    assert with_repair["ruptures_resolved"].sum() > 0 and without["ruptures_resolved"].sum() == 0


def test_calibrate_header_says_what_was_set(tmp_path, capsys):
    config = tmp_path / "study.toml"
    config.write_text("[parameters]\nseverity_mean = 0.2\n")
    argv = ["calibrate", "--clients", "200", "--preset", "reparative", "--config", str(config)]
    assert main([*argv, "--set", "repair_skill_mean=0.9", "--out", str(tmp_path / "out")]) == 0
    header = capsys.readouterr().out.splitlines()[0]
    assert "default parameters" not in header
    assert f"preset reparative; config file {config}; --set repair_skill_mean=0.9" in header
    recorded = json.loads((tmp_path / "out" / "calibration.json").read_text())
    assert recorded["recipe"]["set"] == {"repair_skill_mean": 0.9}
    assert main(["calibrate", "--clients", "200"]) == 0
    assert "seed 20261128, default parameters." in capsys.readouterr().out.splitlines()[0]


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
        (["--set", "repair_skill_mean=1.7"], "repair_skill_mean must be a number from 0 to 1; got 1.7"),
        (["--set", "course_length=many"], "course_length must be a whole number from 2 to 104"),
        (["--set", "repair_enabled=perhaps"], "repair_enabled must be true or false"),
        (["--preset", "psychoanalytic"], "unknown preset 'psychoanalytic'; choose one of: working"),
        (["--clients", "0"], "--clients must be from 1 to"),
        (["--clients", "ten"], "--clients must be a whole number"),
        (["--seed", "-1"], "--seed must be from 0 to"),
        (["--config", "BROKEN"], "is not valid TOML"),
        (["--config", "MISSING"], "does not exist"),
        (["--config", "OUT_OF_RANGE"], "OUT_OF_RANGE: repair_skill_mean must be a number from 0 to 1; got 7"),
        pytest.param(
            ["--backend", "cupy"],
            "backend 'cupy' needs CuPy",
            marks=pytest.mark.skipif(importlib.util.find_spec("cupy") is not None, reason="CuPy is installed here"),
        ),
    ],
)
def test_bad_input_exits_2_with_one_clear_line_and_writes_nothing(tmp_path, capsys, arguments, message):
    (tmp_path / "BROKEN").write_text("[parameters\n")
    (tmp_path / "OUT_OF_RANGE").write_text("[parameters]\nrepair_skill_mean = 7\n")
    arguments = [str(tmp_path / a) if a in ("BROKEN", "MISSING", "OUT_OF_RANGE") else a for a in arguments]
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
    from simulation.config import PARAMETERS
    from simulation.presets import PRESETS

    assert main(["params"]) == 0
    listing = capsys.readouterr().out
    assert all(name in listing for name in PARAMETERS)
    assert "repair_skill_mean = 0.55   range 0 to 1" in listing
    assert main(["params", "--set", "repair_skill_mean=0.7", "--out", str(tmp_path)]) == 0
    assert "repair_skill_mean = 0.7" in (tmp_path / "parameters.toml").read_text()
    assert main(["presets"]) == 0
    lines = capsys.readouterr().out.splitlines()[-len(PRESETS) :]
    assert [line.split()[0] for line in lines] == list(PRESETS)


def test_a_subcommand_registers_with_one_line(tmp_path, monkeypatch, capsys):
    """A module with add_parser(commands) and run(args), named in cli.SUBCOMMANDS, is a subcommand: it
    is listed by `alliance --help` and runs with its options; its UsageError, and the errors it names in
    USER_ERRORS, are one line and exit status 2."""
    from simulation import cli

    (tmp_path / "hello_errors.py").write_text("class Unheard(Exception):\n    pass\n", encoding="utf-8")
    (tmp_path / "hello_command.py").write_text(
        "from simulation.commands import options\n"
        "USER_ERRORS = (('hello_errors', 'Unheard'),)\n"
        "def add_parser(commands):\n"
        "    parser = commands.add_parser('hello', help='say hello')\n"
        "    parser.add_argument('--times', type=options.count('--times', 0, 3), default=1)\n"
        "def run(args):\n"
        "    import hello_errors\n"
        "    if args.times == 0:\n"
        "        raise options.UsageError('--times 0 says nothing')\n"
        "    if args.times == 3:\n"
        "        raise hello_errors.Unheard('nobody hears three')\n"
        "    print('hello ' * args.times)\n",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(cli, "SUBCOMMANDS", (*cli.SUBCOMMANDS, "hello_command"))
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "say hello" in capsys.readouterr().out
    assert main(["hello", "--times", "2"]) == 0 and capsys.readouterr().out.strip() == "hello hello"
    assert main(["hello", "--times", "0"]) == 2
    assert capsys.readouterr().err == "alliance hello: error: --times 0 says nothing\n"
    assert main(["hello", "--times", "3"]) == 2
    assert capsys.readouterr().err == "alliance hello: error: nobody hears three\n"
    with pytest.raises(SystemExit) as refused:
        main(["hello", "--times", "9"])
    assert refused.value.code == 2 and "--times must be from 0 to 3" in capsys.readouterr().err


def test_a_closed_pipe_ends_quietly_with_status_1():
    """`alliance params | head -1`: the reader closes the pipe; the command stops with status 1 (not 0:
    a sweep cut short must not look finished) and prints no error of its own."""
    import subprocess
    import sys

    script = (
        "import sys; from simulation.cli import main\n"
        "class Closed:\n"
        "    def write(self, text): raise BrokenPipeError(32, 'Broken pipe')\n"
        "    def flush(self): pass\n"
        "    def fileno(self): return sys.__stdout__.fileno()\n"
        "sys.stdout = Closed(); sys.exit(main(['params']))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and done.stderr == "", (done.returncode, done.stderr)
