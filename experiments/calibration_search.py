"""Repeatable search for the calibrated defaults (DESIGN.md section 5).

A Latin hypercube (scipy.stats.qmc, seeded) over a handful of named parameters, then a seeded local
refinement around the best point. Each candidate runs four cohorts of 4,000 clients with seeds other
than the calibration seed (so the search does not fit one cohort's noise) and is scored by
simulation.calibration.loss, plus a penalty when a mechanism check fails or the dose-response is
not negatively accelerated. Prints the best overrides;
copy them into simulation/config.py and refresh docs/calibration.md with
`alliance calibrate --out docs --overwrite`.

    python experiments/calibration_search.py [--points 160] [--refine 80]
"""

from __future__ import annotations

import argparse

import numpy as np
from scipy.stats import qmc
from tqdm import tqdm

from simulation import calibration, measures
from simulation.config import Params
from simulation.tables import simulate

SEARCHED = {  # name: (low, high) searched
    "alliance_effect": (2.0, 8.0),
    "alliance_level_effect": (0.5, 3.0),
    "skill_effect": (1.0, 5.0),
    "therapist_trait_sd": (0.06, 0.30),
    "dropout_base_logit": (-5.5, -3.5),
    "miss_base_logit": (-2.2, -0.2),
    "repair_gain": (0.5, 2.0),
    "dropout_alliance_weight": (2.0, 8.0),
    "change_rate": (0.05, 0.35),
    "dose_decay": (0.1, 0.5),
}
SEARCH_SEEDS = (101, 202, 303, 404)
SEARCH_CLIENTS = 4000


def score(overrides: dict[str, float]) -> tuple[float, dict[str, float]]:
    """Mean loss over the search cohorts (+1 per failed completer check, +2 per figure outside its
    band, so that the defaults sit inside the bands for other seeds too); the mean figures."""
    params = Params().replace(**overrides)
    losses, values = [], []
    for seed in SEARCH_SEEDS:
        tables = simulate(params, SEARCH_CLIENTS, seed)
        figures = calibration.figures(tables)
        completed = tables.clients[~tables.clients["dropped_out"]]
        penalty = sum(
            1.0
            for r in (measures.early_alliance_outcome_r(completed), measures.resolution_outcome_r(completed))
            if r <= 0.02
        )
        penalty += 2.0 * sum(not t.low <= figures[t.key] <= t.high for t in calibration.TARGETS)
        gain = measures.gain_per_session(tables.sessions)
        penalty += 1.0 if not gain[2] > gain[4] > gain[6] else 0.0  # early sessions help most
        losses.append(calibration.loss(figures) + penalty)
        values.append(figures)
    return float(np.mean(losses)), {key: float(np.mean([v[key] for v in values])) for key in values[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=600, help="Latin hypercube points")
    parser.add_argument("--refine", type=int, default=200, help="local refinement candidates")
    parser.add_argument("--seed", type=int, default=7, help="seed of the search itself")
    args = parser.parse_args()
    names = list(SEARCHED)
    low, high = np.array([SEARCHED[n][0] for n in names]), np.array([SEARCHED[n][1] for n in names])
    candidates = qmc.scale(qmc.LatinHypercube(d=len(names), seed=args.seed).random(args.points), low, high)
    best = (np.inf, None, None)
    for point in tqdm(candidates, desc="hypercube"):
        loss, values = score(dict(zip(names, map(float, point), strict=True)))
        best = min(best, (loss, tuple(point), values), key=lambda item: item[0])
    rng = np.random.default_rng(args.seed)
    for _ in tqdm(range(args.refine), desc="refine"):
        point = np.clip(np.array(best[1]) + rng.normal(0, 0.05, len(names)) * (high - low), low, high)
        loss, values = score(dict(zip(names, map(float, point), strict=True)))
        best = min(best, (loss, tuple(point), values), key=lambda item: item[0])
    print(f"best loss {best[0]:.3f}")
    for name, value in zip(names, best[1], strict=True):
        print(f"  {name} = {value:.3g}")
    for key, value in best[2].items():
        print(f"  {key}: {value:.3f}")


if __name__ == "__main__":
    main()
