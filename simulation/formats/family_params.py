"""Parameters of the family format (act only in ``--format family``; the mechanics are in
:mod:`simulation.formats.family`, docs/ODD.md, Formats), assembled into :class:`simulation.config.Params`.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulation.params.declare import param


@dataclass(frozen=True)
class FamilyParams:
    """Family size and roles, the shared alliance, split and siding."""

    family_size: int = param(
        3,
        2,
        5,
        "members",
        "Members per family (2: a couple; the last family of a cohort may be smaller). Roles follow "
        "from the size (docs/ODD.md): partners; parent, adolescent, parent, sibling, sibling.",
        "families",
    )
    parent_motivation_shift: float = param(
        0.10, -1.0, 1.0, "0-1", "Motivation of a parent relative to the population mean.", "families"
    )
    adolescent_motivation_shift: float = param(
        -0.20, -1.0, 1.0, "0-1", "Motivation of an adolescent (brought by a parent) relative to the mean.", "families"
    )
    adolescent_resistance_shift: float = param(
        0.25, -1.0, 1.0, "0-1", "Resistance of an adolescent relative to the population mean.", "families"
    )
    shared_alliance_weight: float = param(
        0.4,
        0.0,
        1.0,
        "weight",
        "Weight of the family's shared alliance (vs the member's own) in what a member acts on: "
        "attendance, dropout and symptom change.",
        "families",
    )
    split_dropout_weight: float = param(
        0.75, 0.0, 20.0, "log-odds", "Family dropout per unit of split (range of the members' alliances).", "families"
    )
    therapist_neutrality: float = param(
        0.8,
        0.0,
        1.0,
        "0-1",
        "How even-handed the therapist is (1: fully neutral); below 1 the therapist sides with one member.",
        "families",
    )
    siding_effect: float = param(
        0.15,
        0.0,
        1.0,
        "per session",
        "At neutrality 0: share of the gap to 1 the sided member's bond gains per attended session, and "
        "share of their bond the others lose.",
        "families",
    )
