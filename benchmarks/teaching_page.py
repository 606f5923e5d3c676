"""``python -m benchmarks.teaching_page [--clients N]``: how long one step of the teaching page takes.

One step of the page is one weekly session of both cohorts (the Classroom model: repair on and off)
and a redraw of its three plots (inline SVG, as the page sends them). Prints the median and the slowest of
each over a whole course (12 sessions), the best of three courses; the browser's own drawing and the
websocket are not included (a few tens of ms on 127.0.0.1).
"""

from __future__ import annotations

import argparse
import statistics
import time

from simulation.app import VIEWS
from simulation.viz.classroom import Classroom


def redraw(model: Classroom) -> None:
    """Draw the page's plots as its views do, to inline SVG."""
    for view in VIEWS:
        view.svg(model)


def course(clients: int, seed: int) -> tuple[list[float], list[float]]:
    model = Classroom(n_clients=clients, seed=seed)
    steps, draws = [], []
    while model.running:
        start = time.perf_counter()
        model.step()
        steps.append(time.perf_counter() - start)
        start = time.perf_counter()
        redraw(model)
        draws.append(time.perf_counter() - start)
    return steps, draws


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=300, help="cohort size (default 300)")
    args = parser.parse_args()
    course(args.clients, 0)  # warm-up: imports, fonts, caches
    best = min((course(args.clients, seed) for seed in (1, 2, 3)), key=lambda times: sum(times[0]) + sum(times[1]))
    for label, times in zip(("model step (both cohorts)", "redraw of the three plots"), best, strict=True):
        print(f"{label:<28} median {1000 * statistics.median(times):6.1f} ms, slowest {1000 * max(times):6.1f} ms")


if __name__ == "__main__":
    main()
