"""ODD 3's session update as one fused loop over the relations (the ``numba`` backend).

:func:`fused_session` computes, row by row, what :func:`simulation.dynamics.step_session` computes
with whole-array operations: the same submodels of ODD 7, in the same order, each formula written with
the same operations in the same order, so that the two agree to the last bits of the math library
(``exp``, ``log``; docs/performance.md). The state is updated in place (a field is written only where
it changes), so the loop touches little memory besides what the session reads; the record goes
straight into the arrays the sessions table keeps. Terms that depend on traits alone come precomputed
(:mod:`simulation.jit.tables`), and a row's random hash is computed only where its draw is used (the
draws are counter-based, so skipping one changes no other).

What a format adds (dynamics.Context, ODD 7.16) arrives as per-row arrays, empty where the format adds
nothing: each member's own session, the unit's figure they act on and its weight, the therapist's
siding, a dropout shift, the unit's shared ending draws and the share of an unresolved rupture's
lasting harm a member bears. A unit that ends together (the family)
asks for ``finish=False``: the kernel then leaves each row's planned ending and dropout cause for the
format to combine, and :func:`end_courses` closes the courses after.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from simulation.backend import PROCESSES
from simulation.dynamics import state as codes
from simulation.dynamics.attendance import WELLBEING_STEP
from simulation.figures.windows import EARLY_DROPOUT_SESSIONS
from simulation.jit.draws import session_offsets, uniforms
from simulation.jit.tables import K, T
from simulation.monitoring.signals import FIRST_SIGNAL_SESSION

STREAMS = (
    ("attendance", "dropout"),
    ("rupture_onset", "rupture_kind"),
    ("rupture_severity", "srs_used"),
    ("detection", "repair"),
    ("symptom_noise", "ors_error"),
    ("srs_noise", "therapist_view_noise"),
    ("practical_dropout", "improved_exit"),
    ("life_event", "life_event_size"),
    ("feedback_acted",),
)
"""The session's hashes, in the order of the offsets the kernel takes: each pair shares one hash
(half 0, half 1), as :data:`simulation.backend.PROCESSES` lays them out (checked on import)."""
ATTEND, ONSET, SEVERITY, DETECT, SYMPTOM, SRS, EXIT, LIFE, FEEDBACK = range(len(STREAMS))

for _names in STREAMS:
    _slots = [PROCESSES.slots[name] for name in _names]
    assert [slot.half for slot in _slots] == list(range(len(_names))), _names
    assert len({slot.stream for slot in _slots}) == 1, _names


def offsets(session: int) -> np.ndarray:
    """The hash offsets of ``session``'s draws, one per entry of :data:`STREAMS`."""
    return session_offsets(tuple(names[0] for names in STREAMS), session)


@njit(cache=True, inline="always")
def _one_or_each(values: np.ndarray, i: int, default: float) -> float:
    """Row ``i``'s value of a per-row figure passed as one value for every row (length 1), one per row,
    or not at all (empty: ``default``)."""
    if values.shape[0] == 0:
        return default
    return values[i if values.shape[0] > 1 else 0]


@njit(cache=True, inline="always")
def _logistic(log_odds: float) -> float:
    return 1.0 / (1.0 + math.exp(-log_odds))


@njit(cache=True, inline="always")
def _below_logistic(u: float, log_odds: float) -> bool:
    """``u < logistic(log_odds)``, decided as the array kernel decides it, and without ``exp`` where a
    bound already decides: for log-odds -a < 0, logistic = 1 / (1 + e^a) < 1 / (1 + a + a^2/2 + a^3/6)
    (the series of e^a has no negative terms), so a ``u`` at or above that bound (widened by 1e-12,
    far beyond rounding) is above the logistic whatever its last bits. Most draws of a rare event
    (a missed session, a rupture, a dropout) are decided so."""
    if log_odds < 0.0:
        a = -log_odds
        if u * (1.0 + a * (1.0 + a * (0.5 + a / 6.0))) >= 1.0 + 1e-12:
            return False
    return u < _logistic(log_odds)


@njit(cache=True, inline="always")
def _unit(value: float) -> float:
    return min(max(value, 0.0), 1.0)


@njit(cache=True, inline="always")
def _composite(P: np.ndarray, r: int, bond: float, goal: float, task: float) -> float:
    total = P[r, K.bond_weight] + P[r, K.goal_weight] + P[r, K.task_weight]
    return (P[r, K.bond_weight] * bond + P[r, K.goal_weight] * goal + P[r, K.task_weight] * task) / total


@njit(cache=True, inline="always")
def _weakness(P: np.ndarray, r: int, alliance: float) -> float:
    threshold = P[r, K.challenge_alliance_threshold]
    return _unit((threshold - alliance) / (threshold + 1e-9))


@njit(cache=True, error_model="numpy", nogil=True)
def fused_session(
    P, run_of_row, M, dose, keys, offset, z, s, rec, flags, session, own_sessions, shared, shared_weight,
    harm_share, bond_shift, dropout_shift, unit_draws, expected, band_edges, monitored, finish, planned_end,
    causes,
):  # fmt: skip
    """One session for every row of state ``s`` (a tuple of the State's arrays, in field order),
    updated in place; the record goes into ``rec`` (SessionRecord's fields in order), one entry per
    row in therapy at the start of the session, in row order. Where a format reads the record per row,
    ``flags`` gets each row's ``attended``, ``srs_alert`` and ``rupture_resolved`` (empty: not asked).
    ``z`` holds the session's normals (symptom noise, ORS error, SRS noise, view noise), then the life
    event's uniform and the log of its size; ``shared_weight`` the weight of the unit's figure
    ``shared`` and ``harm_share`` the share of an unresolved rupture's lasting harm a member bears,
    each one for every row (length 1) or one per row; ``dose`` the dose factor of each run by sessions
    attended (:func:`simulation.jit.tables.dose_table`). Returns the rows in therapy at the start. The comments
    name the ODD 7 subsections, as in step_session."""
    (bond_, goal_, task_, ceiling_, stage_, wellbeing_, setback_, active_, dropped_, cause_, open_, kind_,
     severity_, age_, detected_, step_, pre_bond_, pre_goal_, pre_task_, attended_, ruptures_, resolved_,
     unresolved_, resolution_, intake_ors_, extension_, feedback_) = s  # fmt: skip
    (r_stage, r_attended, r_bond, r_goal, r_task, r_alliance, r_view, r_wellbeing, r_rupture, r_kind,
     r_resolved, r_ors, r_srs, r_alert) = rec  # fmt: skip
    flag_attended, flag_alert, flag_resolved = flags
    n_expected, j, per_row = expected.shape[1], 0, flag_attended.shape[0] != 0
    for i in range(bond_.shape[0]):
        if not active_[i]:  # an ended course passes through unchanged
            if per_row:
                flag_attended[i] = flag_alert[i] = flag_resolved[i] = False
            if not finish:
                planned_end[i], causes[i] = False, codes.NOT_DROPPED
            continue
        w = j  # where the record goes
        j += 1
        r, key = run_of_row[i], keys[i]
        own = session if own_sessions.shape[0] == 0 else int(own_sessions[i])
        weight = 0.0 if shared.shape[0] == 0 else _one_or_each(shared_weight, i, 0.0)
        bond, goal, task, ceiling, stage = bond_[i], goal_[i], task_[i], ceiling_[i], stage_[i]
        wellbeing, rupture_open, attended_before = wellbeing_[i], open_[i], attended_[i]
        planned = P[r, K.course_length] + (extension_[i] if monitored else 0)
        u_attend, u_dropout = uniforms(key, offset[ATTEND])
        if own == 1:  # the intake is attended, in engagement
            attended = True
        else:  # 7.4 attendance, 7.6 stages
            before = _composite(P, r, bond, goal, task)
            if shared.shape[0] != 0:
                before = (1.0 - weight) * before + weight * shared[i]
            withdrawn = 1.0 if rupture_open and kind_[i] == codes.WITHDRAWAL else 0.0
            miss = (
                P[r, K.miss_base_logit]
                + P[r, K.miss_alliance_weight] * (0.5 - before)
                + P[r, K.miss_motivation_weight] * (0.5 - M[i, T.motivation])
                + P[r, K.miss_withdrawal_weight] * withdrawn
            )
            attended = not _below_logistic(u_attend, miss)
            if attended:
                if stage < codes.RESOLUTION and own + P[r, K.resolution_sessions] > planned:
                    stage = codes.RESOLUTION
                elif stage == codes.WORKING:
                    intake, attainable = M[i, T.intake], M[i, T.attainable]
                    if wellbeing - intake >= P[r, K.goal_fraction] * (attainable - intake):
                        stage = codes.RESOLUTION
                elif stage == codes.EXPLORATION:
                    if goal >= P[r, K.agreement_threshold] and task >= P[r, K.agreement_threshold]:
                        stage = codes.WORKING
                elif stage == codes.ENGAGEMENT and bond >= P[r, K.bond_threshold]:
                    stage = codes.EXPLORATION
        z_symptom = z[0][i]
        ors = np.nan
        if attended:  # 7.5
            ors = min(max(np.round(wellbeing + P[r, K.ors_error_sd] * z[1][i]), 0.0), codes.ORS_MAX)
        acted_signal = False
        if monitored:  # 7.18: the expected course of the intake band
            intake_ors = ors if attended and own == 1 else intake_ors_[i]
            intake_ors_[i] = intake_ors
            band = 0
            for edge in band_edges:
                band += intake_ors >= edge
            expected_ors = expected[band, min(max(own, 1), n_expected) - 1]
            flagged = attended and own >= FIRST_SIGNAL_SESSION and ors < expected_ors - P[r, K.monitoring_margin]
            if flagged and P[r, K.feedback_enabled] != 0.0:
                acted_signal = uniforms(key, offset[FEEDBACK])[0] < M[i, T.feedback_use]
        if attended:  # 7.7 growth (the bond at the start of the session gates goal and task)
            start_bond = bond
            bond = _unit(start_bond + M[i, T.bond_rate] * (ceiling - start_bond))
            goal = _unit(goal + _unit(M[i, T.goal_rate] * start_bond) * (ceiling - goal))
            task = _unit(task + _unit(M[i, T.task_rate] * start_bond) * (ceiling - task))
        if acted_signal:  # 7.18: revisit goals and tasks
            agreement = P[r, K.feedback_agreement_gain]
            goal, task = goal + agreement * max(ceiling - goal, 0.0), task + agreement * max(ceiling - task, 0.0)
        if bond_shift.shape[0] != 0 and attended:  # the family therapist's siding
            shift = bond_shift[i]
            bond = _unit(bond + (shift * (1.0 - bond) if shift > 0 else shift * bond))
        onset, kind, severity = False, kind_[i], severity_[i]
        u_severity, u_srs_used = uniforms(key, offset[SEVERITY]) if attended else (0.0, 1.0)
        if attended and not rupture_open:  # 7.8 onset
            grown = _composite(P, r, bond, goal, task)
            weakness = _weakness(P, r, grown)
            challenge = M[i, T.challenge]
            log_odds = (
                M[i, T.hazard_traits]
                + P[r, K.low_agreement_weight] * (1.0 - 0.5 * (goal + task))
                + M[i, T.hazard_culture]
                + P[r, K.early_stage_weight] * (1.0 if stage <= codes.EXPLORATION else 0.0)
                + M[i, T.hazard_pitfalls]
                + M[i, T.hazard_fit]
                + P[r, K.challenge_hazard_weight] * challenge * weakness
                + M[i, T.hazard_reactance]
            )
            u_onset, u_kind = uniforms(key, offset[ONSET])
            if _below_logistic(u_onset, log_odds):
                onset = rupture_open = True
                anxious = 1.0 if M[i, T.attachment] == codes.ANXIOUS else 0.0
                avoidant = 1.0 if M[i, T.attachment] == codes.AVOIDANT else 0.0
                lean = P[r, K.attachment_kind_shift] * (anxious - avoidant)
                share = _unit(P[r, K.confrontation_share] + lean + challenge * weakness)
                kind = codes.CONFRONTATION if u_kind < share else codes.WITHDRAWAL
                severity = P[r, K.severity_mean] * (0.25 + 1.5 * u_severity)
                kind_[i], severity_[i] = kind, severity
                pre_bond_[i], pre_goal_[i], pre_task_[i] = bond, goal, task
                bond, goal, task = _unit(bond - severity), _unit(goal - 0.5 * severity), _unit(task - 0.5 * severity)
        alert, z_view = False, 0.0
        if attended:  # 7.9 SRS, 7.10 detection
            z_view = z[3][i]
            srs = min(max(np.round(codes.SRS_MAX * (_composite(P, r, bond, goal, task) + P[r, K.srs_leniency])
                                   + P[r, K.srs_noise_sd] * z[2][i]), 0.0), codes.SRS_MAX)  # fmt: skip
            alert = u_srs_used < M[i, T.feedback_use] and srs < P[r, K.srs_cutoff]
            r_srs[w], r_ors[w] = srs, ors
        else:
            r_srs[w] = r_ors[w] = np.nan
        resolved = expired = False
        if rupture_open:  # 7.10 detection, 7.11 repair, 7.12 expiry
            detected, step = detected_[i] and not onset, 0 if onset else step_[i]
            if attended:
                u_detect, u_repair = uniforms(key, offset[DETECT])
                if not detected_[i]:
                    visible = 1.0 if kind == codes.CONFRONTATION else M[i, T.withdrawal_visibility]
                    openness = 1.0 + P[r, K.openness_effect] * (2.0 * M[i, T.openness] - 1.0)
                    chance = _unit(M[i, T.attunement] * visible * openness)
                    if alert:
                        chance = chance + P[r, K.srs_detection_boost] * (1.0 - chance)
                    noticed = u_detect < chance
                    if acted_signal:  # 7.18: talk about the alliance
                        noticed = noticed or u_detect >= 1.0 - P[r, K.feedback_detection_gain]
                    detected = detected or noticed
                if detected and P[r, K.repair_enabled] != 0.0:
                    successes = np.floor(math.log(u_repair) / M[i, T.log_repair_chance])
                    step = np.int16(min(float(step) + successes, float(codes.REPAIR_STEPS)))
                    if step >= codes.REPAIR_STEPS:
                        resolved = True
                        gain = P[r, K.repair_gain] * severity
                        bond = _unit(max(bond, pre_bond_[i]) + gain)
                        goal = _unit(max(goal, pre_goal_[i]) + gain)
                        task = _unit(max(task, pre_task_[i]) + gain)
            age = 1 if onset else age_[i] + 1
            expired = not resolved and age >= P[r, K.repair_window]
            rupture_open = not resolved and not expired
            open_[i], detected_[i], step_[i], age_[i] = rupture_open, detected and rupture_open, step, age
        harm = 0.0
        if expired:  # 7.12 lasting deficit
            ceiling = min(max(ceiling - P[r, K.unresolved_deficit] * severity, 0.2), 1.0)
            bond, goal, task = min(bond, ceiling), min(goal, ceiling), min(task, ceiling)
            if stage == codes.WORKING and severity > P[r, K.severe_rupture_threshold]:
                stage = codes.EXPLORATION
            harm = P[r, K.rupture_harm] * severity * _one_or_each(harm_share, i, 1.0)
            ceiling_[i] = ceiling
        alliance = _composite(P, r, bond, goal, task)
        acted = alliance if shared.shape[0] == 0 else (1.0 - weight) * alliance + weight * shared[i]
        life = -P[r, K.life_event_impact] * z[5][i] if z[4][i] < P[r, K.life_event_rate] else 0.0  # 7.13
        harm = harm + life
        setback = setback_[i] + harm
        if stage == codes.ENGAGEMENT:
            stage_factor = P[r, K.engagement_change_factor]
        elif stage == codes.EXPLORATION:
            stage_factor = P[r, K.exploration_change_factor]
        else:
            stage_factor = 1.0 if stage == codes.WORKING else P[r, K.resolution_change_factor]
        productive = 1.0 if stage == codes.WORKING and acted >= P[r, K.challenge_alliance_threshold] else 0.0
        rate = (
            P[r, K.change_rate]
            * stage_factor
            * (1.0 + P[r, K.challenge_gain] * M[i, T.challenge] * productive)
            * M[i, T.reactance_factor]
            * M[i, T.skill_factor]
            * dose[r, min(attended_before, dose.shape[1] - 1)]
            * (1.0 + P[r, K.alliance_effect] * (acted - 0.5))
            * M[i, T.therapist_factor]
        )
        rate = min(max(rate, -P[r, K.change_rate]), 1.0)
        intake, attainable = M[i, T.intake], M[i, T.attainable]
        reach = _unit(1.0 + P[r, K.alliance_level_effect] * (acted - P[r, K.full_reach_alliance]))
        within_reach = intake + reach * (attainable - intake) - setback
        changed = wellbeing
        if attended:
            changed = changed + rate * (within_reach - changed if rate >= 0.0 else changed)
        changed = min(max(changed + P[r, K.symptom_noise_sd] * z_symptom, 0.0), codes.ORS_MAX)
        changed = min(max(changed - harm, 0.0), codes.ORS_MAX)
        resolution_attended = resolution_[i] + (attended and stage == codes.RESOLUTION)
        unresolved = unresolved_[i] + expired
        attended_[i], resolution_[i], unresolved_[i] = attended_before + attended, resolution_attended, unresolved
        if onset or resolved:
            ruptures_[i], resolved_[i] = ruptures_[i] + onset, resolved_[i] + resolved
        shift = 0.0 if dropout_shift.shape[0] == 0 else dropout_shift[i]
        if monitored:  # 7.18: more sessions; attend to motivation and support
            extension = min(
                extension_[i] + acted_signal * P[r, K.feedback_extra_sessions], P[r, K.feedback_session_cap]
            )
            extension_[i], feedback_[i] = extension, feedback_[i] + acted_signal
            planned = P[r, K.course_length] + extension
            if acted_signal:
                shift = shift - P[r, K.feedback_retention]
        # 7.14 endings, on the state after the session
        log_odds = (
            P[r, K.dropout_base_logit]
            + P[r, K.dropout_alliance_weight] * (0.5 - acted)
            + P[r, K.dropout_rupture_weight] * ((1.0 if rupture_open else 0.0) + float(unresolved))
            + P[r, K.dropout_missed_weight] * (0.0 if attended else 1.0)
            + P[r, K.dropout_early_weight] * (1.0 if own <= EARLY_DROPOUT_SESSIONS else 0.0)
            + P[r, K.dropout_motivation_weight] * (0.5 - M[i, T.motivation])
            + P[r, K.dropout_wellbeing_weight] * (intake - changed) / WELLBEING_STEP
        )
        u_practical, u_improved = uniforms(key, offset[EXIT])
        if unit_draws[0].shape[0] != 0:  # a unit that ends together draws once for all its members
            u_dropout, u_practical, u_improved = unit_draws[0][i], unit_draws[1][i], unit_draws[2][i]
        cause = codes.NOT_DROPPED
        if _below_logistic(u_dropout, log_odds + shift):
            cause = codes.DISENGAGED
        elif u_practical < P[r, K.practical_dropout_hazard]:
            cause = codes.PRACTICAL
        elif changed - intake >= codes.RELIABLE_CHANGE and u_improved < P[r, K.improved_exit_hazard]:
            cause = codes.IMPROVED
        ends = resolution_attended >= P[r, K.resolution_sessions] or own >= planned
        view = np.nan
        if attended:  # 7.15
            view = _unit(alliance + M[i, T.bias] + P[r, K.therapist_view_noise_sd] * z_view)
        bond_[i], goal_[i], task_[i], stage_[i], wellbeing_[i], setback_[i] = bond, goal, task, stage, changed, setback
        r_stage[w], r_attended[w], r_bond[w], r_goal[w], r_task[w] = stage, attended, bond, goal, task
        r_alliance[w], r_view[w], r_wellbeing[w], r_rupture[w] = alliance, view, wellbeing, onset
        r_kind[w], r_resolved[w], r_alert[w] = kind if onset else 0, resolved, alert
        if per_row:
            flag_attended[i], flag_alert[i], flag_resolved[i] = attended, alert, resolved
        if finish:
            end_course(i, active_, dropped_, cause_, ends, cause)
        else:  # the format combines them (the family ends together), then calls end_courses
            planned_end[i], causes[i] = ends, cause
    return j


@njit(cache=True, inline="always")
def end_course(i, active, dropped, causes, ends, cause):  # fmt: skip
    """7.14, in place: a planned ending comes first, otherwise a dropout cause ends an active course."""
    drops = active[i] and not ends and cause != codes.NOT_DROPPED
    active[i] = active[i] and not ends and not drops
    if drops:
        dropped[i], causes[i] = True, cause


@njit(cache=True, nogil=True)
def end_courses(active, dropped, causes, planned_end, cause):  # fmt: skip
    """:func:`end_course` for every row, after a format combined the planned endings and causes."""
    for i in range(active.shape[0]):
        end_course(i, active, dropped, causes, planned_end[i], cause[i])
