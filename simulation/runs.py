"""Drive the kernel over whole courses: one run, many stacked runs, or one run cut into chunks.

A row is one relation (a client, or a member of a group or family, with their therapist). Rows carry
(run, client index, therapist index) and their unit (simulation.formats); random draws are keyed by
those coordinates (simulation.backend), so a run's results do not depend on which other runs share
its pass, on how its clients are chunked (at unit boundaries), or on the worker that computes it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import numpy as np

from simulation import dynamics
from simulation.backend import DEFAULT_BACKEND, Domain, Draws, namespace, run_key, to_numpy
from simulation.config import PARAMETERS, Params
from simulation.formats import Format, Members, get_format, unit_matrix
from simulation.formats.base import SessionInputs, format_draws

COMPACT_BELOW = 0.75  # drop finished rows once fewer than this share of rows is still in therapy


@dataclass(frozen=True)
class Run:
    """One independent run: its parameters, cohort size (members, in every format), seed (an int or a
    spawned SeedSequence) and format (simulation.formats: individual, group or family)."""

    params: Params
    n_clients: int
    seed: int | np.random.SeedSequence
    format: str = "individual"

    def __post_init__(self) -> None:
        get_format(self.format)  # an unknown name is refused here, before any work


@dataclass(frozen=True)
class Rows:
    """Which relations a pass simulates: each row's run, client index and therapist index (0-based),
    and from the run's format's roster its unit, place in the unit, unit size, first scheduled
    session and role code (simulation.formats.base.Roster)."""

    run: np.ndarray
    client: np.ndarray
    therapist: np.ndarray
    unit: np.ndarray
    member: np.ndarray
    size: np.ndarray
    start: np.ndarray
    role: np.ndarray

    @classmethod
    def of_runs(cls, runs: list[Run], start: int = 0, stop: int | None = None) -> Rows:
        """Clients ``start:stop`` of every run (all of them by default), run by run. In a group or
        family format ``start`` and ``stop`` must fall on unit boundaries (see Format.aligned_chunk)."""
        rosters = [get_format(run.format).roster(run.params, run.n_clients, start, stop) for run in runs]
        run_index = [np.full(roster.member_index.size, index, dtype=np.int32) for index, roster in enumerate(rosters)]

        def joined(name: str) -> np.ndarray:
            return np.concatenate([getattr(roster, name) for roster in rosters])

        return cls(
            np.concatenate(run_index),
            joined("member_index"),
            joined("therapist"),
            joined("unit"),
            joined("member"),
            joined("size"),
            joined("start"),
            joined("role"),
        )

    def __len__(self) -> int:
        return int(self.run.size)


@dataclass(frozen=True)
class CourseResult:
    """What a pass leaves, as host numpy arrays: per-row traits and final state (with the format's
    own per-row state), and per session the positions (into ``rows``) of the rows in therapy with
    their session record (with the format's fields)."""

    rows: Rows
    traits: dict[str, np.ndarray]
    final: dict[str, np.ndarray]
    sessions: list[tuple[int, np.ndarray, dict[str, np.ndarray]]]
    format: str = "individual"


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


def _compact(xp: Any, obj: Any, keep: Any, row_matrices: tuple[str, ...] = ()) -> Any:
    """Keep the rows ``keep`` (integer indices) of every array field of a dataclass or namespace:
    per-row arrays (1-D) and the per-row matrices named in ``row_matrices`` (rows x unit members,
    along their first axis); scalars stay as they are. Any other array is refused (a matrix nobody
    declared would go stale silently)."""

    def take(name: str, value: Any) -> Any:
        if not hasattr(value, "shape") or value.ndim == 0:
            return value
        if value.ndim == 1:
            return xp.take(value, keep)
        if name in row_matrices:
            return xp.take(value, keep, axis=0)
        raise TypeError(f"cannot compact field '{name}' of shape {tuple(value.shape)}: not declared per row")

    if dataclasses.is_dataclass(obj):
        return dataclasses.replace(obj, **{f.name: take(f.name, getattr(obj, f.name)) for f in dataclasses.fields(obj)})
    if isinstance(obj, SimpleNamespace):
        return SimpleNamespace(**{name: take(name, value) for name, value in vars(obj).items()})
    if isinstance(obj, dict):
        return {name: take(name, value) for name, value in obj.items()}
    return obj


def _host(obj: Any) -> dict[str, np.ndarray]:
    """The array fields of a dataclass (or dict) as host numpy arrays (numpy's own arrays, not copies)."""
    fields = obj if isinstance(obj, dict) else {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
    return {name: to_numpy(value) for name, value in fields.items()}


def _host_copy(obj: Any) -> dict[str, np.ndarray]:
    """The array fields of a dataclass as host numpy arrays that share no memory with them:
    ``to_numpy`` copies off a device but hands numpy arrays back as they are, so those are copied."""
    return {name: values.copy() if isinstance(values, np.ndarray) else values for name, values in _host(obj).items()}


class Course:
    """The kernel's state over a pass, advanced one session at a time.

    With ``compact`` (the default for batch runs) finished rows are dropped once fewer than
    COMPACT_BELOW of the rows are still in therapy; the Mesa model keeps every row in place instead,
    so that its agents can keep their row index.
    """

    def __init__(self, runs: list[Run], rows: Rows, backend: str = DEFAULT_BACKEND, compact: bool = True) -> None:
        xp = self.xp = namespace(backend)
        self.fused = fused_stepper(runs, rows) if backend == "numba" else None
        self.runs, self.rows = runs, rows
        self.format = formats_of(runs)
        # the fused kernel passes an ended row by at the cost of reading its flag: dropping ended rows
        # pays only where array code runs over every row (the reference)
        self.compact = compact and self.fused is None
        keys = np.asarray([run_key(run.seed) for run in runs], dtype=np.uint64)[rows.run]
        self.params = row_params(xp, [run.params for run in runs], rows.run)
        draws = draws_type(backend)
        self.draws = draws.for_rows(xp, keys, rows.client, Domain.CLIENT)
        therapist_draws = draws.for_rows(xp, keys, rows.therapist, Domain.THERAPIST)
        clients = self.format.adjust_clients(
            xp, self.params, dynamics.draw_clients(xp, self.params, self.draws), xp.asarray(rows.role)
        )
        therapists = dynamics.draw_therapists(xp, self.params, therapist_draws)
        therapists |= dynamics.draw_therapist_outcome(xp, self.params, therapist_draws, therapists)
        self.traits = dynamics.relation_traits(xp, self.params, clients, therapists)
        # a course that keeps its rows in place (the Mesa model's) can be edited between sessions; it
        # keeps the traits the relations were combined from, to combine them again after an edit
        self.trait_sources: tuple[dict[str, Any], dict[str, Any]] | None = None if compact else (clients, therapists)
        self.host_traits = _host(self.traits)
        self.state = dynamics.initial_state(xp, self.params, self.traits)
        self.last_start = int(rows.start.max(initial=1))  # the last session at which a member joins
        if self.last_start > 1:  # open groups: members who join later wait until their first session
            self.state = dataclasses.replace(self.state, active=xp.asarray(rows.start == 1))
        width = int(rows.size.max(initial=1))
        self.members = Members(xp, xp.asarray(rows.member), xp.asarray(rows.size), xp.asarray(rows.start), width)
        draws_of = format_draws if self.fused is None else lambda xp, *args: self.fused.format_draws(*args)
        self.unit_draws = draws_of(xp, keys, rows.unit, rows.member, width) if self.format.adds_to_session else None
        self.own = (
            self.format.initial_state(xp, self.params, self.members, self.unit_draws.unit, self.unit_draws.pair)
            if self.unit_draws is not None
            else None
        )
        self.final = {name: np.empty(len(rows), dtype=values.dtype) for name, values in _host(self.state).items()}
        self.final_own = {name: np.empty(len(rows), dtype=values.dtype) for name, values in self._own_per_row().items()}
        self.position = xp.arange(len(rows))
        self.sessions: list[tuple[int, np.ndarray, dict[str, np.ndarray]]] = []
        self.session = 0
        self.in_therapy_count = len(rows)
        self.running = True

    def advance(self) -> dynamics.SessionRecord:
        """Simulate the next scheduled session for every row still in therapy (members of an open
        group who join at this session first enter therapy). Returns the session's record: one entry per
        row from the array kernel, one per row in therapy (in row order) from the fused kernel."""
        xp = self.xp
        self.session += 1
        if 1 < self.session <= self.last_start:
            joining = self.members.start == self.session
            self.state = dataclasses.replace(self.state, active=self.state.active | joining)
        in_therapy = xp.nonzero(self.state.active)[0]
        if self.format.adds_to_session:
            at = SessionInputs(xp, self.params, self.traits, self.members, self.unit_draws, self.session, self.fused)
            context, figures = self.format.context(at, self.state, self.own)
            before, self.state, per_row, record = self._step(self.state, context)
            self.own, added = self.format.after_session(at, before, self.state, per_row, self.own, figures)
            unit_fields = {**figures, **added, "member_session": context.member_session}
        else:
            _, self.state, _, record = self._step(self.state, dynamics.INDIVIDUAL)
            unit_fields = {}
        # the record must not share memory with the state, which a view may edit before the next
        # session (the array kernel passes bond, goal, task and stage through to both): the fused
        # kernel's record is its own, of the rows in therapy; the array kernel's is cut down to them
        # (take: a copy) or copied whole
        if self.fused is not None:
            recorded = {**_fields(record), **_host(_compact(xp, unit_fields, in_therapy))}
        elif int(in_therapy.shape[0]) < self.position.shape[0]:
            recorded = _host(_compact(xp, {**_fields(record), **unit_fields}, in_therapy))
        else:
            recorded = _host_copy({**_fields(record), **unit_fields})
        self.sessions.append((self.session, to_numpy(xp.take(self.position, in_therapy)), recorded))
        still = self.in_therapy_count = int(xp.sum(xp.astype(self.state.active, xp.int64)))
        self.running = still > 0 or self.session < self.last_start
        if not self.running or (self.compact and still < COMPACT_BELOW * self.position.shape[0]):
            self._retire()
        return record

    def _step(self, state: dynamics.State, context: dynamics.FormatContext) -> tuple[Any, dynamics.State, Any, Any]:
        """The session update, by the fused kernel (backend "numba") or the array-API reference: the
        state before and after the session, the record per row as a format reads it, and the record
        (with the fused kernel, of the rows in therapy only)."""
        if self.fused is not None:
            return self.fused.step(self.traits, state, self.draws, self.session, context, self.format.reads_before)
        after, record = dynamics.step_session(
            self.xp, self.params, self.traits, state, self.draws, self.session, context
        )
        return state, after, record, record

    def edit_state(self, name: str, rows: np.ndarray, value: float) -> None:
        """Set state variable ``name`` (e.g. bond) of ``rows`` to ``value`` from the next session on.

        The sessions recorded so far keep their values: ``advance`` stores copies.
        """
        self._require_rows_in_place()
        getattr(self.state, name)[self.xp.asarray(rows)] = value

    def edit_therapist_trait(self, name: str, rows: np.ndarray, value: float) -> None:
        """Set a therapist trait (one of dynamics.THERAPIST_TRAITS, or bias) on ``rows`` (the
        therapist's clients) from the next session on, and combine the client and therapist traits
        again (dynamics.relation_traits), so that what depends on the trait (fit, the alliance
        ability's factor on change) follows it."""
        self._require_rows_in_place()
        clients, therapists = self.trait_sources
        edited = self.xp.asarray(therapists[name], copy=True)  # the traits in use stay as they are
        edited[self.xp.asarray(rows)] = value
        therapists = {**therapists, name: edited}
        therapists |= dynamics.therapist_outcome(self.xp, self.params, therapists, therapists["outcome_z"])
        self.trait_sources = (clients, therapists)
        self.traits = dynamics.relation_traits(self.xp, self.params, *self.trait_sources)
        self.host_traits = _host(self.traits)

    def end_courses(self, ended: Any, cause: int) -> None:
        """End, as dropouts for ``cause`` (a DROPOUT_CAUSES code), the courses of the rows in therapy
        where ``ended`` (a boolean array over the course's rows) holds, after the session just
        simulated: a course ended from outside the kernel (simulation.synthetic.dropout)."""
        xp, state = self.xp, self.state
        ended = ended & state.active
        self.state = dataclasses.replace(
            state,
            active=state.active & ~ended,
            dropped_out=state.dropped_out | ended,
            dropout_cause=xp.where(ended, xp.asarray(cause, dtype=state.dropout_cause.dtype), state.dropout_cause),
        )
        self.in_therapy_count = int(xp.sum(xp.astype(self.state.active, xp.int64)))
        if self.running and self.in_therapy_count == 0 and self.session >= self.last_start:
            self.running = False
            self._retire()

    def _require_rows_in_place(self) -> None:
        """Edits address rows by their index at intake: a compacting course moves them."""
        if self.trait_sources is None:
            raise RuntimeError("only a course that keeps its rows in place (compact=False) can be edited")

    def _own_per_row(self) -> dict[str, Any]:
        """The format's own per-row (1-D) state fields: what the tables keep of it."""
        if self.own is None:
            return {}
        fields = {f.name: getattr(self.own, f.name) for f in dataclasses.fields(self.own)}
        return {name: value for name, value in fields.items() if name not in self.format.row_matrices}

    def _retire(self) -> None:
        """Store the final state of the units that have ended (every member done, none waiting to
        join) and, when compacting, drop them: a unit leaves whole, so that the members of a unit
        stay contiguous and the per-row matrices stay aligned."""
        xp = self.xp
        if not self.running:  # the pass has ended: every row leaves, as it stands
            where, state, own = to_numpy(self.position), self.state, self._own_per_row()
        else:
            remaining = self.state.active
            if self.format.adds_to_session:
                alive = self.state.active | (self.members.start > self.session)
                matrix, valid = unit_matrix(xp, self.members, alive, False)
                remaining = xp.any(matrix & valid, axis=1)
            leaving = xp.nonzero(~remaining)[0]
            where = to_numpy(xp.take(self.position, leaving))
            state, own = _compact(xp, self.state, leaving), _compact(xp, self._own_per_row(), leaving)
        for name, values in _host(state).items():
            self.final[name][where] = values
        for name, values in _host(own).items():
            self.final_own[name][where] = values
        if self.running:
            keep = xp.nonzero(remaining)[0]
            self.params, self.traits, self.state = (
                _compact(xp, obj, keep) for obj in (self.params, self.traits, self.state)
            )
            self.members = self.members.take(keep)
            self.own = _compact(xp, self.own, keep, self.format.row_matrices)
            self.draws, self.position = self.draws.take(keep), xp.take(self.position, keep)
            if self.fused is not None:
                self.fused.take(keep, self.traits)
            if self.unit_draws is not None:
                self.unit_draws = self.unit_draws.take(keep)

    def result(self) -> CourseResult:
        """The pass's results (call once every course has ended)."""
        return CourseResult(
            self.rows, self.host_traits, {**self.final, **self.final_own}, self.sessions, self.format.name
        )


def _fields(record: dynamics.SessionRecord) -> dict[str, Any]:
    """A session record's fields by name."""
    return {f.name: getattr(record, f.name) for f in dataclasses.fields(record)}


def formats_of(runs: list[Run]) -> Format:
    """The one format of a pass: stacked runs share it (the kernel adds one format's submodels)."""
    names = sorted({run.format for run in runs})
    if len(names) > 1:
        raise ValueError(f"runs of different formats ({', '.join(names)}) cannot share a pass")
    return get_format(names[0])


def fused_stepper(runs: list[Run], rows: Rows) -> Any:
    """The fused kernel's stepper for a pass (imported here: numba loads only where it is used)."""
    from simulation.jit.stepper import FusedStepper

    return FusedStepper([run.params for run in runs], rows.run)


def draws_type(backend: str) -> type[Draws]:
    """The draws of a pass: for the fused kernel its own (simulation.jit.draws: the same numbers, by
    fused loops; imported here, so that numba loads only where it is used)."""
    if backend != "numba":
        return Draws
    from simulation.jit.draws import FusedDraws

    return FusedDraws


def simulate_rows(runs: list[Run], rows: Rows, backend: str = DEFAULT_BACKEND) -> CourseResult:
    """Simulate the courses of ``rows`` (of ``runs``) from intake to their end, all rows at once."""
    course = Course(runs, rows, backend)
    while course.running:
        course.advance()
    return course.result()


def therapist_traits(
    runs: list[Run], run_index: int, backend: str = DEFAULT_BACKEND, outcome: bool = False
) -> dict[str, np.ndarray]:
    """The traits of every therapist of one run (the same numbers their clients' rows carry); with
    ``outcome``, then the terms of their own effect on change (dynamics.therapist_outcome: outcome_z,
    alliance_ability, rate_factor)."""
    xp = namespace(backend)
    run = runs[run_index]
    count = get_format(run.format).n_therapists(run.params, run.n_clients)
    keys = np.full(count, run_key(run.seed), dtype=np.uint64)
    draws = draws_type(backend).for_rows(xp, keys, np.arange(count), Domain.THERAPIST)
    traits = dynamics.draw_therapists(xp, run.params, draws)
    if outcome:
        traits |= dynamics.draw_therapist_outcome(xp, run.params, draws, traits)
    return {name: to_numpy(values) for name, values in traits.items()}
