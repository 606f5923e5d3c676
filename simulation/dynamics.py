"""The session update: pure array functions over all client-therapist relations at once.

One row is one relation (in the individual format: one client with their therapist). Rows of
several independent runs can be stacked; parameters are then per-row arrays instead of scalars.
Every function here is written against an array namespace ``xp`` (numpy, CuPy, array-api-strict)
and imports no Mesa, pandas or I/O. Nothing here writes into its inputs: each function returns new
arrays (numpy allocates the results of elementwise operations anyway).

Submodels (docs/ODD.md names them): :func:`draw_clients` and :func:`draw_therapists`
(initialisation), :func:`attendance`, :func:`next_stage`, :func:`grow_alliance`,
:func:`reactance_change_factor` and :func:`reactance_hazard` (reactance), :func:`rupture_onset`,
:func:`srs_total`, :func:`detection`, :func:`repair`, :func:`v_shape`,
:func:`life_event_loss`, :func:`symptom_change`, :func:`dropout_chance` and :func:`dropout_cause`,
composed by :func:`step_session`, which also holds the short steps of expiry and endings inline.
The group and family formats (simulation.formats) add to a session through a :class:`Context`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from simulation.backend import Array, Draws
from simulation.figures.windows import EARLY_DROPOUT_SESSIONS

ORS_MAX = 40.0
SRS_MAX = 40.0
RELIABLE_CHANGE = 5.0  # ORS points (Miller et al. 2003; Duncan et al. 2003)
REPAIR_STEPS = 5  # acknowledge, clarify, take responsibility, rebuild, monitor

# stages, attachment styles and rupture kinds as small integer codes
ENGAGEMENT, EXPLORATION, WORKING, RESOLUTION = 0, 1, 2, 3
STAGES = ("engagement", "exploration", "working", "resolution")
SECURE, ANXIOUS, AVOIDANT = 0, 1, 2
ATTACHMENT_STYLES = ("secure", "anxious", "avoidant")
NO_RUPTURE, WITHDRAWAL, CONFRONTATION = 0, 1, 2
RUPTURE_KINDS = ("none", "withdrawal", "confrontation")
# why a course ended early: disengaged (the alliance-driven hazard), practical (outside therapy),
# improved (stopped after feeling better); "none" for a course that did not end by dropout
NOT_DROPPED, DISENGAGED, PRACTICAL, IMPROVED = 0, 1, 2, 3
DROPOUT_CAUSES = ("none", "disengaged", "practical", "improved")

CLIENT_TRAITS = ("motivation", "resistance", "transference", "expectancy", "openness")
THERAPIST_TRAITS = (
    "empathy",
    "congruence",
    "regard",
    "collaboration",
    "skill",
    "attunement",
    "repair_skill",
    "defensiveness",
    "cultural_sensitivity",
    "feedback_use",
    "pitfalls",
    "challenge",
)


def logistic(xp: Any, log_odds: Array) -> Array:
    """The logistic function, 1 / (1 + exp(-x))."""
    return 1.0 / (1.0 + xp.exp(-log_odds))


def as_float(xp: Any, flags: Array) -> Array:
    """Booleans as 0.0 / 1.0."""
    return xp.astype(flags, xp.float64)


def unit_clip(xp: Any, values: Array) -> Array:
    """Clip to [0, 1]."""
    return xp.clip(values, 0.0, 1.0)


def select(xp: Any, condition: Array, chosen: Array | float, otherwise: Array | float) -> Array:
    """``where`` that also takes two scalars (parameters are scalars in a single run)."""
    if isinstance(chosen, (int, float)) and isinstance(otherwise, (int, float)):
        chosen = xp.full(condition.shape, float(chosen))
    return xp.where(condition, chosen, otherwise)


# --- initialisation --------------------------------------------------------------------------


def draw_therapists(xp: Any, p: Any, draws: Draws) -> dict[str, Array]:
    """Therapist traits, one row per therapist key: each trait is clip(mean + sd * z, 0, 1).

    Called with therapist keys for the therapist table, and with each client row's therapist key for
    the relations: both give the same numbers, so no gather is needed.
    """
    normals = draws.sample_all("therapist_traits")
    traits = {
        name: unit_clip(xp, getattr(p, f"{name}_mean") + p.therapist_trait_sd * z)
        for name, z in zip(THERAPIST_TRAITS, normals, strict=True)
    }
    bias_z, style_u, culture_u = draws.sample(("therapist_bias", "therapist_style", "therapist_culture"))
    traits["bias"] = xp.clip(p.bias_mean + p.therapist_trait_sd * bias_z, -1.0, 1.0)
    traits["style"] = style_u
    traits["minority"] = culture_u < p.share_minority_therapists
    return traits


def draw_clients(xp: Any, p: Any, draws: Draws) -> dict[str, Array]:
    """Client traits: attachment style, culture, modality, intake level and continuous traits."""
    attachment_u, culture_u, modality_u, style_u, intake_z = draws.sample(
        ("attachment", "culture", "modality", "client_style", "intake")
    )
    anxious = attachment_u < p.share_anxious
    avoidant = ~anxious & (attachment_u < p.share_anxious + p.share_avoidant)
    attachment = xp.where(anxious, ANXIOUS, xp.where(avoidant, AVOIDANT, xp.zeros_like(attachment_u, dtype=xp.int8)))
    traits: dict[str, Array] = {
        "attachment": xp.astype(attachment, xp.int8),
        "minority": culture_u < p.share_minority_clients,
        "online": modality_u < p.share_online,
        "intake": xp.clip(p.intake_ors_mean + p.intake_ors_sd * intake_z, 0.0, ORS_MAX),
        "style": style_u,
    }
    for name, z in zip(CLIENT_TRAITS, draws.sample_all("client_traits"), strict=True):
        traits[name] = unit_clip(xp, getattr(p, f"{name}_mean") + p.client_trait_sd * z)
    return traits


@dataclass(frozen=True)
class Traits:
    """Fixed per-relation quantities: the client's traits, their therapist's, and the pair's fit."""

    attachment: Array
    minority: Array  # the client is of a minority cultural background
    online: Array
    mismatch: Array  # client and therapist of different cultural backgrounds
    intake: Array  # latent well-being at intake (ORS points)
    attainable: Array  # level the client can reach (ORS points)
    fit: Array  # 0-1: style convergence, bridged culture
    motivation: Array
    resistance: Array
    transference: Array
    expectancy: Array
    openness: Array
    empathy: Array
    congruence: Array
    regard: Array
    collaboration: Array
    skill: Array
    attunement: Array
    repair_skill: Array
    defensiveness: Array
    cultural_sensitivity: Array
    feedback_use: Array
    pitfalls: Array
    challenge: Array
    bias: Array


def relation_traits(xp: Any, p: Any, client: dict[str, Array], therapist: dict[str, Array]) -> Traits:
    """Combine a client's and their therapist's traits into the relation's fixed quantities."""
    mismatch = client["minority"] != therapist["minority"]
    bridged = 1.0 - as_float(xp, mismatch) * (1.0 - therapist["cultural_sensitivity"])
    fit = (1.0 - xp.abs(client["style"] - therapist["style"])) * (0.5 + 0.5 * bridged)
    readiness = 0.5 + 0.5 * (client["motivation"] + client["expectancy"])
    attainable = xp.clip(
        client["intake"] + p.recovery_potential * readiness * (ORS_MAX - client["intake"]), 0.0, ORS_MAX
    )
    return Traits(
        attachment=client["attachment"],
        minority=client["minority"],
        online=client["online"],
        mismatch=mismatch,
        intake=client["intake"],
        attainable=attainable,
        fit=fit,
        **{name: client[name] for name in CLIENT_TRAITS},
        **{name: therapist[name] for name in THERAPIST_TRAITS},
        bias=therapist["bias"],
    )


@dataclass(frozen=True)
class State:
    """Per-relation state after the last simulated session (the client's own view of the alliance)."""

    bond: Array
    goal: Array
    task: Array
    ceiling: Array  # 1 minus the lasting deficit of unresolved ruptures
    stage: Array  # int8 code, see STAGES
    wellbeing: Array  # latent ORS level, 0-40
    setback: Array  # ORS points of lasting harm (life events, unresolved ruptures): lowers the level within reach
    active: Array  # the course is still running
    dropped_out: Array
    dropout_cause: Array  # int8 code, see DROPOUT_CAUSES
    rupture_open: Array
    rupture_kind: Array  # int8 code of the open (or last) rupture
    severity: Array
    rupture_age: Array  # sessions since the open rupture began
    detected: Array
    repair_step: Array  # repair steps completed on the open rupture (0-5)
    pre_bond: Array  # components just before the open rupture (for the V shape)
    pre_goal: Array
    pre_task: Array
    attended: Array  # sessions attended so far
    ruptures: Array  # counts over the course
    resolved: Array
    unresolved: Array
    resolution_attended: Array


def initial_state(xp: Any, p: Any, traits: Traits) -> State:
    """State at intake: bond from expectancy and attachment; low goal and task agreement.

    Every field is an array of its own, so that writing into one (an edit through a Mesa view)
    cannot change another.
    """

    def fresh(dtype: Any, fill: bool | int | float = 0) -> Array:
        return xp.full_like(traits.intake, fill, dtype=dtype)

    secure = as_float(xp, traits.attachment == SECURE)
    return State(
        bond=unit_clip(xp, p.initial_bond * (0.75 + 0.5 * traits.expectancy) * (0.85 + 0.15 * secure)),
        goal=fresh(xp.float64) + p.initial_agreement,
        task=fresh(xp.float64) + p.initial_agreement,
        ceiling=fresh(xp.float64, 1.0),
        stage=fresh(xp.int8, ENGAGEMENT),
        wellbeing=xp.asarray(traits.intake, copy=True),
        setback=fresh(xp.float64),
        active=fresh(xp.bool, True),
        dropped_out=fresh(xp.bool, False),
        dropout_cause=fresh(xp.int8, NOT_DROPPED),
        rupture_open=fresh(xp.bool, False),
        rupture_kind=fresh(xp.int8, NO_RUPTURE),
        severity=fresh(xp.float64),
        rupture_age=fresh(xp.int16),
        detected=fresh(xp.bool, False),
        repair_step=fresh(xp.int16),
        pre_bond=fresh(xp.float64),
        pre_goal=fresh(xp.float64),
        pre_task=fresh(xp.float64),
        attended=fresh(xp.int16),
        ruptures=fresh(xp.int16),
        resolved=fresh(xp.int16),
        unresolved=fresh(xp.int16),
        resolution_attended=fresh(xp.int16),
    )


# --- submodels -------------------------------------------------------------------------------


def composite(xp: Any, p: Any, bond: Array, goal: Array, task: Array) -> Array:
    """The composite alliance: the weighted mean of bond, goal and task (weights normalised)."""
    total = p.bond_weight + p.goal_weight + p.task_weight
    return (p.bond_weight * bond + p.goal_weight * goal + p.task_weight * task) / total


def attendance(xp: Any, p: Any, t: Traits, s: State, alliance: Array, u: Array) -> Array:
    """Whether each client attends: missing is likelier with a weak alliance, low motivation and an
    open withdrawal rupture."""
    withdrawn = as_float(xp, s.rupture_open & (s.rupture_kind == WITHDRAWAL))
    log_odds = (
        p.miss_base_logit
        + p.miss_alliance_weight * (0.5 - alliance)
        + p.miss_motivation_weight * (0.5 - t.motivation)
        + p.miss_withdrawal_weight * withdrawn
    )
    return s.active & (u >= logistic(xp, log_odds))


def goals_met(t: Traits, wellbeing: Array, p: Any) -> Array:
    """The client has gained the goal fraction of their attainable gain."""
    return (wellbeing - t.intake) >= p.goal_fraction * (t.attainable - t.intake)


def next_stage(xp: Any, p: Any, t: Traits, s: State, session: int, attended: Array) -> Array:
    """Stage at the start of an attended session, entered by state: one step forward at most, except
    that any stage moves to resolution when the planned course is nearly done."""
    stage = s.stage
    to_exploration = (stage == ENGAGEMENT) & (s.bond >= p.bond_threshold)
    to_working = (stage == EXPLORATION) & (s.goal >= p.agreement_threshold) & (s.task >= p.agreement_threshold)
    nearly_done = (session + p.resolution_sessions) > p.course_length
    to_resolution = ((stage == WORKING) & goals_met(t, s.wellbeing, p)) | ((stage < RESOLUTION) & nearly_done)
    moved = xp.where(
        to_resolution, RESOLUTION, xp.where(to_working, WORKING, xp.where(to_exploration, EXPLORATION, stage))
    )
    return xp.where(attended, xp.astype(moved, xp.int8), stage)


def grow_alliance(xp: Any, p: Any, t: Traits, s: State, attended: Array) -> tuple[Array, Array, Array]:
    """Bond grows with the therapist's warmth (Rogers), fit and attachment; goal and task agreement
    grow with collaboration and skill, gated by bond. Each closes a share of its gap to the ceiling."""
    attachment_factor = xp.where(
        t.attachment == ANXIOUS,
        p.anxious_bond_factor,
        select(xp, t.attachment == AVOIDANT, p.avoidant_bond_factor, 1.0),
    )
    warmth = (t.empathy + t.congruence + t.regard) / 3.0
    bond_rate = (
        p.bond_growth_rate
        * warmth
        * attachment_factor
        * (1.0 + p.fit_effect * (t.fit - 0.5))
        * (1.0 - p.resistance_effect * t.resistance)
    )
    on = as_float(xp, attended)
    bond = s.bond + on * unit_clip(xp, bond_rate) * (s.ceiling - s.bond)
    goal = s.goal + on * unit_clip(xp, p.goal_growth_rate * t.collaboration * s.bond) * (s.ceiling - s.goal)
    task = s.task + on * unit_clip(xp, p.task_growth_rate * t.skill * s.bond) * (s.ceiling - s.task)
    return unit_clip(xp, bond), unit_clip(xp, goal), unit_clip(xp, task)


def challenge_weakness(xp: Any, p: Any, alliance: Array) -> Array:
    """How far the alliance is under the level where challenge becomes productive (0-1)."""
    return unit_clip(xp, (p.challenge_alliance_threshold - alliance) / (p.challenge_alliance_threshold + 1e-9))


def reactance_change_factor(xp: Any, p: Any, t: Traits) -> Array:
    """Reactance (Beutler et al. 2018): how a client's resistance meets the therapist's directiveness
    (challenge), as a factor on the symptom-change rate. Above ``reactance_pivot`` resistance, challenge
    slows change (a reactant client resists direction); below it, challenge speeds change; 1 for a
    nondirective therapist. Log-linear, so always positive (reactance slows change; harm comes from the
    alliance)."""
    return xp.exp(p.reactance_change_weight * t.challenge * (p.reactance_pivot - t.resistance))


def reactance_hazard(xp: Any, p: Any, t: Traits) -> Array:
    """Reactance's log-odds on the rupture hazard: challenge on a resistant client provokes ruptures,
    whatever the alliance (``reactance_hazard_weight`` per unit of resistance x challenge)."""
    return p.reactance_hazard_weight * t.resistance * t.challenge


def rupture_hazard(xp: Any, p: Any, t: Traits, stage: Array, goal: Array, task: Array, alliance: Array) -> Array:
    """Per-session rupture probability from the risk factors of DESIGN.md section 2."""
    log_odds = (
        p.rupture_base_logit
        + p.misattunement_weight * (1.0 - t.attunement)
        + p.insecure_attachment_weight * as_float(xp, t.attachment != SECURE)
        + p.transference_weight * t.transference
        + p.countertransference_weight * t.defensiveness
        + p.low_agreement_weight * (1.0 - 0.5 * (goal + task))
        + p.cultural_mismatch_weight * as_float(xp, t.mismatch) * (1.0 - t.cultural_sensitivity)
        + p.early_stage_weight * as_float(xp, stage <= EXPLORATION)
        + p.pitfalls_weight * t.pitfalls
        + p.poor_fit_weight * (1.0 - t.fit)
        + p.challenge_hazard_weight * t.challenge * challenge_weakness(xp, p, alliance)
        + reactance_hazard(xp, p, t)
    )
    return logistic(xp, log_odds)


def rupture_onset(
    xp: Any,
    p: Any,
    t: Traits,
    stage: Array,
    bond: Array,
    goal: Array,
    task: Array,
    alliance: Array,
    eligible: Array,
    draws: tuple[Array, Array, Array],
) -> tuple[Array, Array, Array]:
    """Which relations rupture this session, the kind (withdrawal or confrontation) and severity.

    Severity is uniform on [0.25, 1.75] x ``severity_mean``. Anxious clients confront more, avoidant
    clients withdraw more, and challenge on a weak alliance provokes confrontation.
    """
    occur_u, kind_u, severity_u = draws
    occurs = eligible & (occur_u < rupture_hazard(xp, p, t, stage, goal, task, alliance))
    shift = p.attachment_kind_shift * (as_float(xp, t.attachment == ANXIOUS) - as_float(xp, t.attachment == AVOIDANT))
    confrontation_share = unit_clip(
        xp, p.confrontation_share + shift + t.challenge * challenge_weakness(xp, p, alliance)
    )
    kind = select(xp, kind_u < confrontation_share, CONFRONTATION, WITHDRAWAL)
    severity = p.severity_mean * (0.25 + 1.5 * severity_u)
    return occurs, xp.astype(kind, xp.int8), severity


def srs_total(xp: Any, p: Any, alliance: Array, z: Array) -> Array:
    """The client's SRS total (0-40, whole points): lenient, so it sits near its ceiling."""
    return xp.clip(xp.round(SRS_MAX * (alliance + p.srs_leniency) + p.srs_noise_sd * z), 0.0, SRS_MAX)


def detection(xp: Any, p: Any, t: Traits, kind: Array, srs_alert: Array, u: Array) -> Array:
    """Whether the therapist notices an open rupture this session.

    Chance = attunement x visibility (withdrawal less visible, more so online) x the client's
    openness; a low SRS that the therapist looks at adds a share of the remaining chance.
    """
    withdrawal_visibility = p.withdrawal_visibility * select(xp, t.online, p.online_visibility, 1.0)
    visibility = xp.where(kind == CONFRONTATION, 1.0, withdrawal_visibility)
    chance = unit_clip(xp, t.attunement * visibility * (1.0 + p.openness_effect * (2.0 * t.openness - 1.0)))
    chance = xp.where(srs_alert, chance + p.srs_detection_boost * (1.0 - chance), chance)
    return u < chance


def repair_step_chance(xp: Any, p: Any, t: Traits) -> Array:
    """Chance that one repair step succeeds: repair skill against defensiveness."""
    log_odds = p.repair_base_logit + p.repair_skill_effect * (t.repair_skill - t.defensiveness)
    return xp.clip(logistic(xp, log_odds), 1e-9, 1.0 - 1e-9)


def repair(xp: Any, p: Any, t: Traits, step: Array, repairing: Array, u: Array) -> Array:
    """Advance the five-step repair: the steps are tried in order until one fails (it is tried again
    next session). The count of successes before the first failure is geometric, so one uniform
    gives it exactly: floor(log u / log chance)."""
    successes = xp.floor(xp.log(u) / xp.log(repair_step_chance(xp, p, t)))
    advanced = xp.minimum(xp.astype(step, xp.float64) + successes, float(REPAIR_STEPS))
    return xp.where(repairing, xp.astype(advanced, xp.int16), step)


def v_shape(xp: Any, p: Any, current: Array, before: Array, severity: Array, resolved: Array) -> Array:
    """A resolved rupture leaves a component above its pre-rupture level (by repair_gain severities)."""
    rebuilt = unit_clip(xp, xp.maximum(current, before) + p.repair_gain * severity)
    return xp.where(resolved, rebuilt, current)


def symptom_change(
    xp: Any,
    p: Any,
    t: Traits,
    stage: Array,
    wellbeing: Array,
    setback: Array,
    alliance: Array,
    attended: Array,
    dose: Array,
    z: Array,
) -> Array:
    """Latent well-being after the session: an attended session closes a share (the rate) of the gap
    to the level within reach (negatively accelerated dose-response), scaled by stage, alliance, skill
    and productive challenge, and decaying with the sessions already attended (``dose``; Howard et al.
    1986: early sessions help most); every week adds noise. The alliance also sets how much of the attainable
    gain is within reach: all of it at ``full_reach_alliance``, less on a weaker alliance; lasting harm
    (``setback``, ORS points) lowers the level within reach.

    A very weak alliance makes the rate negative: the session harms, and takes that share of the
    distance from well-being down to the floor (0) instead, so that harm always lowers well-being
    (a negative rate times the gap would raise a client above the level within reach) and harms
    more the weaker the alliance."""
    stage_factor = xp.where(
        stage == ENGAGEMENT,
        p.engagement_change_factor,
        xp.where(
            stage == EXPLORATION,
            p.exploration_change_factor,
            select(xp, stage == WORKING, 1.0, p.resolution_change_factor),
        ),
    )
    productive = (stage == WORKING) & (alliance >= p.challenge_alliance_threshold)
    challenge_factor = 1.0 + p.challenge_gain * t.challenge * as_float(xp, productive)
    rate = (
        p.change_rate
        * stage_factor
        * challenge_factor
        * reactance_change_factor(xp, p, t)
        * xp.maximum(1.0 + p.skill_effect * (t.skill - 0.5), 0.0)  # no skill: no change (harm comes from the alliance)
        * xp.exp(-p.dose_decay * xp.astype(dose, xp.float64))
        * (1.0 + p.alliance_effect * (alliance - 0.5))
    )
    rate = xp.minimum(xp.maximum(rate, -p.change_rate), 1.0)  # a very weak alliance can harm
    reach = unit_clip(xp, 1.0 + p.alliance_level_effect * (alliance - p.full_reach_alliance))
    within_reach = t.intake + reach * (t.attainable - t.intake) - setback
    distance = xp.where(rate >= 0.0, within_reach - wellbeing, wellbeing)  # harm: towards the floor
    change = as_float(xp, attended) * rate * distance
    return xp.clip(wellbeing + change + p.symptom_noise_sd * z, 0.0, ORS_MAX)


def dropout_chance(
    xp: Any,
    p: Any,
    t: Traits,
    s: State,
    alliance: Array,
    attended: Array,
    session: int | Array,
    shift: Array | None = None,
) -> Array:
    """Per-session dropout probability: weak alliance, open or unresolved ruptures, a missed session,
    the first three sessions and low motivation raise it. ``session`` is the client's own session
    number (an array where members started at different sessions); ``shift`` adds a format's log-odds
    (the family's split; None in the individual format)."""
    ruptures = as_float(xp, s.rupture_open) + xp.astype(s.unresolved, xp.float64)
    early = session <= EARLY_DROPOUT_SESSIONS
    log_odds = (
        p.dropout_base_logit
        + p.dropout_alliance_weight * (0.5 - alliance)
        + p.dropout_rupture_weight * ruptures
        + p.dropout_missed_weight * as_float(xp, ~attended)
        + p.dropout_early_weight * (float(early) if isinstance(early, bool) else as_float(xp, early))
        + p.dropout_motivation_weight * (0.5 - t.motivation)
    )
    return logistic(xp, log_odds if shift is None else log_odds + shift)


def life_event_loss(xp: Any, p: Any, occurs_u: Array, size_u: Array) -> Array:
    """Well-being lost to a life event this week (ORS points): with chance ``life_event_rate`` an
    exponentially distributed drop of mean ``life_event_impact``, else 0."""
    return xp.where(occurs_u < p.life_event_rate, -p.life_event_impact * xp.log(size_u), 0.0)


def dropout_cause(
    xp: Any,
    p: Any,
    t: Traits,
    s: State,
    alliance: Array,
    attended: Array,
    session: int | Array,
    u: tuple[Array, Array, Array],
    shift: Array | None = None,
) -> Array:
    """Competing reasons to end the course early this session, each with its own draw; the code of the
    first that applies (DROPOUT_CAUSES), NOT_DROPPED if none: disengagement (:func:`dropout_chance`),
    practical reasons outside therapy (``practical_dropout_hazard``, whatever the alliance), and
    stopping after feeling reliably better (``improved_exit_hazard``, once the latent gain is 5 ORS
    points or more: many clients who stop unannounced have improved)."""
    disengaged_u, practical_u, improved_u = u
    feels_better = (s.wellbeing - t.intake) >= RELIABLE_CHANGE
    disengaged = disengaged_u < dropout_chance(xp, p, t, s, alliance, attended, session, shift)
    practical = practical_u < p.practical_dropout_hazard
    improved = feels_better & (improved_u < p.improved_exit_hazard)
    cause = xp.where(
        disengaged, DISENGAGED, xp.where(practical, PRACTICAL, select(xp, improved, IMPROVED, NOT_DROPPED))
    )
    return xp.astype(cause, xp.int8)


# --- one session -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Context:
    """What a format with several people per unit adds to one session (simulation.formats computes it
    from the state before the session); the individual format passes none, so its session update is
    the plain one.

    A member attends, stays and changes on the blend of their own alliance with the therapist and the
    unit's figure (:meth:`acted_on`). ``member_session`` is each member's own session number (1 at the
    session they joined): it drives
    what the individual format reads from the session number (the intake, stages near the course
    limit, early dropout, the planned end), while the random draws stay keyed by the unit's session.
    """

    member_session: Array
    shared_alliance: Array  # what a member acts on besides their own alliance (attendance, dropout and
    #                        symptom change): the group's cohesion, or the family's shared alliance
    shared_weight: float | Array  # its weight (the member's own alliance has the rest)
    dropout_shift: Array  # log-odds added to disengaged dropout (the family's split)
    bond_shift: Array  # signed share of the bond gap (or of the bond) gained per attended session
    ending_draws: tuple[Array, Array, Array] | None  # dropout draws shared by a unit that ends together
    end_together: Any  # None, or f(planned_end, cause, active) -> (planned_end, cause) for the whole unit

    def acted_on(self, alliance: Array) -> Array:
        """The alliance a member acts on: (1 - weight) x their own + weight x the unit's figure."""
        return (1.0 - self.shared_weight) * alliance + self.shared_weight * self.shared_alliance


@dataclass(frozen=True)
class SessionRecord:
    """What one session leaves in the sessions table, for the rows active at its start."""

    stage: Array
    attended: Array
    bond: Array
    goal: Array
    task: Array
    alliance: Array
    alliance_therapist: Array
    wellbeing: Array  # latent well-being at the start of the session (ORS points; what the ORS measures)
    rupture: Array
    rupture_kind: Array
    rupture_resolved: Array
    ors: Array  # observed ORS at the start of the session (NaN if missed)
    srs: Array  # observed SRS at its end (NaN if missed)


def step_session(
    xp: Any, p: Any, t: Traits, s: State, draws: Draws, session: int, context: Context | None = None
) -> tuple[State, SessionRecord]:
    """Simulate scheduled session ``session`` (1-based) for every row; return the new state and the
    session's record. Rows whose course has ended pass through unchanged. ``context`` carries what a
    group or family format adds (see :class:`Context`); without it this is the individual format."""
    attend_u, dropout_u, rupture_u, kind_u, severity_u, srs_used_u, detect_u, repair_u = draws.sample(
        (
            "attendance",
            "dropout",
            "rupture_onset",
            "rupture_kind",
            "rupture_severity",
            "srs_used",
            "detection",
            "repair",
        ),
        session,
    )
    symptom_z, ors_z, srs_z, view_z = draws.sample(
        ("symptom_noise", "ors_error", "srs_noise", "therapist_view_noise"), session
    )
    practical_u, improved_u, event_u, event_size_u = draws.sample(
        ("practical_dropout", "improved_exit", "life_event", "life_event_size"), session
    )

    alliance_before = composite(xp, p, s.bond, s.goal, s.task)
    if context is None:
        own_session: int | Array = session
        attended = s.active if session == 1 else attendance(xp, p, t, s, alliance_before, attend_u)
        stage = s.stage if session == 1 else next_stage(xp, p, t, s, session, attended)  # intake: engagement
    else:
        own_session = context.member_session
        intake = own_session == 1
        missing = attendance(xp, p, t, s, context.acted_on(alliance_before), attend_u)
        attended = xp.where(intake, s.active, missing)
        stage = xp.where(intake, s.stage, next_stage(xp, p, t, s, own_session, attended))
    ors = xp.where(attended, xp.clip(xp.round(s.wellbeing + p.ors_error_sd * ors_z), 0.0, ORS_MAX), xp.nan)
    bond, goal, task = grow_alliance(xp, p, t, s, attended)
    if context is not None:  # siding: the sided member's bond rises, the others' falls
        shift = as_float(xp, attended) * context.bond_shift
        bond = unit_clip(xp, bond + xp.where(shift > 0, shift * (1.0 - bond), shift * bond))
    alliance = composite(xp, p, bond, goal, task)

    # ruptures: onset drops bond by the severity, goal and task by half of it
    onset, new_kind, new_severity = rupture_onset(
        xp, p, t, stage, bond, goal, task, alliance, attended & ~s.rupture_open, (rupture_u, kind_u, severity_u)
    )
    pre_bond, pre_goal, pre_task = (
        xp.where(onset, new, old) for new, old in ((bond, s.pre_bond), (goal, s.pre_goal), (task, s.pre_task))
    )
    severity = xp.where(onset, new_severity, s.severity)
    kind = xp.where(onset, new_kind, s.rupture_kind)
    drop = as_float(xp, onset) * new_severity
    bond, goal, task = unit_clip(xp, bond - drop), unit_clip(xp, goal - 0.5 * drop), unit_clip(xp, task - 0.5 * drop)
    rupture_open = s.rupture_open | onset
    alliance = composite(xp, p, bond, goal, task)

    # the SRS at the end of the session; a low score alerts a therapist who uses it
    srs = srs_total(xp, p, alliance, srs_z)
    srs_alert = (srs_used_u < t.feedback_use) & (srs < p.srs_cutoff)
    noticing = attended & rupture_open & ~s.detected
    detected = (s.detected & ~onset) | (noticing & detection(xp, p, t, kind, srs_alert, detect_u))

    # repair: steps advance only for noticed ruptures, and only when repair is enabled
    repairing = attended & rupture_open & detected & p.repair_enabled
    step = repair(xp, p, t, xp.where(onset, xp.zeros_like(s.repair_step), s.repair_step), repairing, repair_u)
    resolved_now = repairing & (step >= REPAIR_STEPS)
    bond, goal, task = (
        v_shape(xp, p, now, before, severity, resolved_now)
        for now, before in ((bond, pre_bond), (goal, pre_goal), (task, pre_task))
    )

    # a rupture left open for repair_window sessions stays unresolved: lasting deficit, and a severe
    # one in the working phase sends the dyad back to exploration
    age = xp.where(onset, xp.ones_like(s.rupture_age), s.rupture_age + xp.astype(rupture_open & s.active, xp.int16))
    expired = rupture_open & ~resolved_now & (age >= p.repair_window)
    ceiling = xp.where(expired, xp.clip(s.ceiling - p.unresolved_deficit * severity, 0.2, 1.0), s.ceiling)
    bond, goal, task = (
        xp.where(expired, xp.minimum(component, ceiling), component) for component in (bond, goal, task)
    )
    stage = xp.where(
        expired & (stage == WORKING) & (severity > p.severe_rupture_threshold),
        xp.astype(xp.zeros_like(stage) + EXPLORATION, xp.int8),
        stage,
    )
    rupture_open = rupture_open & ~resolved_now & ~expired
    alliance = composite(xp, p, bond, goal, task)

    # lasting harm this week: an unresolved rupture, a life event (attended or not)
    harm = xp.where(expired, p.rupture_harm * severity, 0.0) + life_event_loss(xp, p, event_u, event_size_u)
    setback = xp.where(s.active, s.setback + harm, s.setback)
    if context is None:
        changed = symptom_change(xp, p, t, stage, s.wellbeing, setback, alliance, attended, s.attended, symptom_z)
    else:  # the group's cohesion or the family's shared alliance enters the alliance that drives change
        drive = context.acted_on(alliance)
        changed = symptom_change(xp, p, t, stage, s.wellbeing, setback, drive, attended, s.attended, symptom_z)
    wellbeing = xp.where(s.active, xp.clip(changed - harm, 0.0, ORS_MAX), s.wellbeing)
    counts = dict(
        attended=s.attended + xp.astype(attended, xp.int16),
        ruptures=s.ruptures + xp.astype(onset, xp.int16),
        resolved=s.resolved + xp.astype(resolved_now, xp.int16),
        unresolved=s.unresolved + xp.astype(expired, xp.int16),
        resolution_attended=s.resolution_attended + xp.astype(attended & (stage == RESOLUTION), xp.int16),
    )
    progressed = dataclasses.replace(
        s,
        bond=bond,
        goal=goal,
        task=task,
        ceiling=ceiling,
        stage=stage,
        wellbeing=wellbeing,
        setback=setback,
        rupture_open=rupture_open,
        rupture_kind=kind,
        severity=severity,
        rupture_age=age,
        detected=detected & rupture_open,
        repair_step=step,
        pre_bond=pre_bond,
        pre_goal=pre_goal,
        pre_task=pre_task,
        **counts,
    )

    # endings: planned (resolution done, or the course limit) before dropout
    planned_end = (progressed.resolution_attended >= p.resolution_sessions) | (own_session >= p.course_length)
    if context is None:
        cause = dropout_cause(xp, p, t, progressed, alliance, attended, session, (dropout_u, practical_u, improved_u))
    else:
        ending_u = context.ending_draws or (dropout_u, practical_u, improved_u)
        cause = dropout_cause(
            xp, p, t, progressed, context.acted_on(alliance), attended, own_session, ending_u, context.dropout_shift
        )
        if context.end_together is not None:
            planned_end, cause = context.end_together(planned_end, cause, s.active)
    drops = s.active & ~planned_end & (cause != NOT_DROPPED)
    new_state = dataclasses.replace(
        progressed,
        active=s.active & ~planned_end & ~drops,
        dropped_out=s.dropped_out | drops,
        dropout_cause=xp.where(drops, cause, s.dropout_cause),
    )
    view = xp.where(attended, unit_clip(xp, alliance + t.bias + p.therapist_view_noise_sd * view_z), xp.nan)
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
        rupture_resolved=resolved_now,
        ors=ors,
        srs=xp.where(attended, srs, xp.nan),
    )
    return new_state, record
