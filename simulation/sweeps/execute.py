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
import json
import multiprocessing
import os
import threading
import time
from collections.abc import Iterable
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from simulation.backend import run_key
from simulation.extras import require
from simulation.figures.registry import run_figures
from simulation.readers import UnreadableFileError, read_json_object, read_table
from simulation.runs import Run
from simulation.store import (
    MANIFEST,
    OutputExistsError,
    OutputFolderError,
    ParquetStream,
    atomic_outputs,
    checksum,
    is_transient,
    model_record,
    open_checked,
    output_lock,
    remove_stale_partials,
    versions,
)
from simulation.sweeps.study import Study
from simulation.tables import Tables, simulate_runs

PASS_CLIENTS = 100_000  # clients simulated in one stacked pass at most (bounds a worker's memory)
CONNECT_SECONDS = 20  # how long to try to reach a Dask scheduler


@dataclass(frozen=True)
class StudyResult:
    """What a study leaves: one summary row per run, and one row per client when asked for."""

    study: Study
    summary: pd.DataFrame
    clients: pd.DataFrame | None


def _split_by_run(tables: Tables) -> list[Tables]:
    """The tables of each run of a stacked pass (simulate_runs), without the run column: what the run
    alone would give."""
    count = len(tables.runs)

    def pieces(table: pd.DataFrame) -> list[pd.DataFrame]:
        bounds = np.searchsorted(table["run"].to_numpy(), np.arange(count + 1))  # rows are run-major
        body = table.drop(columns="run")
        return [body.iloc[bounds[i] : bounds[i + 1]].reset_index(drop=True) for i in range(count)]

    frames = [tables.sessions, tables.clients, tables.therapists, tables.runs]
    if not tables.units.empty:  # the group and family formats' unit table
        frames.append(tables.units)
    return [Tables(*parts) for parts in zip(*(pieces(frame) for frame in frames), strict=True)]


def _passes(runs: list[Run]) -> Iterable[slice]:
    """Consecutive runs grouped into passes of at most PASS_CLIENTS clients (a bigger run goes alone)."""
    start, clients = 0, 0
    for index, run in enumerate(runs):
        if index > start and clients + run.n_clients > PASS_CLIENTS:
            yield slice(start, index)
            start, clients = index, 0
        clients += run.n_clients
    yield slice(start, len(runs))


def simulate_part(study: Study, design: pd.DataFrame, runs: list[int]) -> dict[str, pd.DataFrame]:
    """Simulate the runs ``runs`` of the study, stacked (simulate_runs), and return the part's tables: ``summary``
    (one row per run) and, when the study asks for it, ``clients`` (one row per client, with the run
    index). A pure function of its arguments: executors map it over parts."""
    part_runs = study.runs(design, runs)
    rows, clients = [], []
    for batch in _passes(part_runs):
        stacked = part_runs[batch]
        for offset, run_tables in enumerate(_split_by_run(simulate_runs(stacked))):
            index = runs[batch.start + offset]
            point = index // study.replicates
            seed = run_tables.runs.iloc[0]
            rows.append(
                {
                    "run": index,
                    "point": point,
                    "replicate": index % study.replicates,
                    "seed_entropy": seed["seed_entropy"],  # SeedSequence(int(entropy), spawn_key) rebuilds it
                    "seed_spawn_key": seed["seed_spawn_key"],
                    "run_key": f"{run_key(stacked[offset].seed):016x}",  # the 64-bit key the draws use
                    **design.iloc[point].to_dict(),
                    "clients": study.clients,
                    **run_figures(run_tables, study.format),
                }
            )
            if "clients" in study.outputs:
                clients.append(run_tables.clients.assign(run=index))
    summary = pd.DataFrame(rows).astype({"run": np.int64, "point": np.int64, "replicate": np.int64})
    summary = summary.astype({name: design[name].dtype for name in design.columns})
    part = {"summary": summary}
    if clients:
        joined = pd.concat(clients, ignore_index=True)
        part["clients"] = joined[["run", *joined.columns[:-1]]]
    return part


# --- executors -------------------------------------------------------------------------------------


class InProcessExecutor(cf.Executor):
    """Runs each submitted call at once in this process (``workers=0``: debugging and profiling)."""

    def submit(self, fn, /, *args, **kwargs) -> cf.Future:
        future: cf.Future = cf.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as error:  # handed to the caller through the future, as executors do
            future.set_exception(error)
        return future


def _exit_with_parent(parent: int) -> None:
    """Worker initializer: end this worker when the study's driver has gone (kill -9 included),
    instead of waiting forever for work that will not come."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def local_executor(workers: int | None = None) -> cf.Executor:
    """Local worker processes (all cores by default; 0: this process). Workers are spawned, not
    forked: forking a process with threads (pyarrow, tqdm) may deadlock."""
    if workers == 0:
        return InProcessExecutor()
    count = workers or len(os.sched_getaffinity(0))
    return cf.ProcessPoolExecutor(
        count, mp_context=multiprocessing.get_context("spawn"), initializer=_exit_with_parent, initargs=(os.getpid(),)
    )


def dask_executor(address: str) -> tuple[cf.Executor, object]:
    """An executor on the Dask cluster whose scheduler is at ``address`` (tcp://host:port), and its
    client (close it when done)."""
    distributed = require("distributed", "dask", "--scheduler (a Dask cluster)")
    client = distributed.Client(address, timeout=CONNECT_SECONDS)
    return client.get_executor(pure=False), client


def _slots(executor: cf.Executor | None) -> int:
    """How many parts the executor runs at once: its processes, or the threads of a Dask cluster."""
    client = getattr(executor, "_client", None)
    if client is not None:
        return max(sum(client.nthreads().values()), 1)
    return max(getattr(executor, "_max_workers", 1), 1)


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


# --- the study folder ------------------------------------------------------------------------------


def part_names(number: int, outputs: tuple[str, ...]) -> tuple[str, ...]:
    """The files of part ``number``: the summary, and the clients when asked for."""
    stem = f"part-{number:05d}"
    return (f"{stem}.parquet", *((f"{stem}.clients.parquet",) if "clients" in outputs else ()))


def final_names(outputs: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(f"{name}.parquet" for name in outputs)


def _write_manifest(out: Path, manifest: dict) -> None:
    """Replace the study's manifest atomically (the caller holds the folder's lock)."""
    with atomic_outputs(out, (MANIFEST,), overwrite=True, lock_held=True) as paths:
        paths[MANIFEST].write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")


def new_manifest(study: Study, design: pd.DataFrame) -> dict:
    """The manifest of a study that has not started: everything needed to know what it is and to
    rebuild any run (study file, base parameters, design, seed rule, versions)."""
    return {
        "command": "sweep",
        "study": study.name,
        "study_file": study.text,
        "sampler": study.sampler,
        "presets": list(study.presets),
        "base_parameters": study.base.as_dict(),
        "varied": study.names,
        "points": design.to_dict(orient="split", index=False)["data"],
        "replicates": study.replicates,
        "format": study.format,
        "clients_per_run": study.clients,  # members, in every format
        "runs": study.n_runs(design),
        "seeds": {
            "study_seed": study.seed,
            "paired": study.paired,
            "rule": "run i (point i // replicates, replicate i % replicates) has seed "
            "SeedSequence(study_seed, spawn_key=(k,)), the k-th child of SeedSequence(study_seed), with "
            "k = i, or k = the replicate when paired",
        },
        "versions": versions(),
        "model": model_record(),
        "runs_per_part": study.runs_per_part,
        "parts": [
            {
                "part": number,
                "runs": [part.start, part.stop],
                "done": False,
                "files": list(part_names(number, study.outputs)),
            }
            for number, part in enumerate(study.parts(design))
        ],
        "complete": False,
        "files": list(final_names(study.outputs)),
    }


def open_study_folder(study: Study, design: pd.DataFrame, out: Path, overwrite: bool) -> dict:
    """The manifest to continue from: a fresh one for a new folder (or with ``overwrite``), the
    stored one when ``out`` holds this same study (resume). Refuses a folder that holds another
    study or other files unless ``overwrite``, and parts written by another version of the model's
    code (simulation.store.model_version). Writes nothing; the caller holds the folder's lock."""
    path = out / MANIFEST
    fresh = new_manifest(study, design)
    if out.exists() and not out.is_dir():
        raise OutputExistsError(f"{out} exists and is not a directory")
    if overwrite or not out.exists() or all(is_transient(entry.name) for entry in out.iterdir()):
        return fresh
    if not path.exists():
        raise OutputExistsError(f"{out} exists and holds no sweep manifest; pass --overwrite or choose another --out")
    stored = read_json_object(path, "a sweep manifest")
    parts = stored.get("parts")
    if not (isinstance(parts, list) and all(isinstance(part, dict) for part in parts)):
        raise UnreadableFileError(
            f"{path} is not a sweep manifest: no list of parts; pass --overwrite or choose another --out"
        )
    if stored.get("study_file") != study.text or stored.get("runs_per_part") != study.runs_per_part:
        raise OutputExistsError(f"{out} holds a different study; pass --overwrite to replace it")
    if not _same_parts(stored, fresh):
        raise UnreadableFileError(
            f"{path} is not a sweep manifest of this study: its parts do not match the study's; "
            "pass --overwrite to start the study again"
        )
    code = model_record()
    other = next((part for part in parts if part.get("done") and part.get("model_version") != code["version"]), None)
    if other is not None:
        raise OutputFolderError(
            f"parts in {out} were written by model version {other.get('model_version') or 'unknown'}, this is "
            f"{code['version']}; use a new --out or --overwrite"
        )
    return stored | {"model": code}


PART_PLAN = ("part", "runs", "files")  # what a manifest's part entry must say as the study plans it


def _same_parts(stored: dict, fresh: dict) -> bool:
    """Whether a stored manifest lists the parts the study plans, each marked done or not (a manifest
    edited by hand or damaged does not)."""
    parts = stored.get("parts")
    return (
        isinstance(parts, list)
        and len(parts) == len(fresh["parts"])
        and all(
            isinstance(part, dict)
            and isinstance(part.get("done"), bool)
            and all(part.get(key) == planned[key] for key in PART_PLAN)
            for part, planned in zip(parts, fresh["parts"], strict=True)
        )
        and isinstance(stored.get("complete"), bool)
        and stored.get("files") == fresh["files"]
    )


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
        parts = {number: runs for number, runs in parts.items() if not _finished(out, manifest["parts"][number])}
    collected: dict[int, dict[str, pd.DataFrame]] = {}
    total = study.n_runs(design)
    todo = sum(len(runs) for runs in parts.values())
    own_executor = executor is None and parts
    executor = executor or (local_executor(workers) if parts else None)
    window = 2 * _slots(executor)
    try:
        with tqdm(
            total=total,
            initial=total - todo,
            unit="run",
            desc=study.name,
            disable=None if progress is None else not progress,
        ) as bar:
            if out is not None and manifest is not None:
                _prepare(out, manifest, overwrite)
            for number, tables in map_parts(executor, study, design, parts, window) if parts else ():
                if out is None:
                    collected[number] = tables
                else:
                    _store_part(out, manifest, number, tables, study.outputs)
                bar.update(len(parts[number]))
    finally:
        if own_executor:
            executor.shutdown(wait=True, cancel_futures=True)
    if out is None:
        ordered = [collected[number] for number in sorted(collected)]
        clients = pd.concat([t["clients"] for t in ordered], ignore_index=True) if "clients" in study.outputs else None
        return StudyResult(study, pd.concat([t["summary"] for t in ordered], ignore_index=True), clients)
    return _finish(out, manifest, study)


def _finished(out: Path, part: dict) -> bool:
    """Whether ``part`` is done and its files are there (a missing one makes it run again); a file
    there that does not match its checksum is refused (MixedOutputError), not silently replaced."""
    if not (part["done"] and all((out / "parts" / name).exists() for name in part["files"])):
        return False
    for name in part["files"]:
        open_checked(out / "parts" / name, part.get("checksums", {}).get(name), out / MANIFEST).close()
    return True


def _prepare(out: Path, manifest: dict, overwrite: bool) -> None:
    """Write the manifest, empty a replaced study's parts and joined files (after the new manifest,
    so that a kill in between leaves them unmarked: they run again), and clear killed writers'
    temporary files."""
    (out / "parts").mkdir(parents=True, exist_ok=True)
    _write_manifest(out, manifest)
    if overwrite and not any(part["done"] for part in manifest["parts"]):
        for stale in (out / "parts").glob("part-*.parquet"):
            stale.unlink()
        for name in manifest["files"]:
            (out / name).unlink(missing_ok=True)
    remove_stale_partials(out)
    remove_stale_partials(out / "parts")


def _store_part(
    out: Path, manifest: dict, number: int, tables: dict[str, pd.DataFrame], outputs: tuple[str, ...]
) -> None:
    """Write a finished part atomically, then mark it done in the manifest (also atomically) with its
    files' checksums and the model's code version: a kill between the two only makes the part run
    again."""
    names = part_names(number, outputs)
    with atomic_outputs(out / "parts", names, overwrite=True, lock_held=True) as paths:
        for name, output in zip(names, outputs, strict=True):
            tables[output].to_parquet(paths[name], index=False)
        checksums = {name: checksum(paths[name]) for name in names}
    manifest["parts"][number] |= {"done": True, "checksums": checksums, "model_version": manifest["model"]["version"]}
    _write_manifest(out, manifest)


def _finish(out: Path, manifest: dict, study: Study) -> StudyResult:
    """Join the parts in run order into the final files (streamed: memory stays at one part; each
    part checked against its checksum), publish them, then mark the study complete with their
    checksums; return its tables, read from the bytes checked. A study marked complete whose final
    files went is unmarked first, so that the manifest never vouches for files being replaced."""
    names = final_names(study.outputs)
    manifest_path = out / MANIFEST
    if not manifest["complete"] or not all((out / name).exists() for name in names):
        if manifest["complete"]:
            manifest["complete"] = False
            manifest.pop("checksums", None)
            _write_manifest(out, manifest)
        with atomic_outputs(out, names, overwrite=True, lock_held=True) as paths:
            for output, name in zip(study.outputs, names, strict=True):
                stream = ParquetStream(paths[name])
                try:
                    for part in manifest["parts"]:
                        file = part["files"][study.outputs.index(output)]
                        record = part.get("checksums", {}).get(file)
                        with open_checked(out / "parts" / file, record, manifest_path) as handle:
                            stream.write(
                                read_table(out / "parts" / file, f"a part of the {output} table", source=handle)
                            )
                finally:
                    stream.close()
            checksums = {name: checksum(paths[name]) for name in names}
        manifest |= {"complete": True, "checksums": checksums}
        _write_manifest(out, manifest)
    tables = {}
    for output, name in zip(study.outputs, names, strict=True):
        with open_checked(out / name, manifest.get("checksums", {}).get(name), manifest_path) as handle:
            tables[output] = read_table(out / name, f"the {output} table", source=handle)
    return StudyResult(study, tables["summary"], tables.get("clients"))
