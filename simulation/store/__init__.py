"""Writing results: a cohort simulated in chunks and streamed to Parquet, written atomically, with a
manifest that lets anyone remake the run (how its parameters were made, the parameters themselves,
seed, command line and versions). Nothing is overwritten unless asked.

Every output folder has one writer at a time (:func:`output_lock`) and is published as a whole, its
manifest last (:func:`atomic_outputs`); the manifest records every other file's checksum and the
model's code version (:func:`write_manifest`), which readers check (:func:`open_checked`). See
docs/ODD.md 4.12.

- :mod:`.folders`: the writer lock, atomic publication, refusing to overwrite;
- :mod:`.manifest`: the model's code version, checksums, manifests and package versions;
- :mod:`.parquet`: Arrow tables from column arrays, fixed row groups, the background writer;
- :mod:`.run`: ``alliance run``'s files, its summary and :func:`run_to_directory`.
"""

from simulation.store.folders import (
    LOCK_NAME,
    MANIFEST,
    PARTIAL_PREFIX,
    MixedOutputError,
    OutputBusyError,
    OutputExistsError,
    OutputFolderError,
    atomic_outputs,
    check_free,
    is_transient,
    output_lock,
    remove_stale_partials,
)
from simulation.store.manifest import (
    checksum,
    git_commit,
    model_record,
    model_version,
    open_checked,
    versions,
    write_json,
    write_manifest,
)
from simulation.store.parquet import ParquetStream
from simulation.store.run import RUN_FILES, Summary, run_files, run_to_directory, unit_files

__all__ = [
    "LOCK_NAME",
    "MANIFEST",
    "PARTIAL_PREFIX",
    "RUN_FILES",
    "MixedOutputError",
    "OutputBusyError",
    "OutputExistsError",
    "OutputFolderError",
    "ParquetStream",
    "Summary",
    "atomic_outputs",
    "check_free",
    "checksum",
    "git_commit",
    "is_transient",
    "model_record",
    "model_version",
    "open_checked",
    "output_lock",
    "remove_stale_partials",
    "run_files",
    "run_to_directory",
    "unit_files",
    "versions",
    "write_json",
    "write_manifest",
]
