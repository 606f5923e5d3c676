"""Temporary files of a killed writer are removed by the next writer into the same folder."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from simulation.cli import main
from simulation.store import PARTIAL_PREFIX, remove_stale_partials


def partials(folder: Path) -> list[Path]:
    return sorted(folder.glob(f"{PARTIAL_PREFIX}*"))


def dead_pid() -> int:
    """The pid of a process that has ended."""
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(finished.stdout)


def test_killed_run_leaves_a_partial_that_the_next_run_removes(tmp_path):
    out = tmp_path / "out"
    writer = subprocess.Popen(
        [sys.executable, "-m", "simulation.cli", "run", "--clients", "3000000", "--out", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while not (out.exists() and partials(out)) and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait()
    assert partials(out), "the killed writer should have left its temporary folder"
    assert main(["run", "--clients", "50", "--out", str(out)]) == 0
    assert partials(out) == []
    assert (out / "manifest.json").exists()


def test_a_live_writers_partial_is_kept_and_a_dead_ones_removed(tmp_path):
    live = tmp_path / f"{PARTIAL_PREFIX}{os.getpid()}-abc"
    dead = tmp_path / f"{PARTIAL_PREFIX}{dead_pid()}-def"
    old_style = tmp_path / f"{PARTIAL_PREFIX}k2j4_x9q"
    for folder in (live, dead, old_style):
        folder.mkdir()
        (folder / "sessions.parquet").write_bytes(b"half written")
    assert sorted(remove_stale_partials(tmp_path)) == sorted([dead, old_style])
    assert partials(tmp_path) == [live]
