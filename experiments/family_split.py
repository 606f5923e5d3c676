"""Experiment 5b: family size x therapist neutrality -> split alliance and family dropout.

    python experiments/family_split.py [--workers N] [--overwrite]

Writes results/family_split/: points.csv, trends.png, README.md.
"""

from __future__ import annotations

from _experiment import trend_experiment

FIGURES = ["split_mean", "family_dropout", "shared_alliance_mean", "mean_change"]
INTRO = """
Couples (2) and families of 3-5 members (the family format: one therapist, every member with their
own alliance; roles parent, adolescent, parent, siblings). The *split* is the range of the members'
alliances in a session (0: all alike); it raises the family's dropout hazard
(`split_dropout_weight`, default 1 log-odds per unit) and lowers the shared alliance (the members' mean
alliance x (1 - split)). Below full `therapist_neutrality` the therapist sides with one member, whose
bond grows while the others' shrinks. The family drops out as a whole. Each replicate meets the same
{clients} people at every point (`paired = true`). `family_dropout` is the share of families
that dropped out; `mean_change` is the members' mean ORS change.
"""


def main() -> None:
    trend_experiment(
        "family_split.toml", __doc__, FIGURES, "Experiment 5b: family size, neutrality and the split alliance", INTRO
    )


if __name__ == "__main__":
    main()
