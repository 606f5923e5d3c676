"""The group format: one leader and several members (docs/ODD.md, Formats).

Each member has their own alliance with the leader (a relation row). Members also have weighted ties
with each other, held as a per-row matrix ``ties[row, j]`` (the tie between the row's member and
member j of the same group; symmetric, since every change to a pair is keyed by the unordered pair).
Per session:

- *cohesion* of each member: ``cohesion_tie_weight`` x the mean of their ties to the other members
  in therapy + (1 - ``cohesion_tie_weight``) x the mean alliance of the group's members in therapy +
  what the member has witnessed (below), clipped to 0-1. A member attends, stays and changes on the
  blend (1 - ``cohesion_weight``) x their alliance with the leader + ``cohesion_weight`` x their
  cohesion: in a group much of what holds and helps a member is the group, not the leader alone.
- *member-member ruptures*: two members who both attend rupture with a hazard that falls with their
  tie; the tie drops by ``member_rupture_severity``. It then runs through the same rupture lifecycle
  as a member-leader rupture (dynamics.repair, on the pair matrices): the leader notices it as a
  confrontation (it is enacted in the room), with their attunement, the two members' openness and a
  low SRS of either member (:func:`pair_view`), and repairs it with the same five steps and repair
  skill; a repaired one leaves the tie above where it was (the V shape), one left open for
  ``repair_window`` sessions stays unresolved.
- *witnessing*: a member who attends sees the ruptures of the others that end that session: each one
  left unresolved (member-leader or member-member) costs ``witness_unresolved_loss`` cohesion, each
  one repaired gives ``witness_repair_gain``.
- ties grow in every session both members attend (``tie_growth_rate``).
- *cushioned rupture harm* (ODD 7.19): a member bears only 1 - ``leader_rupture_cushion`` x
  ``cohesion_weight`` of the lasting harm of a rupture with the leader left unresolved
  (:func:`cushioned_harm_share`): the group holds a member through a rupture with the leader.

Members attend, drop out and end their course individually. In open groups (``open_groups``) half the
seats (rounded up) start at session 1 and the others join one at a time, one every
``admission_interval`` sessions; ``session`` in the tables is the group's session number and
``member_session`` the member's own (1 at their first session).

The parameters named here are declared in :mod:`simulation.formats.group_params`.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import numpy as np

from simulation import dynamics
from simulation.backend import Array, Draws
from simulation.config import Params
from simulation.formats.base import (
    Format,
    Members,
    SessionInputs,
    member_sum,
    others,
    segment_mean,
    unit_matrix,
    unit_mean,
    unit_sum,
)
from simulation.formats.checks import WITHOUT_REPAIR, MechanismCheck


@dataclass(frozen=True)
class GroupState:
    """Per row: ties and member-member ruptures with each other member (matrices, rows x width), the
    cohesion witnessed so far, and counts."""

    ties: Array
    pair_open: Array
    pair_detected: Array
    pair_step: Array
    pair_age: Array
    pre_tie: Array
    witnessed: Array  # cohesion gained (+) or lost (-) by witnessing the others' ruptures, -1 to 1
    member_ruptures: Array  # member-member ruptures this member was part of


def cushioned_harm_share(p: Any) -> float | Array:
    """The share (0-1) of the lasting harm of an unresolved rupture with the leader (7.12, 7.13) that a
    member bears: 1 - ``leader_rupture_cushion`` x ``cohesion_weight``. The more of what holds a member
    is the group, the less a rupture with the leader alone sets them back."""
    return 1.0 - p.leader_rupture_cushion * p.cohesion_weight


def group_cohesion(
    xp: Any, p: Any, ties: Array, witnessed: Array, alliance: Array, present: Array, members: Members
) -> Array:
    """Each member's cohesion from their ties, the group's mean alliance and what they have witnessed."""
    alliances, valid = unit_matrix(xp, members, alliance, 0.0)
    in_therapy, _ = unit_matrix(xp, members, present, False)
    in_therapy = in_therapy & valid
    peers = others(xp, members, valid) & in_therapy
    n_peers = member_sum(xp, xp.astype(peers, xp.float64))
    mean_tie = xp.where(
        n_peers > 0, member_sum(xp, xp.where(peers, ties, 0.0)) / xp.maximum(n_peers, 1.0), p.initial_tie_mean
    )
    n_present = xp.maximum(member_sum(xp, xp.astype(in_therapy, xp.float64)), 1.0)
    mean_alliance = member_sum(xp, xp.where(in_therapy, alliances, 0.0)) / n_present
    weight = p.cohesion_tie_weight
    return dynamics.unit_clip(xp, weight * mean_tie + (1.0 - weight) * mean_alliance + witnessed)


class Group(Format):
    name = "group"
    unit_name = "group"
    unit_file = "groups.parquet"
    agent_class = "simulation.agents:Group"
    unit_truth_columns = ("cohesion", "member_rupture")
    roles = ("member",)
    reads_before = ("unresolved",)
    row_matrices = ("ties", "pair_open", "pair_detected", "pair_step", "pair_age", "pre_tie")
    members_text = " in groups"
    calibration_figure = "group_alliance_r"
    report_figures = ("dropout", "missed", "mean_change", "cohesion_mean", "member_ruptures_per_member")
    summary_figures = ("group_alliance_r", "cohesion_mean", "group_dropout_share")
    unit_figure = "cohesion"
    unit_figure_label = "cohesion with\nthe group (0-1)"
    unit_caption = (
        "In a group the client is one member. Lower panel: their cohesion with the group (ties to the "
        "others, the members' alliances, and the others' ruptures they saw repaired, which draw a group "
        "together, or left unresolved, which pull it apart)."
    )
    gallery_figures = ("cohesion",)
    gallery_session_columns = ("unit_id", "member_session", "cohesion")
    gallery_client_columns = ("witnessed",)
    mechanism_checks = (
        MechanismCheck("without repair, cohesion is lower", WITHOUT_REPAIR, "cohesion_mean", "lower"),
        MechanismCheck("without repair, more members drop out", WITHOUT_REPAIR, "dropout", "higher"),
    )

    def unit_size(self, params: Params) -> int:
        return params.group_size

    def start_sessions(self, params: Params, member: np.ndarray, size: np.ndarray) -> np.ndarray:
        """Closed groups start together; in an open group the seats past the founding half join one
        every ``admission_interval`` sessions."""
        if not params.open_groups:
            return super().start_sessions(params, member, size)
        founding = -(-size // 2)
        late = np.maximum(member - founding + 1, 0)
        return (1 + late * params.admission_interval).astype(np.int16)

    def initial_state(self, xp: Any, p: Any, members: Members, unit_draws: Draws, pair_draws: Draws) -> GroupState:
        (z,) = pair_draws.sample(("initial_tie",))
        shape = z.shape
        ties = dynamics.unit_clip(xp, p_column(xp, p.initial_tie_mean) + p_column(xp, p.initial_tie_sd) * z)
        return GroupState(
            ties=ties,
            pair_open=xp.zeros(shape, dtype=xp.bool),
            pair_detected=xp.zeros(shape, dtype=xp.bool),
            pair_step=xp.zeros(shape, dtype=xp.int16),
            pair_age=xp.zeros(shape, dtype=xp.int16),
            pre_tie=xp.zeros(shape, dtype=xp.float64),
            witnessed=xp.zeros(shape[:1], dtype=xp.float64),
            member_ruptures=xp.zeros(shape[:1], dtype=xp.int16),
        )

    def context(self, at: SessionInputs, state: Any, own: GroupState) -> tuple[dynamics.Context, dict[str, Array]]:
        xp, p, members, session = at.xp, at.p, at.members, at.session
        if at.fused is not None:
            cohesion = at.fused.group_cohesion(members, state, own)
        else:
            alliance = dynamics.composite(xp, p, state.bond, state.goal, state.task)
            cohesion = group_cohesion(xp, p, own.ties, own.witnessed, alliance, state.active, members)
        context = dynamics.Context(
            member_session=xp.astype(session - members.start + 1, xp.int16),
            shared_alliance=cohesion,
            shared_weight=p.cohesion_weight,
            dropout_shift=None if at.fused is not None else xp.zeros_like(cohesion),  # none: the fused
            bond_shift=None if at.fused is not None else xp.zeros_like(cohesion),  # kernel skips a zero shift
            rupture_harm_share=cushioned_harm_share(p),
        )
        return context, {"cohesion": cohesion}

    def after_session(
        self, at: SessionInputs, before: Any, after: Any, record: Any, own: GroupState, figures: dict[str, Array]
    ) -> tuple[GroupState, dict[str, Array]]:
        """Member-member ruptures and their repair, tie growth, and what the attending members witness."""
        if at.fused is not None:
            return at.fused.group_after_session(at, before, after, record, own)
        xp, p, traits, members, session = at.xp, at.p, at.traits, at.members, at.session
        attended = record.attended
        present, valid = unit_matrix(xp, members, attended, False)
        together = others(xp, members, valid) & present & attended[:, None]
        onset_u, detect_u, repair_u = at.draws.pair.sample(
            ("member_rupture", "member_rupture_detection", "member_repair"), session
        )
        ties, pair_p = own.ties, PairParams(p)
        hazard = dynamics.logistic(
            xp, pair_p.member_rupture_base_logit + pair_p.member_rupture_tie_weight * (1.0 - ties)
        )
        onset = together & ~own.pair_open & (onset_u < hazard)
        severity = pair_p.member_rupture_severity
        track = dynamics.RuptureTrack(own.pair_open, own.pair_detected, own.pair_step, own.pair_age)
        track, (ties,), (pre_tie,) = dynamics.open_ruptures(xp, track, onset, severity, (ties,), (own.pre_tie,), (1.0,))
        # the leader notices it as they notice a member's rupture with them, and repairs it the same way
        pair = pair_view(xp, traits, members, record.srs_alert)
        chance = dynamics.detection_chance(xp, pair_p, pair.attunement, 1.0, pair.openness, pair.srs_alert)
        noticed = detect_u < chance  # visible as a confrontation is: enacted in the room
        track, (ties,), resolved, expired = dynamics.tend_ruptures(
            xp, pair_p, pair, track, onset, together, True, noticed, repair_u, severity, (ties,), (pre_tie,)
        )
        grown = ties + pair_p.tie_growth_rate * (1.0 - ties)
        ties = xp.where(together & ~track.open, dynamics.unit_clip(xp, grown), ties)

        # witnessing: the others' ruptures that ended this session, member-leader and member-member
        leader_unresolved = xp.astype(after.unresolved > before.unresolved, xp.float64)
        leader_resolved = xp.astype(record.rupture_resolved, xp.float64)
        pair_unresolved = member_sum(xp, xp.astype(expired, xp.float64))
        pair_resolved = member_sum(xp, xp.astype(resolved, xp.float64))
        seen_unresolved = (unit_sum(xp, members, leader_unresolved) - leader_unresolved) + (
            0.5 * unit_sum(xp, members, pair_unresolved) - pair_unresolved
        )
        seen_resolved = (unit_sum(xp, members, leader_resolved) - leader_resolved) + (
            0.5 * unit_sum(xp, members, pair_resolved) - pair_resolved
        )
        change = p.witness_repair_gain * seen_resolved - p.witness_unresolved_loss * seen_unresolved
        witnessed = xp.clip(own.witnessed + xp.astype(attended, xp.float64) * change, -1.0, 1.0)
        new_ruptures = member_sum(xp, xp.astype(onset, xp.int16))
        kept = GroupState(
            ties=ties,
            pair_open=track.open,
            pair_detected=track.detected,
            pair_step=track.step,
            pair_age=track.age,
            pre_tie=pre_tie,
            witnessed=witnessed,
            member_ruptures=own.member_ruptures + xp.astype(new_ruptures, xp.int16),
        )
        return kept, {"member_rupture": xp.astype(new_ruptures, xp.int8)}

    def session_columns(self, columns: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Each member's cohesion at the session, and their new ruptures with other members."""
        return {"cohesion": columns["cohesion"].astype(np.float32), "member_rupture": columns["member_rupture"]}

    def client_columns(
        self, rows: Any, final: dict[str, np.ndarray], columns: dict[str, np.ndarray], offsets: np.ndarray
    ) -> dict[str, np.ndarray]:
        """The member's first session (on the group's calendar), mean cohesion over the sessions they
        attended, ruptures with other members, and what they witnessed by the end."""
        return {
            "first_session": rows.start,
            "cohesion_mean": segment_mean(columns["cohesion"], columns["attended"], offsets),
            "member_ruptures": final["member_ruptures"],
            "witnessed": final["witnessed"],
        }

    def unit_columns(self, clients: dict[str, Any], starts: np.ndarray, sizes: np.ndarray) -> dict[str, Any]:
        """Mean cohesion (of the members' means), ruptures between members (each is on both members'
        rows) and the share of members who dropped out (members leave one by one)."""
        member_ruptures = clients["member_ruptures"]
        ruptures = (np.add.reduceat(member_ruptures.astype(np.int64), starts) // 2).astype(member_ruptures.dtype)
        return {
            "cohesion": unit_mean(clients["cohesion_mean"], starts),
            "member_ruptures": ruptures,
            "dropout": unit_mean(clients["dropped_out"], starts),
        }


def p_column(xp: Any, value: Any) -> Any:
    """A parameter as it broadcasts against a (rows, width) matrix: scalars as they are, per-row
    arrays (stacked runs) as a column."""
    return value[:, None] if hasattr(value, "shape") and value.ndim == 1 else value


def pair_view(xp: Any, traits: Any, members: Members, srs_alert: Array) -> SimpleNamespace:
    """Each (row, member j) pair as the leader meets it in the rupture lifecycle (dynamics.repair):
    with the leader's attunement, repair skill and defensiveness (columns); the pair's openness is the
    mean of the two members', and a low SRS of either member this session alerts the leader. Symmetric
    in the two members, so both rows of a pair see the same figures."""
    openness, _ = unit_matrix(xp, members, traits.openness, 0.0)
    alert, _ = unit_matrix(xp, members, srs_alert, False)
    return SimpleNamespace(
        attunement=traits.attunement[:, None],
        repair_skill=traits.repair_skill[:, None],
        defensiveness=traits.defensiveness[:, None],
        openness=0.5 * (traits.openness[:, None] + openness),
        srs_alert=srs_alert[:, None] | alert,
    )


class PairParams:
    """The parameters as they broadcast against the (rows, width) pair matrices (see :func:`p_column`),
    for the rupture lifecycle that member pairs share with relation rows (dynamics.repair)."""

    def __init__(self, p: Any) -> None:
        self._p = p

    def __getattr__(self, name: str) -> Any:
        return p_column(None, getattr(self._p, name))
