"""``python -m benchmarks.sweeps [--runs 200] [--clients 1000] [--repeats 2]``: what the sweep machinery
costs over the same runs called directly, and the speed-up from one local worker process to all cores.

One study (a Latin hypercube over repair skill, ``--runs`` runs of ``--clients`` clients) is timed as:
the kernel alone (``simulate_rows`` over the study's own packing), kernel plus every run's figures on
the pass's arrays (``stacked_run_figures``, what a part computes), ``run_study`` in this process
(``workers=0``) in memory and into a folder, and ``run_study`` into a folder on 1 and on all local
worker processes (process start-up included). Each time is the best of ``--repeats``. Prints a
Markdown table (benchmarks/README.md, "Sweeps"); ``python -m benchmarks`` measures the ratios.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from simulation.figures.arrays import stacked_run_figures
from simulation.figures.registry import RUN_FIGURES
from simulation.runs import Rows, simulate_rows
from simulation.sweeps import Study, parse_study, run_study


def best_of(repeats: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def benchmark_study(runs: int, clients: int) -> Study:
    """The benchmarks' study: a Latin hypercube over repair skill, ``runs`` runs of ``clients`` clients."""
    return parse_study(
        f"""
        [study]
        sampler = "lhs"
        samples = {runs}
        clients = {clients}
        seed = 5
        [vary.repair_skill_mean]
        range = [0.2, 0.9]
        """,
        default_name="benchmark",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    study = benchmark_study(args.runs, args.clients)
    design = study.design()
    passes = [study.runs(design, list(part)) for part in study.parts(design)]

    names = tuple(figure.name for figure in RUN_FIGURES)

    def direct(figures: bool) -> None:
        for runs in passes:
            result = simulate_rows(runs, Rows.of_runs(runs))
            if figures:
                stacked_run_figures(result, names)

    def into_folder(workers: int) -> None:
        with tempfile.TemporaryDirectory() as folder:
            run_study(study, Path(folder) / "out", workers=workers, progress=False)

    cores = len(os.sched_getaffinity(0))
    cases = {
        "simulate_rows, same packing": lambda: direct(False),
        "simulate_rows + figures on arrays": lambda: direct(True),
        "run_study, in process, in memory": lambda: run_study(study, workers=0, progress=False),
        "run_study, in process, to a folder": lambda: into_folder(0),
        "run_study, 1 worker process, to a folder": lambda: into_folder(1),
        f"run_study, {cores} worker processes, to a folder": lambda: into_folder(cores),
    }
    print(f"{args.runs} runs of {args.clients} clients, {study.runs_per_part} runs per part, {cores} cores\n")
    print("| case | seconds | runs/s |\n|---|---:|---:|")
    for label, work in cases.items():
        seconds = best_of(args.repeats, work)
        print(f"| {label} | {seconds:.2f} | {args.runs / seconds:.0f} |", flush=True)


if __name__ == "__main__":
    main()
