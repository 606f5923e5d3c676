"""ODD 3 (process overview): one scheduled session for every relation, as the sequence of ODD 7's
submodels, and the one seam through which a format with several people per unit adds to it
(:class:`FormatContext`; ODD 7.16)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from simulation.backend import Array, Draws
from simulation.dynamics import feedback
from simulation.dynamics.attendance import attendance, dropout_cause, end_courses, planned_ending
from simulation.dynamics.growth import composite, grow_alliance
from simulation.dynamics.measurement import ors_reading, srs_alert, srs_total, therapist_view
from simulation.dynamics.onset import rupture_onset
from simulation.dynamics.repair import RuptureTrack, detection, lasting_deficit, open_ruptures, tend_ruptures
from simulation.dynamics.stage import next_stage
from simulation.dynamics.state import RESOLUTION, SessionRecord, State, Traits, as_float, at_intake, unit_clip
from simulation.dynamics.symptoms import lasting_harm, week_of_symptoms

ONSET_SHARES = (1.0, 0.5, 0.5)  # at onset bond falls by the severity, goal and task by half of it (7.8)


class FormatContext:
    """What a format adds to one session, asked at fixed points of :func:`step_session`. This base adds
    nothing: it is the individual format's, and each of its methods hands its input back unchanged,
    so the individual session update computes exactly the plain operations."""

    dropout_shift: Array | None = None  # log-odds added to disengaged dropout
    rupture_harm_share: float | Array = 1.0  # share of an unresolved rupture's lasting harm borne (0-1)

    def own_session(self, session: int) -> int | Array:
        """Each client's own session number at the unit's session ``session``."""
        return session

    def acted_on(self, alliance: Array) -> Array:
        """The alliance a client attends, stays and changes on."""
        return alliance

    def sided(self, xp: Any, bond: Array, attended: Array) -> Array:
        """The bond after the therapist's siding in this session."""
        return bond

    def endings_drawn(self, own: tuple[Array, Array, Array]) -> tuple[Array, Array, Array]:
        """The dropout draws (disengaged, practical, improved) an ending is decided on."""
        return own

    def unit_endings(self, planned_end: Array, cause: Array, active: Array) -> tuple[Array, Array]:
        """Planned endings and dropout causes after the unit's rule for ending together."""
        return planned_end, cause


INDIVIDUAL = FormatContext()


def keep_endings(planned_end: Array, cause: Array, active: Array) -> tuple[Array, Array]:
    """Members end their courses one by one (the group's rule)."""
    return planned_end, cause


@dataclass(frozen=True)
class Context(FormatContext):
    """What a format with several people per unit adds (simulation.formats computes it from the state
    before the session).

    A member attends, stays and changes on the blend of their own alliance with the therapist and the
    unit's figure (:meth:`acted_on`). ``member_session`` is each member's own session number (1 at the
    session they joined): it drives what the individual format reads from the session number (the
    intake, stages near the course limit, early dropout, the planned end), while the random draws stay
    keyed by the unit's session.
    """

    member_session: Array
    shared_alliance: Array  # what a member acts on besides their own alliance (attendance, dropout and
    #                        symptom change): the group's cohesion, or the family's shared alliance
    shared_weight: float | Array  # its weight (the member's own alliance has the rest)
    bond_shift: Array | None  # signed share of the bond gap (or of the bond) gained per attended session (None: none)
    dropout_shift: Array | None = None  # log-odds added to disengaged dropout (the family's split)
    ending_draws: tuple[Array, Array, Array] | None = None  # dropout draws shared by a unit that ends together
    end_together: Callable[[Array, Array, Array], tuple[Array, Array]] = keep_endings  # (planned_end, cause,
    #                        active) -> (planned_end, cause) for the whole unit
    rupture_harm_share: float | Array = 1.0  # share of the lasting harm of an unresolved rupture with the
    #                        therapist a member bears (0-1; the group's cohesion cushions it)

    def own_session(self, session: int) -> Array:
        return self.member_session

    def acted_on(self, alliance: Array) -> Array:
        """(1 - weight) x the member's own alliance + weight x the unit's figure."""
        return (1.0 - self.shared_weight) * alliance + self.shared_weight * self.shared_alliance

    def sided(self, xp: Any, bond: Array, attended: Array) -> Array:
        """The sided member's bond closes ``bond_shift`` of its gap to 1; the others lose that share."""
        shift = as_float(xp, attended) * self.bond_shift
        return unit_clip(xp, bond + xp.where(shift > 0, shift * (1.0 - bond), shift * bond))

    def endings_drawn(self, own: tuple[Array, Array, Array]) -> tuple[Array, Array, Array]:
        return own if self.ending_draws is None else self.ending_draws

    def unit_endings(self, planned_end: Array, cause: Array, active: Array) -> tuple[Array, Array]:
        return self.end_together(planned_end, cause, active)


@dataclass(frozen=True)
class SessionDraws:
    """The client's random draws of one session, one field per process of backend.PROCESSES."""

    attendance: Array
    dropout: Array
    practical_dropout: Array
    improved_exit: Array
    rupture_onset: Array
    rupture_kind: Array
    rupture_severity: Array
    srs_used: Array
    detection: Array
    repair: Array
    symptom_noise: Array
    ors_error: Array
    srs_noise: Array
    therapist_view_noise: Array
    life_event: Array
    life_event_size: Array

    @classmethod
    def of(cls, draws: Draws, session: int) -> SessionDraws:
        return cls(*draws.sample(tuple(field.name for field in dataclasses.fields(cls)), session))

    @property
    def onset(self) -> tuple[Array, Array, Array]:
        return self.rupture_onset, self.rupture_kind, self.rupture_severity

    @property
    def endings(self) -> tuple[Array, Array, Array]:
        return self.dropout, self.practical_dropout, self.improved_exit

    @property
    def life_events(self) -> tuple[Array, Array]:
        return self.life_event, self.life_event_size


def tallies(xp: Any, s: State, attended: Array, onset: Array, resolved: Array, expired: Array, stage: Array) -> dict:
    """The course's counts after the session (ODD 3, step 11)."""
    return dict(
        attended=s.attended + xp.astype(attended, xp.int16),
        ruptures=s.ruptures + xp.astype(onset, xp.int16),
        resolved=s.resolved + xp.astype(resolved, xp.int16),
        unresolved=s.unresolved + xp.astype(expired, xp.int16),
        resolution_attended=s.resolution_attended + xp.astype(attended & (stage == RESOLUTION), xp.int16),
    )


def rupture_fields(track: RuptureTrack, kind: Array, severity: Array, before: tuple[Array, ...]) -> dict:
    """The state's fields of the relation's rupture lifecycle (the inverse of :func:`rupture_track`)."""
    pre = dict(zip(("pre_bond", "pre_goal", "pre_task"), before, strict=True))
    lifecycle = dict(rupture_open=track.open, detected=track.detected, repair_step=track.step, rupture_age=track.age)
    return dict(rupture_kind=kind, severity=severity, **lifecycle, **pre)


def rupture_track(s: State) -> tuple[RuptureTrack, tuple[Array, Array, Array]]:
    """Where the relation's rupture stands before the session, and the components before it began."""
    return RuptureTrack(s.rupture_open, s.detected, s.repair_step, s.rupture_age), (s.pre_bond, s.pre_goal, s.pre_task)


def step_session(
    xp: Any, p: Any, t: Traits, s: State, draws: Draws, session: int, context: FormatContext = INDIVIDUAL
) -> tuple[State, SessionRecord]:
    """Simulate scheduled session ``session`` (1-based) for every row; return the new state and the
    session's record. Rows whose course has ended pass through unchanged. ``context`` is what the
    format adds (the individual format adds nothing). The comments name the ODD 7 subsections."""
    u = SessionDraws.of(draws, session)
    own_session = context.own_session(session)
    intake = own_session == 1  # the intake is attended, in engagement
    acted_before = context.acted_on(composite(xp, p, s.bond, s.goal, s.task))
    monitored = feedback.feedback_on(xp, p)  # 7.18 acts only where a clinic uses feedback
    planned = p.course_length + s.extension if monitored else None
    attended = at_intake(xp, intake, s.active, lambda: attendance(xp, p, t, s, acted_before, u.attendance))  # 7.4
    stage = at_intake(xp, intake, s.stage, lambda: next_stage(xp, p, t, s, own_session, attended, planned))  # 7.6
    ors = ors_reading(xp, p, s.wellbeing, attended, u.ors_error)  # 7.5
    signal = feedback.session_signal(xp, p, t, s, draws, session, ors, attended, own_session) if monitored else None
    bond, goal, task = grow_alliance(xp, p, t, s, attended)  # 7.7
    if signal is not None:  # 7.18: revisit goals and tasks
        goal, task = feedback.revisit_goals(xp, p, signal.acted, goal, task, s.ceiling)
    grown = (context.sided(xp, bond, attended), goal, task)
    onset, new_kind, new_severity = rupture_onset(xp, p, t, stage, grown, attended & ~s.rupture_open, u.onset)  # 7.8
    kind, severity = xp.where(onset, new_kind, s.rupture_kind), xp.where(onset, new_severity, s.severity)
    track, before = rupture_track(s)
    track, dropped, before = open_ruptures(xp, track, onset, severity, grown, before, ONSET_SHARES)
    srs = srs_total(xp, p, composite(xp, p, *dropped), u.srs_noise)  # 7.9
    alert = srs_alert(xp, p, t, srs, attended, u.srs_used)
    noticed = detection(xp, p, t, kind, alert, u.detection)  # 7.10
    if signal is not None:  # 7.18: talk about the alliance
        noticed = noticed | feedback.talk_about_alliance(xp, p, signal.acted, u.detection)
    track, repaired, resolved, expired = tend_ruptures(  # 7.11, 7.12
        xp, p, t, track, onset, attended, s.active, noticed, u.repair, severity, dropped, before
    )
    ceiling, (bond, goal, task), stage = lasting_deficit(xp, p, s.ceiling, severity, expired, repaired, stage)
    alliance = composite(xp, p, bond, goal, task)
    acted = context.acted_on(alliance)
    harm = lasting_harm(xp, p, expired, severity, u.life_events, context.rupture_harm_share)  # 7.13
    wellbeing, setback = week_of_symptoms(xp, p, t, s, stage, acted, attended, harm, u.symptom_noise)
    course = dict(bond=bond, goal=goal, task=task, ceiling=ceiling, stage=stage, wellbeing=wellbeing, setback=setback)
    counts = tallies(xp, s, attended, onset, resolved, expired, stage)
    dropout_shift = context.dropout_shift
    if signal is not None:  # 7.18: attend to motivation and support; more sessions
        counts |= feedback.monitoring_fields(xp, p, s, signal)
        planned = p.course_length + counts["extension"]
        dropout_shift = feedback.retention_shift(xp, p, signal.acted, dropout_shift)
    progressed = dataclasses.replace(s, **course, **rupture_fields(track, kind, severity, before), **counts)
    cause = dropout_cause(  # 7.14
        xp, p, t, progressed, acted, attended, own_session, context.endings_drawn(u.endings), dropout_shift
    )
    planned_end, cause = context.unit_endings(planned_ending(p, progressed, own_session, planned), cause, s.active)
    view = therapist_view(xp, p, t, alliance, attended, u.therapist_view_noise)  # 7.15
    record = SessionRecord(
        stage=stage,
        attended=attended,
        bond=bond,
        goal=goal,
        task=task,
        alliance=alliance,
        alliance_therapist=view,
        wellbeing=s.wellbeing,
        rupture=onset,
        rupture_kind=xp.where(onset, new_kind, xp.zeros_like(new_kind)),
        rupture_resolved=resolved,
        ors=ors,
        srs=xp.where(attended, srs, xp.nan),
        srs_alert=alert,
    )
    return end_courses(xp, s, progressed, planned_end, cause), record
