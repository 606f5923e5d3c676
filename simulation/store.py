"""Writing results: a cohort simulated in chunks and streamed to Parquet, written atomically, with a
manifest that lets anyone remake the run (how its parameters were made, the parameters themselves,
seed, command line and versions). Nothing is overwritten unless asked.

Every output folder has one writer at a time (:func:`output_lock`) and is published as a whole, its
manifest last (:func:`atomic_outputs`); the manifest records every other file's checksum and the
model's code version (:func:`write_manifest`), which readers check (:func:`open_checked`). See
docs/ODD.md 4.12."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext, suppress
from dataclasses import dataclass, field
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm import tqdm

from simulation import measures
from simulation.backend import DEFAULT_BACKEND
from simulation.defaults import DEFAULT_CHUNK
from simulation.dynamics import DROPOUT_CAUSES
from simulation.formats import FORMATS, get_format
from simulation.recipe import RunRecipe
from simulation.runs import Rows, Run, simulate_rows
from simulation.tables import build_tables, therapist_table

RUN_FILES = ("sessions.parquet", "clients.parquet", "therapists.parquet", "manifest.json")  # manifest last


def unit_files() -> tuple[str, ...]:
    """The unit table file of every format that has one (formats.Format.unit_file)."""
    return tuple(format_.unit_file for format_ in FORMATS.values() if format_.unit_file is not None)


def run_files(format_name: str = "individual") -> tuple[str, ...]:
    """The files ``alliance run`` writes in ``format_name``: the usual four, plus the unit table."""
    unit_file = get_format(format_name).unit_file
    return RUN_FILES if unit_file is None else (*RUN_FILES[:3], unit_file, RUN_FILES[3])


class OutputExistsError(FileExistsError):
    """An output file exists and --overwrite was not given."""


class OutputFolderError(ValueError):
    """An output folder that cannot be written or read as asked (one line naming the folder or file)."""


class OutputBusyError(OutputFolderError):
    """Another process is writing the output folder."""


class MixedOutputError(OutputFolderError):
    """A file of an output folder does not belong with its manifest (another output's, or changed)."""


def check_free(directory: Path, names: tuple[str, ...], overwrite: bool) -> None:
    """Refuse (before any work) to overwrite existing outputs unless ``overwrite``."""
    if directory.exists() and not directory.is_dir():
        raise OutputExistsError(f"{directory} exists and is not a directory")
    existing = [name for name in names if (directory / name).exists()]
    if existing and not overwrite:
        raise OutputExistsError(f"{directory / existing[0]} already exists; pass --overwrite to replace it")


PARTIAL_PREFIX = ".partial-"
LOCK_NAME = ".lock"  # the writer lock inside an output folder (fcntl.flock; holds the writer's pid)
MANIFEST = "manifest.json"  # published last: the commit point of an output set (see atomic_outputs)


def is_transient(name: str) -> bool:
    """Whether ``name`` in an output folder is a writer's lock or temporary entry, not an output."""
    return name == LOCK_NAME or name.startswith(PARTIAL_PREFIX)


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


def _open_lock_file(directory: Path) -> tuple[int, bool]:
    """Open (creating it, and the folder, when missing) ``directory``'s lock file and take its
    exclusive flock without waiting. Returns the descriptor and whether this call made the folder."""
    created = False
    path = directory / LOCK_NAME
    while True:
        if directory.exists() and not directory.is_dir():
            raise OutputExistsError(f"{directory} exists and is not a directory")
        try:
            directory.mkdir(parents=True)
            created = True
        except FileExistsError:
            pass
        try:
            descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except FileNotFoundError:  # the folder went meanwhile (its maker failed and removed it): again
            continue
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(descriptor, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(descriptor)
            raise OutputBusyError(
                f"{directory} is being written by another process (pid {holder}); wait for it or choose another --out"
            ) from None
        try:
            current = os.stat(path)
        except FileNotFoundError:
            current = None
        if current is not None and os.path.samestat(current, os.fstat(descriptor)):
            return descriptor, created
        os.close(descriptor)  # locked a lock file that its holder had just removed: take the new one


@contextmanager
def output_lock(directory: Path) -> Iterator[None]:
    """Hold the writer lock of the output folder ``directory`` (made when missing): one writer at a
    time. A second writer is refused at once (OutputBusyError). The lock is an OS lock (flock) on
    ``directory/.lock``: the OS releases it when its process dies, so a killed writer (kill -9) never
    leaves a stale lock; the file is removed on release (under the lock; a writer that opened the
    old file checks it still is the folder's lock file). A folder this call made and that stays
    empty is removed again."""
    descriptor, created = _open_lock_file(directory)
    try:
        os.ftruncate(descriptor, 0)
        os.write(descriptor, f"{os.getpid()}\n".encode())
        yield
    finally:
        (directory / LOCK_NAME).unlink(missing_ok=True)
        os.close(descriptor)
        if created:
            with suppress(OSError):  # not empty: outputs written, or another writer's lock
                directory.rmdir()


def _publish(staging: Path, directory: Path, names: tuple[str, ...], replaces: tuple[str, ...]) -> None:
    """Move the staged files ``names`` into ``directory`` and remove ``replaces``, the manifest last.
    When the set has a manifest and other files, the old manifest goes first: in between the folder
    has no manifest, so a writer killed there leaves a folder every reader refuses, never one that
    passes for a whole set (and the manifest's checksums catch any other mix)."""
    files = [name for name in names if name != MANIFEST]
    if MANIFEST in names and files:
        (directory / MANIFEST).unlink(missing_ok=True)
    for name in files:
        (directory / name).parent.mkdir(parents=True, exist_ok=True)
        os.replace(staging / name, directory / name)
    for other in replaces:
        (directory / other).unlink(missing_ok=True)
    if MANIFEST in names:
        os.replace(staging / MANIFEST, directory / MANIFEST)


@contextmanager
def atomic_outputs(
    directory: Path,
    names: tuple[str, ...],
    overwrite: bool,
    replaces: tuple[str, ...] = (),
    lock_held: bool = False,
) -> Iterator[dict[str, Path]]:
    """Yield temporary paths for ``names``; on success publish them all (see :func:`_publish`), on
    error remove them.

    The folder's writer lock (:func:`output_lock`) is held throughout, unless ``lock_held`` says the
    caller holds it already (a sweep holds its study folder's). The temporary files sit in a staging
    folder in ``directory`` itself, so each final move is an atomic rename; it is named after this
    process (``.partial-<pid>-...``), so that the next writer can tell a killed writer's leftovers
    and remove them. ``replaces`` names files of the same kind of output that this one does not
    write (e.g. another format's unit table): they too are refused without ``overwrite``, and
    removed on success, so that a folder never mixes two outputs. Files of other names are left alone.
    """
    with nullcontext() if lock_held else output_lock(directory):
        check_free(directory, (*names, *replaces), overwrite)
        directory.mkdir(parents=True, exist_ok=True)
        remove_stale_partials(directory)
        staging = Path(tempfile.mkdtemp(prefix=f"{PARTIAL_PREFIX}{os.getpid()}-", dir=directory))
        try:
            for name in names:  # a name may sit in a subfolder (a data set's truth/)
                (staging / name).parent.mkdir(parents=True, exist_ok=True)
            yield {name: staging / name for name in names}
            _publish(staging, directory, names, replaces)
        finally:
            shutil.rmtree(staging, ignore_errors=True)


# --- model version and checksums -------------------------------------------------------------------

PACKAGE = Path(__file__).resolve().parent


@cache
def model_version() -> str:
    """The version of the model's code: the first 16 hex digits of a SHA-256 over every .py file of
    the package (relative path and bytes, in path order). It changes with any change of the code,
    whatever the package's version number says; computed once per process."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE.rglob("*.py")):
        digest.update(path.relative_to(PACKAGE).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


@cache
def git_commit() -> str | None:
    """The git commit of the checkout the package runs from, or None (an installed wheel, no git)."""
    try:
        found = subprocess.run(
            ["git", "-C", str(PACKAGE.parent), "rev-parse", "--show-toplevel", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.split()
    except (OSError, subprocess.SubprocessError):
        return None
    return found[1] if len(found) == 2 and Path(found[0]).resolve() == PACKAGE.parent else None


def model_record() -> dict[str, str | None]:
    """What the manifests record of the code: ``version`` (:func:`model_version`, compared on
    resume) and ``git_commit`` (for people; None outside a git checkout)."""
    return {"version": model_version(), "git_commit": git_commit()}


def _read_checksum(handle: BinaryIO) -> dict[str, object]:
    """The checksum record of what ``handle`` holds from its position on: SHA-256 (hex) and size
    (bytes), read in blocks of 1 MiB."""
    digest, size = hashlib.sha256(), 0
    while block := handle.read(1 << 20):
        digest.update(block)
        size += len(block)
    return {"sha256": digest.hexdigest(), "bytes": size}


def checksum(path: Path) -> dict[str, object]:
    """A file's checksum record as manifests keep it: SHA-256 (hex) and size (bytes)."""
    with path.open("rb") as handle:
        return _read_checksum(handle)


def open_checked(path: Path, record: object, manifest: Path) -> BinaryIO:
    """Open ``path`` for reading after checking its size and SHA-256 against ``record`` (its entry
    in the checksums of ``manifest``): the one check every reader of an output folder makes. Reading
    the tables from the handle returned reads the very bytes checked, even if a writer replaces the
    file meanwhile. :class:`MixedOutputError` (one line naming the file) when it does not belong."""
    if not (isinstance(record, dict) and set(record) == {"sha256", "bytes"}):
        raise MixedOutputError(f"{manifest} records no checksum for {path.name}; remake the folder")
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        raise MixedOutputError(f"{path} is missing though {manifest} lists it; remake the folder") from None
    if _read_checksum(handle) != record:
        handle.close()
        raise MixedOutputError(
            f"{path} does not belong with {manifest} (its size or SHA-256 differs: the folder mixes two "
            "outputs or the file was changed); remake the folder"
        )
    handle.seek(0)
    return handle


def write_manifest(paths: dict[str, Path], document: dict) -> None:
    """Write ``document`` to the staged ``paths[MANIFEST]`` with the checksum of every other staged
    file (``checksums``) and the model's code version (``model``); call it after the other files."""
    checksums = {name: checksum(path) for name, path in paths.items() if name != MANIFEST}
    write_json(paths[MANIFEST], document | {"checksums": checksums, "model": model_record()})


def versions() -> dict[str, str]:
    """Versions of Python and of the packages that shape a result."""
    found = {"python": platform.python_version()}
    for package in ("alliance-dynamics", "mesa", "numpy", "numba", "pandas", "pyarrow"):
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
    backend: str = DEFAULT_BACKEND,
    progress: bool | None = None,
    format_name: str = "individual",
) -> Summary:
    """Simulate a cohort of ``n_clients`` members in ``format_name`` with the parameters that
    ``recipe`` makes, in chunks of members, and stream its tables to ``out`` (see :func:`run_files`);
    the manifest records the format, the recipe, the parameters and every file's checksum, and is
    published last (:func:`atomic_outputs`).

    Memory stays bounded by the chunk size; the results, to the byte, do not depend on it (random
    draws are keyed by client, unit and pair, see simulation.backend; chunks are cut at unit
    boundaries, the chunk size rounded down to whole units; row groups have a fixed size).
    """
    params = recipe.params()
    runs = [Run(params, n_clients, seed, format_name)]
    format_ = get_format(format_name)
    chunk_clients = format_.aligned_chunk(params, chunk_clients)
    files = run_files(format_name)
    tables_written = [name for name in files if name.endswith(".parquet") and name != "therapists.parquet"]
    summary = Summary()
    others = tuple(name for name in unit_files() if name not in files)  # another format's unit table
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
                if format_.unit_file is not None:
                    streams[format_.unit_file].write(tables.units)
        finally:
            for stream in streams.values():
                stream.close()
        therapist_table(runs).to_parquet(paths["therapists.parquet"], index=False)
        write_manifest(
            paths,
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
                "files": [name for name in files if name != MANIFEST],
            },
        )
    return summary
