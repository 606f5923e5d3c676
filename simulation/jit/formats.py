"""The group and family submodels (ODD 7.16; simulation.formats.group and .family) as fused loops over
a pass's rows, for the ``numba`` backend: each computes, row by row and member by member, what its
array version computes on (rows, unit size) matrices, with the same operations in the same order
(sums over a unit's members in member order, as :func:`simulation.formats.base.member_sum` adds them).

A row's unit is the rows ``i - member[i]`` to ``i - member[i] + size[i] - 1`` (units are contiguous
and in member order in every pass, simulation.formats.base).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from simulation.dynamics.state import NOT_DROPPED, REPAIR_STEPS
from simulation.formats.base import PAIR_BITS
from simulation.jit.draws import _GOLDEN_U64 as _GOLDEN
from simulation.jit.draws import mixed as _mixed
from simulation.jit.draws import uniforms
from simulation.jit.session import _below_logistic, _composite, _unit
from simulation.jit.tables import K, T

NO_CAUSE = 127  # as simulation.formats.family.NO_CAUSE: above every dropout cause code
KERNELS = ("group_cohesion", "group_pairs", "family_figures", "family_endings", "pair_keys")


@njit(cache=True, error_model="numpy", nogil=True)
def group_cohesion(P, run_of_row, member, size, bond, goal, task, active, ties, witnessed, cohesion):  # fmt: skip
    """formats.group.group_cohesion: each member's cohesion from their ties to the other members in
    therapy, the mean alliance of the members in therapy and what they have witnessed; for the members
    in therapy, whose session reads it (NaN for the others)."""
    unit, n_present, alliance_sum = -1, 0.0, 0.0
    for i in range(member.shape[0]):
        if not active[i]:
            cohesion[i] = np.nan
            continue
        r, first = run_of_row[i], i - member[i]
        if first != unit:  # the unit's members in therapy and their alliances: once per unit
            unit, n_present, alliance_sum = first, 0.0, 0.0
            for j in range(size[i]):
                k = first + j
                if active[k]:
                    n_present += 1.0
                    alliance_sum += _composite(P, run_of_row[k], bond[k], goal[k], task[k])
        n_peers = tie_sum = 0.0
        for j in range(size[i]):
            if active[first + j] and j != member[i]:
                n_peers += 1.0
                tie_sum += ties[i, j]
        mean_tie = tie_sum / max(n_peers, 1.0) if n_peers > 0 else P[r, K.initial_tie_mean]
        mean_alliance = alliance_sum / max(n_present, 1.0)
        weight = P[r, K.cohesion_tie_weight]
        cohesion[i] = _unit(weight * mean_tie + (1.0 - weight) * mean_alliance + witnessed[i])


@njit(cache=True, error_model="numpy", nogil=True)
def group_pairs(
    P, run_of_row, M, member, size, pair_keys, offset, attended, srs_alert, resolved_leader, unresolved_before,
    unresolved_after, ties, pair_open, pair_detected, pair_step, pair_age, pre_tie, witnessed, member_ruptures,
    new_ruptures, pair_expired, pair_resolved,
):  # fmt: skip
    """formats.group.Group.after_session, in place on the group's state: member-member ruptures between
    members who both attended, the leader's detection and repair of them, tie growth, and what each
    attending member witnesses of the ruptures that ended this session (a member's own rupture with the
    leader expired where their count of unresolved ruptures grew). ``offset``: the hash offsets
    of the pair draws (member_rupture and its detection; member_repair). A pair is computed once and
    written to both members' rows: everything it reads is the same from either side (its draws are
    keyed by the unordered pair, its tie is symmetric, the two members share their leader)."""
    new_ruptures[:], pair_expired[:], pair_resolved[:] = 0, 0, 0
    for i in range(member.shape[0]):
        r, first, me = run_of_row[i], i - member[i], member[i]
        severity = P[r, K.member_rupture_severity]
        for j in range(me + 1, size[i]):  # each pair once, from its first member's row, then mirrored
            k = first + j
            together = attended[i] and attended[k]
            is_open, onset, expired, resolved = pair_open[i, j], False, False, False
            tie = ties[i, j]
            if not together and not is_open:
                continue
            u_onset, u_detect = uniforms(pair_keys[i, j], offset[0])
            if together and not is_open:  # 7.8 onset: the hazard falls with the tie
                log_odds = P[r, K.member_rupture_base_logit] + P[r, K.member_rupture_tie_weight] * (1.0 - tie)
                if _below_logistic(u_onset, log_odds):
                    onset = is_open = True
                    pre_tie[i, j] = pre_tie[k, me] = tie
                    tie = _unit(tie - severity)
                    new_ruptures[i] += 1
                    new_ruptures[k] += 1
            if is_open:  # 7.10-7.12 as for a member's rupture with the leader
                detected, step = pair_detected[i, j] and not onset, 0 if onset else pair_step[i, j]
                if together:
                    if not pair_detected[i, j]:
                        openness = 0.5 * (M[i, T.openness] + M[k, T.openness])
                        alert = srs_alert[i] or srs_alert[k]
                        visible = M[i, T.attunement] * 1.0
                        chance = _unit(visible * (1.0 + P[r, K.openness_effect] * (2.0 * openness - 1.0)))
                        if alert:
                            chance = chance + P[r, K.srs_detection_boost] * (1.0 - chance)
                        detected = detected or u_detect < chance
                    if detected and P[r, K.repair_enabled] != 0.0:
                        u_repair = uniforms(pair_keys[i, j], offset[1])[0]
                        successes = np.floor(math.log(u_repair) / M[i, T.log_repair_chance])
                        step = np.int16(min(float(step) + successes, float(REPAIR_STEPS)))
                        if step >= REPAIR_STEPS:
                            resolved = True
                            tie = _unit(max(tie, pre_tie[i, j]) + P[r, K.repair_gain] * severity)
                age = 1 if onset else pair_age[i, j] + 1
                expired = not resolved and age >= P[r, K.repair_window]
                is_open = not resolved and not expired
                pair_open[i, j] = pair_open[k, me] = is_open
                pair_detected[i, j] = pair_detected[k, me] = detected and is_open
                pair_step[i, j] = pair_step[k, me] = step
                pair_age[i, j] = pair_age[k, me] = age
                if expired:
                    pair_expired[i] += 1
                    pair_expired[k] += 1
                if resolved:
                    pair_resolved[i] += 1
                    pair_resolved[k] += 1
            if together and not is_open:  # ties grow where both attend and nothing stands open
                tie = _unit(tie + P[r, K.tie_growth_rate] * (1.0 - tie))
            ties[i, j] = ties[k, me] = tie
    for i in range(member.shape[0]):
        member_ruptures[i] += new_ruptures[i]
    unit = -1
    unit_unresolved = unit_resolved = pairs_unresolved = pairs_resolved = 0.0
    for i in range(member.shape[0]):  # witnessing, once every row's ruptures of this session are known
        r, first = run_of_row[i], i - member[i]
        if first != unit:  # the unit's sums, in member order: once per unit
            unit, unit_unresolved, unit_resolved, pairs_unresolved, pairs_resolved = first, 0.0, 0.0, 0.0, 0.0
            for j in range(size[i]):
                k = first + j
                unit_unresolved += 1.0 if unresolved_after[k] > unresolved_before[k] else 0.0
                unit_resolved += 1.0 if resolved_leader[k] else 0.0
                pairs_unresolved += float(pair_expired[k])
                pairs_resolved += float(pair_resolved[k])
        own_unresolved = 1.0 if unresolved_after[i] > unresolved_before[i] else 0.0
        own_resolved = 1.0 if resolved_leader[i] else 0.0
        seen_unresolved = (unit_unresolved - own_unresolved) + (0.5 * pairs_unresolved - float(pair_expired[i]))
        seen_resolved = (unit_resolved - own_resolved) + (0.5 * pairs_resolved - float(pair_resolved[i]))
        change = P[r, K.witness_repair_gain] * seen_resolved - P[r, K.witness_unresolved_loss] * seen_unresolved
        witnessed[i] = min(max(witnessed[i] + (1.0 if attended[i] else 0.0) * change, -1.0), 1.0)


@njit(cache=True, nogil=True)
def pair_keys(run_keys, unit, member, width, salt):  # fmt: skip
    """The pair draws' keys of formats.base.format_draws (backend.Draws.for_rows with the pair index
    (unit, lower member, higher member) of each row and member j), by the same integer operations."""
    keys = np.empty((member.shape[0], width), dtype=np.uint64)
    for i in range(member.shape[0]):
        for j in range(width):
            low, high = min(member[i], j), max(member[i], j)
            pair = (unit[i] << (2 * PAIR_BITS)) | (low << PAIR_BITS) | high
            counter = np.uint64(pair) * _GOLDEN + salt
            keys[i, j] = _mixed(run_keys[i] ^ _mixed(counter))
    return keys


@njit(cache=True, error_model="numpy", nogil=True)
def family_figures(P, run_of_row, member, size, bond, goal, task, present, shared, split):  # fmt: skip
    """formats.family.family_figures on the members' alliances (growth.composite, composed here): the
    family's shared alliance and split, once per family, on every member's row."""
    unit, unit_shared, unit_split = -1, 0.0, 0.0
    for i in range(member.shape[0]):
        first = i - member[i]
        if first != unit:
            unit, n, total, high, low = first, 0.0, 0.0, -1.0, 2.0
            for j in range(size[i]):
                k = first + j
                if present[k]:
                    alliance = _composite(P, run_of_row[k], bond[k], goal[k], task[k])
                    n += 1.0
                    total += alliance
                    high, low = max(high, alliance), min(low, alliance)
            mean = total / max(n, 1.0)
            unit_split = high - low if n > 1 else 0.0
            unit_shared = _unit(mean * (1.0 - unit_split))
        shared[i], split[i] = unit_shared, unit_split


@njit(cache=True, nogil=True)
def family_endings(member, size, planned_end, cause, active, done, first_cause):  # fmt: skip
    """The family's end_together: its planned ending when every member's is due (or over), and the
    first dropout cause (lowest code) of a member who leaves, on every member's row."""
    for i in range(member.shape[0]):
        first = i - member[i]
        all_done, lowest = True, NO_CAUSE
        for j in range(size[i]):
            k = first + j
            all_done = all_done and (planned_end[k] or not active[k])
            if active[k] and cause[k] != NOT_DROPPED:
                lowest = min(lowest, cause[k])
        done[i] = all_done
        first_cause[i] = NOT_DROPPED if lowest == NO_CAUSE else lowest
