"""The ``numba`` backend's side of :class:`simulation.runs.Course`: the fused session update
(:mod:`simulation.jit.session`) with its parameter table, trait matrix and reused buffers.

The state is updated in place. A format whose submodels read the state before the session (ODD 7.16)
gets a copy of it, kept in buffers reused from session to session, and the few fields of the record
they read per row, in buffers reused too. The record itself is written compactly, one entry per row in
therapy, into the arrays the Course keeps.
"""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace
from typing import Any

import numpy as np

from simulation import dynamics
from simulation.backend import _GOLDEN, Domain, _mix_scalar
from simulation.dynamics.session import keep_endings
from simulation.formats.base import FormatDraws
from simulation.formats.group import GroupState
from simulation.jit import cache
from simulation.jit import formats as fused_formats
from simulation.jit import session as fused
from simulation.jit.draws import FusedDraws, box_muller, fill_uniforms, hash_angles, session_offsets
from simulation.jit.tables import K, derive_terms, dose_table, parameter_table, repair_terms, trait_matrix
from simulation.monitoring.course import expected_course

KERNELS = [fused.fused_session, fused.end_courses, derive_terms, repair_terms, fill_uniforms, hash_angles, box_muller]
KERNELS += [getattr(fused_formats, name) for name in fused_formats.KERNELS]
cache.refresh(KERNELS)

_NO_FLOATS = np.empty(0, dtype=np.float64)
_NO_SESSIONS = np.empty(0, dtype=np.int16)
_NO_FLAGS = np.empty(0, dtype=np.bool_)
_NO_DRAWS = (_NO_FLOATS, _NO_FLOATS, _NO_FLOATS)
RECORD_DTYPES = tuple(
    {"stage": np.int8, "rupture_kind": np.int8}.get(f.name, np.bool_ if f.name in _FLAGS else np.float64)
    for _FLAGS in [("attended", "rupture", "rupture_resolved", "srs_alert")]
    for f in dataclasses.fields(dynamics.SessionRecord)
)
"""The dtype of each field of dynamics.SessionRecord, in order, as the array kernel makes them."""


_RECORD_LAYOUT = sorted(enumerate(np.dtype(dtype) for dtype in RECORD_DTYPES), key=lambda field: -field[1].itemsize)
"""The record's fields, widest first: the order they lie in one session's block, each aligned."""


def record_arrays(n: int) -> tuple[np.ndarray, ...]:
    """The arrays of one session's record (dynamics.SessionRecord's fields in order) for ``n`` rows in
    therapy, as views into one block of memory: one allocation a session instead of one a field (the
    Course keeps them for the tables, so they are new memory every session)."""
    block = np.empty(n * sum(dtype.itemsize for _, dtype in _RECORD_LAYOUT), dtype=np.uint8)
    arrays: list[np.ndarray] = [block] * len(_RECORD_LAYOUT)
    start = 0
    for field, dtype in _RECORD_LAYOUT:
        arrays[field] = block[start : start + n * dtype.itemsize].view(dtype)
        start += n * dtype.itemsize
    return tuple(arrays)


def _one_or_each(value: Any) -> np.ndarray:
    """A per-row figure of a format (a float for every row, or an array of one per row) as the fused
    kernel reads it: a float64 array of length 1 or one per row."""
    return np.atleast_1d(np.asarray(value, dtype=np.float64))


def _arrays(obj: Any) -> tuple[np.ndarray, ...]:
    return tuple(getattr(obj, f.name) for f in dataclasses.fields(obj))


class FusedStepper:
    """Runs :func:`simulation.jit.session.fused_session` for one Course (``run_of_row``: each row's
    run, kept aligned with the Course's rows through compaction by :meth:`take`)."""

    def __init__(self, params: list[Any], run_of_row: np.ndarray) -> None:
        self.table = parameter_table(params)
        self.dose = dose_table(self.table)
        self.run_of_row = np.asarray(run_of_row, dtype=np.int64)
        course = expected_course()
        self.expected = np.asarray(course.expected, dtype=np.float64)
        self.band_edges = np.asarray(course.band_edges, dtype=np.float64)
        self._traits: Any = None
        self._matrix = np.empty((0, 0))
        self._before: tuple[np.ndarray, ...] = ()
        self._buffers: dict[str, tuple[np.ndarray, ...]] = {}
        self._monitored = self._any_monitored()

    def take(self, keep: np.ndarray, traits: dynamics.Traits) -> None:
        """Keep rows ``keep`` (the Course dropped the others; ``traits`` are its traits of those rows)."""
        self.run_of_row = self.run_of_row[keep]
        if self._traits is not None:
            self._traits, self._matrix = traits, self._matrix[keep]
        self._monitored = self._any_monitored()

    def _any_monitored(self) -> bool:
        """Whether a clinic of a run still in the pass uses feedback (as ``feedback.feedback_on`` asks
        of the per-row parameters)."""
        runs = np.unique(self.run_of_row)
        return bool(np.any(self.table[runs, K.feedback_enabled] != 0.0))

    def _trait_matrix(self, traits: dynamics.Traits) -> np.ndarray:
        """The traits as the kernel reads them, made again whenever the Course's traits change
        (a therapist trait edited through a Mesa view)."""
        if traits is not self._traits:
            self._traits, self._matrix = traits, trait_matrix(traits, self.table, self.run_of_row)
        return self._matrix

    def _kept(self, use: str, n: int, *dtypes: type) -> tuple[np.ndarray, ...]:
        """Per-row arrays of ``dtypes`` for ``n`` rows, kept for ``use`` from session to session (made
        again when the row count changes): what a session computes and reads, or copies, within it."""
        kept = self._buffers.get(use)
        if kept is None or kept[0].shape[0] != n:
            kept = self._buffers[use] = tuple(np.empty(n, dtype=dtype) for dtype in dtypes)
        return kept

    def _copy_before(self, state: dynamics.State, names: tuple[str, ...]) -> SimpleNamespace:
        """A copy of the fields ``names`` of ``state`` (what a format reads of the state before the
        session, Format.reads_before), in buffers kept for them."""
        now = [getattr(state, name) for name in names]
        if len(self._before) != len(now) or any(a.shape != b.shape for a, b in zip(self._before, now, strict=True)):
            self._before = tuple(np.empty_like(values) for values in now)
        for copy, values in zip(self._before, now, strict=True):
            np.copyto(copy, values)
        return SimpleNamespace(**dict(zip(names, self._before, strict=True)))

    def step(
        self, traits: dynamics.Traits, state: dynamics.State, draws: FusedDraws, session: int,
        context: dynamics.FormatContext, reads_before: tuple[str, ...] = (),
    ) -> tuple[dynamics.State, dynamics.State, Any, dynamics.SessionRecord]:  # fmt: skip
        """Scheduled session ``session`` for every row, as :func:`simulation.dynamics.step_session`
        computes it: the state before the session (a copy where a format reads it), the state after
        (``state``, updated in place), what a format reads of the record per row (``attended``,
        ``srs_alert``, ``rupture_resolved``; the record itself where there is no format), and the
        record of the rows in therapy (new arrays, for the Course to keep)."""
        n = state.bond.shape[0]
        formatted = isinstance(context, dynamics.Context)
        finish = not formatted or context.end_together is keep_endings
        before = self._copy_before(state, reads_before) if formatted else state
        in_therapy = int(np.count_nonzero(state.active))
        record = record_arrays(in_therapy)
        flags = self._kept("flags", n, np.bool_, np.bool_, np.bool_) if formatted else (_NO_FLAGS,) * 3
        planned_end, causes = self._kept("endings", n, np.bool_, np.int8)
        noise = draws.kept()  # used within this session only
        life_event, size = noise.sample(("life_event", "life_event_size"), session)
        z = (
            *noise.sample(("symptom_noise", "ors_error"), session),
            *noise.sample(("srs_noise", "therapist_view_noise"), session),
            life_event,
            np.log(size, out=size),  # symptoms.life_event_loss takes numpy's log of the size
        )
        fused.fused_session(
            self.table, self.run_of_row, self._trait_matrix(traits), self.dose, draws.keys, fused.offsets(session), z,
            _arrays(state),
            record, flags, session,
            context.member_session if formatted else _NO_SESSIONS,
            context.shared_alliance if formatted else _NO_FLOATS,
            _one_or_each(context.shared_weight) if formatted else _NO_FLOATS,
            _one_or_each(context.rupture_harm_share) if formatted else _NO_FLOATS,
            context.bond_shift if formatted and context.bond_shift is not None else _NO_FLOATS,
            _NO_FLOATS if context.dropout_shift is None else context.dropout_shift,
            _NO_DRAWS if not formatted or context.ending_draws is None else context.ending_draws,
            self.expected, self.band_edges, self._monitored, finish, planned_end, causes,
        )  # fmt: skip
        if not finish:  # the unit decides its members' endings together (the kernel left ``active`` as it was)
            ends, cause = context.unit_endings(planned_end, causes, state.active)
            fused.end_courses(state.active, state.dropped_out, state.dropout_cause, ends, cause)
        recorded = dynamics.SessionRecord(*record)
        per_row = SimpleNamespace(attended=flags[0], srs_alert=flags[1], rupture_resolved=flags[2])
        return before, state, per_row if formatted else recorded, recorded

    # --- the formats' submodels (simulation.formats.group and .family call these) -------------------

    def format_draws(self, run_keys: np.ndarray, unit: np.ndarray, member: np.ndarray, width: int) -> FormatDraws:
        """formats.base.format_draws, the pair keys by a fused loop (the same integers)."""
        salt = np.uint64(_mix_scalar(int(Domain.PAIR) * _GOLDEN))
        keys = fused_formats.pair_keys(np.asarray(run_keys, dtype=np.uint64), unit, member, width, salt)
        return FormatDraws(FusedDraws.for_rows(np, run_keys, unit, Domain.UNIT), FusedDraws(np, keys, Domain.PAIR))

    def group_cohesion(self, members: Any, state: dynamics.State, own: GroupState) -> np.ndarray:
        """formats.group.group_cohesion on the state before the session."""
        (cohesion,) = self._kept("cohesion", state.bond.shape[0], np.float64)
        fused_formats.group_cohesion(
            self.table, self.run_of_row, members.member, members.size, state.bond, state.goal, state.task,
            state.active, own.ties, own.witnessed, cohesion,
        )  # fmt: skip
        return cohesion

    def group_after_session(
        self, at: Any, before: dynamics.State, after: dynamics.State, record: Any, own: GroupState
    ) -> tuple[GroupState, dict[str, np.ndarray]]:
        """formats.group.Group.after_session, updating the group's state in place."""
        offsets = session_offsets(("member_rupture", "member_repair"), at.session)
        new_ruptures, *counts = self._kept("group_pairs", after.bond.shape[0], np.int8, np.int16, np.int16)
        fused_formats.group_pairs(
            self.table, self.run_of_row, self._matrix, at.members.member, at.members.size, at.draws.pair.keys,
            offsets, record.attended, record.srs_alert, record.rupture_resolved, before.unresolved, after.unresolved,
            own.ties, own.pair_open, own.pair_detected, own.pair_step, own.pair_age, own.pre_tie, own.witnessed,
            own.member_ruptures, new_ruptures, *counts,
        )  # fmt: skip
        return own, {"member_rupture": new_ruptures}

    def family_figures(self, members: Any, state: dynamics.State) -> tuple[np.ndarray, np.ndarray]:
        """formats.family.family_figures on the state before the session (the alliances composed in
        the loop)."""
        shared, split = self._kept("family_figures", state.bond.shape[0], np.float64, np.float64)
        fused_formats.family_figures(
            self.table, self.run_of_row, members.member, members.size, state.bond, state.goal, state.task,
            state.active, shared, split,
        )  # fmt: skip
        return shared, split

    def family_endings(self, members: Any) -> Any:
        """The family's end_together (formats.family.Family.context) as a fused loop."""

        def end_together(planned_end: np.ndarray, cause: np.ndarray, active: np.ndarray) -> tuple[Any, Any]:
            done, first = self._kept("family_endings", cause.shape[0], np.bool_, np.int8)
            fused_formats.family_endings(members.member, members.size, planned_end, cause, active, done, first)
            return done, first

        return end_together
