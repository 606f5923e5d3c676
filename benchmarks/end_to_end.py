"""End-to-end ratios for ``python -m benchmarks`` (issue 23, items 3 and 4): what ``alliance run``
with Parquet and a sweep cost over the bare kernel on the same clients, measured side by side in one
process, plus the speed-up of a study from one to two worker processes.

- **whole run**: ``run_to_directory`` (``alliance run``: kernel, tables built as Arrow, Parquet written
  on background threads, manifest with checksums) against ``simulate_rows`` alone over the same pieces
  (``simulation.store.run.pieces``); the ratio is kernel time / whole-run time (1.0: writing costs
  nothing beyond the kernel). Each run writes a new folder, as ``alliance run`` does without
  ``--overwrite`` (the folder is removed after the timing). This measurement is not pinned to one
  core: the writer threads are meant to use a second one.
- **sharing the machine**: the kernel over the whole run's pieces, pinned to one core, alone and
  with another process busy on a second core: a loop that only computes (it slows the kernel only
  where the two cores share more than memory: two hardware threads of one physical core, or one
  clock), and one that streams a 256 MB array through memory (what the writer threads do to the
  caches and the memory bus, at full tilt). The slowdowns say how much of the whole run's shortfall
  is the machine's: whatever the code, a second thread's work there slows the kernel's.
- **study**: ``run_study`` in this process into a folder (``workers=0``: per-run figures, parts,
  manifest, Parquet) against ``simulate_rows`` over the study's own passes
  (``simulation.sweeps.execute.stacked_passes``), both pinned to one core;
  then ``run_study`` on 1 and on 2 local worker processes (process start-up included), unpinned. The
  workers are forked from a fork server that has imported the package (simulation.sweeps.executors),
  which starts with the process's first study on workers: that study is timed on its own, before the
  alternating repeats.

Each time is the best of the measurement's repeats, kernel and end-to-end alternating, so that a spell
of other work on the machine hits both alike.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from functools import partial
from pathlib import Path
from typing import Any

from benchmarks.ratios import median_ratio

KINDS = ("whole_run", "neighbours", "study")
NEIGHBOURS = {
    "a loop that only computes": ("x = 0", "x += 1"),
    "a 256 MB memory stream": ("import numpy as np\nbig = np.ones(2**25)", "np.multiply(big, 1.0, out=big)"),
}
"""What runs on the second core beside the kernel: Python source that sets up, and the step it repeats."""
WHOLE_RUN_TARGET, STUDY_TARGET, SPEED_UP_AIM = 0.85, 0.8, 1.8  # issue 23, items 3 and 4


def jobs(quick: bool, backend: str, repeats: int) -> list[dict[str, Any]]:
    """The end-to-end measurements of a full or a quick run."""
    sizes = (20_000,) if quick else (200_000, 1_000_000)
    whole = [{"kind": "whole_run", "n_clients": n, "backend": backend, "repeats": repeats} for n in sizes]
    study = {"kind": "study", "n_runs": 40 if quick else 400, "n_clients": 1_000, "backend": backend}
    neighbours = {"kind": "neighbours", "n_clients": sizes[0], "backend": backend, "repeats": 1 if quick else 5}
    return [*whole, neighbours, {**study, "repeats": min(repeats, 2)}]


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _alternating(
    repeats: int,
    cases: dict[str, Callable[[], Any]],
    around: dict[str, Callable[[], AbstractContextManager]] | None = None,
) -> dict[str, float]:
    """The best wall time of each case over ``repeats`` rounds, the cases alternating within a round,
    and, in that fastest round, (``<case> cpu``) the CPU time of this process (all its threads) and
    (``<case> thread cpu``) that of the calling thread alone: on a machine whose cores are taken by
    other work the wall time cannot show the writer thread's overlap, the CPU time still shows what
    the writing costs; the calling thread simulates, so its CPU time in a whole run is the kernel's
    beside the writing. ``<case> rounds`` keeps every round's (wall, CPU, thread CPU) seconds, for
    ratios taken within a round. Each run of a case happens inside ``around[case]()`` (where given),
    whose entry and exit are not timed: removing the folder a run wrote, so that the next writes a new
    one; a process kept busy on another core while the kernel runs."""
    best: dict[str, Any] = dict.fromkeys(cases, float("inf")) | {f"{name} rounds": [] for name in cases}
    for _ in range(repeats):
        for name, work in cases.items():
            with (around or {}).get(name, nullcontext)():
                began, cpu, own = time.perf_counter(), time.process_time(), time.thread_time()
                work()
                seconds = time.perf_counter() - began
                measured = (seconds, time.process_time() - cpu, time.thread_time() - own)
            best[f"{name} rounds"].append(measured)
            if seconds < best[name]:
                best[name], best[f"{name} cpu"], best[f"{name} thread cpu"] = measured
    return best


def _whole_run(spec: dict[str, Any]) -> dict[str, Any]:
    from simulation.config import Params
    from simulation.recipe import RunRecipe
    from simulation.runs import Rows, Run, simulate_rows
    from simulation.store import run_to_directory
    from simulation.store.run import pieces

    n, backend = spec["n_clients"], spec["backend"]
    runs = [Run(Params(), n, spec.get("seed", 1))]
    cut = pieces("individual", runs[0].params, n)
    counted = []

    def kernel() -> None:
        counted.clear()
        for members in cut:
            result = simulate_rows(runs, Rows.of_runs(runs, members.start, members.stop), backend)
            counted.append(sum(len(positions) for _, positions, _ in result.sessions))
            del result

    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "run"
        whole = lambda: run_to_directory(RunRecipe(), n, 1, out, backend=backend, progress=False)  # noqa: E731
        run_to_directory(RunRecipe(), 2_000, 1, out, progress=False)  # warm-up
        shutil.rmtree(out)

        @contextmanager
        def removed_after() -> Iterator[None]:
            yield
            shutil.rmtree(out)

        baseline = _peak_mib()
        times = _alternating(spec["repeats"], {"kernel": kernel, "whole": whole}, around={"whole": removed_after})
    sessions = sum(counted)
    return {
        "client_sessions": sessions,
        "kernel_s": times["kernel"],
        "whole_s": times["whole"],
        "ratio": times["kernel"] / times["whole"],
        "kernel_cpu_s": times["kernel cpu"],
        "whole_cpu_s": times["whole cpu"],
        "kernel_in_run_cpu_s": times["whole thread cpu"],
        "rounds": {"kernel": times["kernel rounds"], "whole": times["whole rounds"]},
        "cores": len(os.sched_getaffinity(0)),
        "bytes_per_client_session": (_peak_mib() - baseline) * 2**20 / sessions,
        "baseline_mib": baseline,
    }


def _neighbours(spec: dict[str, Any]) -> dict[str, Any]:
    from simulation.config import Params
    from simulation.runs import Rows, Run, simulate_rows
    from simulation.store.run import pieces

    cores = sorted(os.sched_getaffinity(0))
    if len(cores) < 2:
        return {"cores": len(cores), "cases": {}}
    n, backend = spec["n_clients"], spec["backend"]
    runs = [Run(Params(), n, spec.get("seed", 1))]
    cut = pieces("individual", runs[0].params, n)

    def kernel() -> None:
        for members in cut:
            simulate_rows(runs, Rows.of_runs(runs, members.start, members.stop), backend)

    @contextmanager
    def beside(setup: str, step: str) -> Iterator[None]:
        """Another process on the second core, running ``setup`` and then ``step`` over and over."""
        source = f"import os\nos.sched_setaffinity(0, {{{cores[1]}}})\n{setup}\nprint('ready', flush=True)\n"
        neighbour = subprocess.Popen(
            [sys.executable, "-c", f"{source}while True:\n    {step}\n"], stdout=subprocess.PIPE
        )
        try:
            neighbour.stdout.readline()  # set up, its loop about to start
            yield
        finally:
            neighbour.kill()
            neighbour.wait()

    os.sched_setaffinity(0, {cores[0]})
    kernel()  # warm-up
    cases = dict.fromkeys(("alone", *NEIGHBOURS), kernel)
    around = {name: partial(beside, *code) for name, code in NEIGHBOURS.items()}  # started outside the timing
    times = _alternating(spec["repeats"], cases, around)
    os.sched_setaffinity(0, cores)
    thread_cpu = {name: [measured[2] for measured in times[f"{name} rounds"]] for name in cases}
    return {
        "cores": len(cores),
        "cases": {
            name: {"seconds": times[name], "slowdown": median_ratio(thread_cpu[name], thread_cpu["alone"])}
            for name in cases
        },
    }


def _study(spec: dict[str, Any]) -> dict[str, Any]:
    from benchmarks.sweeps import benchmark_study
    from simulation.runs import Rows, simulate_rows
    from simulation.sweeps import run_study
    from simulation.sweeps.execute import stacked_passes

    study = benchmark_study(spec["n_runs"], spec["n_clients"])
    design = study.design()
    parts = [study.runs(design, list(part)) for part in study.parts(design)]
    passes = [runs[batch] for runs in parts for batch in stacked_passes(runs)]
    counted = []

    def kernel() -> None:
        counted.clear()
        for runs in passes:
            result = simulate_rows(runs, Rows.of_runs(runs), spec["backend"])
            counted.append(sum(len(positions) for _, positions, _ in result.sessions))

    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "study"
        study_on = lambda workers: lambda: run_study(study, out, workers=workers, overwrite=True, progress=False)  # noqa: E731
        cores = os.sched_getaffinity(0)
        os.sched_setaffinity(0, {min(cores)})  # the kernel and the in-process study on one core
        study_on(0)()  # warm-up
        pinned = _alternating(spec["repeats"], {"kernel": kernel, "study": study_on(0)})
        os.sched_setaffinity(0, cores)
        first = _alternating(1, {"2 workers": study_on(2)})  # the workers' fork server starts here
        workers = _alternating(spec["repeats"], {"1 worker": study_on(1), "2 workers": study_on(2)})
    return {
        "runs_per_part": study.runs_per_part,
        "client_sessions": sum(counted),
        "kernel_s": pinned["kernel"],
        "study_s": pinned["study"],
        "ratio": pinned["kernel"] / pinned["study"],
        "kernel_cpu_s": pinned["kernel cpu"],
        "study_cpu_s": pinned["study cpu"],
        "one_worker_s": workers["1 worker"],
        "two_workers_s": workers["2 workers"],
        "first_two_workers_s": first["2 workers"],
        "speed_up": workers["1 worker"] / workers["2 workers"],
        "cores_visible": len(cores),
        "baseline_mib": 0.0,
    }


def measure(spec: dict[str, Any]) -> dict[str, Any]:
    """One end-to-end measurement (in its own fresh, unpinned process), with the load it met."""
    figures = {"whole_run": _whole_run, "neighbours": _neighbours, "study": _study}[spec["kind"]](spec)
    seconds = figures.get("whole_s", figures.get("study_s"))  # none for "neighbours": its cases have theirs
    return {**figures, "seconds": seconds, "load_after": os.getloadavg()[0]}


def summary(results: list[dict[str, Any]]) -> dict[str, Any]:
    """The end-to-end ratios of a run, with their targets."""
    return {
        "whole_run": [r for r in results if r["kind"] == "whole_run"],
        "neighbours": next((r for r in results if r["kind"] == "neighbours"), None),
        "study": next((r for r in results if r["kind"] == "study"), None),
    }


def ceiling(row: dict[str, Any]) -> float:
    """The highest whole-run / kernel rate a run with this CPU time can reach on its cores: all its work
    (kernel and writing) spread over every core, the kernel's own time still a floor."""
    return min(1.0, row["cores"] * row["kernel_cpu_s"] / row["whole_cpu_s"])


def within_rounds(row: dict[str, Any]) -> dict[str, float]:
    """The whole run's ratios as medians over the rounds of each round's own ratio (a drift of the
    machine's speed between minutes cancels within a round; see benchmarks.ratios.paired_ratio):

    - ``ratio``: run / kernel rate (kernel wall / run wall);
    - ``slowdown``: how much more CPU time the kernel took beside the writing than alone (the
      simulating thread's CPU time in the run over the kernel's alone). The cores share the last
      level of cache and the memory bus, and the kernel waits on memory, so the writer threads'
      traffic slows it although it keeps a core: the run / kernel rate is at most its inverse."""
    kernel, whole = row["rounds"]["kernel"], row["rounds"]["whole"]
    return {
        "ratio": median_ratio([wall for wall, _, _ in kernel], [wall for wall, _, _ in whole]),
        "slowdown": median_ratio([thread for _, _, thread in whole], [cpu for _, cpu, _ in kernel]),
    }


def markdown(figures: dict[str, Any]) -> list[str]:
    """The end-to-end tables (lines of Markdown)."""
    mega = lambda value: f"{value / 1e6:.2f}"  # noqa: E731
    lines = [
        "",
        "**Whole run** (`alliance run` with Parquet = `run_to_directory` against the kernel alone on the same "
        f"chunks, in one unpinned process; target >= {WHOLE_RUN_TARGET} of the kernel's rate)",
        "",
        "| clients | client-sessions | kernel s | kernel M/s | run s | run M/s | run / kernel rate "
        "| CPU s kernel / run | ceiling on these cores | run / kernel, median of rounds "
        "| kernel slowed beside the writing | bytes per client-session | load after |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in figures["whole_run"]:
        sessions = row["client_sessions"]
        lines.append(
            f"| {row['n_clients']:,} | {sessions:,} | {row['kernel_s']:.2f} | {mega(sessions / row['kernel_s'])} "
            f"| {row['whole_s']:.2f} | {mega(sessions / row['whole_s'])} | {row['ratio']:.2f} "
            f"| {row['kernel_cpu_s']:.2f} / {row['whole_cpu_s']:.2f} | {ceiling(row):.2f} "
            f"| {within_rounds(row)['ratio']:.2f} | {within_rounds(row)['slowdown']:.2f}x "
            f"| {row['bytes_per_client_session']:,.0f} | {row['load_after']:.1f} |"
        )
    lines += [
        "",
        "The ceiling is the most the run / kernel rate can be on these cores with the run's CPU time: "
        "cores x kernel CPU / run CPU (at most 1), reached only if the writing overlapped the kernel perfectly. "
        "The median of rounds takes each round's ratio of its two neighbouring runs. The kernel's slowdown "
        "(median of rounds) is the simulating thread's CPU time in the run over the kernel's alone: the writing "
        "shares the cores' last-level cache and memory bus with it, and the rate can be at most its inverse.",
    ]
    neighbours = figures.get("neighbours")
    if neighbours is not None and neighbours["cases"]:
        lines += [
            "",
            "**Sharing the machine** (the kernel over the first whole run's pieces, pinned to one core, alone and "
            f"with another process busy on a second core; {neighbours['cores']} cores visible; slowdown: the median "
            "over the rounds of the kernel's CPU time against its time alone in the same round)",
            "",
            "| on the second core | kernel s (fastest) | slowdown |",
            "|---|---:|---:|",
        ]
        for name, case in neighbours["cases"].items():
            lines.append(
                f"| {'nothing' if name == 'alone' else name} | {case['seconds']:.2f} | {case['slowdown']:.2f}x |"
            )
    study = figures["study"]
    if study is not None:
        sessions = study["client_sessions"]
        lines += [
            "",
            f"**Study** ({study['n_runs']} runs x {study['n_clients']:,} clients, {study['runs_per_part']} runs "
            f"per part; kernel = `simulate_rows` over the same passes; target >= {STUDY_TARGET} of the "
            f"kernel's rate; speed-up aim {SPEED_UP_AIM}x on 2 idle cores)",
            "",
            "| case | seconds | M client-sessions/s | of the kernel's rate |",
            "|---|---:|---:|---:|",
            f"| kernel, one core | {study['kernel_s']:.2f} | {mega(sessions / study['kernel_s'])} | 1.00 |",
            f"| run_study in process, one core | {study['study_s']:.2f} | {mega(sessions / study['study_s'])} "
            f"| {study['ratio']:.2f} (CPU time: {study['kernel_cpu_s'] / study['study_cpu_s']:.2f}) |",
            f"| run_study, 1 worker process | {study['one_worker_s']:.2f} "
            f"| {mega(sessions / study['one_worker_s'])} | {study['kernel_s'] / study['one_worker_s']:.2f} |",
            f"| run_study, 2 worker processes | {study['two_workers_s']:.2f} "
            f"| {mega(sessions / study['two_workers_s'])} | {study['kernel_s'] / study['two_workers_s']:.2f} |",
            f"| run_study, 2 worker processes, the process's first study | {study['first_two_workers_s']:.2f} "
            f"| {mega(sessions / study['first_two_workers_s'])} "
            f"| {study['kernel_s'] / study['first_two_workers_s']:.2f} |",
            "",
            f"Speed-up from 1 to 2 worker processes: {study['speed_up']:.2f}x ({study['cores_visible']} cores "
            f"visible, 1-minute load average {study['load_after']:.1f} after the measurement).",
        ]
    return lines
