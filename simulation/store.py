"""Writing results: a cohort simulated in chunks and streamed to Parquet, written atomically, with a
manifest that lets anyone remake the run (how its parameters were made, the parameters themselves,
seed, command line and versions). Nothing is overwritten unless asked."""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm import tqdm

from simulation import measures
from simulation.defaults import DEFAULT_CHUNK
from simulation.dynamics import DROPOUT_CAUSES
from simulation.formats import get_format
from simulation.recipe import RunRecipe
from simulation.runs import Rows, Run, simulate_rows
from simulation.tables import build_tables, therapist_table

RUN_FILES = ("sessions.parquet", "clients.parquet", "therapists.parquet", "manifest.json")
UNIT_FILES = {"group": "groups.parquet", "family": "families.parquet"}  # the unit table of each format


def run_files(format_name: str = "individual") -> tuple[str, ...]:
    """The files ``alliance run`` writes in ``format_name``: the usual four, plus the unit table."""
    unit_file = UNIT_FILES.get(format_name)
    return RUN_FILES if unit_file is None else (*RUN_FILES[:3], unit_file, RUN_FILES[3])


class OutputExistsError(FileExistsError):
    """An output file exists and --overwrite was not given."""


def check_free(directory: Path, names: tuple[str, ...], overwrite: bool) -> None:
    """Refuse (before any work) to overwrite existing outputs unless ``overwrite``."""
    if directory.exists() and not directory.is_dir():
        raise OutputExistsError(f"{directory} exists and is not a directory")
    existing = [name for name in names if (directory / name).exists()]
    if existing and not overwrite:
        raise OutputExistsError(f"{directory / existing[0]} already exists; pass --overwrite to replace it")


PARTIAL_PREFIX = ".partial-"


def _writer_alive(name: str) -> bool:
    """Whether the writer that made the temporary entry ``name`` (``.partial-<pid>-...``) still runs
    on this machine. Entries without a pid come from an older version's writer: treated as dead."""
    found = re.match(rf"{re.escape(PARTIAL_PREFIX)}(\d+)-", name)
    if found is None:
        return False
    try:
        os.kill(int(found.group(1)), 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


def remove_stale_partials(directory: Path) -> list[Path]:
    """Remove the temporary entries that killed writers (kill -9, power loss) left in ``directory``;
    those of writers still running are kept. Returns what was removed."""
    stale = [entry for entry in directory.glob(f"{PARTIAL_PREFIX}*") if not _writer_alive(entry.name)]
    for entry in stale:
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
    return stale


@contextmanager
def atomic_outputs(
    directory: Path, names: tuple[str, ...], overwrite: bool, replaces: tuple[str, ...] = ()
) -> Iterator[dict[str, Path]]:
    """Yield temporary paths for ``names``; on success move them all into place, on error remove them.

    The temporary files sit in ``directory`` itself, so each final move is an atomic rename. The
    staging folder is named after this process (``.partial-<pid>-...``), so that the next writer into
    ``directory`` can tell a killed writer's leftovers from a live one's and remove them.
    ``replaces`` names files of the same kind of output that this one does not write (e.g. another
    format's unit table): they too are refused without ``overwrite``, and removed on success, so that a
    folder never mixes two outputs.
    """
    check_free(directory, (*names, *replaces), overwrite)
    created = not directory.exists()
    directory.mkdir(parents=True, exist_ok=True)
    remove_stale_partials(directory)
    staging = Path(tempfile.mkdtemp(prefix=f"{PARTIAL_PREFIX}{os.getpid()}-", dir=directory))
    try:
        for name in names:  # a name may sit in a subfolder (a data set's truth/)
            (staging / name).parent.mkdir(parents=True, exist_ok=True)
        yield {name: staging / name for name in names}
        for name in names:
            (directory / name).parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging / name, directory / name)
        for name in replaces:
            (directory / name).unlink(missing_ok=True)
    finally:
        shutil.rmtree(staging)
        if created and not any(directory.iterdir()):
            directory.rmdir()  # a failed run leaves no empty folder behind


def versions() -> dict[str, str]:
    """Versions of Python and of the packages that shape a result."""
    found = {"python": platform.python_version()}
    for package in ("alliance-dynamics", "mesa", "numpy", "pandas", "pyarrow"):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "not installed"
    return found


def write_json(path: Path, document: dict) -> None:
    path.write_text(json.dumps(document, indent=2, sort_keys=False) + "\n", encoding="utf-8")


@dataclass
class Summary:
    """Running totals over the chunks of a cohort: enough for the printed summary."""

    clients: int = 0
    outcomes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(measures.OUTCOMES, 0))
    dropout_causes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(DROPOUT_CAUSES[1:], 0))
    sessions_scheduled: int = 0
    sessions_attended: int = 0
    ruptures: int = 0
    ruptures_resolved: int = 0
    clients_with_rupture: int = 0
    attended_counts: list[np.ndarray] = field(default_factory=list)

    def add(self, clients: pd.DataFrame) -> None:
        self.clients += len(clients)
        for column, totals in (("outcome", self.outcomes), ("dropout_cause", self.dropout_causes)):
            counts = clients[column].value_counts()
            for name in totals:
                totals[name] += int(counts.get(name, 0))
        self.sessions_scheduled += int(clients["sessions_scheduled"].sum())
        self.sessions_attended += int(clients["sessions_attended"].sum())
        self.ruptures += int(clients["ruptures"].sum())
        self.ruptures_resolved += int(clients["ruptures_resolved"].sum())
        self.clients_with_rupture += int((clients["ruptures"] > 0).sum())
        self.attended_counts.append(clients["sessions_attended"].to_numpy())

    def as_dict(self) -> dict:
        """The summary as plain numbers (also stored in the manifest)."""
        return {
            "clients": self.clients,
            "outcomes": {name: count / self.clients for name, count in self.outcomes.items()},
            "dropout_rate": self.outcomes["dropped_out"] / self.clients,
            "dropout_causes": {name: count / self.clients for name, count in self.dropout_causes.items()},
            "missed_session_share": 1 - self.sessions_attended / self.sessions_scheduled,
            "median_sessions_attended": float(np.median(np.concatenate(self.attended_counts))),
            "clients_with_rupture": self.clients_with_rupture / self.clients,
            "ruptures_resolved_share": self.ruptures_resolved / max(self.ruptures, 1),
        }

    def to_text(self) -> str:
        numbers = self.as_dict()
        lines = [f"Outcomes of {self.clients} clients:"]
        lines += [f"  {name:<13} {share:6.1%}" for name, share in numbers["outcomes"].items()]
        lines += [
            f"Dropout {numbers['dropout_rate']:.1%} ("
            + ", ".join(f"{name} {share:.1%}" for name, share in numbers["dropout_causes"].items())
            + f"); missed sessions {numbers['missed_session_share']:.1%}; "
            f"median sessions attended {numbers['median_sessions_attended']:g}",
            f"Clients with a rupture {numbers['clients_with_rupture']:.1%}; "
            f"ruptures resolved {numbers['ruptures_resolved_share']:.1%}",
        ]
        return "\n".join(lines)


class ParquetStream:
    """A Parquet file written piece by piece in row groups of a fixed size, so that its bytes depend
    on the data alone and not on how the data arrived (chunk sizes, workers)."""

    ROW_GROUP = 262_144

    def __init__(self, path: Path) -> None:
        self.path, self.writer, self.pending, self.pending_rows = path, None, [], 0

    def write(self, table: pd.DataFrame) -> None:
        arrow = pa.Table.from_pandas(table, preserve_index=False)
        if self.writer is None:
            # dictionary-encode the categorical columns only: trying it on every float column made
            # writing 3-4 times slower for files no smaller
            categorical = [f.name for f in arrow.schema if pa.types.is_dictionary(f.type)]
            self.writer = pq.ParquetWriter(self.path, arrow.schema, use_dictionary=categorical)
        self.pending.append(arrow)
        self.pending_rows += arrow.num_rows
        if self.pending_rows >= self.ROW_GROUP:
            self._flush(whole_groups_only=True)

    def _flush(self, whole_groups_only: bool) -> None:
        buffered = pa.concat_tables(self.pending)
        cut = (buffered.num_rows // self.ROW_GROUP) * self.ROW_GROUP if whole_groups_only else buffered.num_rows
        if cut:
            self.writer.write_table(buffered.slice(0, cut), row_group_size=self.ROW_GROUP)
        rest = buffered.slice(cut)
        self.pending, self.pending_rows = ([rest], rest.num_rows) if rest.num_rows else ([], 0)

    def close(self) -> None:
        if self.writer is not None:
            if self.pending_rows:
                self._flush(whole_groups_only=False)
            self.writer.close()


def run_to_directory(
    recipe: RunRecipe,
    n_clients: int,
    seed: int,
    out: Path,
    overwrite: bool = False,
    chunk_clients: int = DEFAULT_CHUNK,
    backend: str = "numpy",
    progress: bool | None = None,
    format_name: str = "individual",
) -> Summary:
    """Simulate a cohort of ``n_clients`` members in ``format_name`` with the parameters that
    ``recipe`` makes, in chunks of members, and stream its tables to ``out`` (see :func:`run_files`);
    the manifest records the format, the recipe and the parameters.

    Memory stays bounded by the chunk size; the results, to the byte, do not depend on it (random
    draws are keyed by client, unit and pair, see simulation.backend; chunks are cut at unit
    boundaries, the chunk size rounded down to whole units; row groups have a fixed size).
    """
    params = recipe.params()
    runs = [Run(params, n_clients, seed, format_name)]
    chunk_clients = get_format(format_name).aligned_chunk(params, chunk_clients)
    files = run_files(format_name)
    tables_written = [name for name in files if name.endswith(".parquet") and name != "therapists.parquet"]
    summary = Summary()
    others = tuple(name for name in UNIT_FILES.values() if name not in files)  # another format's unit table
    with atomic_outputs(out, files, overwrite, replaces=others) as paths:
        streams = {name: ParquetStream(paths[name]) for name in tables_written}
        try:
            starts = range(0, n_clients, chunk_clients)
            for start in tqdm(starts, desc="chunks", unit="chunk", disable=None if progress is None else not progress):
                rows = Rows.of_runs(runs, start, start + chunk_clients)
                tables = build_tables(runs, simulate_rows(runs, rows, backend), with_therapists=False)
                summary.add(tables.clients)
                streams["sessions.parquet"].write(tables.sessions)
                streams["clients.parquet"].write(tables.clients)
                if format_name in UNIT_FILES:
                    streams[UNIT_FILES[format_name]].write(tables.units)
        finally:
            for stream in streams.values():
                stream.close()
        therapist_table(runs).to_parquet(paths["therapists.parquet"], index=False)
        write_json(
            paths["manifest.json"],
            {
                "command": "run",
                "format": format_name,
                "n_clients": n_clients,
                "seed": seed,
                "backend": backend,
                "recipe": recipe.as_dict(),
                "parameters": params.as_dict(),
                "versions": versions(),
                "summary": summary.as_dict(),
                "files": [name for name in files if name != "manifest.json"],
            },
        )
    return summary
