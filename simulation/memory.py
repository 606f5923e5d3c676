"""Keep freed memory in the process for reuse, where the C library is glibc (Linux).

The kernel allocates the same arrays piece after piece (a cohort's chunks, a study's passes) and
frees them when the piece is done. By default glibc hands freed memory back to the system once more
than a threshold of it lies free at the top of the heap, and serves large arrays from fresh mappings;
either way the next piece's arrays come from new pages, and the system zeroes each page on first touch.
How often that happens depends on glibc's own adaptive thresholds, so the same pass of 20,000 clients
took 3,500 minor page faults in one process and 40,000 in another, and with glibc's defaults the
kernel ran 3.6-3.8 million client-sessions per second against 6.0-6.3 with freed memory kept
(benchmarks/README.md).

:func:`keep_freed_memory` fixes both thresholds high, so freed memory stays in the process and is
reused: the memory in use then stays at its peak instead of shrinking between pieces. It changes a
setting of the whole process, so the library never calls it on import: the ``alliance`` command, the
sweeps' worker processes and the benchmarks do, since they own their process. A script that runs many
passes in its own process may call it too.
"""

from __future__ import annotations

import ctypes
import sys

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters (malloc.h)
MMAP_THRESHOLD = 32 * 2**20  # bytes: arrays up to this size come from the heap (glibc's upper limit)
TRIM_THRESHOLD = 2**30  # bytes free at the top of the heap before any goes back to the system


def keep_freed_memory() -> bool:
    """Tell glibc's allocator to keep freed memory for reuse (see the module docstring). Returns
    whether it did: False where the C library is not glibc (macOS, Windows, musl)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the process's own C library
    except (OSError, AttributeError):  # no mallopt: not glibc
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
