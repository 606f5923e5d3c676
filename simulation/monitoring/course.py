"""The expected course: mean ORS at each session for clients who started in the same intake ORS band,
computed once from a reference run of the model (its defaults, feedback off) and shipped as
``expected_course.json`` beside this module, together with the recipe that remakes it exactly.

Remake it after a change of the model's defaults (the file then changes, and the test that remakes
it from its recipe says so)::

    python -m simulation.monitoring.course            # compare the file with its recipe's result
    python -m simulation.monitoring.course --refresh  # rewrite the file from its recipe

Why the model's own cohort: the OQ-45 and PCOMS expected-recovery curves are the mean course of a
clinic's clients by intake score; here the clinic is the model, so its defaults define what is
expected, and a run with other parameters is judged against the default clinic's course.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

COURSE_FILE = Path(__file__).with_name("expected_course.json")
BAND_EDGES = (10.0, 15.0, 20.0, 25.0)  # ORS points; 25 is the adult clinical cutoff (Miller et al. 2003)
RECIPE: dict[str, Any] = {"n_clients": 20_000, "seed": 2025, "format": "individual", "parameters": {}}
MIN_READINGS = 20  # a cell with fewer attended readings takes the previous session's value


@dataclass(frozen=True)
class ExpectedCourse:
    """Expected ORS by intake band (rows: bands, lowest first) and own session (columns: 1, 2, ...)."""

    band_edges: tuple[float, ...]
    expected: tuple[tuple[float, ...], ...]  # ORS points
    readings: tuple[tuple[int, ...], ...]  # attended sessions behind each value
    recipe: dict[str, Any]

    def flat(self) -> np.ndarray:
        """The expected values, band-major, as one float64 array (for a gather)."""
        return np.asarray(self.expected, dtype=np.float64).ravel()

    def as_json(self) -> dict[str, Any]:
        return {
            "recipe": self.recipe,
            "band_edges": list(self.band_edges),
            "expected_ors": [list(row) for row in self.expected],
            "readings": [list(row) for row in self.readings],
        }


def compute_course(recipe: dict[str, Any] = RECIPE) -> ExpectedCourse:
    """Run the recipe's reference cohort and average its ORS by intake band and session."""
    from simulation.config import Params
    from simulation.tables import simulate

    params = Params(**recipe["parameters"])
    if params.feedback_enabled:
        raise ValueError("the reference run of the expected course has feedback off")
    tables = simulate(params, recipe["n_clients"], recipe["seed"], format=recipe["format"])
    sessions, clients = tables.sessions, tables.clients
    intake = clients.set_index("client_id")["ors_intake"].astype(float)
    band = np.searchsorted(np.asarray(BAND_EDGES), intake.reindex(sessions["client_id"]).to_numpy(), side="right")
    own = sessions["member_session"] if "member_session" in sessions else sessions["session"]
    attended = sessions["attended"].to_numpy()
    ors = sessions["ors"].to_numpy(dtype=float, na_value=np.nan)
    length = int(own.max())
    expected, readings = [], []
    for b in range(len(BAND_EDGES) + 1):
        row, counts = [], []
        for session in range(1, length + 1):
            chosen = attended & (band == b) & (own.to_numpy() == session)
            counts.append(int(chosen.sum()))
            if counts[-1] >= MIN_READINGS:
                row.append(round(float(ors[chosen].mean()), 2))
            else:  # too few readings (an empty band, late sessions): hold the previous value
                row.append(row[-1] if row else float(np.mean(BAND_EDGES[max(b - 1, 0) : b + 1])))
        expected.append(tuple(row))
        readings.append(tuple(counts))
    return ExpectedCourse(BAND_EDGES, tuple(expected), tuple(readings), dict(recipe))


def read_course(path: Path = COURSE_FILE) -> ExpectedCourse:
    """The expected course stored in ``path``."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return ExpectedCourse(
        tuple(float(edge) for edge in data["band_edges"]),
        tuple(tuple(float(value) for value in row) for row in data["expected_ors"]),
        tuple(tuple(int(count) for count in row) for row in data["readings"]),
        data["recipe"],
    )


@cache
def expected_course() -> ExpectedCourse:
    """The shipped expected course (read once per process)."""
    return read_course()


def write_course(course: ExpectedCourse, path: Path = COURSE_FILE) -> None:
    """Write ``course`` to ``path`` atomically."""
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(json.dumps(course.as_json(), indent=1) + "\n", encoding="utf-8")
    os.replace(partial, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Compare (or --refresh) the shipped expected course with its recipe.")
    parser.add_argument("--refresh", action="store_true", help="rewrite expected_course.json from its recipe")
    args = parser.parse_args(argv)
    recipe = read_course().recipe if COURSE_FILE.exists() and not args.refresh else RECIPE
    course = compute_course(recipe)
    if args.refresh:
        write_course(course)
        print(f"wrote {COURSE_FILE}")
        return 0
    same = course == read_course()
    print("the shipped expected course equals its recipe's result" if same else "the shipped expected course differs")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
