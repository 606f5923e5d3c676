"""The paired feedback study: the same clients with and without routine outcome monitoring feedback,
the effect on ORS change and dropout by on-track status and therapist ``feedback_use`` tercile
(run by experiments/feedback_monitoring.py; docs/monitoring.md)."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd
from scipy import stats

from simulation.config import Params
from simulation.memory import keep_freed_memory
from simulation.tables import simulate

GROUPS = (
    "all",
    "on track",
    "not on track",
    "not on track, feedback_use low third",
    "not on track, feedback_use middle third",
    "not on track, feedback_use high third",
)


def replicate_effects(seed: int, clients: int) -> pd.DataFrame:
    """One replicate: per group, the clients and the mean paired differences (on minus off) in ORS
    change (points) and dropout (share)."""
    off, on = simulate(Params(), clients, seed), simulate(Params(feedback_enabled=True), clients, seed)
    use_of = off.therapists.set_index("therapist_id")["feedback_use"]
    use = use_of.reindex(off.clients["therapist_id"]).to_numpy()
    tercile = np.digitize(use, np.quantile(use_of.to_numpy(), [1 / 3, 2 / 3]))
    flagged = off.clients["flagged"].to_numpy()
    change = (on.clients["change"] - off.clients["change"]).to_numpy(dtype=float)
    dropout = on.clients["dropped_out"].to_numpy(dtype=float) - off.clients["dropped_out"].to_numpy(dtype=float)
    masks = [np.ones_like(flagged), ~flagged, flagged, *(flagged & (tercile == k) for k in range(3))]
    return pd.DataFrame(
        {
            "seed": seed,
            "group": GROUPS,
            "clients": [int(mask.sum()) for mask in masks],
            "change_difference": [change[mask].mean() for mask in masks],
            "dropout_difference": [dropout[mask].mean() for mask in masks],
        }
    )


def paired_effects(replicates: int, clients: int, seed: int, workers: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every replicate's effects (replicate ``r`` has seed ``seed + r``) and their means with 95 % t
    intervals over the replicates, by group."""
    seeds = [seed + replicate for replicate in range(replicates)]
    if workers > 1:
        spawn = multiprocessing.get_context("spawn")  # each worker owns its process: it keeps freed memory
        with ProcessPoolExecutor(workers, mp_context=spawn, initializer=keep_freed_memory) as pool:
            parts = list(pool.map(replicate_effects, seeds, [clients] * replicates))
    else:
        parts = [replicate_effects(one, clients) for one in seeds]
    per_replicate = pd.concat(parts, ignore_index=True)
    rows = []
    for group in GROUPS:
        chosen = per_replicate[per_replicate["group"] == group]
        row = {"group": group, "clients_per_replicate": chosen["clients"].mean()}
        for figure in ("change_difference", "dropout_difference"):
            values = chosen[figure].to_numpy()
            half = stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))
            row |= {
                figure: values.mean(),
                f"{figure}_low": values.mean() - half,
                f"{figure}_high": values.mean() + half,
            }
        rows.append(row)
    return per_replicate, pd.DataFrame(rows)
