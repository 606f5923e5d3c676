"""Output folders never mix: one writer at a time (a lock), a set published whole (the manifest last,
with every file's checksum), readers (figures, sweep resume) refuse files that do not belong together
and parts of another version of the model's code, and empty paths are refused."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from simulation import store
from simulation.cli import main
from simulation.store import LOCK_NAME, MANIFEST, open_checked, output_lock
from simulation.store import folders as store_folders
from simulation.store import manifest as store_manifest
from simulation.viz.gallery import RunDirError, read_run

SMOKE = Path(__file__).parent.parent / "experiments" / "smoke.toml"
RUN = ["run", "--clients", "40"]


def exit_status(argv: list[str]) -> int:
    """main's status, whether it returns it or argparse exits with it."""
    try:
        return main(argv)
    except SystemExit as stop:
        return stop.code


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (the lock file aside) with its bytes."""
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name != LOCK_NAME
    }


def one_error_line(capsys) -> str:
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1, error
    return error


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("run") / "run"
    assert main([*RUN, "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def study_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("study") / "study"
    assert main(["sweep", str(SMOKE), "--out", str(out), "--workers", "0"]) == 0
    return out


def copy(folder: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(folder, tmp_path / folder.name))


# --- the manifest ----------------------------------------------------------------------------------


def test_run_and_data_set_manifests_hold_every_files_checksum_and_the_code_version(run_dir, tmp_path):
    data_set = tmp_path / "data"
    generate = ["generate", "--therapists", "2", "--clients-per-therapist", "5", "--out", str(data_set)]
    assert main(generate) == 0
    for folder in (run_dir, data_set):
        manifest = json.loads((folder / MANIFEST).read_text())
        files = {str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file()} - {MANIFEST}
        assert set(manifest["checksums"]) == files
        for name, record in manifest["checksums"].items():
            open_checked(folder / name, record, folder / MANIFEST).close()
        assert manifest["model"] == {"version": store.model_version(), "git_commit": store.git_commit()}
    assert not (run_dir / LOCK_NAME).exists(), "the lock file goes with its writer"


def test_the_code_version_changes_with_the_code(monkeypatch, tmp_path):
    package = tmp_path / "simulation"
    shutil.copytree(store_manifest.PACKAGE, package, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(store_manifest, "PACKAGE", package)
    store.model_version.cache_clear()
    try:
        assert store.model_version() == store.model_version.__wrapped__()
        before = store.model_version.__wrapped__()
        kernel = package / "dynamics" / "session.py"
        kernel.write_text(kernel.read_text() + "\n# changed\n")
        assert store.model_version.__wrapped__() != before
    finally:
        store.model_version.cache_clear()


# --- one writer at a time --------------------------------------------------------------------------


def test_a_held_lock_refuses_a_run_in_another_process_and_nothing_changes(run_dir, tmp_path):
    out = copy(run_dir, tmp_path)
    before = snapshot(out)
    with output_lock(out):
        writer = subprocess.run(
            [sys.executable, "-m", "simulation.cli", *RUN, "--seed", "2", "--out", str(out), "--overwrite"],
            capture_output=True,
            text=True,
        )
    assert writer.returncode == 2
    assert writer.stderr.strip() == (
        f"alliance run: error: {out} is being written by another process (pid {os.getpid()}); "
        "wait for it or choose another --out"
    )
    assert snapshot(out) == before and not [entry for entry in out.iterdir() if store.is_transient(entry.name)]


@pytest.mark.parametrize(
    "command",
    [
        ["generate", "--therapists", "2", "--clients-per-therapist", "5"],
        ["figures", "RUN_DIR"],
        ["sweep", str(SMOKE), "--workers", "0"],
        ["params"],
    ],
    ids=lambda command: command[0],
)
def test_a_held_lock_refuses_every_writer(command, run_dir, tmp_path, capsys):
    out = tmp_path / "out"
    with output_lock(out):
        argv = [str(run_dir) if part == "RUN_DIR" else part for part in command]
        assert exit_status([*argv, "--out", str(out)]) == 2
        assert f"is being written by another process (pid {os.getpid()})" in one_error_line(capsys)
        assert [entry.name for entry in out.iterdir()] == [LOCK_NAME]
    assert not out.exists(), "the folder the lock made, still empty, goes with it"


def test_a_lock_file_left_by_a_killed_writer_does_not_hold(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / LOCK_NAME).write_text("999999999\n")  # the file stays after kill -9; the OS lock does not
    assert main([*RUN, "--out", str(out)]) == 0
    assert not (out / LOCK_NAME).exists() and (out / MANIFEST).exists()


def test_two_studies_started_at_once_into_one_new_folder_never_both_succeed(tmp_path):
    """Two different studies (other seeds) into the same new --out at the same moment: one writes
    the folder, the other is refused (busy, or a different study if it came late) with exit 2, and
    every summary row is the winner's."""
    out = tmp_path / "out"
    seeds = (11, 12)
    drivers = []
    for seed in seeds:
        study = tmp_path / f"study-{seed}.toml"
        study.write_text(SMOKE.read_text().replace("seed = 20261129", f"seed = {seed}"))
        drivers.append(
            [sys.executable, "-m", "simulation.cli", "sweep", str(study), "--out", str(out), "--workers", "0"]
        )
    running = [subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for argv in drivers]
    statuses = [driver.wait(timeout=300) for driver in running]
    errors = [driver.stderr.read() for driver in running]
    for driver in running:
        driver.stderr.close()
    assert sorted(statuses) == [0, 2], errors
    winner = seeds[statuses.index(0)]
    loser_error = errors[statuses.index(2)]
    assert "is being written by another process" in loser_error or "holds a different study" in loser_error
    summary = pd.read_parquet(out / "summary.parquet")
    assert len(summary) == 12 and set(summary["seed_entropy"]) == {str(winner)}
    assert json.loads((out / MANIFEST).read_text())["seeds"]["study_seed"] == winner


# --- published whole -------------------------------------------------------------------------------


def fail_after(monkeypatch, steps: int) -> None:
    """Make the writer die after ``steps`` renames of its publication (os.replace in simulation.store)."""
    real = os.replace
    done = []

    def replace(source, target):
        if len(done) == steps:
            raise OSError(28, "No space left on device (simulated crash)", str(target))
        done.append(target)
        real(source, target)

    monkeypatch.setattr(store_folders.os, "replace", replace)


@pytest.mark.parametrize("steps", [0, 1, 3])
def test_a_run_killed_between_renames_is_refused_never_read_mixed(run_dir, tmp_path, monkeypatch, capsys, steps):
    """--overwrite with another seed dies after ``steps`` of its renames (of sessions, clients,
    therapists, manifest): the old manifest went first, so figures refuses the folder; the next
    --overwrite repairs it."""
    out = copy(run_dir, tmp_path)
    with monkeypatch.context() as patch:
        fail_after(patch, steps)
        assert main([*RUN, "--seed", "2", "--out", str(out), "--overwrite"]) == 2  # an OS error: one line, exit 2
    capsys.readouterr()
    with pytest.raises(RunDirError, match=r"no manifest\.json"):
        read_run(out)
    assert exit_status(["figures", str(out), "--out", str(tmp_path / "gallery")]) == 2
    assert "no manifest.json" in one_error_line(capsys) and not (tmp_path / "gallery").exists()
    assert main([*RUN, "--seed", "2", "--out", str(out), "--overwrite"]) == 0
    assert len(read_run(out).clients) == 40


def test_overwrite_keeps_files_that_are_not_the_runs(run_dir, tmp_path):
    out = copy(run_dir, tmp_path)
    (out / "notes.txt").write_text("mine")
    assert main([*RUN, "--seed", "2", "--out", str(out), "--overwrite"]) == 0
    assert (out / "notes.txt").read_text() == "mine"


def test_a_study_killed_while_publishing_its_summary_resumes_to_the_same_bytes(
    study_dir, tmp_path, monkeypatch, capsys
):
    out = copy(study_dir, tmp_path)
    clean = (out / "summary.parquet").read_bytes()
    (out / "summary.parquet").unlink()
    with monkeypatch.context() as patch:
        fail_after(patch, 2)  # the manifest written, then unmarked 'complete'; the summary's rename fails
        assert main(["sweep", str(SMOKE), "--out", str(out), "--workers", "0"]) == 2  # an OS error: one line, exit 2
    assert "no space left on device while writing" in capsys.readouterr().err
    manifest = json.loads((out / MANIFEST).read_text())
    assert not manifest["complete"] and "checksums" not in manifest
    assert main(["sweep", str(SMOKE), "--out", str(out), "--workers", "0"]) == 0
    assert (out / "summary.parquet").read_bytes() == clean


# --- readers refuse files that do not belong -------------------------------------------------------


@pytest.mark.parametrize("damage", ["truncated", "swapped"])
def test_figures_refuses_a_table_that_does_not_belong_naming_it(run_dir, tmp_path, capsys, damage):
    out = copy(run_dir, tmp_path)
    clients = out / "clients.parquet"
    if damage == "truncated":
        clients.write_bytes(clients.read_bytes()[:-100])
    else:
        other = tmp_path / "other"
        assert main([*RUN, "--seed", "2", "--out", str(other)]) == 0
        shutil.copy(other / "clients.parquet", clients)
    assert exit_status(["figures", str(out), "--out", str(tmp_path / "gallery")]) == 2
    error = one_error_line(capsys)
    assert f"{clients} does not belong with {out / MANIFEST}" in error
    assert not (tmp_path / "gallery").exists()


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda manifest: manifest | {"n_clients": "40"}, "n_clients is not a whole number"),
        (lambda manifest: manifest | {"format": ["group"]}, "names an unknown format"),
        (lambda manifest: {key: value for key, value in manifest.items() if key != "checksums"}, "no checksums"),
        (lambda manifest: manifest | {"checksums": {"clients.parquet": "abc"}}, "records no checksum for sessions"),
        (lambda manifest: [manifest], "is not a run manifest"),
    ],
    ids=["count-as-text", "format-as-list", "no-checksums", "bad-checksum", "list-shaped"],
)
def test_figures_refuses_a_manifest_of_wrong_shape_with_one_line(run_dir, tmp_path, capsys, change, message):
    out = copy(run_dir, tmp_path)
    (out / MANIFEST).write_text(json.dumps(change(json.loads((out / MANIFEST).read_text()))))
    assert exit_status(["figures", str(out), "--out", str(tmp_path / "gallery")]) == 2
    assert message in one_error_line(capsys)


@pytest.mark.parametrize(
    "text", [b"{not json", b"[1, 2]", b"\x89PNG\x00\xff", b'{"parts": 3}'], ids=["corrupt", "list", "binary", "parts"]
)
def test_resume_refuses_a_manifest_that_is_not_a_sweeps_with_one_line(tmp_path, capsys, text):
    out = tmp_path / "out"
    out.mkdir()
    (out / MANIFEST).write_bytes(text)
    assert exit_status(["sweep", str(SMOKE), "--out", str(out), "--workers", "0"]) == 2
    assert f"{out / MANIFEST} is not a sweep manifest" in one_error_line(capsys)
    assert [path.name for path in out.iterdir()] == [MANIFEST]


def test_resume_refuses_a_part_or_summary_that_does_not_belong_naming_it(study_dir, tmp_path, capsys):
    out = copy(study_dir, tmp_path)
    first, second = out / "parts" / "part-00000.parquet", out / "parts" / "part-00001.parquet"
    first.write_bytes(second.read_bytes())
    before = snapshot(out)
    assert exit_status(["sweep", str(SMOKE), "--out", str(out), "--workers", "0"]) == 2
    assert f"{first} does not belong with" in one_error_line(capsys)
    assert snapshot(out) == before

    out = copy(study_dir, tmp_path / "again")
    summary = out / "summary.parquet"
    summary.write_bytes(summary.read_bytes()[:-10])
    assert exit_status(["sweep", str(SMOKE), "--out", str(out), "--workers", "0"]) == 2
    assert f"{summary} does not belong with" in one_error_line(capsys)


def test_resume_refuses_parts_of_another_model_version(study_dir, tmp_path, monkeypatch, capsys):
    out = copy(study_dir, tmp_path)
    before = snapshot(out)
    written = store.model_version()
    monkeypatch.setattr(store_manifest, "model_version", lambda: "0123456789abcdef")
    assert exit_status(["sweep", str(SMOKE), "--out", str(out), "--workers", "0"]) == 2
    assert one_error_line(capsys) == (
        f"alliance sweep: error: parts in {out} were written by model version {written}, this is "
        "0123456789abcdef; use a new --out or --overwrite"
    )
    assert snapshot(out) == before
    assert main(["sweep", str(SMOKE), "--out", str(out), "--workers", "0", "--overwrite"]) == 0
    parts = json.loads((out / MANIFEST).read_text())["parts"]
    assert {part["model_version"] for part in parts} == {"0123456789abcdef"}


# --- empty paths -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv, message",
    [
        ([*RUN, "--out", ""], "--out must be a folder path"),
        (["generate", "--out", ""], "--out must be a folder path"),
        (["figures", "RUN_DIR", "--out", ""], "--out must be a folder path"),
        (["sweep", str(SMOKE), "--out", ""], "--out must be a folder path"),
        (["sweep", str(SMOKE), "--out", "OUT", "--scheduler", ""], "--scheduler must be a Dask scheduler address"),
    ],
    ids=["run", "generate", "figures", "sweep", "scheduler"],
)
def test_empty_out_and_scheduler_are_refused(argv, message, run_dir, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    argv = [str(run_dir) if part == "RUN_DIR" else part for part in argv]
    assert exit_status(argv) == 2
    assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
