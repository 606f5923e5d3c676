"""Reading back what the simulator wrote (manifests, Parquet tables), refusing a damaged file in one line.

A manifest or table can be missing, truncated, empty, binary, swapped for another file or edited by
hand. Every reader goes through :func:`reading`, which turns what json, pyarrow or the OS raise into
one :class:`UnreadableFileError` line that names the file, so that the command line reports it with
exit status 2 instead of a traceback. (Whether the files of a folder belong together is a separate
check, made first: the manifest's checksums, simulation.store.open_checked.)
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

import pandas as pd
import pyarrow as pa


class UnreadableFileError(ValueError):
    """A file that cannot be read as what it should be; the message names the file."""


MESSAGE_CHARACTERS = 160  # a library's message is cut to this many characters (some quote whole files)


def _reason(error: BaseException) -> str:
    """The first line of a library's message, cut short."""
    lines = str(getattr(error, "strerror", None) or error).strip().splitlines()
    text = lines[0] if lines else type(error).__name__
    return text if len(text) <= MESSAGE_CHARACTERS else text[: MESSAGE_CHARACTERS - 3] + "..."


@contextmanager
def reading(path: Path, what: str) -> Iterator[None]:
    """Read ``path`` inside this block: a missing, unreadable, truncated or malformed file becomes one
    :class:`UnreadableFileError` line, '<path> is not <what>: <reason>'."""
    try:
        yield
    except (OSError, ValueError, pa.ArrowException) as error:  # UnicodeDecodeError, JSONDecodeError: ValueErrors
        if isinstance(error, UnreadableFileError):
            raise
        raise UnreadableFileError(f"{path} is not {what}: {_reason(error)}") from None


def read_json_object(path: Path, what: str) -> dict[str, Any]:
    """A JSON file that must hold an object (a manifest): refused in one line when it does not."""
    with reading(path, what):
        document = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(document, dict):
        raise UnreadableFileError(f"{path} is not {what}: it holds a JSON {type(document).__name__}")
    return document


def read_table(
    path: Path, what: str, columns: Sequence[str] | None = None, source: BinaryIO | None = None, **options: Any
) -> pd.DataFrame:
    """The Parquet table ``path`` (read from ``source``, its handle, when given: the bytes a checksum
    was checked on); ``columns``: those that must be there, and only those are read. A truncated, empty,
    non-Parquet file or one without those columns is refused in one line naming it."""
    with reading(path, what):
        return pd.read_parquet(
            path if source is None else source, columns=None if columns is None else list(columns), **options
        )
