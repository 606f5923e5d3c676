"""Drive the kernel over whole courses: one run, many stacked runs, or one run cut into chunks.

A row is one relation. Rows carry (run, client index, therapist index); random draws are keyed by
those coordinates (simulation.backend), so a run's results do not depend on which other runs share
its pass, on how its clients are chunked, or on the worker that computes it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import numpy as np

from simulation import dynamics
from simulation.backend import Domain, Draws, namespace, run_key, to_numpy
from simulation.config import PARAMETERS, Params

COMPACT_BELOW = 0.75  # drop finished rows once fewer than this share of rows is still in therapy


@dataclass(frozen=True)
class Run:
    """One independent run: its parameters, cohort size and seed (an int or a spawned SeedSequence)."""

    params: Params
    n_clients: int
    seed: int | np.random.SeedSequence


@dataclass(frozen=True)
class Rows:
    """Which relations a pass simulates: each row's run, client index and therapist index (0-based)."""

    run: np.ndarray
    client: np.ndarray
    therapist: np.ndarray

    @classmethod
    def of_runs(cls, runs: list[Run], start: int = 0, stop: int | None = None) -> Rows:
        """Clients ``start:stop`` of every run (all of them by default), run by run."""
        run_index, client_index, therapist_index = [], [], []
        for index, run in enumerate(runs):
            clients = np.arange(start, min(stop if stop is not None else run.n_clients, run.n_clients), dtype=np.int64)
            run_index.append(np.full(clients.size, index, dtype=np.int32))
            client_index.append(clients)
            therapist_index.append(clients // run.params.clients_per_therapist)
        return cls(np.concatenate(run_index), np.concatenate(client_index), np.concatenate(therapist_index))

    def __len__(self) -> int:
        return int(self.run.size)


@dataclass(frozen=True)
class CourseResult:
    """What a pass leaves, as host numpy arrays: per-row traits and final state, and per session
    the positions (into ``rows``) of the rows still in therapy with their session record."""

    rows: Rows
    traits: dict[str, np.ndarray]
    final: dict[str, np.ndarray]
    sessions: list[tuple[int, np.ndarray, dict[str, np.ndarray]]]


def row_params(xp: Any, params: list[Params], run_index: np.ndarray) -> Any:
    """Parameters for the kernel: the Params itself for one run, else per-row arrays for the
    parameters that differ between runs and scalars for those that do not."""
    if len(params) == 1:
        return params[0]
    values: dict[str, Any] = {}
    for name, spec in PARAMETERS.items():
        per_run = [getattr(p, name) for p in params]
        if all(value == per_run[0] for value in per_run):
            values[name] = per_run[0]
        else:
            values[name] = xp.asarray(np.asarray(per_run, dtype=spec.kind)[run_index])
    return SimpleNamespace(**values)


def _compact(xp: Any, obj: Any, keep: Any) -> Any:
    """Keep the rows ``keep`` (integer indices) of every array field of a dataclass or namespace;
    scalars stay as they are."""

    def take(value: Any) -> Any:
        return xp.take(value, keep) if hasattr(value, "shape") and value.ndim == 1 else value

    if dataclasses.is_dataclass(obj):
        return dataclasses.replace(obj, **{f.name: take(getattr(obj, f.name)) for f in dataclasses.fields(obj)})
    if isinstance(obj, SimpleNamespace):
        return SimpleNamespace(**{name: take(value) for name, value in vars(obj).items()})
    return obj


def _host(obj: Any) -> dict[str, np.ndarray]:
    """The array fields of a dataclass as host numpy arrays (numpy's own arrays, not copies)."""
    return {f.name: to_numpy(getattr(obj, f.name)) for f in dataclasses.fields(obj)}


def _host_copy(obj: Any) -> dict[str, np.ndarray]:
    """The array fields of a dataclass as host numpy arrays that share no memory with them:
    ``to_numpy`` copies off a device but hands numpy arrays back as they are, so those are copied."""
    return {
        name: values.copy() if isinstance(getattr(obj, name), np.ndarray) else values
        for name, values in _host(obj).items()
    }


class Course:
    """The kernel's state over a pass, advanced one session at a time.

    With ``compact`` (the default for batch runs) finished rows are dropped once fewer than
    COMPACT_BELOW of the rows are still in therapy; the Mesa model keeps every row in place instead,
    so that its agents can keep their row index.
    """

    def __init__(self, runs: list[Run], rows: Rows, backend: str = "numpy", compact: bool = True) -> None:
        xp = self.xp = namespace(backend)
        self.runs, self.rows, self.compact = runs, rows, compact
        keys = np.asarray([run_key(run.seed) for run in runs], dtype=np.uint64)[rows.run]
        self.params = row_params(xp, [run.params for run in runs], rows.run)
        self.draws = Draws.for_rows(xp, keys, rows.client, Domain.CLIENT)
        therapist_draws = Draws.for_rows(xp, keys, rows.therapist, Domain.THERAPIST)
        clients = dynamics.draw_clients(xp, self.params, self.draws)
        therapists = dynamics.draw_therapists(xp, self.params, therapist_draws)
        self.traits = dynamics.relation_traits(xp, self.params, clients, therapists)
        # a course that keeps its rows in place (the Mesa model's) can be edited between sessions; it
        # keeps the traits the relations were combined from, to combine them again after an edit
        self.trait_sources: tuple[dict[str, Any], dict[str, Any]] | None = None if compact else (clients, therapists)
        self.host_traits = _host(self.traits)
        self.state = dynamics.initial_state(xp, self.params, self.traits)
        self.final = {name: np.empty(len(rows), dtype=values.dtype) for name, values in _host(self.state).items()}
        self.position = xp.arange(len(rows))
        self.sessions: list[tuple[int, np.ndarray, dict[str, np.ndarray]]] = []
        self.session = 0
        self.in_therapy_count = len(rows)
        self.running = True

    def advance(self) -> dynamics.SessionRecord:
        """Simulate the next scheduled session for every row still in therapy."""
        xp = self.xp
        self.session += 1
        in_therapy = xp.nonzero(self.state.active)[0]
        self.state, record = dynamics.step_session(xp, self.params, self.traits, self.state, self.draws, self.session)
        # the record must not share memory with the state, which a view may edit before the next
        # session (the kernel passes bond, goal, task and stage through to both): a record cut down to
        # the rows in therapy is a copy already (take), a whole one is copied here
        if self.in_therapy_count < self.position.shape[0]:
            recorded = _host(_compact(xp, record, in_therapy))
        else:
            recorded = _host_copy(record)
        self.sessions.append((self.session, to_numpy(xp.take(self.position, in_therapy)), recorded))
        still = self.in_therapy_count = int(xp.sum(xp.astype(self.state.active, xp.int64)))
        self.running = still > 0
        if not self.running or (self.compact and still < COMPACT_BELOW * self.position.shape[0]):
            self._retire()
        return record

    def edit_state(self, name: str, rows: np.ndarray, value: float) -> None:
        """Set state variable ``name`` (e.g. bond) of ``rows`` to ``value`` from the next session on.

        The sessions recorded so far keep their values: ``advance`` stores copies.
        """
        self._require_rows_in_place()
        getattr(self.state, name)[self.xp.asarray(rows)] = value

    def edit_therapist_trait(self, name: str, rows: np.ndarray, value: float) -> None:
        """Set a therapist trait (one of dynamics.THERAPIST_TRAITS, or bias) on ``rows`` (the
        therapist's clients) from the next session on, and combine the client and therapist traits
        again (dynamics.relation_traits), so that what depends on the trait (fit) follows it."""
        self._require_rows_in_place()
        clients, therapists = self.trait_sources
        edited = self.xp.asarray(therapists[name], copy=True)  # the traits in use stay as they are
        edited[self.xp.asarray(rows)] = value
        self.trait_sources = (clients, {**therapists, name: edited})
        self.traits = dynamics.relation_traits(self.xp, self.params, *self.trait_sources)
        self.host_traits = _host(self.traits)

    def _require_rows_in_place(self) -> None:
        """Edits address rows by their index at intake: a compacting course moves them."""
        if self.trait_sources is None:
            raise RuntimeError("only a course that keeps its rows in place (compact=False) can be edited")

    def _retire(self) -> None:
        """Store the final state of the rows that have ended and, when compacting, drop them."""
        xp = self.xp
        leaving = xp.nonzero(~self.state.active)[0]
        for name, values in _host(_compact(xp, self.state, leaving)).items():
            self.final[name][to_numpy(xp.take(self.position, leaving))] = values
        if self.running:
            keep = xp.nonzero(self.state.active)[0]
            self.params, self.traits, self.state = (
                _compact(xp, obj, keep) for obj in (self.params, self.traits, self.state)
            )
            self.draws, self.position = self.draws.take(keep), xp.take(self.position, keep)

    def result(self) -> CourseResult:
        """The pass's results (call once every course has ended)."""
        return CourseResult(self.rows, self.host_traits, self.final, self.sessions)


def simulate_rows(runs: list[Run], rows: Rows, backend: str = "numpy") -> CourseResult:
    """Simulate the courses of ``rows`` (of ``runs``) from intake to their end, all rows at once."""
    course = Course(runs, rows, backend)
    while course.running:
        course.advance()
    return course.result()


def therapist_traits(runs: list[Run], run_index: int, backend: str = "numpy") -> dict[str, np.ndarray]:
    """The traits of every therapist of one run (the same numbers their clients' rows carry)."""
    xp = namespace(backend)
    run = runs[run_index]
    count = -(-run.n_clients // run.params.clients_per_therapist)
    keys = np.full(count, run_key(run.seed), dtype=np.uint64)
    draws = Draws.for_rows(xp, keys, np.arange(count), Domain.THERAPIST)
    return {name: to_numpy(values) for name, values in dynamics.draw_therapists(xp, run.params, draws).items()}
