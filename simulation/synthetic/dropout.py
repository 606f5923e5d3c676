"""Dropout in synthetic data sets: the model's own dropout undone as it happens (the no-dropout replay
of :mod:`.replay`), and the imposed dropout process that can take its place (docs/synthetic.md,
Dropout with a known mechanism).

The model's own dropout follows the latent alliance, motivation and ruptures, which the instruments
measure only in part: it is missing not at random whatever the MNAR dial. With ``imposed_dropout``
(individual format only) the model's dropout is undone after every session and a course ends instead
by a synthetic hazard, drawn after each session from the random process ``imposed_dropout``::

    logit h = logit(imposed_dropout_rate)
              + imposed_dropout_ors_weight * (observed intake ORS - last observed ORS) / 10
              + dropout_wellbeing_weight * (latent intake - latent well-being at the session) / 10

The observed ORS is the ORS total of the attended sessions (the score whose items the long table
holds), the last one carried over missed sessions; latent well-being is the truth's ``wellbeing`` of
the session (what its ORS measures, with error). With ``dropout_wellbeing_weight`` 0 the hazard reads
nothing but scores an analyst has: dropout is missing at random given the observed ORS, by
construction. Above 0 it also reads latent well-being: missing not at random. A course so ended is a
dropout (``dropped_out``, ``dropout_cause`` disengaged) with no rows after the session it ended at,
which ``truth/clients`` records as ``imposed_dropout_session``.

This runs between the kernel's sessions, on what each session recorded, through the course's public
hooks (:meth:`simulation.runs.Course.end_courses`): the session kernels do not know of it.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from simulation.backend import to_numpy
from simulation.config import ParameterError, Params
from simulation.dynamics import DISENGAGED
from simulation.dynamics.attendance import WELLBEING_STEP
from simulation.formats import get_format
from simulation.runs import Course


def undo_dropout(course: Course, kept: np.ndarray | None = None) -> None:
    """Put back into therapy every row that dropped out in the session just simulated, except the
    rows ``kept`` (a boolean array over the course's rows: courses already ended by the imposed
    dropout, which stay ended)."""
    xp, state = course.xp, course.state
    stays = xp.zeros_like(state.dropped_out) if kept is None else xp.asarray(kept)
    dropped = state.dropped_out & ~stays
    cause = xp.where(stays, state.dropout_cause, xp.zeros_like(state.dropout_cause))
    course.state = dataclasses.replace(state, active=state.active | dropped, dropped_out=stays, dropout_cause=cause)
    course.running = bool(xp.any(course.state.active)) or course.session < course.last_start


def imposed_hazard(p: Params, observed_decline: np.ndarray, latent_decline: np.ndarray) -> np.ndarray:
    """The imposed dropout's chance after a session (module docstring) for declines from intake in
    ORS points: observed (intake ORS minus the last observed ORS) and latent."""
    odds = np.exp(
        (p.imposed_dropout_ors_weight * observed_decline + p.dropout_wellbeing_weight * latent_decline) / WELLBEING_STEP
    )
    rate = p.imposed_dropout_rate
    return rate * odds / (1.0 - rate + rate * odds)


class ImposedDropout:
    """The imposed dropout of one course that keeps its rows in place: the observed ORS it has seen,
    and which courses it has ended."""

    def __init__(self, course: Course) -> None:
        rows = len(course.rows)
        self.latent_intake = np.asarray(course.host_traits["intake"], dtype=np.float64)
        self.ors_intake = np.full(rows, np.nan)
        self.last_ors = np.full(rows, np.nan)
        self.ended = np.zeros(rows, dtype=bool)

    def after_session(self, course: Course) -> None:
        """Undo the model's dropout of the session just simulated, then end courses by the imposed hazard."""
        session, positions, record = course.sessions[-1]
        ors = np.asarray(record["ors"], dtype=np.float64)
        seen = ~np.isnan(ors)
        self.last_ors[positions[seen]] = ors[seen]
        first = seen & np.isnan(self.ors_intake[positions])
        self.ors_intake[positions[first]] = ors[first]
        undo_dropout(course, self.ended)
        chance = imposed_hazard(
            course.params,
            self.ors_intake[positions] - self.last_ors[positions],
            self.latent_intake[positions] - np.asarray(record["wellbeing"], dtype=np.float64),
        )
        (uniform,) = course.draws.sample(("imposed_dropout",), session)
        ends = np.zeros(len(self.ended), dtype=bool)
        ends[positions] = to_numpy(uniform)[positions] < chance
        ends &= to_numpy(course.state.active)  # a course that ended as planned this session is not a dropout
        self.ended |= ends
        course.end_courses(course.xp.asarray(ends), DISENGAGED)


def check_imposed_dropout(params: Params, format: str) -> None:
    """Refuse ``imposed_dropout`` outside the individual format, in one line naming the parameter."""
    if params.imposed_dropout and get_format(format).has_units:
        raise ParameterError(
            f"imposed_dropout applies to the individual format only (a group or family ends or stays together); "
            f"got format {format}"
        )


def imposed_dropout_columns(clients: pd.DataFrame, params: Params) -> dict[str, pd.api.extensions.ExtensionArray]:
    """With ``imposed_dropout``, the truth column ``imposed_dropout_session``: the client's session after
    which the imposed dropout ended the course (missing where it did not); else none."""
    if not params.imposed_dropout:
        return {}
    ended = clients["dropped_out"].to_numpy(bool)
    session = clients["sessions_scheduled"].to_numpy(np.int16)
    return {"imposed_dropout_session": pd.arrays.IntegerArray(np.where(ended, session, 0).astype(np.int16), ~ended)}
