"""What every format declares: its roster (who meets whom), its per-row, per-pair and per-unit
fields, and its extra submodels (docs/ODD.md, Formats).

A *unit* is what one therapist meets at once: one client (individual), a group with its leader, or a
family. ``--clients N`` counts members (people in therapy) in every format; units are filled in
order, so the last unit of a run may be smaller than the others. Rows of one unit are contiguous and
in member order in every pass (chunks are cut at unit boundaries and compaction drops whole units),
so the members of a row's unit sit at ``row - member + 0 .. size - 1``: unit-level quantities are
reductions over a small dense (rows, unit size) matrix gathered that way (:func:`unit_matrix`),
without a Python loop over units or members.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from importlib import import_module
from typing import Any, ClassVar

import numpy as np

from simulation.backend import Array, Domain, Draws
from simulation.config import ParameterError, Params
from simulation.formats.checks import MechanismCheck


class FormatError(ParameterError):
    """A bad format choice (unknown format, or a unit that the format cannot hold)."""


@dataclass(frozen=True)
class Roster:
    """Members ``start:stop`` of one run (0-based member indices): each one's unit, place in the unit,
    unit size, therapist (leader), first scheduled session and role code."""

    member_index: np.ndarray
    unit: np.ndarray
    member: np.ndarray
    size: np.ndarray
    therapist: np.ndarray
    start: np.ndarray
    role: np.ndarray


@dataclass(frozen=True)
class Members:
    """The roster as the kernel reads it: per-row arrays of the namespace ``xp`` (``member``,
    ``size``, ``start``), made again after rows are dropped (:meth:`take`), since positions move,
    and the gather layout derived from them (``index``, ``valid``: see :func:`unit_matrix`), made
    on first use (the fused kernel's loops find a unit's members from ``member`` and ``size`` alone).
    ``width`` is the largest unit size of the pass."""

    xp: Any
    member: Array
    size: Array
    start: Array
    width: int

    @cached_property
    def index(self) -> Array:
        """(rows, width): the row position of member j of each row's unit (clipped to the rows)."""
        xp, n = self.xp, self.member.shape[0]
        column = xp.arange(self.width)
        return xp.clip((xp.arange(n) - self.member)[:, None] + column[None, :], 0, max(n - 1, 0))

    @cached_property
    def valid(self) -> Array:
        """(rows, width): member j exists in the row's unit."""
        return self.xp.arange(self.width)[None, :] < self.size[:, None]

    def take(self, rows: Array) -> Members:
        """The members of the rows kept (whole units)."""
        xp = self.xp
        return Members(xp, *(xp.take(values, rows) for values in (self.member, self.size, self.start)), self.width)


def unit_matrix(xp: Any, members: Members, values: Array, fill: Any) -> tuple[Array, Array]:
    """For each row, the values of the members of its unit: a (rows, width) matrix whose column j is
    member j's value, ``fill`` past the unit's size; and the mask of real members."""
    return xp.where(members.valid, values[members.index], fill), members.valid


def member_sum(xp: Any, matrix: Array) -> Array:
    """The sum of each row of a (rows, width) matrix over its members, added one member at a time in
    member order. Each unit's sum is then the same bits whatever the width of the pass (the largest
    unit of the runs sharing it): the padding past a unit's size is 0.0, comes last, and adding +0.0
    is exact. A pairwise reduction (``xp.sum``) groups its terms by the width, so a unit's figure
    would depend in the last bit on the other units of its pass (issue 21)."""
    total = xp.zeros(matrix.shape[:1], dtype=matrix.dtype)
    for column in range(matrix.shape[1]):
        total = total + matrix[:, column]
    return total


def unit_sum(xp: Any, members: Members, values: Array) -> Array:
    """For each row, the sum of ``values`` over the members of its unit (a segment reduction, in
    member order: see :func:`member_sum`)."""
    matrix, _ = unit_matrix(xp, members, values, 0.0)
    return member_sum(xp, matrix)


def others(xp: Any, members: Members, valid: Array) -> Array:
    """Mask of the other members of each row's unit (the row's own column left out)."""
    return valid & (xp.arange(members.width)[None, :] != members.member[:, None])


class Format:
    """A therapy format. Subclasses set the names, the unit size and the roles, and may override the
    roster rules (start sessions), the trait adjustments and the extra submodels (:meth:`context`,
    :meth:`after_session`). The individual format adds nothing: its session update is the plain one."""

    name: ClassVar[str]
    unit_name: ClassVar[str]  # "client", "group" or "family": the unit table's name and id column
    roles: ClassVar[tuple[str, ...]] = ("client",)
    adds_to_session: ClassVar[bool] = True  # False: the plain (individual) session update
    reads_before: ClassVar[tuple[str, ...]] = ()  # the State fields :meth:`after_session` reads of ``before``
    row_matrices: ClassVar[tuple[str, ...]] = ()  # per-row matrix fields (rows, width) of its state
    unit_file: ClassVar[str | None] = None  # the unit table a run writes ("groups.parquet"); None: no unit table
    agent_class: ClassVar[str | None] = None  # "module:Class" of the Mesa agent of a unit, imported on use
    unit_truth_columns: ClassVar[tuple[str, ...]] = ()  # latent per-session unit figures a data set's truth keeps
    # --- what the figures, the gallery and the teaching page read (names only: no pandas here) -----------
    members_text: ClassVar[str] = ""  # how a figure's stamp says where its clients are (" in groups")
    calibration_figure: ClassVar[str | None] = None  # the format's calibration row (figures.targets)
    report_figures: ClassVar[tuple[str, ...]] = ()  # what `alliance calibrate --format` prints besides it
    summary_figures: ClassVar[tuple[str, ...]] = ()  # a sweep summary's figures after the run figures
    unit_figure: ClassVar[str | None] = None  # the sessions column a member's trajectory shows (0-1)
    unit_figure_label: ClassVar[str] = ""  # that column in words, for the trajectory's own axis
    unit_caption: ClassVar[str] = ""  # what the teaching page says under a member's trajectory
    gallery_figures: ClassVar[tuple[str, ...]] = ()  # the format's own figures of `alliance figures`
    gallery_session_columns: ClassVar[tuple[str, ...]] = ()  # sessions columns those read
    gallery_client_columns: ClassVar[tuple[str, ...]] = ()  # clients columns those read
    gallery_unit_columns: ClassVar[tuple[str, ...] | None] = None  # unit-table columns they read (None: all)
    # what ``alliance calibrate --format`` checks besides the format's calibration row (none: no row)
    mechanism_checks: ClassVar[tuple[MechanismCheck, ...]] = ()

    @property
    def has_units(self) -> bool:
        """Whether members meet in units of several (a unit table, unit agents, a format calibration row)."""
        return self.unit_file is not None

    def unit_agent(self) -> type | None:
        """The Mesa agent class of one unit (simulation.agents), imported here on first use so that the
        formats, which the kernel imports, do not import Mesa; None for the individual format."""
        if self.agent_class is None:
            return None
        module, name = self.agent_class.split(":")
        return getattr(import_module(module), name)

    def unit_size(self, params: Params) -> int:
        """Members per unit (the last unit of a run may be smaller)."""
        return 1

    def units_per_therapist(self, params: Params) -> int:
        """A therapist's caseload in units: ``clients_per_therapist`` members' worth, at least one unit."""
        return max(1, params.clients_per_therapist // self.unit_size(params))

    def role_codes(self, params: Params, member: np.ndarray) -> np.ndarray:
        """Role of each member (an index into ``roles``) from the run's parameters and the member's
        place in the unit (a smaller last unit takes the first places)."""
        return np.zeros(member.size, dtype=np.int8)

    def start_sessions(self, params: Params, member: np.ndarray, size: np.ndarray) -> np.ndarray:
        """First scheduled session of each member, in the unit's session numbering (1: from the start)."""
        return np.ones(member.size, dtype=np.int16)

    def roster(self, params: Params, n_members: int, start: int = 0, stop: int | None = None) -> Roster:
        """Members ``start:stop`` of a run of ``n_members``: units filled in order, so that member i is
        in unit i // unit size and the last unit holds the remainder. ``start`` must fall on a unit
        boundary (a unit is never split between two passes)."""
        size = self.unit_size(params)
        if start % size:
            raise ValueError(f"a pass must start at a unit boundary: member {start} is inside a {self.unit_name}")
        index = np.arange(start, min(n_members if stop is None else stop, n_members), dtype=np.int64)
        if index.size and (index[-1] + 1) % size and index[-1] + 1 != n_members:
            raise ValueError(f"a pass must end at a unit boundary: member {index[-1]} is inside a {self.unit_name}")
        unit = index // size
        member = index % size
        sizes = np.minimum(size, n_members - unit * size)
        return Roster(
            member_index=index,
            unit=unit,
            member=member,
            size=sizes,
            therapist=unit // self.units_per_therapist(params),
            start=self.start_sessions(params, member, sizes),
            role=self.role_codes(params, member),
        )

    def n_therapists(self, params: Params, n_members: int) -> int:
        """Therapists (leaders) of a run of ``n_members``."""
        units = -(-n_members // self.unit_size(params))
        return -(-units // self.units_per_therapist(params))

    def aligned_chunk(self, params: Params, chunk: int) -> int:
        """The largest whole number of units that fits in ``chunk`` members (at least one unit)."""
        size = self.unit_size(params)
        return max(size, chunk // size * size)

    # --- the kernel's side: all pure array functions of the namespace ``xp`` ------------------------

    def adjust_clients(self, xp: Any, p: Any, clients: dict[str, Array], role: Array) -> dict[str, Array]:
        """Client traits after what the format changes (roles); the individual format changes none."""
        return clients

    def initial_state(self, xp: Any, p: Any, members: Members, unit_draws: Draws, pair_draws: Draws) -> Any:
        """The format's own state at intake (None: the format has none)."""
        return None

    def context(self, at: SessionInputs, state: Any, own: Any) -> tuple[Any, dict[str, Array]]:
        """What the format adds to the session (a dynamics.Context, or None) and the per-row figures it
        computed from the state before the session (recorded in the sessions table)."""
        return None, {}

    def after_session(
        self, at: SessionInputs, before: Any, after: Any, record: Any, own: Any, figures: dict[str, Array]
    ) -> tuple[Any, dict[str, Array]]:
        """The format's state after the session, and what else the session leaves in the record."""
        return own, {}

    # --- the tables' side: host numpy arrays, read by simulation.tables -----------------------------

    @property
    def people(self) -> str:
        """What ``--clients`` counts in this format, in words: "clients", or e.g. "group members"."""
        return f"{self.name} members" if self.has_units else "clients"

    def label_columns(self, rows: Any) -> dict[str, Any]:
        """Per row (a simulation.runs.Rows), the columns that place a member in the format, after
        ``therapist_id`` in the sessions and clients tables: ``format``, ``unit_id`` and, with several
        roles, ``role``. None in the individual format, whose tables are as before formats existed."""
        if not self.has_units:
            return {}
        import pandas as pd  # the tables' side only: the kernel imports this module without pandas

        from simulation.formats import FORMATS

        names = list(FORMATS)
        labels = {
            "format": pd.Categorical.from_codes(np.full(len(rows), names.index(self.name), np.int8), names),
            "unit_id": (rows.unit + 1).astype(np.int32),
        }
        if len(self.roles) > 1:
            labels["role"] = pd.Categorical.from_codes(rows.role.astype(np.int8), list(self.roles))
        return labels

    def session_columns(self, columns: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """The format's own columns of the sessions table (after the others), from the client-major
        session columns (simulation.tables.session_arrays)."""
        return {}

    def client_columns(
        self, rows: Any, final: dict[str, np.ndarray], columns: dict[str, np.ndarray], offsets: np.ndarray
    ) -> dict[str, np.ndarray]:
        """The format's own columns of the clients table (after the others), from the rows, their final
        state and the client-major session columns (``offsets``: each client's first session row)."""
        return {}

    def unit_columns(self, clients: dict[str, Any], starts: np.ndarray, sizes: np.ndarray) -> dict[str, Any]:
        """The format's own columns of its unit table (after ``unit_id``, ``therapist_id``, ``size``,
        ``alliance_early`` and ``change``), from the clients table's columns; a unit's members are the
        contiguous client rows ``starts[u]`` to ``starts[u] + sizes[u] - 1``."""
        return {}


def segment_mean(values: np.ndarray, counted: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Per segment (client rows ``offsets[i]`` up to the next offset), the mean of ``values`` where
    ``counted`` (NaN where none); host numpy, for the tables."""
    total = np.add.reduceat(np.where(counted, values, 0.0), offsets)
    count = np.add.reduceat(counted.astype(np.int64), offsets)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def unit_mean(values: Any, starts: np.ndarray) -> np.ndarray:
    """The mean of ``values`` (a clients column) over each unit's rows, missing values skipped, summed
    over the unit's own rows alone (a segment reduction), so that a unit's figure does not depend on
    the other units in the table, nor therefore on the chunk size."""
    numbers = np.asarray(values, dtype=float)
    return segment_mean(numbers, ~np.isnan(numbers), starts)


@dataclass(frozen=True)
class SessionInputs:
    """What a format's submodels read in one session besides the states: the array namespace, the
    parameters, the relations' traits, the roster layout, the unit and pair draws and the session;
    ``fused``: the fused kernel's stepper (backend "numba", simulation.jit), whose loops a format calls
    in place of its array functions, or None."""

    xp: Any
    p: Any
    traits: Any
    members: Members
    draws: FormatDraws
    session: int
    fused: Any = None


@dataclass(frozen=True)
class FormatDraws:
    """Counter-based draws keyed by unit (run, unit) and by member pair (run, unit, pair index)."""

    unit: Draws
    pair: Draws

    def take(self, rows: Array) -> FormatDraws:
        return FormatDraws(self.unit.take(rows), self.pair.take(rows))


PAIR_BITS = 5  # member indices below 32 (group_size is at most 16)


def format_draws(xp: Any, run_keys: np.ndarray, unit: np.ndarray, member: np.ndarray, width: int) -> FormatDraws:
    """Unit draws for each row (the same numbers on every member's row) and pair draws for each
    (row, member j) of its unit, keyed by the unordered pair: both members of a pair see one number."""
    column = np.arange(width, dtype=np.int64)[None, :]
    low, high = np.minimum(member[:, None], column), np.maximum(member[:, None], column)
    pair = (unit[:, None] << (2 * PAIR_BITS)) | (low << PAIR_BITS) | high
    return FormatDraws(
        Draws.for_rows(xp, run_keys, unit, Domain.UNIT),
        Draws.for_rows(xp, np.asarray(run_keys)[:, None], pair, Domain.PAIR),
    )
