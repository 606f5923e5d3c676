"""A study's output folder: its manifest (what the study is, which parts are done, with their files'
checksums), each finished part written atomically and marked done, resuming a killed study, and the
parts joined in run order at the end (see simulation.sweeps.execute for the layout)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from simulation.readers import UnreadableFileError, read_json_object, read_table, reading
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
    remove_stale_partials,
    versions,
)
from simulation.store.parquet import write_frame
from simulation.sweeps.study import Study


def part_names(number: int, outputs: tuple[str, ...]) -> tuple[str, ...]:
    """The files of part ``number``: the summary, and the clients when asked for."""
    stem = f"part-{number:05d}"
    return (f"{stem}.parquet", *((f"{stem}.clients.parquet",) if "clients" in outputs else ()))


def final_names(outputs: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(f"{name}.parquet" for name in outputs)


def _write_manifest(out: Path, manifest: dict) -> None:
    """Replace the study's manifest atomically (the caller holds the folder's lock)."""
    with atomic_outputs(out, (MANIFEST,), overwrite=True, lock_held=True) as paths:
        paths[MANIFEST].write_text(manifest_text(manifest) + "\n", encoding="utf-8")


class _EncodedPoints:
    """The JSON of the last design encoded, kept with the list it encodes (compared by identity)."""

    points: list | None = None
    text = ""


POINTS_PLACEHOLDER = "\x00points"


def manifest_text(manifest: dict) -> str:
    """``json.dumps(manifest, indent=1)``, with the design's points encoded once per study: the
    manifest is rewritten after every part and the points never change while a study runs, so
    encoding them each time made a large study's bookkeeping grow with parts x runs (a 10,240-run
    Sobol study spent about 0.1 s a part on it)."""
    points = manifest.get("points")
    if not isinstance(points, list):
        return json.dumps(manifest, indent=1)
    if _EncodedPoints.points is not points:
        _EncodedPoints.points, _EncodedPoints.text = points, json.dumps(points, indent=1).replace("\n", "\n ")
    text = json.dumps(manifest | {"points": POINTS_PLACEHOLDER}, indent=1)
    return text.replace(json.dumps(POINTS_PLACEHOLDER), _EncodedPoints.text, 1)


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


def finished(out: Path, part: dict) -> bool:
    """Whether ``part`` is done and its files are there (a missing one makes it run again); a file
    there that does not match its checksum is refused (MixedOutputError), not silently replaced."""
    if not (part["done"] and all((out / "parts" / name).exists() for name in part["files"])):
        return False
    for name in part["files"]:
        open_checked(out / "parts" / name, part.get("checksums", {}).get(name), out / MANIFEST).close()
    return True


def prepare(out: Path, manifest: dict, overwrite: bool) -> None:
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


class PartMarks:
    """Marks finished parts done in a study's manifest, rewriting it at most every MARK_SECONDS (and
    on :meth:`flush`): rewriting it after every part cost a study of small parts a tenth of its time.
    A part is marked after its files are written, so a kill before the mark reaches the disk only
    makes the parts since the last rewrite run again."""

    MARK_SECONDS = 1.0

    def __init__(self, out: Path, manifest: dict) -> None:
        self.out, self.manifest = out, manifest
        self.written, self.pending = time.monotonic(), False

    def mark(self, number: int, checksums: dict[str, dict]) -> None:
        """Mark part ``number`` done with its files' checksums and the model's code version."""
        self.manifest["parts"][number] |= {
            "done": True,
            "checksums": checksums,
            "model_version": self.manifest["model"]["version"],
        }
        self.pending = True
        if time.monotonic() - self.written >= self.MARK_SECONDS:
            self.flush()

    def flush(self) -> None:
        """Rewrite the manifest (atomically) if a part was marked since it was last written."""
        if self.pending:
            _write_manifest(self.out, self.manifest)
            self.written, self.pending = time.monotonic(), False


def store_part(
    out: Path, marks: PartMarks, number: int, tables: dict[str, pd.DataFrame], outputs: tuple[str, ...]
) -> None:
    """Write a finished part atomically, then mark it done (:class:`PartMarks`): a kill between the
    two only makes the part run again."""
    names = part_names(number, outputs)
    with atomic_outputs(out / "parts", names, overwrite=True, lock_held=True) as paths:
        for name, output in zip(names, outputs, strict=True):
            write_frame(tables[output], paths[name])
        checksums = {name: checksum(paths[name]) for name in names}
    marks.mark(number, checksums)


def finish(out: Path, manifest: dict, study: Study) -> dict[str, pd.DataFrame]:
    """Join the parts in run order into the final files (streamed: memory stays at one part; each
    part checked against its checksum), publish them, then mark the study complete with their
    checksums; return its tables (by output), read from the bytes checked. A study marked complete whose final
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
                        with (
                            open_checked(out / "parts" / file, record, manifest_path) as handle,
                            reading(out / "parts" / file, f"a part of the {output} table"),
                        ):
                            stream.write(pq.read_table(handle))  # as Arrow: no round trip through pandas
                finally:
                    stream.close()
            checksums = {name: checksum(paths[name]) for name in names}
        manifest |= {"complete": True, "checksums": checksums}
        _write_manifest(out, manifest)
    tables = {}
    for output, name in zip(study.outputs, names, strict=True):
        with open_checked(out / name, manifest.get("checksums", {}).get(name), manifest_path) as handle:
            tables[output] = read_table(out / name, f"the {output} table", source=handle)
    return tables
