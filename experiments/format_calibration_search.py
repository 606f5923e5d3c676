"""Repeatable search for the group and family formats' calibrated parameters (DESIGN.md section 5,
the group and family rows; simulation.figures.registry.FORMAT_CALIBRATION).

A grid over two named parameters per format (wide enough that the chosen point is interior where
the figure allows it), each candidate scored on two cohorts of 3,000 members
with seeds other than the calibration seed (so the search does not fit that cohort's noise) by the
distance of the alliance-outcome r from its aim in half-band widths, plus a penalty when a mechanism
check of ``alliance calibrate --format`` would fail. The individual format reads none of these
parameters, so its figures cannot move. Prints the grid and the best point; copy it into the format's
declarations (simulation/formats/group_params.py or family_params.py) and check with
``alliance calibrate --format group|family``.

    python experiments/format_calibration_search.py --format group
    python experiments/format_calibration_search.py --format family
"""

from __future__ import annotations

import argparse
import itertools

import numpy as np

from simulation import calibration, measures
from simulation.config import Params
from simulation.tables import simulate

# Where the chosen point lies (run after the reactance submodel and change_rate 0.183): the family's
# (0.4, 0.75) is interior; the group's member-leader r falls monotonically with both weights, so its
# best point (0.97, 0.95) stays on the grid's top edge: these two weights cannot bring the r to its aim
# (.17) short of 1, only into the band (.21-.24 on four seeds).
# The grids stop short of 1 for the group's weights on purpose: at cohesion_weight 1 the member-leader
# alliance would have no direct part in a member's course, and at cohesion_tie_weight 1 the members'
# alliances none in cohesion; both are what the group format is about (DESIGN.md section 2).
GRIDS = {  # format: {parameter: values searched}
    "group": {
        "cohesion_weight": (0.8, 0.85, 0.9, 0.94, 0.97),
        "cohesion_tie_weight": (0.6, 0.7, 0.8, 0.9, 0.95),
    },
    "family": {
        "shared_alliance_weight": (0.05, 0.1, 0.2, 0.3, 0.4, 0.5),  # at 0 the shared alliance would do nothing
        "split_dropout_weight": (0.25, 0.5, 0.75, 1.0, 1.5),  # at 0 the split would do nothing
    },
}
SEARCH_SEEDS = (101, 202)
SEARCH_MEMBERS = 3000


def score(format_name: str, overrides: dict[str, float]) -> tuple[float, float]:
    """(score, mean r) of one candidate: squared distance of r from its aim in half-band widths, plus
    4 when the family's split does not raise its dropout (a mechanism check)."""
    target = calibration.format_target(format_name)
    params = Params(**overrides)
    values, penalty = [], 0.0
    for seed in SEARCH_SEEDS:
        tables = simulate(params, SEARCH_MEMBERS, seed, format=format_name)
        values.append(measures.early_alliance_outcome_r(tables.clients))
        if format_name == "family":
            unsplit = simulate(params.replace(split_dropout_weight=0.0), SEARCH_MEMBERS, seed, format=format_name)
            penalty += 4.0 * float(unsplit.units["dropped_out"].mean() >= tables.units["dropped_out"].mean())
    r = float(np.mean(values))
    return ((r - target.aim) / (0.5 * (target.high - target.low))) ** 2 + penalty, r


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--format", choices=tuple(GRIDS), required=True)
    args = parser.parse_args()
    grid = GRIDS[args.format]
    results = []
    for values in itertools.product(*grid.values()):
        overrides = dict(zip(grid, values, strict=True))
        loss, r = score(args.format, overrides)
        results.append((loss, r, overrides))
        print(f"{overrides}  r = {r:.3f}  score = {loss:.3f}", flush=True)
    loss, r, best = min(results, key=lambda result: result[0])
    print(f"best: {best}  r = {r:.3f}  score = {loss:.3f}")


if __name__ == "__main__":
    main()
