"""Repeatable search for the reactance submodel's parameters (docs/ODD.md, Reactance;
section 5, directiveness x reactance).

A seeded Latin hypercube, then a seeded local refinement, over the three reactance parameters and
``change_rate`` (which keeps the mean change where the other figures need it when reactance slows
resistant clients). Each candidate runs, on each search seed (not the calibration seed), the paired
contrast of simulation.calibration.directiveness_contrast and the calibration cohort with its presets,
and is scored by the contrast's distance from d = .79 (in half-band widths), +2 when the bottom third's
d is not above 0 and under the top third's, the substance-use preset's dropout's distance from the
middle of 30-50 % (+2 outside it: a mechanism check of ``alliance calibrate``), plus
simulation.calibration.loss of the calibration figures and +2 per figure outside its band. Prints the
best point and its mean figures; copy it into simulation/params/reactance.py (change_rate:
simulation/params/outcomes.py) and check four seeds with tests/test_calibration.py (slow). The present
defaults: ``--points 60 --refine 40 --seed 8`` with change_rate searched on 0.12-0.20.

    python experiments/reactance_search.py [--points 120] [--refine 40] [--clients 2000] [--seed 7]
"""

from __future__ import annotations

import argparse

import numpy as np
from scipy.stats import qmc
from tqdm import tqdm

from simulation import calibration, measures
from simulation.config import Params
from simulation.figures.registry import DIRECTIVENESS

SEARCHED = {
    "reactance_hazard_weight": (0.0, 4.0),
    "reactance_change_weight": (1.0, 10.0),
    "reactance_pivot": (0.12, 0.30),
    "change_rate": (0.12, 0.20),
}
SEARCH_SEEDS = (101, 202)
REFINE_STEP = 0.05  # SD of a refinement step, as a share of each parameter's searched range


def score(overrides: dict[str, float], n_clients: int) -> tuple[float, dict[str, float]]:
    """Mean loss over the search seeds and the mean figures (contrast and calibration)."""
    params = Params().replace(**overrides)
    reactant, compliant = DIRECTIVENESS["reactant"], DIRECTIVENESS["compliant"]
    losses, values = [], []
    for seed in SEARCH_SEEDS:
        figures = calibration.directiveness_contrast(params, n_clients, seed)
        figures |= calibration.figures(calibration.simulate(params, n_clients, seed))
        penalty = 0.0
        for preset, cohort in calibration.preset_cohorts(params, n_clients, seed).items():
            figures |= calibration.figures(cohort, preset)
            dropout = figures[f"{preset}_dropout"] = measures.dropout_rate(cohort.clients)
            low, high = calibration.SUBSTANCE_USE_DROPOUT  # the mechanism check of alliance calibrate
            penalty += ((dropout - 0.5 * (low + high)) / (0.5 * (high - low))) ** 2
            penalty += 2.0 * float(not low <= dropout <= high)
        top, bottom = figures[reactant.name], figures[compliant.name]
        penalty += ((top - reactant.aim) / (0.5 * (reactant.high - reactant.low))) ** 2
        penalty += 2.0 * float(not reactant.in_band(top)) + 2.0 * float(not 0.0 < bottom < top)
        penalty += 2.0 * sum(not t.in_band(figures[t.name]) for t in calibration.TARGETS)
        losses.append(calibration.loss(figures) + penalty)
        values.append(figures)
    return float(np.mean(losses)), {key: float(np.mean([v[key] for v in values])) for key in values[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=120, help="Latin hypercube points")
    parser.add_argument("--refine", type=int, default=40, help="local refinement candidates")
    parser.add_argument("--clients", type=int, default=2000, help="clients per cohort")
    parser.add_argument("--seed", type=int, default=7, help="seed of the search itself")
    args = parser.parse_args()
    names = list(SEARCHED)
    low, high = np.array([SEARCHED[n][0] for n in names]), np.array([SEARCHED[n][1] for n in names])
    points = list(qmc.scale(qmc.LatinHypercube(d=len(names), seed=args.seed).random(args.points), low, high))
    rng = np.random.default_rng(args.seed)
    best: tuple[float, np.ndarray, dict[str, float]] = (np.inf, low, {})
    for index in tqdm(range(args.points + args.refine), desc="candidates"):
        if index < args.points:
            point = points[index]
        else:
            point = np.clip(best[1] + rng.normal(0.0, REFINE_STEP, len(names)) * (high - low), low, high)
        loss, values = score(dict(zip(names, map(float, point), strict=True)), args.clients)
        if loss < best[0]:
            best = (loss, point, values)
            tqdm.write(
                f"{index}: loss {loss:.3f} " + " ".join(f"{n}={v:.3g}" for n, v in zip(names, point, strict=True))
            )
    print(f"best loss {best[0]:.3f}")
    for name, value in zip(names, best[1], strict=True):
        print(f"  {name} = {value:.3g}")
    for key, value in best[2].items():
        print(f"  {key}: {value:.3f}")


if __name__ == "__main__":
    main()
