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
    """Keep the rows ``keep`` of every array field of a dataclass or namespace (scalars stay)."""
    def take(value: Any) -> Any:
        return value[keep] if hasattr(value, "shape") and value.ndim == 1 else value
    if dataclasses.is_dataclass(obj):
        return dataclasses.replace(obj, **{f.name: take(getattr(obj, f.name)) for f in dataclasses.fields(obj)})
    if isinstance(obj, SimpleNamespace):
        return SimpleNamespace(**{name: take(value) for name, value in vars(obj).items()})
    return obj


def _host(obj: Any) -> dict[str, np.ndarray]:
    return {f.name: to_numpy(getattr(obj, f.name)) for f in dataclasses.fields(obj)}


def simulate_rows(runs: list[Run], rows: Rows, backend: str = "numpy") -> CourseResult:
    """Simulate the courses of ``rows`` (of ``runs``) from intake to their end, all rows at once."""
    xp = namespace(backend)
    keys = np.asarray([run_key(run.seed) for run in runs], dtype=np.uint64)[rows.run]
    p = row_params(xp, [run.params for run in runs], rows.run)
    client_traits = dynamics.draw_clients(xp, p, Draws.for_rows(xp, keys, rows.client, Domain.CLIENT))
    therapist_traits = dynamics.draw_therapists(xp, p, Draws.for_rows(xp, keys, rows.therapist, Domain.THERAPIST))
    traits = dynamics.relation_traits(xp, p, client_traits, therapist_traits)
    host_traits = _host(traits)
    draws = Draws.for_rows(xp, keys, rows.client, Domain.CLIENT)
    state = dynamics.initial_state(xp, p, traits)
    final = {name: np.empty(len(rows), dtype=values.dtype) for name, values in _host(state).items()}
    position = xp.arange(len(rows))
    sessions = []
    for session in range(1, max(run.params.course_length for run in runs) + 1):
        state, record = dynamics.step_session(xp, p, traits, state, draws, session)
        sessions.append((session, to_numpy(position), _host(record)))
        still = int(xp.sum(xp.astype(state.active, xp.int64)))
        if still == 0 or still < COMPACT_BELOW * position.shape[0]:
            leaving = ~state.active
            for name, values in _host(_compact(xp, state, leaving)).items():
                final[name][to_numpy(position[leaving])] = values
            if still == 0:
                break
            keep = state.active
            p, traits, state = (_compact(xp, obj, keep) for obj in (p, traits, state))
            draws, position = Draws(xp, draws.keys[keep]), position[keep]
    return CourseResult(rows, host_traits, final, sessions)


def therapist_traits(runs: list[Run], run_index: int, backend: str = "numpy") -> dict[str, np.ndarray]:
    """The traits of every therapist of one run (the same numbers their clients' rows carry)."""
    xp = namespace(backend)
    run = runs[run_index]
    count = -(-run.n_clients // run.params.clients_per_therapist)
    keys = np.full(count, run_key(run.seed), dtype=np.uint64)
    draws = Draws.for_rows(xp, keys, np.arange(count), Domain.THERAPIST)
    return {name: to_numpy(values) for name, values in dynamics.draw_therapists(xp, run.params, draws).items()}
