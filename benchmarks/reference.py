"""A plain per-agent Mesa implementation of the session rules of simulation/dynamics/.

Each client is a :class:`mesa.Agent` holding Python floats; its ``step()`` runs one weekly session for
itself, drawing scalars one at a time from the model's own generator (``self.model.random``); the
model's ``step()`` calls every client in random order. Nothing here touches the kernel's arrays or its
counter-based random streams, so the two share rules but no random numbers: they agree in
distribution, not draw for draw (tests/test_reference_agreement.py checks that), and this file is the
per-agent baseline of the speed-up that ``python -m benchmarks`` reports.

Only constants (stage, attachment and rupture codes, ORS_MAX, REPAIR_STEPS, the outcome categories,
the traits of a therapist's alliance ability with their signs),
the outcome classification (simulation.measures.classify_outcomes), the shipped expected course of
routine outcome monitoring (data, simulation.monitoring.course) and the signal columns of the sessions
table (a measurement, simulation.monitoring.record) are shared with the package.
Every rule is written out again here, in the order of ``dynamics.step_session``, so that a change to a
rule on one side and not the other shows up as a disagreement. Where the kernel uses an array trick,
this file does the plain thing: the five repair steps are tried one by one until one fails (the kernel
draws the geometric number of successes from one uniform).

The family format has a per-agent counterpart below; the group format (ties, cohesion, member-member
ruptures and the cushioned harm of a member's unresolved rupture with the leader, docs/ODD.md 7.16 and
7.19) has none, so its two kernels are checked against each other only (tests/test_fused.py).
"""

from __future__ import annotations

import math

import mesa
import numpy as np
import pandas as pd

from simulation import measures
from simulation.config import Params
from simulation.dynamics import (
    ALLIANCE_ABILITY,
    ANXIOUS,
    ATTACHMENT_STYLES,
    AVOIDANT,
    CLIENT_TRAITS,
    CONFRONTATION,
    DISENGAGED,
    DROPOUT_CAUSES,
    ENGAGEMENT,
    EXPLORATION,
    IMPROVED,
    NO_RUPTURE,
    NOT_DROPPED,
    ORS_MAX,
    PRACTICAL,
    RELIABLE_CHANGE,
    REPAIR_STEPS,
    RESOLUTION,
    RUPTURE_KINDS,
    SECURE,
    SRS_MAX,
    STAGES,
    THERAPIST_TRAITS,
    WITHDRAWAL,
    WORKING,
)
from simulation.figures.windows import ALLIANCE_EARLY_SESSIONS, EARLY_DROPOUT_SESSIONS
from simulation.monitoring import record as monitoring_record
from simulation.monitoring.course import expected_course
from simulation.runs import Run
from simulation.tables import RECORDED_SESSION_COLUMNS, Tables, run_table


def clip(value: float, low: float = 0.0, high: float = 1.0) -> float:
    """``value`` kept within [low, high] (by default the unit interval)."""
    return low if value < low else high if value > high else value


def logistic(log_odds: float) -> float:
    """1 / (1 + exp(-x)), without overflow for very negative x."""
    if log_odds < -700.0:
        return 0.0
    return 1.0 / (1.0 + math.exp(-log_odds))


class ReferenceTherapist(mesa.Agent):
    """A therapist: traits drawn once (therapist effects), shared by every client of the caseload."""

    def __init__(self, model: ReferenceModel, index: int) -> None:
        super().__init__(model)
        p, draw = model.params, model.random
        self.index = index  # 0-based; Mesa's unique_id is shared with the clients
        for name in THERAPIST_TRAITS:
            setattr(self, name, clip(getattr(p, f"{name}_mean") + p.therapist_trait_sd * draw.gauss()))
        self.bias = clip(p.bias_mean + p.therapist_trait_sd * draw.gauss(), -1.0, 1.0)
        self.style = draw.random()
        self.minority = draw.random() < p.share_minority_therapists
        self.outcome_z = draw.gauss()
        self.rate_factor = self.own_factor()
        self.clients = 0

    def own_factor(self) -> float:
        """The therapist's own factor on their clients' change rate (dynamics.therapist_outcome):
        exp(therapist_outcome_sd * outcome_z + therapist_alliance_outcome_effect * ability), the
        ability being the standardized sum of the alliance traits' deviations from their means."""
        p = self.model.params
        deviation = sum(
            sign * (getattr(self, name) - getattr(p, f"{name}_mean")) for name, sign in ALLIANCE_ABILITY.items()
        )
        spread = p.therapist_trait_sd * math.sqrt(len(ALLIANCE_ABILITY))
        ability = deviation / spread if spread > 0.0 else 0.0
        return math.exp(p.therapist_outcome_sd * self.outcome_z + p.therapist_alliance_outcome_effect * ability)


class ReferenceClient(mesa.Agent):
    """A client in individual therapy: traits, the state of the relation with their therapist, and the
    record of each session so far. ``step()`` is one scheduled session."""

    def __init__(self, model: ReferenceModel, index: int, therapist: ReferenceTherapist) -> None:
        super().__init__(model)
        self.index, self.therapist = index, therapist  # own 0-based index: unique_id is shared
        therapist.clients += 1

        self.draw_traits()
        self.pair_with(therapist)
        self.start()
        self.history: list[tuple] = []  # one row of the sessions table per scheduled session

    def draw_traits(self) -> None:
        """The client's own traits (dynamics.draw_clients)."""
        p, draw = self.model.params, self.model.random
        u = draw.random()
        self.attachment = (
            ANXIOUS if u < p.share_anxious else AVOIDANT if u < p.share_anxious + p.share_avoidant else SECURE
        )
        self.minority = draw.random() < p.share_minority_clients
        self.online = draw.random() < p.share_online
        self.intake = clip(p.intake_ors_mean + p.intake_ors_sd * draw.gauss(), 0.0, ORS_MAX)
        self.style = draw.random()
        for name in CLIENT_TRAITS:
            setattr(self, name, clip(getattr(p, f"{name}_mean") + p.client_trait_sd * draw.gauss()))

    def pair_with(self, therapist: ReferenceTherapist) -> None:
        """The relation's fixed quantities: cultural mismatch, fit, attainable level
        (dynamics.relation_traits)."""
        p = self.model.params
        self.mismatch = self.minority != therapist.minority
        bridged = therapist.cultural_sensitivity if self.mismatch else 1.0  # a sensitive therapist bridges
        self.fit = (1.0 - abs(self.style - therapist.style)) * (0.5 + 0.5 * bridged)
        readiness = 0.5 + 0.5 * (self.motivation + self.expectancy)
        self.attainable = clip(self.intake + p.recovery_potential * readiness * (ORS_MAX - self.intake), 0.0, ORS_MAX)

    def start(self) -> None:
        """The state at intake (dynamics.initial_state)."""
        p = self.model.params
        secure = 1.0 if self.attachment == SECURE else 0.0
        self.bond = clip(p.initial_bond * (0.75 + 0.5 * self.expectancy) * (0.85 + 0.15 * secure))
        self.goal = self.task = p.initial_agreement
        self.ceiling = 1.0
        self.stage = ENGAGEMENT
        self.wellbeing = self.intake
        self.setback = 0.0  # lasting harm (ORS points): lowers the level within reach
        self.dropped_out = False
        self.dropout_cause = NOT_DROPPED
        self.rupture_open = False
        self.rupture_kind = NO_RUPTURE
        self.severity = 0.0
        self.rupture_age = 0
        self.detected = False
        self.repair_step = 0
        self.pre_bond = self.pre_goal = self.pre_task = 0.0
        self.sessions_attended = self.ruptures = self.resolved = self.unresolved = self.resolution_attended = 0
        self.intake_ors = math.nan  # routine outcome monitoring (ODD 7.18): the ORS of the intake session
        self.acted = False  # the therapist acts on a not-on-track signal this session
        self.extension = self.feedback_sessions = 0  # sessions the signals added; sessions acted on

    # --- the relation's quantities ---------------------------------------------------------------

    @property
    def alliance(self) -> float:
        """The composite alliance: weighted mean of bond, goal and task."""
        p = self.model.params
        return (p.bond_weight * self.bond + p.goal_weight * self.goal + p.task_weight * self.task) / (
            p.bond_weight + p.goal_weight + p.task_weight
        )

    def challenge_weakness(self, alliance: float) -> float:
        """How far the alliance is under the level where challenge turns productive (0-1)."""
        threshold = self.model.params.challenge_alliance_threshold
        return clip((threshold - alliance) / (threshold + 1e-9))

    # --- one session, in the order of dynamics.step_session ------------------------------------------

    def step(self) -> None:
        p, draw, t = self.model.params, self.model.random, self.therapist
        session = self.model.session
        wellbeing_at_start = self.wellbeing  # latent, recorded with the session (what the ORS measures)

        # attendance (the first session is always attended); ORS at the start of an attended session
        attended = session == 1 or draw.random() >= self.miss_chance()
        ors = clip(float(round(self.wellbeing + p.ors_error_sd * draw.gauss())), 0.0, ORS_MAX) if attended else math.nan

        self.acted = self.act_on_signal(session, ors, attended)  # 7.18

        if attended:
            if session > 1:  # the intake session is spent in engagement
                self.stage = self.next_stage(session)
            self.grow_alliance()
            if self.acted:  # 7.18: revisit goals and tasks
                gain = p.feedback_agreement_gain
                self.goal += gain * max(self.ceiling - self.goal, 0.0)
                self.task += gain * max(self.ceiling - self.task, 0.0)
            self.after_growth()

        # rupture onset: bond drops by the severity, goal and task by half of it
        onset = attended and not self.rupture_open and draw.random() < self.rupture_chance()
        if onset:
            weakness = self.challenge_weakness(self.alliance)
            shift = p.attachment_kind_shift * ((self.attachment == ANXIOUS) - (self.attachment == AVOIDANT))
            confronting = clip(p.confrontation_share + shift + t.challenge * weakness)
            self.rupture_kind = CONFRONTATION if draw.random() < confronting else WITHDRAWAL
            self.severity = p.severity_mean * (0.25 + 1.5 * draw.random())
            self.pre_bond, self.pre_goal, self.pre_task = self.bond, self.goal, self.task
            self.bond = clip(self.bond - self.severity)
            self.goal = clip(self.goal - 0.5 * self.severity)
            self.task = clip(self.task - 0.5 * self.severity)
            self.rupture_open, self.rupture_age, self.detected, self.repair_step = True, 0, False, 0
            self.ruptures += 1

        # SRS at the end of the session; a low score alerts a therapist who looks at it
        srs = math.nan
        if attended:
            expected = SRS_MAX * (self.alliance + p.srs_leniency)
            srs = clip(float(round(expected + p.srs_noise_sd * draw.gauss())), 0.0, SRS_MAX)
            alert = draw.random() < t.feedback_use and srs < p.srs_cutoff
            if self.rupture_open and not self.detected:
                u = draw.random()  # 7.18: talking about the alliance notices at the top of the draw's range
                talked = self.acted and u >= 1.0 - p.feedback_detection_gain
                self.detected = u < self.detection_chance(alert) or talked

        # repair: the five steps are tried in order until one fails (tried again next session)
        resolved_now = False
        if attended and self.rupture_open and self.detected and p.repair_enabled:
            chance = clip(
                logistic(p.repair_base_logit + p.repair_skill_effect * (t.repair_skill - t.defensiveness)),
                1e-9,
                1.0 - 1e-9,
            )
            while self.repair_step < REPAIR_STEPS and draw.random() < chance:
                self.repair_step += 1
            resolved_now = self.repair_step >= REPAIR_STEPS
        if resolved_now:  # the V shape: each component ends above where it was before the rupture
            self.bond = clip(max(self.bond, self.pre_bond) + p.repair_gain * self.severity)
            self.goal = clip(max(self.goal, self.pre_goal) + p.repair_gain * self.severity)
            self.task = clip(max(self.task, self.pre_task) + p.repair_gain * self.severity)
            self.rupture_open = self.detected = False
            self.resolved += 1

        # a rupture open for repair_window sessions (attended or not) is left unresolved
        expired = False
        if self.rupture_open:
            self.rupture_age += 1
            if self.rupture_age >= p.repair_window:
                self.expire_rupture()
                expired = True

        # symptoms, with this week's lasting harm (an unresolved rupture, a life event)
        alliance = self.alliance
        harm = p.rupture_harm * self.severity if expired else 0.0
        if draw.random() < p.life_event_rate:
            harm += -p.life_event_impact * math.log(1.0 - draw.random())  # exponential, mean life_event_impact
        self.setback += harm
        self.wellbeing = clip(self.symptom_change(self.acted_on(alliance), attended) - harm, 0.0, ORS_MAX)
        self.sessions_attended += attended
        if attended and self.stage == RESOLUTION:
            self.resolution_attended += 1

        # the ending: planned (resolution done, or the course limit, which acted-on signals extend) before
        # dropout, whose competing causes are tried in order: disengaged, practical, improved
        if self.acted:  # 7.18: more sessions
            self.extension = min(self.extension + p.feedback_extra_sessions, p.feedback_session_cap)
            self.feedback_sessions += 1
        planned_end = self.resolution_attended >= p.resolution_sessions or session >= self.planned_course()
        ends = self.end_or_not(planned_end, alliance, attended, session)

        # the therapist's view of the alliance, rated at the end of an attended session
        view = clip(alliance + t.bias + p.therapist_view_noise_sd * draw.gauss()) if attended else math.nan
        ids = (self.index + 1, t.index + 1, session)
        state = (self.stage, attended, self.bond, self.goal, self.task, alliance, view, wellbeing_at_start)
        events = (onset, self.rupture_kind if onset else NO_RUPTURE, resolved_now, ors, srs)
        self.history.append(ids + state + events)  # one sessions-table row, in the order of RECORDED_SESSION_COLUMNS
        if ends:
            self.model.finish(self)

    # --- what a family member does otherwise (ReferenceMember overrides these) ------------------------

    def acted_on(self, alliance: float) -> float:
        """The alliance the client attends, stays and changes on: their own."""
        return alliance

    def after_growth(self) -> None:
        """Nothing follows the alliance's growth in individual therapy."""

    def end_or_not(self, planned_end: bool, alliance: float, attended: bool, session: int) -> bool:
        """Whether the course ends after this session: planned, or dropout by its first cause."""
        if not planned_end:
            self.dropout_cause = self.dropout_reason(alliance, attended, session)
            self.dropped_out = self.dropout_cause != NOT_DROPPED
        return planned_end or self.dropped_out

    # --- submodels ---------------------------------------------------------------------------------

    def planned_course(self) -> int:
        """Sessions of the planned course: the course length and what acted-on signals added."""
        return self.model.params.course_length + self.extension

    def act_on_signal(self, session: int, ors: float, attended: bool) -> bool:
        """Routine outcome monitoring (7.18): where the clinic uses feedback, an attended session after
        the intake whose ORS is more than monitoring_margin under the expected course of the client's
        intake band is a signal, which the therapist acts on with probability feedback_use."""
        p = self.model.params
        if not p.feedback_enabled:
            return False
        if session == 1:
            self.intake_ors = ors
            return False
        course = expected_course()
        band = sum(self.intake_ors >= edge for edge in course.band_edges)
        expected = course.expected[band][min(session, len(course.expected[band])) - 1]
        flagged = attended and ors < expected - p.monitoring_margin
        return flagged and self.model.random.random() < self.therapist.feedback_use

    def miss_chance(self) -> float:
        """Missing is likelier with a weak alliance, low motivation and an open withdrawal."""
        p = self.model.params
        withdrawn = 1.0 if self.rupture_open and self.rupture_kind == WITHDRAWAL else 0.0
        return logistic(
            p.miss_base_logit
            + p.miss_alliance_weight * (0.5 - self.acted_on(self.alliance))
            + p.miss_motivation_weight * (0.5 - self.motivation)
            + p.miss_withdrawal_weight * withdrawn
        )

    def next_stage(self, session: int) -> int:
        """The stage is entered by state, at most one step per attended session."""
        p = self.model.params
        goals_met = self.wellbeing - self.intake >= p.goal_fraction * (self.attainable - self.intake)
        nearly_done = session + p.resolution_sessions > self.planned_course()
        if (self.stage == WORKING and goals_met) or (self.stage < RESOLUTION and nearly_done):
            return RESOLUTION
        if self.stage == EXPLORATION and self.goal >= p.agreement_threshold and self.task >= p.agreement_threshold:
            return WORKING
        if self.stage == ENGAGEMENT and self.bond >= p.bond_threshold:
            return EXPLORATION
        return self.stage

    def grow_alliance(self) -> None:
        """Bond closes a share of its gap to the ceiling (warmth, fit, attachment, resistance); goal and
        task agreement close theirs with collaboration and skill, gated by the bond before the session."""
        p, t = self.model.params, self.therapist
        attachment_factor = {ANXIOUS: p.anxious_bond_factor, AVOIDANT: p.avoidant_bond_factor}.get(self.attachment, 1.0)
        warmth = (t.empathy + t.congruence + t.regard) / 3.0
        bond_rate = clip(
            p.bond_growth_rate
            * warmth
            * attachment_factor
            * (1.0 + p.fit_effect * (self.fit - 0.5))
            * (1.0 - p.resistance_effect * self.resistance)
        )
        goal_rate = clip(p.goal_growth_rate * t.collaboration * self.bond)
        task_rate = clip(p.task_growth_rate * t.skill * self.bond)
        self.bond = clip(self.bond + bond_rate * (self.ceiling - self.bond))
        self.goal = clip(self.goal + goal_rate * (self.ceiling - self.goal))
        self.task = clip(self.task + task_rate * (self.ceiling - self.task))

    def rupture_chance(self) -> float:
        """Rupture hazard of this session from its risk factors (after this session's growth)."""
        p, t = self.model.params, self.therapist
        return logistic(
            p.rupture_base_logit
            + p.misattunement_weight * (1.0 - t.attunement)
            + p.insecure_attachment_weight * (self.attachment != SECURE)
            + p.transference_weight * self.transference
            + p.countertransference_weight * t.defensiveness
            + p.low_agreement_weight * (1.0 - 0.5 * (self.goal + self.task))
            + p.cultural_mismatch_weight * self.mismatch * (1.0 - t.cultural_sensitivity)
            + p.early_stage_weight * (self.stage <= EXPLORATION)
            + p.pitfalls_weight * t.pitfalls
            + p.poor_fit_weight * (1.0 - self.fit)
            + p.challenge_hazard_weight * t.challenge * self.challenge_weakness(self.alliance)
            + p.reactance_hazard_weight * self.resistance * t.challenge  # reactance (ODD 7.17)
        )

    def detection_chance(self, srs_alert: bool) -> float:
        """Attunement x visibility (a withdrawal is less visible, more so online) x openness; a low SRS
        adds a share of the remaining chance."""
        p, t = self.model.params, self.therapist
        if self.rupture_kind == CONFRONTATION:
            visibility = 1.0
        else:
            visibility = p.withdrawal_visibility * (p.online_visibility if self.online else 1.0)
        chance = clip(t.attunement * visibility * (1.0 + p.openness_effect * (2.0 * self.openness - 1.0)))
        return chance + p.srs_detection_boost * (1.0 - chance) if srs_alert else chance

    def expire_rupture(self) -> None:
        """An unresolved rupture lowers the ceiling for good; a severe one in the working phase sends
        the dyad back to exploration."""
        p = self.model.params
        self.ceiling = clip(self.ceiling - p.unresolved_deficit * self.severity, 0.2, 1.0)
        self.bond, self.goal, self.task = (
            min(self.bond, self.ceiling),
            min(self.goal, self.ceiling),
            min(self.task, self.ceiling),
        )
        if self.stage == WORKING and self.severity > p.severe_rupture_threshold:
            self.stage = EXPLORATION
        self.rupture_open = self.detected = False
        self.unresolved += 1

    def symptom_change(self, alliance: float, attended: bool) -> float:
        """Latent well-being after the week: an attended session closes a share of the gap to the level
        within reach, a share that decays with the sessions attended before; a harmful one (a negative
        share, on a very weak alliance) takes that share of well-being's distance to the floor (0)
        instead; every week adds noise."""
        p, t = self.model.params, self.therapist
        change = 0.0
        if attended:
            stage_factor = (p.engagement_change_factor, p.exploration_change_factor, 1.0, p.resolution_change_factor)[
                self.stage
            ]
            productive = self.stage == WORKING and alliance >= p.challenge_alliance_threshold
            challenge_factor = 1.0 + p.challenge_gain * t.challenge if productive else 1.0
            skill_factor = max(1.0 + p.skill_effect * (t.skill - 0.5), 0.0)  # no skill: no change
            rate = (
                p.change_rate
                * stage_factor
                * challenge_factor
                * math.exp(p.reactance_change_weight * t.challenge * (p.reactance_pivot - self.resistance))  # 7.17
                * skill_factor
                * math.exp(-p.dose_decay * self.sessions_attended)
                * (1.0 + p.alliance_effect * (alliance - 0.5))
                * t.rate_factor
            )
            rate = min(max(rate, -p.change_rate), 1.0)  # a very weak alliance can harm
            reach = clip(1.0 + p.alliance_level_effect * (alliance - p.full_reach_alliance))
            within_reach = self.intake + reach * (self.attainable - self.intake) - self.setback
            change = rate * (within_reach - self.wellbeing if rate >= 0.0 else self.wellbeing)
        return clip(self.wellbeing + change + p.symptom_noise_sd * self.model.random.gauss(), 0.0, ORS_MAX)

    def dropout_chance(self, alliance: float, attended: bool, session: int, shift: float = 0.0) -> float:
        """Weak alliance, open or unresolved ruptures, a missed session, the first three sessions, low
        motivation and latent well-being below intake (``dropout_wellbeing_weight``) raise the hazard of
        dropping out (``shift``: log-odds a family's split adds)."""
        p = self.model.params
        return logistic(
            shift
            - p.feedback_retention * self.acted  # 7.18: attending to motivation and support
            + p.dropout_base_logit
            + p.dropout_alliance_weight * (0.5 - alliance)
            + p.dropout_rupture_weight * (self.rupture_open + self.unresolved)
            + p.dropout_missed_weight * (not attended)
            + p.dropout_early_weight * (session <= EARLY_DROPOUT_SESSIONS)
            + p.dropout_motivation_weight * (0.5 - self.motivation)
            + p.dropout_wellbeing_weight * (self.intake - self.wellbeing) / 10.0
        )

    def dropout_reason(self, alliance: float, attended: bool, session: int) -> int:
        """The first cause of dropout that occurs this session, or NOT_DROPPED."""
        p, draw = self.model.params, self.model.random
        if draw.random() < self.dropout_chance(alliance, attended, session):
            return DISENGAGED
        if draw.random() < p.practical_dropout_hazard:
            return PRACTICAL
        if self.wellbeing - self.intake >= RELIABLE_CHANGE and draw.random() < p.improved_exit_hazard:
            return IMPROVED
        return NOT_DROPPED

    # --- the client's row of the clients table ----------------------------------------------------

    def summary(self) -> dict:
        """Course figures with the timing definitions of docs/ODD.md."""
        columns = {name: position for position, name in enumerate(RECORDED_SESSION_COLUMNS)}
        attended = [row for row in self.history if row[columns["attended"]]]
        first, last = ALLIANCE_EARLY_SESSIONS
        early = [row[columns["alliance"]] for row in attended if first <= row[columns["session"]] <= last]
        return {
            "client_id": self.index + 1,
            "therapist_id": self.therapist.index + 1,
            "attachment": self.attachment,
            "culture": int(self.minority),
            "modality": int(self.online),
            "cultural_mismatch": self.mismatch,
            **{name: getattr(self, name) for name in CLIENT_TRAITS},
            "fit": self.fit,
            "wellbeing_intake": self.intake,
            "wellbeing_attainable": self.attainable,
            "wellbeing_final": self.wellbeing,
            "ors_intake": self.history[0][columns["ors"]],
            "ors_final": attended[-1][columns["ors"]],
            "sessions_scheduled": len(self.history),
            "sessions_attended": len(attended),
            "final_stage": self.stage,
            "dropped_out": self.dropped_out,
            "dropout_cause": self.dropout_cause,
            "ruptures": self.ruptures,
            "ruptures_resolved": self.resolved,
            "ruptures_unresolved": self.unresolved + self.rupture_open,  # one still open at the end counts
            "alliance_early": sum(early) / len(early) if early else math.nan,
        }


class ReferenceModel(mesa.Model):
    """Individual therapy for ``n_clients`` clients, ``params.clients_per_therapist`` per therapist;
    one step is one weekly session of every client still in therapy.

    Args:
        params: model parameters (defaults: the calibrated general-outpatient cohort).
        n_clients: cohort size.
        seed: an int; seeds Mesa's generators, from which every draw comes.
    """

    def __init__(self, params: Params | None = None, n_clients: int = 200, seed: int = 0) -> None:
        super().__init__(rng=seed)
        self.params = params or Params()
        self.seed = seed
        self.session = 0
        caseload = self.params.clients_per_therapist
        self.therapists = [ReferenceTherapist(self, index) for index in range(-(-n_clients // caseload))]
        for index in range(n_clients):
            ReferenceClient(self, index, self.therapists[index // caseload])
        self.finished: list[ReferenceClient] = []

    def step(self) -> None:
        """One session for every client still in therapy, in random order."""
        self.session += 1
        self.agents_by_type[ReferenceClient].shuffle_do("step")
        self.running = len(self.agents_by_type[ReferenceClient]) > 0

    def finish(self, client: ReferenceClient) -> None:
        """A course has ended: keep the client's record and take the agent out of the model."""
        self.finished.append(client)
        client.remove()

    def record_signals(self, sessions: pd.DataFrame, table: pd.DataFrame) -> None:
        """The monitoring columns: the signals by the package's rule (simulation.monitoring.record, a
        measurement of the sessions table), the sessions acted on and added as each client counted them."""
        row_of = sessions["client_id"].to_numpy() - 1
        session_signals, client_signals = monitoring_record.signal_columns(
            row_of,
            sessions["session"].to_numpy(),
            sessions["ors"].to_numpy(dtype=float, na_value=np.nan),
            sessions["attended"].to_numpy(dtype=bool),
            table["ors_intake"].to_numpy(dtype=float, na_value=np.nan),
            np.full(len(table), self.params.monitoring_margin),
        )
        for name, values in session_signals.items():
            sessions[name] = values
        for name, values in client_signals.items():
            table[name] = values
        clients = sorted(self.finished, key=lambda client: client.index)
        table["feedback_sessions"] = np.array([client.feedback_sessions for client in clients], dtype=np.int16)
        table["sessions_added"] = np.array([client.extension for client in clients], dtype=np.int16)

    def tables(self) -> Tables:
        """Sessions, clients and therapists tables with the columns and types of simulation.tables."""
        if self.running:
            raise RuntimeError("the cohort is still in therapy: run the model to the end first (run_model())")
        clients = sorted(self.finished, key=lambda client: client.index)
        rows = [row for client in clients for row in client.history]
        sessions = pd.DataFrame(rows, columns=list(RECORDED_SESSION_COLUMNS))
        sessions = sessions.astype(
            {
                "client_id": np.int64,
                "therapist_id": np.int32,
                "session": np.int16,
                **{
                    name: np.float32 for name in ("bond", "goal", "task", "alliance", "alliance_therapist", "wellbeing")
                },
            }
        )
        sessions["stage"] = pd.Categorical.from_codes(sessions["stage"], categories=list(STAGES))
        sessions["rupture_kind"] = pd.Categorical.from_codes(sessions["rupture_kind"], categories=list(RUPTURE_KINDS))
        sessions["ors"], sessions["srs"] = sessions["ors"].astype("Int8"), sessions["srs"].astype("Int8")

        table = pd.DataFrame([client.summary() for client in clients])
        table["change"] = table["ors_final"] - table["ors_intake"]
        table["outcome"] = pd.Categorical.from_codes(
            measures.classify_outcomes(
                table["ors_intake"].to_numpy(float),
                table["ors_final"].to_numpy(float),
                table["dropped_out"].to_numpy(bool),
            ),
            categories=list(measures.OUTCOMES),
        )
        table = table.astype(
            {
                "client_id": np.int64,
                "therapist_id": np.int32,
                "ors_intake": "Int8",
                "ors_final": "Int8",
                **{
                    name: np.int16
                    for name in (
                        "sessions_scheduled",
                        "sessions_attended",
                        "ruptures",
                        "ruptures_resolved",
                        "ruptures_unresolved",
                    )
                },
            }
        )
        for name, categories in (
            ("attachment", ATTACHMENT_STYLES),
            ("culture", ("majority", "minority")),
            ("modality", ("in_person", "online")),
            ("final_stage", STAGES),
            ("dropout_cause", DROPOUT_CAUSES),
        ):
            table[name] = pd.Categorical.from_codes(table[name], categories=list(categories))
        order = [
            "client_id",
            "therapist_id",
            "attachment",
            "culture",
            "modality",
            "cultural_mismatch",
            *CLIENT_TRAITS,
            "fit",
            "wellbeing_intake",
            "wellbeing_attainable",
            "wellbeing_final",
            "ors_intake",
            "ors_final",
            "change",
            "sessions_scheduled",
            "sessions_attended",
            "final_stage",
            "dropped_out",
            "dropout_cause",
            "ruptures",
            "ruptures_resolved",
            "ruptures_unresolved",
            "alliance_early",
            "outcome",
            *monitoring_record.CLIENT_COLUMNS,
        ]
        self.record_signals(sessions, table)

        therapists = pd.DataFrame(
            [
                {
                    "therapist_id": np.int32(therapist.index + 1),
                    **{name: getattr(therapist, name) for name in (*THERAPIST_TRAITS, "bias", "style", "minority")},
                    "clients": therapist.clients,
                }
                for therapist in self.therapists
            ]
        )
        return Tables(sessions, table[order], therapists, run_table([Run(self.params, len(clients), self.seed)]))


def simulate(params: Params | None, n_clients: int, seed: int) -> Tables:
    """Run the reference cohort to the end and return its tables (cf. simulation.tables.simulate)."""
    model = ReferenceModel(params, n_clients, seed)
    model.run_model()
    return model.tables()


# --- the family format (simulation/formats/family.py), per agent ----------------------------------

PARTNER, PARENT, ADOLESCENT, SIBLING = "partner", "parent", "adolescent", "sibling"


class ReferenceMember(ReferenceClient):
    """A family member: a client whose course follows their family (roles, the shared alliance, the
    split, the therapist's siding, one ending for the whole family)."""

    def __init__(self, model: ReferenceFamilyModel, index: int, family: ReferenceFamily, role: str) -> None:
        self.family, self.role = family, role
        super().__init__(model, index, family.therapist)

    def draw_traits(self) -> None:
        """The client's traits, then the role's shift of motivation and resistance."""
        super().draw_traits()
        p = self.model.params
        if self.role == PARENT:
            self.motivation = clip(self.motivation + p.parent_motivation_shift)
        if self.role == ADOLESCENT:
            self.motivation = clip(self.motivation + p.adolescent_motivation_shift)
            self.resistance = clip(self.resistance + p.adolescent_resistance_shift)

    def acted_on(self, alliance: float) -> float:
        """The blend of the member's own alliance with the family's shared alliance."""
        weight = self.model.params.shared_alliance_weight
        return (1.0 - weight) * alliance + weight * self.family.shared

    def after_growth(self) -> None:
        """Siding: the sided member's bond closes a share of its gap to 1, the others lose that share."""
        p = self.model.params
        if len(self.family.members) < 2:
            return
        share = (1.0 - p.therapist_neutrality) * p.siding_effect
        self.bond = clip(
            self.bond + share * (1.0 - self.bond) if self is self.family.sided else self.bond - share * self.bond
        )

    def end_or_not(self, planned_end: bool, alliance: float, attended: bool, session: int) -> bool:
        """The family decides after every member's session (ReferenceFamily.end_session)."""
        self.planned_end = planned_end
        self.disengage_chance = self.dropout_chance(
            self.acted_on(alliance), attended, session, self.model.params.split_dropout_weight * self.family.split
        )
        return False


class ReferenceFamily(mesa.Agent):
    """A family in therapy with one therapist: its members, its shared alliance and split (set before
    each session from the members' alliances), and the ending it decides for all of them."""

    def __init__(self, model: ReferenceFamilyModel, index: int, therapist: ReferenceTherapist) -> None:
        super().__init__(model)
        self.index, self.therapist = index, therapist
        self.members: list[ReferenceMember] = []
        self.sided: ReferenceMember | None = None
        self.shared = self.split = 0.0

    def start_session(self) -> None:
        """Shared alliance and split from the members' alliances before the session."""
        alliances = [member.alliance for member in self.members]
        self.split = max(alliances) - min(alliances) if len(alliances) > 1 else 0.0
        self.shared = clip(sum(alliances) / len(alliances) * (1.0 - self.split))

    def end_session(self) -> None:
        """The family ends when every member's course would end as planned, or drops out when one draw
        per cause falls under the hazard of its most disengaged member."""
        p, draw = self.model.params, self.model.random
        if all(member.planned_end for member in self.members):
            cause = None
        elif draw.random() < max(member.disengage_chance for member in self.members):
            cause = DISENGAGED
        elif draw.random() < p.practical_dropout_hazard:
            cause = PRACTICAL
        elif draw.random() < p.improved_exit_hazard and any(
            member.wellbeing - member.intake >= RELIABLE_CHANGE for member in self.members
        ):
            cause = IMPROVED
        else:
            return
        for member in list(self.members):
            if cause is not None:
                member.dropped_out, member.dropout_cause = True, cause
            self.model.finish(member)
        self.remove()


class ReferenceFamilyModel(ReferenceModel):
    """Family therapy for ``n_clients`` members, ``params.family_size`` per family (the last family may
    be smaller); a therapist sees ``clients_per_therapist // family_size`` families (at least one).
    One step is one weekly session: each family sets its shared alliance and split, its members have
    their session in random order, then each family decides its ending."""

    def __init__(self, params: Params | None = None, n_clients: int = 200, seed: int = 0) -> None:
        mesa.Model.__init__(self, rng=seed)
        self.params = params or Params()
        self.seed, self.session = seed, 0
        size = self.params.family_size
        per_therapist = max(1, self.params.clients_per_therapist // size)
        n_families = -(-n_clients // size)
        self.therapists = [ReferenceTherapist(self, index) for index in range(-(-n_families // per_therapist))]
        for family_index in range(n_families):
            family = ReferenceFamily(self, family_index, self.therapists[family_index // per_therapist])
            members = range(family_index * size, min((family_index + 1) * size, n_clients))
            for place, index in enumerate(members):  # a smaller last family takes the first places
                role = PARTNER if size == 2 else (PARENT, ADOLESCENT, PARENT, SIBLING, SIBLING)[place]
                family.members.append(ReferenceMember(self, index, family, role))
            if len(family.members) > 1:
                family.sided = family.members[int(self.random.random() * len(family.members))]
        self.finished = []

    def step(self) -> None:
        self.session += 1
        self.agents_by_type[ReferenceFamily].do("start_session")
        self.agents_by_type[ReferenceMember].shuffle_do("step")
        self.agents_by_type[ReferenceFamily].do("end_session")
        self.running = len(self.agents_by_type[ReferenceMember]) > 0

    def tables(self) -> Tables:
        """The individual tables of the members, with their family's ``unit_id`` and their ``role``."""
        tables = super().tables()
        members = {member.index + 1: member for member in self.finished}
        clients = tables.clients.assign(
            unit_id=[members[client].family.index + 1 for client in tables.clients["client_id"]],
            role=[members[client].role for client in tables.clients["client_id"]],
        )
        return Tables(tables.sessions, clients, tables.therapists, tables.runs)


def simulate_family(params: Params | None, n_clients: int, seed: int) -> Tables:
    """Run the reference family cohort to the end and return its tables."""
    model = ReferenceFamilyModel(params, n_clients, seed)
    model.run_model()
    return model.tables()
