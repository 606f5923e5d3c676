"""Keep numba's on-disk cache of the fused kernel in step with what it froze in.

numba compiles a function's globals in as constants (here: the parameter table's columns, which follow
:data:`simulation.config.PARAMETERS`; the trait columns, which follow dynamics.Traits; the state codes)
and reloads the compiled code while the function's own source file is unchanged, whatever changed
elsewhere. A parameter added to the model would then leave the cached kernel reading shifted columns.
So the cache is tagged with a fingerprint of everything the compiled code depends on (those layouts and
the source of this package), and flushed when the fingerprint differs.
"""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path
from typing import Any

from simulation.config import PARAMETERS
from simulation.dynamics import state as codes
from simulation.dynamics.session import SessionDraws

TAG = "simulation-layout.sha256"


def fingerprint() -> str:
    """A hash of the layouts and constants the compiled kernel has frozen in, and of its source."""
    parts = [
        list(PARAMETERS),
        [
            f.name
            for cls in (codes.Traits, codes.State, codes.SessionRecord, SessionDraws)
            for f in dataclasses.fields(cls)
        ],
        sorted((name, repr(value)) for name, value in vars(codes).items() if name.isupper()),
    ]
    sources = sorted(Path(__file__).parent.glob("*.py"))
    text = repr(parts) + "".join(path.read_text(encoding="utf-8") for path in sources)
    return hashlib.sha256(text.encode()).hexdigest()


def refresh(dispatchers: list[Any]) -> None:
    """Flush the cached code of ``dispatchers`` (numba functions with ``cache=True``) if it was made for
    another fingerprint, and tag the cache with the current one. A cache that cannot be written is left
    to numba (which then compiles in memory)."""
    current = fingerprint()
    for folder in {Path(dispatcher._cache._cache_path) for dispatcher in dispatchers}:
        tag = folder / TAG
        try:
            if tag.exists() and tag.read_text() == current:
                continue
            for dispatcher in dispatchers:
                if Path(dispatcher._cache._cache_path) == folder:
                    dispatcher._cache.flush()
            folder.mkdir(parents=True, exist_ok=True)
            tag.write_text(current)
        except OSError:
            continue
