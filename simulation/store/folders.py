"""Output folders: one writer at a time (:func:`output_lock`, an OS lock that dies with its process),
nothing overwritten unless asked (:func:`check_free`), and every set of files published as a whole,
its manifest last (:func:`atomic_outputs`). See docs/ODD.md 4.12."""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext, suppress
from pathlib import Path


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
