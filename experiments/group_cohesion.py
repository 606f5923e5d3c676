"""Experiment 5a: group size x the weight of cohesion -> member dropout, cohesion and change.

    python experiments/group_cohesion.py [--workers N] [--overwrite]

Writes results/group_cohesion/: points.csv, trends.png, README.md.
"""

from __future__ import annotations

from _experiment import trend_experiment

FIGURES = ["dropout", "cohesion_mean", "mean_change"]
INTRO = """
Closed groups of {levels} members (the group format, one leader per group), each member with their
own alliance with the leader and ties to the other members. `cohesion_weight` is how much of what a
member acts on (attendance, dropout, symptom change) is the group's cohesion rather than their
alliance with the leader (default 0.85).
Cohesion blends the member's ties to the others present with the group's mean alliance and what the
member has witnessed of the others' ruptures (repaired: up; left unresolved: down). Each replicate
meets the same {clients} people at every point (`paired = true`). `dropout` is the share of
members who dropped out (members leave one by one; with {clients} members every group is full,
so the summary's `group_dropout_share`, the mean over groups of that share, is the same number).
"""


def main() -> None:
    trend_experiment("group_cohesion.toml", __doc__, FIGURES, "Experiment 5a: group size and cohesion", INTRO)


if __name__ == "__main__":
    main()
