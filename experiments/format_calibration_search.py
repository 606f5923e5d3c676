"""Repeatable search for the group and family formats' calibrated parameters (docs/ODD.md section 1,
the group and family rows; simulation.figures.registry.FORMAT_CALIBRATION).

A grid over two named parameters per format, each candidate scored on two cohorts of 3,000 members
with seeds other than the calibration seed (so the search does not fit that cohort's noise) by the
distance of the alliance-outcome r from its aim in half-band widths, plus 4 for each mechanism check
that the format declares (simulation.formats: ``Format.mechanism_checks``, those of ``alliance calibrate
--format``) failing on a search cohort. The individual format reads none of these parameters, so its
figures cannot move. Prints the grid, the best point and, for each of its parameters, whether it is
interior to the grid or on its edge, and writes the whole grid to docs/format_search_<format>.csv
(one row per point: the two parameters, r, score) and docs/format_search_<format>.md (r over the
grid, the best point marked); tests/test_calibration.py checks that the declared defaults are the
table's best point and interior to its grid. Copy the point into the format's declarations
(simulation/formats/group_params.py or family_params.py) and check with ``alliance calibrate --format
group|family``.

    python experiments/format_calibration_search.py --format group
    python experiments/format_calibration_search.py --format family

Where the chosen points lie (docs/ODD.md section 1): both are interior. The group's member-leader r
falls with ``cohesion_weight`` and hardly moves with ``cohesion_tie_weight``; it reaches its aim only
because a member bears just 1 - ``leader_rupture_cushion`` x ``cohesion_weight`` of the lasting harm of
an unresolved rupture with the leader (docs/ODD.md 7.16): without that cushion the harm holds r above
the aim up to the weights' bound, and the best point was the grid's top corner. Along the tie weight
the r is nearly flat, so that coordinate is a choice among near-equals. The family's r is nearly flat
over its whole grid.
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path

import numpy as np
import pandas as pd

from simulation import calibration, measures
from simulation.config import Params
from simulation.tables import simulate

GRIDS = {  # format: {parameter: values searched}, each over the parameter's meaningful range
    "group": {
        "cohesion_weight": (0.2, 0.4, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1.0),  # at 0 cohesion does nothing
        "cohesion_tie_weight": (0.0, 0.2, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 1.0),
    },
    "family": {
        "shared_alliance_weight": (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8),  # at 0 the shared alliance does nothing
        "split_dropout_weight": (0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0),  # at 0 the split would do nothing
    },
}
SEARCH_SEEDS = (101, 202)
SEARCH_MEMBERS = 3000
CHECK_PENALTY = 4.0  # per failed mechanism check on a search cohort
DOCS = Path(__file__).resolve().parents[1] / "docs"


def table_path(format_name: str, suffix: str = "csv") -> Path:
    """Where the search writes its grid: docs/format_search_<format>.csv (or .md)."""
    return DOCS / f"format_search_{format_name}.{suffix}"


def score(format_name: str, overrides: dict[str, float]) -> tuple[float, float]:
    """(score, mean r) of one candidate: squared distance of r from its aim in half-band widths, plus
    CHECK_PENALTY for each declared mechanism check that fails on a search cohort."""
    target = calibration.format_target(format_name)
    params = Params(**overrides)
    values, penalty = [], 0.0
    for seed in SEARCH_SEEDS:
        tables = simulate(params, SEARCH_MEMBERS, seed, format=format_name)
        values.append(measures.early_alliance_outcome_r(tables.clients))
        checks, _ = calibration.format_checks(format_name, params, SEARCH_MEMBERS, seed, tables)
        penalty += CHECK_PENALTY * sum(not holds for _, holds in checks)
    r = float(np.mean(values))
    return ((r - target.aim) / (0.5 * (target.high - target.low))) ** 2 + penalty, r


def placement(grid: dict[str, tuple[float, ...]], point: dict[str, float]) -> dict[str, str]:
    """For each parameter of ``point``: "interior", or which edge of its grid it lies on."""
    where = {}
    for name, values in grid.items():
        value = point[name]
        where[name] = (
            "lowest value" if value == min(values) else "highest value" if value == max(values) else "interior"
        )
    return where


def best_point(table: pd.DataFrame, names: list[str]) -> dict[str, float]:
    """The parameters of the lowest-scoring row of a search table."""
    row = table.loc[table["score"].idxmin()]
    return {name: float(row[name]) for name in names}


def markdown(format_name: str, table: pd.DataFrame) -> str:
    """The search table as docs/format_search_<format>.md shows it: r over the grid (rows: the first
    parameter, columns: the second), the best point in bold, and where it lies on the grid."""
    first, second = GRIDS[format_name]
    best = best_point(table, [first, second])
    target = calibration.format_target(format_name)
    r = table.pivot(index=first, columns=second, values="r")
    lines = [
        f"# Calibration search: {format_name} format",
        "",
        f"Output of `python experiments/format_calibration_search.py --format {format_name}`: the "
        f"calibration row's r ({target.label}), the mean over two cohorts of {SEARCH_MEMBERS:,} members (seeds "
        f"{', '.join(map(str, SEARCH_SEEDS))}) at each point of the grid (aim {target.aim:.2f}, band "
        f"{target.low:.2f} - {target.high:.2f}); the best point (lowest score, "
        f"{table_path(format_name).name}) in bold.",
        "",
        f"| {first} (rows), {second} (columns) | " + " | ".join(f"{value:g}" for value in r.columns) + " |",
        "|---|" + "---|" * len(r.columns),
    ]
    for value, row in r.iterrows():
        cells = [
            f"**{cell:.3f}**" if (value, column) == (best[first], best[second]) else f"{cell:.3f}"
            for column, cell in row.items()
        ]
        lines.append(f"| {value:g} | " + " | ".join(cells) + " |")
    where = placement(GRIDS[format_name], best)
    lines += ["", "Best point: " + ", ".join(f"`{name}` {best[name]:g} ({where[name]})" for name in best) + "."]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--format", choices=tuple(GRIDS), required=True)
    args = parser.parse_args()
    grid = GRIDS[args.format]
    rows = []
    for values in itertools.product(*grid.values()):
        overrides = dict(zip(grid, values, strict=True))
        loss, r = score(args.format, overrides)
        rows.append({**overrides, "r": r, "score": loss})
        print(f"{overrides}  r = {r:.3f}  score = {loss:.3f}", flush=True)
    table = pd.DataFrame(rows)
    table.to_csv(table_path(args.format), index=False, float_format="%.6g")
    table_path(args.format, "md").write_text(markdown(args.format, table), encoding="utf-8")
    best = best_point(table, list(grid))
    loss = float(table["score"].min())
    print(f"best: {best}  score = {loss:.3f}")
    print("on the grid: " + ", ".join(f"{name} {where}" for name, where in placement(grid, best).items()))


if __name__ == "__main__":
    main()
