"""The exact baseline: summary figures and content hashes of one fixed small run, kept in
tests/baseline.json and checked exactly by tests/test_baseline.py.

The calibration tests check figures against bands, which a change of the kernel can pass silently;
this file changes with every change of results. A deliberate change of results refreshes it in the
same commit, whose message gives the reason in one line:

    .venv/bin/python tests/baseline.py            # compare the current results with the file
    .venv/bin/python tests/baseline.py --refresh  # rewrite the file from the current results

The hashes cover the columns the tables had before routine outcome monitoring: its columns
(simulation.monitoring.record) are computed from the recorded ORS after the run and are left out, so
that the file still shows that the session update is unchanged with feedback off (the default).

The hashes are of floats written to 10 significant digits: numpy picks its vectorised exp, log, sin and
cos by CPU (AVX2 or AVX-512 code paths), and these differ in the last bit, so full-precision hashes made
on one CPU failed on another with every figure equal. Ten digits hide last-bit noise and keep every
change of results that matters (a changed draw or mechanism moves values far more). The file records
the stack it was made on.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulation import measures
from simulation.config import Params
from simulation.monitoring import record as monitoring_record
from simulation.tables import Tables, simulate

BASELINE = Path(__file__).with_name("baseline.json")
LEFT_OUT = {"sessions": monitoring_record.SESSION_COLUMNS, "clients": monitoring_record.CLIENT_COLUMNS}
N_CLIENTS, SEED = 300, 5  # the fixed run: default parameters
REFRESH = "python tests/baseline.py --refresh"
FLOAT_FORMAT = "%.10g"  # significant digits that CPU-dependent last bits of numpy's math cannot reach


def table_sha256(table: pd.DataFrame) -> str:
    """SHA-256 of a table's content as CSV, floats to 10 significant digits (see the module's
    docstring), independent of how the frame is laid out in memory."""
    csv = table.to_csv(index=False, lineterminator="\n", float_format=FLOAT_FORMAT)
    return hashlib.sha256(csv.encode()).hexdigest()


def summary(tables: Tables) -> dict[str, Any]:
    """A few figures of the run, to show at a glance what a change of results changed."""
    clients, sessions = tables.clients, tables.sessions
    return {
        "sessions_rows": len(sessions),
        "sessions_attended": int(clients["sessions_attended"].sum()),
        "dropout_rate": measures.dropout_rate(clients),
        "change_mean": float(clients["change"].mean()),
        "ruptures": int(clients["ruptures"].sum()),
        "ruptures_resolved": int(clients["ruptures_resolved"].sum()),
        "alliance_early_mean": float(clients["alliance_early"].mean()),
        "outcomes": {name: int(count) for name, count in clients["outcome"].value_counts(sort=False).items()},
    }


def current() -> dict[str, Any]:
    """The baseline as the code computes it now (the stack is recorded, not compared)."""
    tables = simulate(Params(), N_CLIENTS, SEED)
    return {
        "run": {"n_clients": N_CLIENTS, "seed": SEED, "parameters": "defaults"},
        "summary": summary(tables),
        "sha256": {
            name: table_sha256(getattr(tables, name).drop(columns=list(LEFT_OUT.get(name, ()))))
            for name in ("sessions", "clients", "therapists")
        },
        "stack": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "pandas": pd.__version__,
            "machine": platform.machine(),
        },
    }


def stored() -> dict[str, Any]:
    """The baseline as kept in tests/baseline.json."""
    return json.loads(BASELINE.read_text(encoding="utf-8"))


def differences(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """One line per summary figure or table hash that differs (empty when the results are the same)."""
    lines = [
        f"{section} {name}: {old[section].get(name)!r} -> {new[section].get(name)!r}"
        for section in ("run", "summary", "sha256")
        for name in sorted(set(old[section]) | set(new[section]))
        if old[section].get(name) != new[section].get(name)
    ]
    if lines and old["stack"] != new["stack"]:
        lines.append(f"(the file was made on {old['stack']}, this is {new['stack']})")
    return lines


def write(baseline: dict[str, Any]) -> None:
    """Replace tests/baseline.json atomically (a half-written file is never left in its place)."""
    partial = BASELINE.with_name(f".{BASELINE.name}.partial")
    partial.write_text(json.dumps(baseline, indent=2) + "\n", encoding="utf-8")
    os.replace(partial, BASELINE)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Compare (or --refresh) the exact baseline in tests/baseline.json.")
    parser.add_argument("--refresh", action="store_true", help="rewrite the file from the current results")
    args = parser.parse_args(argv)
    new = current()
    if args.refresh:
        write(new)
        print(f"wrote {BASELINE}: commit it with a one-line reason for the change of results")
        return 0
    if not BASELINE.exists():
        print(f"no baseline file {BASELINE}: run {REFRESH}")
        return 1
    changed = differences(stored(), new)
    print("\n".join(changed) if changed else "the results equal the baseline")
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
