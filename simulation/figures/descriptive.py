"""The figures without a published band: outcome shares, the members' figures of every run and the
figures of groups and families (which each format lists among its own, ``Format.summary_figures``)."""

from __future__ import annotations

from simulation import measures
from simulation.figures.definition import Figure


def _outcome_share(outcome: str) -> Figure:
    return Figure(
        outcome,
        outcome,
        f"share of clients whose outcome category is {outcome} (measures.classify_outcomes)",
        "share 0-1",
        lambda t: (t.clients["outcome"] == outcome).mean(),
    )


OUTCOME_SHARES: tuple[Figure, ...] = tuple(
    _outcome_share(name)
    for name in measures.OUTCOMES
    if name != "dropped_out"  # dropout is a figure already
)

MEMBER_FIGURES: tuple[Figure, ...] = (
    Figure(
        "mean_change",
        "mean change (ORS points)",
        "mean of change (ors_final - ors_intake) over clients",
        "ORS points",
        lambda t: t.clients["change"].mean(),
    ),
    Figure(
        "alliance_early_mean",
        "mean early alliance",
        "mean of alliance_early over clients who attended one of sessions 3-5",
        "alliance 0-1",
        lambda t: t.clients["alliance_early"].mean(),
    ),
    Figure(
        "sessions_attended_mean",
        "mean sessions attended",
        "mean of sessions_attended over clients",
        "sessions",
        lambda t: t.clients["sessions_attended"].mean(),
    ),
    Figure(
        "ruptures_per_client",
        "ruptures per client",
        "mean number of ruptures per client",
        "ruptures",
        lambda t: t.clients["ruptures"].mean(),
    ),
    Figure(
        "ruptures_resolved_share",
        "share of ruptures resolved",
        "ruptures resolved over all ruptures, pooled over clients",
        "share 0-1",
        lambda t: t.clients["ruptures_resolved"].sum() / t.clients["ruptures"].sum(),
    ),
)

GROUP_FIGURES: tuple[Figure, ...] = (
    Figure(
        "cohesion_mean",
        "mean cohesion",
        "mean over members of their mean group cohesion over the sessions they attended",
        "cohesion 0-1",
        lambda t: t.clients["cohesion_mean"].mean(),
    ),
    Figure(
        "group_dropout_share",
        "mean share of a group's members who dropped out",
        "mean over groups of the share of their members who dropped out (members leave one by one)",
        "share 0-1",
        lambda t: t.units["dropout"].mean(),
    ),
    Figure(
        "member_ruptures_per_member",
        "member-member ruptures per member",
        "mean over members of their ruptures with other members",
        "ruptures",
        lambda t: t.clients["member_ruptures"].mean(),
    ),
)

FAMILY_FIGURES: tuple[Figure, ...] = (
    Figure(
        "split_mean",
        "mean split",
        "mean over families of their mean split (range of the members' alliances) over their sessions",
        "alliance 0-1",
        lambda t: t.units["split"].mean(),
    ),
    Figure(
        "shared_alliance_mean",
        "mean shared alliance",
        "mean over families of their mean shared alliance over their sessions",
        "alliance 0-1",
        lambda t: t.units["shared_alliance"].mean(),
    ),
    Figure(
        "family_dropout",
        "family dropout",
        "share of families that dropped out (together)",
        "share 0-1",
        lambda t: t.units["dropped_out"].mean(),
    ),
)
