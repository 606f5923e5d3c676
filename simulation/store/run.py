"""``alliance run``'s output: a cohort simulated in pieces and streamed to Parquet (each finished
piece's tables built and written on threads of their own while the next piece is simulated), with a
manifest that lets anyone remake the run and the summary the command prints."""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from simulation import measures
from simulation.backend import DEFAULT_BACKEND
from simulation.defaults import DEFAULT_CHUNK
from simulation.dynamics import DROPOUT_CAUSES
from simulation.formats import FORMATS, get_format
from simulation.recipe import RunRecipe
from simulation.runs import CourseResult, Rows, Run, simulate_rows
from simulation.store.folders import MANIFEST, atomic_outputs
from simulation.store.manifest import versions, write_manifest
from simulation.store.parquet import BackgroundWriter, ParquetStream, arrow_table, write_frame
from simulation.tables import table_columns, therapist_table

RUN_FILES = ("sessions.parquet", "clients.parquet", "therapists.parquet", "manifest.json")  # manifest last


SPLIT = 4
"""The first and the last full piece of a run are simulated in this many smaller pieces (whole units
each): the writing starts after a quarter of a piece's kernel time, not a whole one, and what is left
to build and write once the kernel has finished is a quarter of a piece's tables."""


def pieces(format_name: str, params: Any, n_clients: int, chunk_clients: int = DEFAULT_CHUNK) -> list[range]:
    """The members of each piece of ``alliance run``, in order: pieces of at most ``chunk_clients``
    members, whole units (Format.aligned_chunk), the first and the last full one cut into SPLIT
    smaller ones. Writing piece k overlaps simulating piece k + 1, so small pieces keep the writing
    close behind the kernel (at most a few pieces are alive), and small first and last ones shorten
    the time the kernel runs with nothing to write beside it and the writing left when it is done.
    The results, to the byte, do not depend on the pieces."""
    format_ = get_format(format_name)
    piece = format_.aligned_chunk(params, chunk_clients)
    small = format_.aligned_chunk(params, piece // SPLIT)
    tail_start = max(n_clients - piece, 0) // piece * piece  # where the last full piece (or the rest) starts
    head_stop = min(piece, tail_start)
    starts = [*range(0, head_stop, small), *range(head_stop, tail_start, piece), *range(tail_start, n_clients, small)]
    return [range(start, min(stop, n_clients)) for start, stop in zip(starts, [*starts[1:], n_clients], strict=True)]


def unit_files() -> tuple[str, ...]:
    """The unit table file of every format that has one (formats.Format.unit_file)."""
    return tuple(format_.unit_file for format_ in FORMATS.values() if format_.unit_file is not None)


def run_files(format_name: str = "individual") -> tuple[str, ...]:
    """The files ``alliance run`` writes in ``format_name``: the usual four, plus the unit table."""
    unit_file = get_format(format_name).unit_file
    return RUN_FILES if unit_file is None else (*RUN_FILES[:3], unit_file, RUN_FILES[3])


@dataclass
class Summary:
    """Running totals over the chunks of a cohort: enough for the printed summary."""

    clients: int = 0
    outcomes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(measures.OUTCOMES, 0))
    dropout_causes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(DROPOUT_CAUSES[1:], 0))
    sessions_scheduled: int = 0
    sessions_attended: int = 0
    ruptures: int = 0
    ruptures_resolved: int = 0
    clients_with_rupture: int = 0
    attended_counts: list[np.ndarray] = field(default_factory=list)

    def add(self, clients: dict[str, Any]) -> None:
        """Add a chunk's clients (the clients table's columns, simulation.tables.table_columns)."""
        self.clients += len(clients["client_id"])
        for column, totals in (("outcome", self.outcomes), ("dropout_cause", self.dropout_causes)):
            categories = list(clients[column].categories)
            counts = np.bincount(clients[column].codes, minlength=len(categories))
            for name in totals:
                totals[name] += int(counts[categories.index(name)])
        self.sessions_scheduled += int(clients["sessions_scheduled"].sum())
        self.sessions_attended += int(clients["sessions_attended"].sum())
        self.ruptures += int(clients["ruptures"].sum())
        self.ruptures_resolved += int(clients["ruptures_resolved"].sum())
        self.clients_with_rupture += int((clients["ruptures"] > 0).sum())
        self.attended_counts.append(clients["sessions_attended"])

    def as_dict(self) -> dict:
        """The summary as plain numbers (also stored in the manifest)."""
        return {
            "clients": self.clients,
            "outcomes": {name: count / self.clients for name, count in self.outcomes.items()},
            "dropout_rate": self.outcomes["dropped_out"] / self.clients,
            "dropout_causes": {name: count / self.clients for name, count in self.dropout_causes.items()},
            "missed_session_share": 1 - self.sessions_attended / self.sessions_scheduled,
            "median_sessions_attended": float(np.median(np.concatenate(self.attended_counts))),
            "clients_with_rupture": self.clients_with_rupture / self.clients,
            "ruptures_resolved_share": self.ruptures_resolved / max(self.ruptures, 1),
        }

    def to_text(self) -> str:
        numbers = self.as_dict()
        lines = [f"Outcomes of {self.clients} clients:"]
        lines += [f"  {name:<13} {share:6.1%}" for name, share in numbers["outcomes"].items()]
        lines += [
            f"Dropout {numbers['dropout_rate']:.1%} ("
            + ", ".join(f"{name} {share:.1%}" for name, share in numbers["dropout_causes"].items())
            + f"); missed sessions {numbers['missed_session_share']:.1%}; "
            f"median sessions attended {numbers['median_sessions_attended']:g}",
            f"Clients with a rupture {numbers['clients_with_rupture']:.1%}; "
            f"ruptures resolved {numbers['ruptures_resolved_share']:.1%}",
        ]
        return "\n".join(lines)


def run_to_directory(
    recipe: RunRecipe,
    n_clients: int,
    seed: int,
    out: Path,
    overwrite: bool = False,
    chunk_clients: int = DEFAULT_CHUNK,
    backend: str = DEFAULT_BACKEND,
    progress: bool | None = None,
    format_name: str = "individual",
) -> Summary:
    """Simulate a cohort of ``n_clients`` members in ``format_name`` with the parameters that
    ``recipe`` makes, in chunks of members, and stream its tables to ``out`` (see :func:`run_files`);
    the manifest records the format, the recipe, the parameters and every file's checksum, and is
    published last (:func:`atomic_outputs`).

    The cohort is simulated in pieces of at most ``chunk_clients`` members (:func:`pieces`):
    while the next piece is simulated (the fused kernel releases the GIL), one background thread
    builds each finished piece's tables (as Arrow tables, from the arrays) and one thread per file
    encodes and writes them, keeping each file's checksum as it goes; the therapists' file is
    written on a thread of its own while the first pieces are simulated. Memory stays bounded by the
    piece size (a few pieces alive: one simulated, one waiting, one built, its tables
    being written); the results, to the byte, do not depend on it (random draws are keyed by client,
    unit and pair, see simulation.backend; pieces are cut at unit boundaries, their size rounded down
    to whole units; row groups have a fixed size).
    """
    params = recipe.params()
    runs = [Run(params, n_clients, seed, format_name)]
    format_ = get_format(format_name)
    files = run_files(format_name)
    summary = Summary()
    others = tuple(name for name in unit_files() if name not in files)  # another format's unit table
    with atomic_outputs(out, files, overwrite, replaces=others) as paths:
        tables = {"sessions": "sessions.parquet", "clients": "clients.parquet"}
        if format_.unit_file is not None:
            tables["units"] = format_.unit_file
        streams = {table: ParquetStream(paths[name]) for table, name in tables.items()}
        try:
            with ExitStack() as writing:
                # the therapists' file on a thread of its own, beside the first pieces' kernel
                therapists = writing.enter_context(
                    BackgroundWriter(lambda cohort: write_frame(therapist_table(cohort), paths["therapists.parquet"]))
                )
                therapists.put(runs)
                # one thread per file writes and closes it; one more builds each piece's tables and hands them on
                file_writers = {
                    table: writing.enter_context(BackgroundWriter(stream.write, finish=stream.close))
                    for table, stream in streams.items()
                }

                def build_piece(result: CourseResult) -> None:
                    columns = table_columns(runs, result, run_column=False)
                    summary.add(columns.clients)
                    for table, file_writer in file_writers.items():
                        file_writer.put(arrow_table(getattr(columns, table)))

                builder = writing.enter_context(BackgroundWriter(build_piece))
                cut = pieces(format_name, params, n_clients, chunk_clients)
                bar = tqdm(cut, desc="pieces", unit="piece", disable=None if progress is None else not progress)
                for members in bar:
                    builder.put(simulate_rows(runs, Rows.of_runs(runs, members.start, members.stop), backend))
        finally:
            for stream in streams.values():
                stream.close()
        write_manifest(
            paths,
            {
                "command": "run",
                "format": format_name,
                "n_clients": n_clients,
                "seed": seed,
                "backend": backend,
                "recipe": recipe.as_dict(),
                "parameters": params.as_dict(),
                "versions": versions(),
                "summary": summary.as_dict(),
                "files": [name for name in files if name != MANIFEST],
            },
            known={tables[table]: stream.checksum for table, stream in streams.items()},
        )
    return summary
