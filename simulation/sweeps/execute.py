"""Running a study: runs packed into stacked passes, parts mapped over an executor (local processes or
a Dask cluster, the same code), each finished part written atomically, a manifest that lets a killed
study resume.

A part is a list of consecutive run indices. Every run's seed follows from the study seed and its index
(Study.seed_of) and the draws are counter-based (simulation.backend), so a run's results do not depend
on which part or pass it is in, on the worker, or on the executor: the final tables are the same bytes
however the study was cut up, run or interrupted.

Output folder::

    DIR/manifest.json           study file, parameters, design, seeds, versions, the model's code version,
                                which parts are done (with their files' checksums), complete or not
    DIR/.lock                   while a process writes the study (one at a time; simulation.store)
    DIR/parts/part-00012.parquet          summary rows of part 12 (one row per run)
    DIR/parts/part-00012.clients.parquet  its client rows (when outputs has "clients")
    DIR/summary.parquet, DIR/clients.parquet   all parts joined in run order, once every part is done
"""

from __future__ import annotations

import concurrent.futures as cf
from collections.abc import Iterable
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from simulation.backend import run_key
from simulation.defaults import DEFAULT_CHUNK
from simulation.figures.arrays import stacked_run_figures
from simulation.figures.registry import FORMAT_FIGURES, RUN_FIGURES
from simulation.runs import Rows, Run, simulate_rows
from simulation.store import output_lock
from simulation.sweeps.executors import local_executor, slots
from simulation.sweeps.folder import PartMarks, finish, finished, open_study_folder, prepare, store_part
from simulation.sweeps.study import Study
from simulation.tables import table_columns

PASS_CLIENTS = DEFAULT_CHUNK  # clients in one stacked pass at most: bounds a worker's memory, the kernel's fastest size


@dataclass(frozen=True)
class StudyResult:
    """What a study leaves: one summary row per run, and one row per client when asked for."""

    study: Study
    summary: pd.DataFrame
    clients: pd.DataFrame | None


def stacked_passes(runs: list[Run]) -> Iterable[slice]:
    """Consecutive runs grouped into passes of at most PASS_CLIENTS clients (a bigger run goes alone)."""
    start, clients = 0, 0
    for index, run in enumerate(runs):
        if index > start and clients + run.n_clients > PASS_CLIENTS:
            yield slice(start, index)
            start, clients = index, 0
        clients += run.n_clients
    yield slice(start, len(runs))


def simulate_part(study: Study, design: pd.DataFrame, runs: list[int]) -> dict[str, pd.DataFrame]:
    """Simulate the runs ``runs`` of the study, stacked in passes, and return the part's tables:
    ``summary`` (one row per run: its point, seed, values and figures, computed on the pass's arrays,
    simulation.figures.arrays) and, when the study asks for it, ``clients`` (one row per client, with
    the run index). A pure function of its arguments: executors map it over parts."""
    part_runs = study.runs(design, runs)
    names = tuple(figure.name for figure in (*RUN_FIGURES, *FORMAT_FIGURES[study.format].values()))
    figures: list[dict[str, np.ndarray]] = []
    clients = []
    for batch in stacked_passes(part_runs):
        stacked = part_runs[batch]
        result = simulate_rows(stacked, Rows.of_runs(stacked))
        figures.append(stacked_run_figures(result, names))
        if "clients" in study.outputs:
            table = pd.DataFrame(table_columns(stacked, result, run_column=False).clients, copy=False)
            table.insert(0, "run", np.asarray(runs[batch], dtype=np.int64)[result.rows.run])
            clients.append(table)
    index = np.asarray(runs, dtype=np.int64)
    point = index // study.replicates
    seeds = [run.seed for run in part_runs]
    summary = pd.DataFrame(
        {
            "run": index,
            "point": point,
            "replicate": index % study.replicates,
            "seed_entropy": [str(seed.entropy) for seed in seeds],  # SeedSequence(int(entropy), spawn_key) rebuilds it
            "seed_spawn_key": [",".join(map(str, seed.spawn_key)) for seed in seeds],
            "run_key": [f"{run_key(seed):016x}" for seed in seeds],  # the 64-bit key the draws use
            **{name: design[name].to_numpy()[point] for name in design.columns},
            "clients": np.full(index.size, study.clients, dtype=np.int64),
            **{name: np.concatenate([values[name] for values in figures]) for name in names},
        }
    )
    part = {"summary": summary}
    if clients:
        part["clients"] = pd.concat(clients, ignore_index=True)
    return part


def map_parts(
    executor: cf.Executor, study: Study, design: pd.DataFrame, parts: dict[int, list[int]], window: int
) -> Iterable[tuple[int, dict[str, pd.DataFrame]]]:
    """(part number, tables) for each part, in the order they finish. At most ``window`` parts are in
    flight at once, so the driver's memory does not grow with the study."""
    pending = iter(parts.items())
    flying: dict[cf.Future, int] = {}

    def refill() -> None:
        while len(flying) < window:
            item = next(pending, None)
            if item is None:
                return
            flying[executor.submit(simulate_part, study, design, item[1])] = item[0]

    refill()
    while flying:
        done, _ = cf.wait(flying, return_when=cf.FIRST_COMPLETED)
        for future in done:
            number = flying.pop(future)
            yield number, future.result()
        refill()


def run_study(
    study: Study,
    out: Path | str | None = None,
    workers: int | None = None,
    executor: cf.Executor | None = None,
    overwrite: bool = False,
    progress: bool | None = None,
) -> StudyResult:
    """Run every run of ``study`` and return its tables.

    With ``out`` the parts are written to that folder as they finish and a rerun resumes a killed
    study (see the module docstring); without, everything stays in memory. ``executor`` is any
    concurrent.futures executor (a Dask client's ``get_executor()`` included); by default local
    processes, ``workers`` of them (all cores by default; 0: in this process).
    """
    design = study.design()
    out = Path(out) if out is not None else None
    with output_lock(out) if out is not None else nullcontext():  # one writer of a study folder at a time
        return _run_study(study, design, out, workers, executor, overwrite, progress)


def _run_study(
    study: Study,
    design: pd.DataFrame,
    out: Path | None,
    workers: int | None,
    executor: cf.Executor | None,
    overwrite: bool,
    progress: bool | None,
) -> StudyResult:
    """run_study's work, under the study folder's lock when there is a folder."""
    parts = {number: list(part) for number, part in enumerate(study.parts(design))}
    manifest = open_study_folder(study, design, out, overwrite) if out is not None else None
    if manifest is not None:
        parts = {number: runs for number, runs in parts.items() if not finished(out, manifest["parts"][number])}
    collected: dict[int, dict[str, pd.DataFrame]] = {}
    total = study.n_runs(design)
    todo = sum(len(runs) for runs in parts.values())
    own_executor = executor is None and parts
    executor = executor or (local_executor(workers) if parts else None)
    window = 2 * slots(executor)
    marks: PartMarks | None = None
    try:
        with tqdm(
            total=total,
            initial=total - todo,
            unit="run",
            desc=study.name,
            disable=None if progress is None else not progress,
        ) as bar:
            if out is not None and manifest is not None:
                prepare(out, manifest, overwrite)
                marks = PartMarks(out, manifest)
            for number, tables in map_parts(executor, study, design, parts, window) if parts else ():
                if out is None:
                    collected[number] = tables
                else:
                    store_part(out, marks, number, tables, study.outputs)
                bar.update(len(parts[number]))
    finally:
        if marks is not None:  # also when a part failed: the finished ones stay done
            marks.flush()
        if own_executor:
            executor.shutdown(wait=True, cancel_futures=True)
    if out is None:
        ordered = [collected[number] for number in sorted(collected)]
        clients = pd.concat([t["clients"] for t in ordered], ignore_index=True) if "clients" in study.outputs else None
        return StudyResult(study, pd.concat([t["summary"] for t in ordered], ignore_index=True), clients)
    tables = finish(out, manifest, study)
    return StudyResult(study, tables["summary"], tables.get("clients"))
