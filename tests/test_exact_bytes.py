"""Same seed, same bytes: a run's results do not depend, in any bit, on the other runs of its pass (of
other unit sizes), on how its cohort is chunked (one unit, many, a chunk holding only the remainder
unit), on how a study packs its runs into parts, on the number of workers or on the executor (issue 21).

Every comparison here is exact: file bytes, ``check_exact=True`` or ``np.array_equal``. The cohorts are
tiny and not divisible by the unit sizes, so that every run ends with a smaller remainder unit.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulation.cli import main
from simulation.config import Params
from simulation.figures.arrays import stacked_run_figures
from simulation.figures.registry import run_figures
from simulation.formats import get_format
from simulation.formats.base import member_sum
from simulation.runs import Rows, Run, simulate_rows
from simulation.store.run import SPLIT, pieces
from simulation.sweeps import load_study
from simulation.tables import Tables, build_tables, simulate, simulate_runs

CLIENTS = 23  # members per run: a remainder unit in every format and size below
# per format: the parameter that sets the unit size (or, for one-client units, another that differs
# between runs) and its levels; the group sizes straddle 8, where numpy's pairwise sum changes grouping
MIXED = {
    "individual": ("course_length", [8, 14, 20]),
    "group": ("group_size", [3, 9, 16]),
    "family": ("family_size", [2, 3, 5]),
}
TABLES = ("sessions", "clients", "therapists", "units")


def assert_tables_equal(mine: Tables, expected: Tables, names: tuple[str, ...] = TABLES) -> None:
    """The tables ``names`` equal, bit for bit."""
    for name in names:
        pd.testing.assert_frame_equal(getattr(mine, name), getattr(expected, name), check_exact=True, obj=name)


def run_alone_of(stacked: Tables, index: int) -> Tables:
    """Run ``index`` of a stacked pass, without the run column: what the run alone gives."""

    def own(table: pd.DataFrame) -> pd.DataFrame:
        if table.empty:
            return table
        return table[table["run"] == index].drop(columns="run").reset_index(drop=True)

    return Tables(
        *(own(getattr(stacked, name)) for name in ("sessions", "clients", "therapists")),
        stacked.runs,
        own(stacked.units),
    )


def test_member_sums_do_not_depend_on_the_width_of_the_pass():
    """A unit's sum is the same bits padded to any width; numpy's pairwise sum is not (which is
    what made a group's figures depend on the widest group of its pass)."""
    values = np.random.default_rng(1).random((2000, 7))
    narrow = member_sum(np, values)
    for width in (8, 9, 12, 16, 40):
        padded = np.zeros((2000, width))
        padded[:, :7] = values
        assert np.array_equal(member_sum(np, padded), narrow)
    wide = np.zeros((2000, 16))
    wide[:, :12] = np.random.default_rng(2).random((2000, 12))
    assert not np.array_equal(np.sum(wide, axis=1), np.sum(wide[:, :12], axis=1))  # the defect this prevents


@pytest.mark.parametrize("format_name", list(MIXED))
def test_stacked_runs_of_mixed_unit_sizes_equal_each_run_alone(format_name):
    """Runs of different unit sizes (and remainder units) in one pass: each run's tables equal the
    run simulated alone, bit for bit."""
    name, levels = MIXED[format_name]
    runs = [Run(Params(**{name: level}), CLIENTS, 40 + index, format_name) for index, level in enumerate(levels)]
    stacked = simulate_runs(runs)
    for index, run in enumerate(runs):
        alone = simulate(run.params, run.n_clients, run.seed, format=format_name)
        assert_tables_equal(run_alone_of(stacked, index), alone)


def chunked(run: Run, units_per_chunk: int) -> Tables:
    """The run simulated in chunks of ``units_per_chunk`` units, tables joined (as `alliance run`
    writes them, therapists once)."""
    step = units_per_chunk * get_format(run.format).unit_size(run.params)
    pieces = [
        build_tables([run], simulate_rows([run], Rows.of_runs([run], start, start + step)), with_therapists=False)
        for start in range(0, run.n_clients, step)
    ]
    return Tables(
        *(pd.concat([getattr(piece, name) for piece in pieces], ignore_index=True) for name in ("sessions", "clients")),
        pd.DataFrame(),
        pieces[0].runs,
        pd.concat([piece.units for piece in pieces], ignore_index=True),
    )


@pytest.mark.parametrize(
    ("format_name", "overrides"),
    [
        ("individual", {}),
        ("group", dict(group_size=5)),
        ("group", dict(group_size=5, open_groups=True)),
        ("family", dict(family_size=4)),
    ],
)
def test_chunks_of_one_unit_or_many_and_a_remainder_only_chunk_equal_the_whole_run(format_name, overrides):
    """23 members in chunks of one unit, and of many (for groups and families: every full unit in
    the first chunk, so that the second holds only the remainder unit), give the whole run's tables
    bit for bit."""
    run = Run(Params(**overrides), CLIENTS, 7, format_name)
    size = get_format(format_name).unit_size(run.params)
    whole = simulate(run.params, run.n_clients, run.seed, format=format_name)
    many = CLIENTS // size if size > 1 else 5
    if size > 1:
        assert 0 < CLIENTS - many * size < size  # the last chunk: the remainder unit alone
    for units_per_chunk in (1, many):
        assert_tables_equal(chunked(run, units_per_chunk), whole, ("sessions", "clients", "units"))


@pytest.mark.parametrize("format_name", ["individual", "group", "family"])
def test_run_files_are_the_same_bytes_for_a_chunk_of_one_unit_and_one_chunk(tmp_path, format_name):
    """`alliance run --chunk`: one unit per chunk, four (the first and last full chunks then cut into
    units, simulation.store.run.pieces), or the whole cohort in one, writes the same files."""
    size = get_format(format_name).unit_size(Params())
    for name, chunk in (("unit", size), ("four units", 4 * size), ("whole", 10_000)):
        arguments = ["run", "--format", format_name, "--clients", str(CLIENTS), "--chunk", str(chunk), "--seed", "3"]
        assert main([*arguments, "--out", str(tmp_path / name)]) == 0
    files = sorted(path.name for path in (tmp_path / "whole").glob("*.parquet"))
    assert len(files) == (3 if format_name == "individual" else 4)
    for file in files:
        for name in ("unit", "four units"):
            assert (tmp_path / name / file).read_bytes() == (tmp_path / "whole" / file).read_bytes(), (name, file)


# --- sweeps: parts, workers and executors ----------------------------------------------------------


def digests(folder: Path) -> dict[str, str]:
    """sha256 of every Parquet file under ``folder``, by relative path."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*.parquet"))
    }


def study_file(folder: Path, format_name: str, runs_per_part: int) -> Path:
    """A study of 6 runs whose runs differ in unit size (two replicates of three levels)."""
    name, levels = MIXED[format_name]
    path = folder / f"{format_name}-{runs_per_part}.toml"
    path.write_text(
        f'[study]\nformat = "{format_name}"\nreplicates = 2\nclients = {CLIENTS}\nseed = 11\n'
        f'runs_per_part = {runs_per_part}\noutputs = ["summary", "clients"]\n[vary.{name}]\nlevels = {levels}\n'
    )
    return path


@pytest.fixture(scope="module")
def dask_scheduler():
    """The address of a dask.distributed LocalCluster (one in-process worker, two threads)."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, protocol="tcp", dashboard_address=":0"
    ) as cluster:
        yield cluster.scheduler_address


@pytest.mark.parametrize("format_name", list(MIXED))
def test_a_study_of_mixed_unit_sizes_writes_the_same_bytes_for_any_packing_workers_and_executor(
    format_name, tmp_path, dask_scheduler
):
    """One run per part on one worker, five runs per part on two workers, and five per part on a
    Dask cluster write the same summary and clients files (the parts of the last two too); each run's
    summary figures and clients equal the run simulated alone, bit for bit (the figures as computed on
    its arrays; the registry's pandas figures agree to 1e-12)."""
    one = study_file(tmp_path, format_name, runs_per_part=1)
    five = study_file(tmp_path, format_name, runs_per_part=5)
    assert main(["sweep", str(one), "--out", str(tmp_path / "one"), "--workers", "1"]) == 0
    assert main(["sweep", str(five), "--out", str(tmp_path / "two"), "--workers", "2"]) == 0
    assert main(["sweep", str(five), "--out", str(tmp_path / "dask"), "--scheduler", dask_scheduler]) == 0
    finals = ("summary.parquet", "clients.parquet")
    for file in finals:
        assert (tmp_path / "one" / file).read_bytes() == (tmp_path / "two" / file).read_bytes(), file
    assert digests(tmp_path / "two") == digests(tmp_path / "dask")
    assert len(digests(tmp_path / "dask")) == 2 + 2 * 2  # the final files and two parts of two files

    study = load_study(one)
    summary, clients = (pd.read_parquet(tmp_path / "one" / file) for file in finals)
    for index, run in enumerate(study.runs(study.design(), range(6))):
        alone = simulate(run.params, run.n_clients, run.seed, format=format_name)
        figures = run_figures(alone, format_name)
        on_arrays = stacked_run_figures(simulate_rows([run], Rows.of_runs([run])), tuple(figures))
        stored = summary.loc[index, list(figures)].to_numpy(float)
        assert np.array_equal(stored, [values[0] for values in on_arrays.values()], equal_nan=True)
        np.testing.assert_allclose(stored, list(figures.values()), rtol=1e-12)  # the registry's, to the last sums
        mine = clients[clients["run"] == index].drop(columns="run").reset_index(drop=True)
        pd.testing.assert_frame_equal(mine, alone.clients, check_exact=True)


@pytest.mark.parametrize(("format_name", "n_clients", "chunk"), [("individual", 200_000, 20_000), ("group", 203, 40)])
def test_a_runs_pieces_cover_its_members_in_whole_units_the_first_and_last_full_ones_cut_smaller(
    format_name, n_clients, chunk
):
    size = get_format(format_name).unit_size(Params())
    cut = pieces(format_name, Params(), n_clients, chunk)
    assert [members.start for members in cut[1:]] == [members.stop for members in cut[:-1]]
    assert cut[0].start == 0 and cut[-1].stop == n_clients
    assert all(members.start % size == 0 for members in cut)  # pieces begin at unit boundaries
    full = get_format(format_name).aligned_chunk(Params(), chunk)
    lengths = [len(members) for members in cut]
    assert max(lengths) == full  # full pieces in the middle
    assert lengths[0] <= full // SPLIT and lengths[-1] <= full // SPLIT  # the first and last: a quarter or less
