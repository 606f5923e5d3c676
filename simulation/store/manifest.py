"""What a manifest records and how readers check it: the model's code version, every file's
checksum (:func:`write_manifest`, :func:`open_checked`) and the versions of the packages that shape a
result."""

from __future__ import annotations

import hashlib
import json
import platform
import subprocess
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import BinaryIO

from simulation.store.folders import MANIFEST, MixedOutputError

PACKAGE = Path(__file__).resolve().parents[1]  # the simulation package


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


class RunningChecksum:
    """A checksum record (SHA-256 and size) of bytes seen a block at a time: what :func:`checksum`
    reads back from a file, or what a writer (simulation.store.parquet.ParquetStream) keeps as it
    writes."""

    def __init__(self) -> None:
        self.digest, self.size = hashlib.sha256(), 0

    def update(self, block: memoryview | bytes) -> None:
        self.digest.update(block)
        self.size += memoryview(block).nbytes

    def record(self) -> dict[str, object]:
        """The record as manifests keep it: SHA-256 (hex) and size (bytes)."""
        return {"sha256": self.digest.hexdigest(), "bytes": self.size}


def _read_checksum(handle: BinaryIO) -> dict[str, object]:
    """The checksum record of what ``handle`` holds from its position on, read in blocks of 1 MiB."""
    running = RunningChecksum()
    while block := handle.read(1 << 20):
        running.update(block)
    return running.record()


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


def write_manifest(paths: dict[str, Path], document: dict, known: dict[str, dict] | None = None) -> None:
    """Write ``document`` to the staged ``paths[MANIFEST]`` with the checksum of every other staged
    file (``checksums``) and the model's code version (``model``); call it after the other files.
    ``known`` holds the checksum records of files checksummed as they were written (ParquetStream):
    only the others are read again."""
    known = known or {}
    checksums = {name: known.get(name) or checksum(path) for name, path in paths.items() if name != MANIFEST}
    write_json(paths[MANIFEST], document | {"checksums": checksums, "model": model_record()})


@cache
def _installed_versions() -> tuple[tuple[str, str], ...]:
    """The versions, looked up once per process (each lookup reads package metadata from disk; a fit
    writes a study's manifest per round)."""
    found = {"python": platform.python_version()}
    for package in ("alliance-dynamics", "mesa", "numpy", "numba", "pandas", "pyarrow"):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "not installed"
    return tuple(found.items())


def versions() -> dict[str, str]:
    """Versions of Python and of the packages that shape a result."""
    return dict(_installed_versions())


def write_json(path: Path, document: dict) -> None:
    path.write_text(json.dumps(document, indent=2, sort_keys=False) + "\n", encoding="utf-8")
