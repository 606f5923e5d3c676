"""Causal truth by replay: the same clients simulated again with one thing changed.

Every random draw is keyed by run, client and session (simulation.backend), so a client replayed with
one thing changed meets the very same luck: the difference between the two courses is the effect of
that one change on that client (a unit-level potential outcome, not a regression). Three replays:

- ``wellbeing_alliance_raised``: the alliance raised by ``estimand_alliance_delta`` at the end of the
  client's own session ``estimand_alliance_session`` (bond, goal and task each raised by the delta and
  clipped to 0-1, so the composite rises by the delta unless clipped); latent well-being at the end of
  the course that follows. With a delta of 0 the replay is the data set's own course, to the bit.
- ``wellbeing_no_dropout``: the course with every dropout undone as it happens (the client stays and
  the course runs to its planned ending: ``course_length`` sessions, or the resolution sessions done);
  latent well-being at that end: the no-dropout potential outcome (in a group, of a group that
  keeps every member; a family ends together, so its dropout is undone for all its members).
- with ``feedback_enabled``: ``wellbeing_final_feedback_off`` and ``dropped_out_feedback_off``, the
  course without routine outcome monitoring feedback: what the signals changed.

With ``imposed_dropout`` (:mod:`.dropout`) the data set's own course is itself a replay, with the
imposed dropout in place of the model's own (:func:`course_of`); so is every replay but the
no-dropout one.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from simulation.runs import Course, CourseResult, Rows, Run, simulate_rows
from simulation.synthetic.design import Design
from simulation.synthetic.dropout import ImposedDropout, undo_dropout

REPLAYED = ("wellbeing_alliance_raised", "wellbeing_no_dropout")
FEEDBACK_OFF = ("wellbeing_final_feedback_off", "dropped_out_feedback_off")


def raise_alliance(course: Course, delta: float) -> None:
    """Raise bond, goal and task of every row by ``delta`` (clipped to 0-1), from the next session on."""
    xp, state = course.xp, course.state
    course.state = dataclasses.replace(
        state, **{name: xp.clip(getattr(state, name) + delta, 0.0, 1.0) for name in ("bond", "goal", "task")}
    )


def replay(
    run: Run, start: int, stop: int, delta: float = 0.0, at_session: int = 0, no_dropout: bool = False
) -> CourseResult:
    """Clients ``start:stop`` of ``run`` replayed with the alliance raised by ``delta`` after session
    ``at_session`` (0: never) and, with ``no_dropout``, every dropout undone; otherwise, with
    ``imposed_dropout``, the imposed dropout in place of the model's own (:mod:`.dropout`)."""
    course = Course([run], Rows.of_runs([run], start, stop), compact=False)
    imposed = ImposedDropout(course) if run.params.imposed_dropout and not no_dropout else None
    while course.running:
        course.advance()
        if course.session == at_session:
            raise_alliance(course, delta)
        if no_dropout:
            undo_dropout(course)
        if imposed is not None:
            imposed.after_session(course)
    return course.result()


def course_of(run: Run, start: int, stop: int) -> CourseResult:
    """The course of clients ``start:stop`` of ``run``: the model's, or with ``imposed_dropout`` the
    course with the imposed dropout in place of the model's own."""
    if run.params.imposed_dropout:
        return replay(run, start, stop)
    return simulate_rows([run], Rows.of_runs([run], start, stop))


def replayed_outcomes(design: Design, start: int, stop: int, clients: pd.DataFrame) -> dict[str, np.ndarray]:
    """The replayed potential outcomes of clients ``start:stop`` (module docstring), as truth columns."""
    run, p = design.run(), design.params
    raised = replay(run, start, stop, p.estimand_alliance_delta, p.estimand_alliance_session).final
    columns = {
        "wellbeing_alliance_raised": raised["wellbeing"],
        "wellbeing_no_dropout": replay(run, start, stop, no_dropout=True).final["wellbeing"],
    }
    if p.feedback_enabled:
        off = dataclasses.replace(run, params=p.replace(feedback_enabled=False))
        final = course_of(off, start, stop).final
        columns |= {
            "wellbeing_final_feedback_off": final["wellbeing"],
            "dropped_out_feedback_off": final["dropped_out"],
        }
    return columns
