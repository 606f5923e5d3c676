"""``python -m benchmarks [--quick] [--out DIR] [--backend numba|numpy|cupy]``: throughput, scaling and
memory of the kernel, side by side with the array-API reference kernel and the per-agent Mesa
reference, in one run (benchmarks/ratios.py: the ratios of issues 23 and 25).

Every measurement runs in a fresh Python process pinned to one CPU core, so that its peak memory
(``ru_maxrss``) is its own and "one core" is literal. A *client-session* is one row of the sessions
table (one client at one scheduled session). Times are the best of ``--repeats`` (3) runs, after a
small warm-up run in the same process; a short measurement is repeated until it has run for
MIN_SECONDS in all (at most 30 times), and the reference at 100,000 clients runs once. Cohorts above
``CHUNK`` clients are cut into chunks of clients (``Rows.of_runs(runs, start, stop)``), as
``alliance run`` does, so memory stays flat.

Results go to ``--out`` (default benchmarks/out/, git-ignored) as results.json and results.md; the
Markdown tables are printed too. See benchmarks/README.md for what each number means.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import json
import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks import end_to_end, ratios
from benchmarks.ratios import MAX_REPEATS, MIN_SECONDS
from simulation.backend import BACKENDS, DEFAULT_BACKEND
from simulation.defaults import DEFAULT_CHUNK as CHUNK  # clients per chunk, as `alliance run` cuts a cohort
from simulation.formats import FORMATS
from simulation.memory import keep_freed_memory

ROOT = Path(__file__).resolve().parent.parent
SEED = 20240601
TARGET_RATE = 2e6  # client-sessions per second on one core (the project's performance goals)
TARGET_RATIO = 80.0  # kernel / per-agent reference, same work, 100,000 clients (issue 23; the first goal was 30)


# --- what one measurement does (runs inside a worker process) -------------------------------------


def _peak_mib() -> float:
    """Peak resident memory of this process so far (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024.0**2 if sys.platform == "darwin" else 1024.0)


def _kernel_pass(
    params: Any, n_clients: int, backend: str, tables: bool, format_name: str = "individual"
) -> dict[str, float]:
    """One cohort (of members in ``format_name``) through the kernel, in chunks of CHUNK clients
    (whole units); with ``tables``, each chunk's tables are built (and dropped, as a streaming writer
    would after writing them)."""
    from simulation.formats import get_format
    from simulation.runs import Rows, Run, simulate_rows
    from simulation.tables import build_tables, therapist_table

    runs = [Run(params, n_clients, SEED, format_name)]
    chunk = get_format(format_name).aligned_chunk(params, CHUNK)
    rows_done, kernel_s, tables_s, cpu_s = 0, 0.0, 0.0, 0.0
    for start in range(0, n_clients, chunk):
        began, began_cpu = time.perf_counter(), time.process_time()
        result = simulate_rows(runs, Rows.of_runs(runs, start, start + chunk), backend)
        kernel_s += time.perf_counter() - began
        cpu_s += time.process_time() - began_cpu
        rows_done += sum(len(positions) for _, positions, _ in result.sessions)
        if tables:
            began = time.perf_counter()
            built = build_tables(runs, result, with_therapists=False)
            assert len(built.sessions) == sum(len(positions) for _, positions, _ in result.sessions)
            del built
            tables_s += time.perf_counter() - began
        del result
    if tables:
        began = time.perf_counter()
        therapist_table(runs)
        tables_s += time.perf_counter() - began
    return {
        "client_sessions": rows_done,
        "kernel_s": kernel_s,
        "kernel_cpu_s": cpu_s,
        "tables_s": tables_s,
        "seconds": kernel_s + tables_s,
    }


def _stacked_pass(params_list: list, n_clients: int, backend: str, tables: bool, separate: bool) -> dict[str, float]:
    """Many runs: all in one pass (rows stacked), or one pass per run."""
    from simulation.backend import run_seeds
    from simulation.runs import Rows, Run, simulate_rows
    from simulation.tables import build_tables

    seeds = run_seeds(SEED, len(params_list))
    runs = [Run(params, n_clients, seed) for params, seed in zip(params_list, seeds, strict=True)]
    groups = [[run] for run in runs] if separate else [runs]
    rows_done, began = 0, time.perf_counter()
    for group in groups:
        result = simulate_rows(group, Rows.of_runs(group), backend)
        rows_done += sum(len(positions) for _, positions, _ in result.sessions)
        if tables:
            build_tables(group, result)
        del result
    return {"client_sessions": rows_done, "seconds": time.perf_counter() - began}


def _reference_pass(params: Any, n_clients: int, tables: bool) -> dict[str, float]:
    """One cohort through the per-agent reference: build the model, run every course to its end."""
    from benchmarks.reference import ReferenceModel

    began, began_cpu = time.perf_counter(), time.process_time()
    model = ReferenceModel(params, n_clients, SEED)
    model.run_model()
    run_s, cpu_s = time.perf_counter() - began, time.process_time() - began_cpu
    rows_done = sum(len(client.history) for client in model.finished)
    tables_s = 0.0
    if tables:
        began = time.perf_counter()
        built = model.tables()
        assert len(built.sessions) == rows_done
        tables_s = time.perf_counter() - began
    return {
        "client_sessions": rows_done,
        "kernel_s": run_s,
        "kernel_cpu_s": cpu_s,
        "tables_s": tables_s,
        "seconds": run_s + tables_s,
    }


def _page_faults() -> int:
    """Minor page faults of this process so far (fresh memory touched for the first time)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def _best(repeats: int, measure: Callable[[], dict[str, float]]) -> dict[str, Any]:
    """The fastest run of ``measure`` (all its timings from that run) and every time: ``repeats`` runs,
    and more of a short one (up to MAX_REPEATS, until MIN_SECONDS are spent), so that a brief stall
    from other work on the machine does not decide a small cohort's figure."""

    def one_run() -> dict[str, float]:
        gc.collect()  # a previous run's objects (the reference's agents hold cycles) do not linger
        return measure()

    faults = _page_faults()
    trials = [one_run() for _ in range(repeats)]
    while repeats > 1 and len(trials) < MAX_REPEATS and sum(trial["seconds"] for trial in trials) < MIN_SECONDS:
        trials.append(one_run())
    best = min(trials, key=lambda trial: trial["seconds"])
    return {
        **best,
        "repeats": len(trials),
        "all_seconds": [trial["seconds"] for trial in trials],
        "page_faults_per_run": (_page_faults() - faults) / len(trials),
    }


def worker(spec: dict[str, Any]) -> dict[str, Any]:
    """Run one measurement described by ``spec`` in this (fresh) process and return its figures: with
    freed memory kept for reuse, as the ``alliance`` command and the sweeps' workers run
    (simulation.memory), except the one measurement of glibc's default (``kernel_default_memory``)."""
    if spec["kind"] != "kernel_default_memory":
        keep_freed_memory()
    if spec["kind"] in end_to_end.KINDS:  # pins itself where it should (see benchmarks/end_to_end.py)
        return {**spec, **end_to_end.measure(spec), "peak_mib": _peak_mib()}
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    from simulation.config import Params

    kind, backend, repeats = spec["kind"], spec["backend"], spec["repeats"]
    params = Params()
    if kind in ("kernel", "whole", "kernel_default_memory"):
        tables = kind == "whole"
        _kernel_pass(params, 200, backend, tables)  # warm-up: imports, first-touch allocations
        baseline = _peak_mib()
        figures = _best(repeats, lambda: _kernel_pass(params, spec["n_clients"], backend, tables))
    elif kind == "reference":
        _reference_pass(params, 100, True)
        baseline = _peak_mib()
        figures = _best(repeats, lambda: _reference_pass(params, spec["n_clients"], spec["tables"]))
    elif kind == "stacked":
        import numpy as np

        n_runs, n_clients = spec["n_runs"], spec["n_clients"]
        grid = [params.replace(repair_skill_mean=float(value)) for value in np.linspace(0.3, 0.8, n_runs)]
        cases = {
            "replicates, one pass": ([params] * n_runs, False, False),
            "parameter points, one pass": (grid, False, False),
            "parameter points, one pass, tables": (grid, True, False),
            "parameter points, one pass per run": (grid, False, True),
        }
        _stacked_pass(grid[:2], 500, backend, True, False)
        baseline = _peak_mib()
        figures = {
            "cases": {
                name: _best(repeats, lambda case=case: _stacked_pass(case[0], n_clients, backend, *case[1:]))
                for name, case in cases.items()
            }
        }
    elif kind == "sessions":
        _kernel_pass(params, 200, backend, False)
        baseline = _peak_mib()
        figures = {"cases": {}}
        for length in spec["course_lengths"]:
            varied = params.replace(
                course_length=length, resolution_sessions=min(params.resolution_sessions, length - 1)
            )
            figures["cases"][str(length)] = _best(
                repeats, lambda varied=varied: _kernel_pass(varied, spec["n_clients"], backend, False)
            )
    elif kind in ("backends", "monitoring"):
        _kernel_pass(params, 200, backend, False)
        baseline = _peak_mib()
        passes = (_kernel_pass, _reference_pass)
        figures = ratios.measure(kind, params, spec["n_clients"], backend, repeats, passes, _best)
    elif kind == "formats":
        for name in FORMATS:
            _kernel_pass(params, 200, backend, True, name)  # warm-up: each format's kernels and tables
        baseline = _peak_mib()
        cases = {
            f"{name}, {part}": lambda name=name, tables=part == "whole": _kernel_pass(
                params, spec["n_clients"], backend, tables, name
            )
            for name in FORMATS
            for part in ("kernel", "whole")
        }
        figures = {"cases": ratios.alternate(repeats, cases, _best)}  # in turn: a spell of load hits all alike
    else:
        raise ValueError(f"unknown measurement kind {kind!r}")
    return {**spec, **figures, "baseline_mib": baseline, "peak_mib": _peak_mib(), "load_after": os.getloadavg()[0]}


# --- the driver -------------------------------------------------------------------------------------


def run_worker(spec: dict[str, Any], timeout: float = 900.0) -> dict[str, Any]:
    """Run ``spec`` in a fresh interpreter (``python -m benchmarks --worker SPEC``) and read its result."""
    path = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    one_thread = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
    env = {**os.environ, "PYTHONPATH": path, **one_thread}
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--worker", json.dumps(spec)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"benchmark {spec} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def plan(quick: bool, backend: str, repeats: int) -> list[dict[str, Any]]:
    """The measurements of a full or a quick run, in the order they run."""
    sizes = (1_000, 10_000) if quick else (1_000, 10_000, 100_000, 1_000_000)
    reference_sizes = (1_000,) if quick else (1_000, 10_000, 100_000)
    jobs: list[dict[str, Any]] = []
    for n in sizes:
        for kind in ("kernel", "whole"):
            jobs.append({"kind": kind, "n_clients": n, "backend": backend, "repeats": repeats})
    jobs.append(
        {
            "kind": "kernel_default_memory",
            "n_clients": sizes[-1] if quick else 100_000,
            "backend": backend,
            "repeats": repeats,
        }
    )
    for n in reference_sizes:
        jobs.append(
            {
                "kind": "reference",
                "n_clients": n,
                "backend": "python",
                "tables": True,
                "repeats": repeats if n <= 10_000 else 1,
            }
        )
    jobs.append(
        {"kind": "stacked", "n_runs": 20 if quick else 100, "n_clients": 1_000, "backend": backend, "repeats": repeats}
    )
    jobs.append({"kind": "formats", "n_clients": 10_000 if quick else 100_000, "backend": backend, "repeats": repeats})
    for kind in ("backends", "monitoring"):
        jobs.append({"kind": kind, "n_clients": 10_000 if quick else 100_000, "backend": backend, "repeats": repeats})
    jobs.append(
        {
            "kind": "sessions",
            "n_clients": 10_000 if quick else 100_000,
            "course_lengths": [6, 12, 24, 48],
            "backend": backend,
            "repeats": repeats,
        }
    )
    return jobs + end_to_end.jobs(quick, backend, repeats)


def environment(backend: str) -> dict[str, Any]:
    """Where and on what the numbers were measured."""
    from simulation.config import Params
    from simulation.store import versions

    cpu = platform.processor() or platform.machine()
    try:
        names = [
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ]
        cpu = names[0] if names else cpu
    except OSError:
        pass

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
        return done.stdout.strip()

    return {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "cpu": cpu,
        "cpus_visible": os.cpu_count(),
        "cores_used_per_measurement": 1,
        "platform": platform.platform(),
        "versions": versions(),
        "backend": backend,
        "seed": SEED,
        "chunk_clients": CHUNK,
        "parameters": Params().as_dict(),
        "load_average_at_start": os.getloadavg()[0],
        "commit": git("rev-parse", "--short", "HEAD"),
        "uncommitted_changes": bool(git("status", "--porcelain", "--", "simulation", "benchmarks")),
    }


def _total_seconds(result: dict[str, Any]) -> float:
    """A measurement's time: its best run, or the sum of its cases' best runs."""
    if "cases" in result:
        return sum(case["seconds"] for case in result["cases"].values())
    return result["seconds"]


def summarise(results: list[dict[str, Any]], env: dict[str, Any]) -> dict[str, Any]:
    """Rates, ratios and target checks from the raw measurements."""
    by = {(r["kind"], r.get("n_clients")): r for r in results}
    rate = lambda r, key="seconds": r["client_sessions"] / r[key]  # noqa: E731
    sizes = sorted(n for kind, n in by if kind == "kernel")
    cohort = []
    for n in sizes:
        kernel, whole = by[("kernel", n)], by[("whole", n)]
        cohort.append(
            {
                "n_clients": n,
                "chunks": -(-n // CHUNK),
                "client_sessions": kernel["client_sessions"],
                "kernel_s": kernel["seconds"],
                "kernel_rate": rate(kernel),
                "whole_s": whole["seconds"],
                "whole_rate": rate(whole),
                "tables_share": whole["tables_s"] / whole["seconds"],
                "kernel_peak_mib": kernel["peak_mib"],
                "whole_peak_mib": whole["peak_mib"],
                "kernel_bytes_per_client": (kernel["peak_mib"] - kernel["baseline_mib"]) * 2**20 / n,
                "whole_bytes_per_client": (whole["peak_mib"] - whole["baseline_mib"]) * 2**20 / n,
            }
        )
    versus = []
    for n in sorted(n for kind, n in by if kind == "reference"):
        ref = by[("reference", n)]
        kernel, whole = by.get(("kernel", n)), by.get(("whole", n))
        versus.append(
            {
                "n_clients": n,
                "reference_s": ref["kernel_s"],
                "reference_rate": rate(ref, "kernel_s"),
                "reference_tables_s": ref["seconds"],
                "reference_whole_rate": rate(ref),
                "reference_bytes_per_client": (ref["peak_mib"] - ref["baseline_mib"]) * 2**20 / n,
                "kernel_rate": rate(kernel) if kernel else None,
                "whole_rate": rate(whole) if whole else None,
                "ratio": rate(kernel) / rate(ref, "kernel_s") if kernel else None,
                "ratio_with_tables": rate(whole) / rate(ref) if whole else None,
            }
        )
    default = next(r for r in results if r["kind"] == "kernel_default_memory")
    allocator = [
        {
            "malloc": name,
            "n_clients": r["n_clients"],
            "seconds": r["seconds"],
            "rate": rate(r),
            "page_faults_per_run": r["page_faults_per_run"],
            "peak_mib": r["peak_mib"],
        }
        for name, r in (("glibc's default", default), ("keep freed memory", by[("kernel", default["n_clients"])]))
    ]
    stacked = next(r for r in results if r["kind"] == "stacked")
    sessions = next(r for r in results if r["kind"] == "sessions")
    formats = next(r for r in results if r["kind"] == "formats")
    best_kernel = max(cohort, key=lambda row: row["kernel_rate"])
    largest_common = max((row for row in versus if row["ratio"] is not None), key=lambda row: row["n_clients"])
    targets = {
        "kernel_rate": {
            "target": TARGET_RATE,
            "measured": best_kernel["kernel_rate"],
            "at_n_clients": best_kernel["n_clients"],
            "met": best_kernel["kernel_rate"] >= TARGET_RATE,
        },
        "ratio": {
            "target": TARGET_RATIO,
            "measured": largest_common["ratio"],
            "at_n_clients": largest_common["n_clients"],
            "met": largest_common["ratio"] >= TARGET_RATIO,
        },
    }
    return {
        "environment": env,
        "cohort": cohort,
        "versus_reference": versus,
        "allocator": allocator,
        "stacked": {
            "n_runs": stacked["n_runs"],
            "n_clients": stacked["n_clients"],
            "cases": {
                name: {"seconds": case["seconds"], "client_sessions": case["client_sessions"], "rate": rate(case)}
                for name, case in stacked["cases"].items()
            },
        },
        "sessions": {
            "n_clients": sessions["n_clients"],
            "cases": {
                length: {"seconds": case["seconds"], "client_sessions": case["client_sessions"], "rate": rate(case)}
                for length, case in sessions["cases"].items()
            },
        },
        "formats": {
            "n_clients": formats["n_clients"],
            "cases": {
                name: {"seconds": case["seconds"], "client_sessions": case["client_sessions"], "rate": rate(case)}
                for name, case in formats["cases"].items()
            },
        },
        "targets": targets,
        "ratios": ratios.summarise(results),
        "end_to_end": end_to_end.summary(results),
        "raw": results,
    }  # raw: the kept (fastest) round of each measurement


def markdown(summary: dict[str, Any]) -> str:
    """The summary as Markdown tables."""
    env = summary["environment"]
    mega = lambda value: f"{value / 1e6:.2f}"  # noqa: E731
    lines = [
        f"Measured {env['date']} on {env['cpu']} ({env['cpus_visible']} CPUs visible, each measurement "
        f"pinned to 1 core), backend {env['backend']}, commit {env['commit']}"
        f"{' + uncommitted changes' if env['uncommitted_changes'] else ''}; "
        f"Python {env['versions'].get('python')}, numpy {env['versions'].get('numpy')}, "
        f"mesa {env['versions'].get('mesa')}. Each figure is the fastest of {env['rounds']} round(s) of "
        f"the whole plan; 1-minute load average {env['load_average_at_start']:.2f} before the run (it "
        "counts other work, and recent runs; the run itself adds about 1). "
        "Rates in million client-sessions per second (M/s).",
        "",
        "**Cohort size** (kernel = `simulate_rows`; whole = kernel + `build_tables`; cohorts over "
        f"{CHUNK:,} clients run in chunks of {CHUNK:,})",
        "",
        "| clients | chunks | client-sessions | kernel s | kernel M/s | whole s | whole M/s | tables share "
        "| peak MiB kernel / whole | bytes per client kernel / whole |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in summary["cohort"]:
        lines.append(
            f"| {row['n_clients']:,} | {row['chunks']} | {row['client_sessions']:,} | {row['kernel_s']:.3f} "
            f"| {mega(row['kernel_rate'])} | {row['whole_s']:.3f} | {mega(row['whole_rate'])} "
            f"| {row['tables_share']:.0%} | {row['kernel_peak_mib']:.0f} / {row['whole_peak_mib']:.0f} "
            f"| {row['kernel_bytes_per_client']:,.0f} / {row['whole_bytes_per_client']:,.0f} |"
        )
    lines += [
        "",
        "**Against the per-agent Mesa reference** (benchmarks/reference.py; same sizes, same run)",
        "",
        "| clients | reference s | reference M/s | kernel M/s | kernel / reference "
        "| reference + tables s | whole / (reference + tables) | reference bytes per client |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in summary["versus_reference"]:
        ratio = f"{row['ratio']:.0f}x" if row["ratio"] else "n/a"
        ratio_tables = f"{row['ratio_with_tables']:.0f}x" if row["ratio_with_tables"] else "n/a"
        kernel_rate = mega(row["kernel_rate"]) if row["kernel_rate"] else "n/a"
        lines.append(
            f"| {row['n_clients']:,} | {row['reference_s']:.2f} | {mega(row['reference_rate'])} "
            f"| {kernel_rate} | {ratio} | {row['reference_tables_s']:.2f} | {ratio_tables} "
            f"| {row['reference_bytes_per_client']:,.0f} |"
        )
    stacked = summary["stacked"]
    lines += [
        "",
        f"**Stacked runs** ({stacked['n_runs']} runs x {stacked['n_clients']:,} clients; parameter points "
        "vary repair_skill_mean, so parameters are per-row arrays)",
        "",
        "| case | seconds | client-sessions | M/s |",
        "|---|---:|---:|---:|",
    ]
    for name, case in stacked["cases"].items():
        lines.append(f"| {name} | {case['seconds']:.3f} | {case['client_sessions']:,} | {mega(case['rate'])} |")
    sessions = summary["sessions"]
    lines += [
        "",
        f"**Course length** (kernel, {sessions['n_clients']:,} clients; resolution_sessions 2)",
        "",
        "| course_length | client-sessions | per client | seconds | M/s |",
        "|---:|---:|---:|---:|---:|",
    ]
    for length, case in sessions["cases"].items():
        per_client = case["client_sessions"] / sessions["n_clients"]
        lines.append(
            f"| {length} | {case['client_sessions']:,} | {per_client:.2f} "
            f"| {case['seconds']:.3f} | {mega(case['rate'])} |"
        )
    formats = summary["formats"]
    lines += [
        "",
        f"**Formats** ({formats['n_clients']:,} members each, default group and family sizes; kernel = "
        "`simulate_rows`, whole = kernel + `build_tables`)",
        "",
        "| format, part | client-sessions | seconds | M/s |",
        "|---|---:|---:|---:|",
    ]
    for name, case in formats["cases"].items():
        lines.append(f"| {name} | {case['client_sessions']:,} | {case['seconds']:.3f} | {mega(case['rate'])} |")
    allocator = summary["allocator"]
    lines += [
        "",
        f"**Allocator** (kernel, {allocator[0]['n_clients']:,} clients; every other measurement keeps freed "
        "memory for reuse as the `alliance` command does, `simulation.memory.keep_freed_memory`: glibc's "
        "mallopt with fixed mmap and trim thresholds instead of its adaptive ones)",
        "",
        "| malloc | seconds | M/s | page faults per run | peak MiB |",
        "|---|---:|---:|---:|---:|",
    ]
    for row in allocator:
        lines.append(
            f"| {row['malloc']} | {row['seconds']:.3f} | {mega(row['rate'])} "
            f"| {row['page_faults_per_run']:,.0f} | {row['peak_mib']:.0f} |"
        )
    targets = summary["targets"]
    rate, ratio = targets["kernel_rate"], targets["ratio"]
    lines += ratios.markdown(summary["ratios"], mega)
    lines += [
        "",
        "**Targets** (the project's performance goals; issues 23 and 25)",
        "",
        f"- kernel >= {TARGET_RATE / 1e6:.0f} M client-sessions/s on one core: {mega(rate['measured'])} M/s "
        f"at {rate['at_n_clients']:,} clients: {'met' if rate['met'] else 'NOT met'}",
        f"- kernel >= {TARGET_RATIO:.0f}x the per-agent reference: {ratio['measured']:.0f}x "
        f"at {ratio['at_n_clients']:,} clients: {'met' if ratio['met'] else 'NOT met'}",
        *ratios.targets(summary["ratios"], TARGET_RATIO),
    ]
    lines += end_to_end.markdown(summary["end_to_end"])
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes only (under a minute): a smoke test")
    parser.add_argument(
        "--out",
        type=Path,
        default=ROOT / "benchmarks" / "out",
        help="folder for results.json and results.md (default benchmarks/out/)",
    )
    parser.add_argument(
        "--backend", choices=BACKENDS, default=DEFAULT_BACKEND, help=f"the kernel measured (default {DEFAULT_BACKEND})"
    )
    parser.add_argument("--repeats", type=int, default=3, help="best of this many runs where cheap (default 3)")
    parser.add_argument(
        "--rounds",
        type=int,
        default=None,
        help="run the whole plan this many times and keep each measurement's fastest round, so "
        "that a spell of other work on the machine does not decide a figure "
        "(default 2, 1 with --quick)",
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(json.loads(args.worker))))
        return 0
    if args.repeats < 1:
        parser.error(f"--repeats must be at least 1; got {args.repeats}")
    rounds = args.rounds if args.rounds is not None else (1 if args.quick else 2)
    if rounds < 1:
        parser.error(f"--rounds must be at least 1; got {rounds}")
    if args.out.exists() and not args.out.is_dir():
        parser.error(f"--out {args.out} exists and is not a folder")
    if args.backend == "cupy":
        from simulation.backend import namespace

        try:
            namespace(args.backend)
        except (RuntimeError, ValueError) as error:  # simulation.backend.BackendError
            parser.error(f"--backend {args.backend}: {error}")

    env, jobs = environment(args.backend), plan(args.quick, args.backend, args.repeats)
    env["rounds"] = rounds
    samples: list[list[dict[str, Any]]] = [[] for _ in jobs]
    for round_number in range(1, rounds + 1):
        for spec, kept in zip(jobs, samples, strict=True):
            label = f"{spec['kind']} " + (
                f"{spec['n_clients']:,} clients"
                if "n_runs" not in spec
                else f"{spec['n_runs']} runs x {spec['n_clients']:,} clients"
            )
            began = time.perf_counter()
            kept.append(run_worker(spec))
            print(
                f"  round {round_number}/{rounds}, {label}: {time.perf_counter() - began:.1f} s",
                file=sys.stderr,
                flush=True,
            )
    env["load_average_at_end"] = os.getloadavg()[0]
    summary = summarise([min(kept, key=_total_seconds) for kept in samples], env)
    summary["all_rounds"] = samples
    text = markdown(summary)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    (args.out / "results.md").write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
