"""simulation.memory: where the C library is glibc, a process that asks keeps freed memory for reuse,
so that pass after pass of the same size stops faulting in fresh pages (what made the kernel's speed
move by a quarter from one process to the next)."""

import json
import platform
import subprocess
import sys

import pytest

PASSES = """
import json, resource, sys
from simulation.memory import keep_freed_memory
kept = keep_freed_memory()
from simulation.config import Params
from simulation.runs import Rows, Run, simulate_rows
runs = [Run(Params(), 40_000, 1)]
def passes():
    for start in range(0, 40_000, 20_000):
        simulate_rows(runs, Rows.of_runs(runs, start, start + 20_000))
passes()  # warm-up: the first pieces take their memory from the system
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(3):
    passes()
print(json.dumps({"kept": kept, "faults": resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before}))
"""


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's allocator only")
def test_kept_memory_is_reused_by_the_next_passes():
    """Three more rounds of two 20,000-client passes fault in almost no new pages (a few dozen were
    seen; with glibc's adaptive thresholds, from several hundred to 40,000)."""
    done = subprocess.run([sys.executable, "-c", PASSES], capture_output=True, text=True, check=True)
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert figures["kept"] is True
    assert figures["faults"] < 2_000, figures
