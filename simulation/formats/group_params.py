"""Parameters of the group format (act only in ``--format group``; the mechanics are in
:mod:`simulation.formats.group`, docs/ODD.md, Formats), assembled into :class:`simulation.config.Params`.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulation.params.declare import flag, param


@dataclass(frozen=True)
class GroupParams:
    """Group size and admission, member-member ties and ruptures, cohesion and witnessing."""

    group_size: int = param(
        8, 2, 16, "members", "Members per group (the last group of a cohort may be smaller).", "groups"
    )
    open_groups: bool = flag(
        False,
        "Open groups with rolling admission: half the seats (rounded up) start at session 1, the others "
        "join one at a time, one every admission_interval sessions.",
        "groups",
    )
    admission_interval: int = param(3, 1, 26, "sessions", "Sessions between two admissions to an open group.", "groups")
    initial_tie_mean: float = param(
        0.40, 0.0, 1.0, "0-1", "Mean strength of a tie between two members when they first meet.", "groups"
    )
    initial_tie_sd: float = param(0.15, 0.0, 0.5, "0-1", "SD of the initial tie strength between members.", "groups")
    tie_growth_rate: float = param(
        0.08,
        0.0,
        1.0,
        "per session",
        "Share of the gap to 1 that a tie closes in a session both members attend.",
        "groups",
    )
    cohesion_tie_weight: float = param(
        0.8,
        0.0,
        1.0,
        "weight",
        "Weight of member-member ties in a member's cohesion (the rest: the members' mean alliance).",
        "groups",
    )
    cohesion_weight: float = param(
        0.85,
        0.0,
        1.0,
        "weight",
        "Weight of the member's cohesion (vs their alliance with the leader) in what they act on: "
        "attendance, dropout and symptom change.",
        "groups",
    )
    leader_rupture_cushion: float = param(
        1.0,
        0.0,
        1.0,
        "share",
        "How far the group's cohesion cushions the lasting harm of a member's rupture with the leader left "
        "unresolved: the member bears 1 - leader_rupture_cushion x cohesion_weight of it (0: all of it).",
        "groups",
    )
    member_rupture_base_logit: float = param(
        -5.0, -10.0, 5.0, "log-odds", "Log-odds of a rupture between two attending members at a full tie.", "groups"
    )
    member_rupture_tie_weight: float = param(
        2.0, 0.0, 10.0, "log-odds", "Member-member rupture hazard per unit of missing tie strength.", "groups"
    )
    member_rupture_severity: float = param(
        0.20, 0.0, 1.0, "tie units", "How far a member-member rupture drops the tie between the two.", "groups"
    )
    witness_unresolved_loss: float = param(
        0.05,
        0.0,
        1.0,
        "cohesion units",
        "Cohesion a member loses for each rupture of others (member-leader or member-member) they see left unresolved.",
        "groups",
    )
    witness_repair_gain: float = param(
        0.03,
        0.0,
        1.0,
        "cohesion units",
        "Cohesion a member gains for each rupture of others they see repaired.",
        "groups",
    )
