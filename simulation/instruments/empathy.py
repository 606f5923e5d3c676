"""A short client-rated perceived-empathy scale, modelled on the empathy subscale of the Barrett-Lennard
Relationship Inventory (BLRI; Barrett-Lennard 1962): six positively worded items answered -3 (strongly
feel it is not true) to +3 (strongly feel it is true) with no middle point, total -18 to +18.

It is given at the end of each attended session of the early window (the client's own sessions
ALLIANCE_EARLY_SESSIONS, as ``alliance_early``); a client's early score is the mean of their totals
there (Elliott et al. 2018 pool empathy measured early in therapy).

**What a client perceives** (0-1): a weighted mean of the therapist's empathy (trait), the pair's fit
and the client's own felt bond that session (perceived empathy is a view of the relationship, not of
the therapist alone), plus the client's lasting way of perceiving (a client-level normal shift of SD
``empathy_perception_sd``). Item j answers an ordinal probit model like the WAI-SR's:
``x = loading_j * (perceived - 0.5) + 0.5 + empathy_leniency + e`` with ``e ~ N(0, empathy_item_error_sd)``,
cut at :data:`EMPATHY_THRESHOLDS` into the six answers. The layer reads the kernel's tables and draws
from its own random processes (appended to the registry), so the kernel's results do not change.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from simulation.backend import Domain, run_key
from simulation.config import Params
from simulation.figures.windows import ALLIANCE_EARLY_SESSIONS
from simulation.instruments.items import intake_draw, item_draws
from simulation.measures import correlation, keyed, own_session

if TYPE_CHECKING:
    from simulation.tables import Tables

EMPATHY_ITEMS = (
    "tries to see things through my eyes",
    "understands what I mean",
    "realises what I mean even when I find it hard to say",
    "senses how I feel",
    "appreciates what my experience feels like to me",
    "understands me",
)
EMPATHY_ANSWERS = (-3, -2, -1, 1, 2, 3)  # BLRI answers: no neutral point
EMPATHY_LOADINGS = (1.0, 1.05, 0.95, 1.0, 0.95, 1.05)
EMPATHY_THRESHOLDS = (1 / 6, 2 / 6, 3 / 6, 4 / 6, 5 / 6)  # latent cut-offs between the six answers
EMPATHY_TOTAL_RANGE = (-18, 18)


def perceived_empathy(
    therapist_empathy: np.ndarray, fit: np.ndarray, bond: np.ndarray, perception: np.ndarray, p: Params
) -> np.ndarray:
    """What the client perceives (0-1, unclipped): the weighted mean of the therapist's empathy, the
    fit and the client's bond (weights normalised), shifted by the client's ``perception`` (SD units)."""
    weights = (p.empathy_therapist_weight, p.empathy_fit_weight, p.empathy_bond_weight)
    mean = (weights[0] * therapist_empathy + weights[1] * fit + weights[2] * bond) / sum(weights)
    return mean + p.empathy_perception_sd * perception


def empathy_items(perceived: np.ndarray, p: Params, z: np.ndarray) -> np.ndarray:
    """Answers (rows, 6) on -3..+3 (no 0) from the perceived empathy of each row and item errors ``z``."""
    loadings = np.asarray(EMPATHY_LOADINGS)
    latent = loadings * (perceived[:, None] - 0.5) + 0.5 + p.empathy_leniency + p.empathy_item_error_sd * z
    category = (latent[..., None] > np.asarray(EMPATHY_THRESHOLDS)).sum(axis=-1)
    return np.asarray(EMPATHY_ANSWERS)[category]


def empathy_given(sessions: pd.DataFrame) -> np.ndarray:
    """Whether the scale is given in each row: attended sessions of the early window (own calendar)."""
    first, last = ALLIANCE_EARLY_SESSIONS
    return sessions["attended"].to_numpy(bool) & own_session(sessions).between(first, last).to_numpy()


def empathy_perceived(
    sessions: pd.DataFrame, clients: pd.DataFrame, therapists: pd.DataFrame, p: Params, seed: int
) -> np.ndarray:
    """What the client perceives (0-1, unclipped) at each administration of the scale (the rows of
    ``sessions`` where it is given, in order): the latent truth behind the answers."""
    rows = sessions[empathy_given(sessions)]
    keys = np.full(len(rows), run_key(seed), dtype=np.uint64)
    trait = therapists.set_index("therapist_id")["empathy"].reindex(rows["therapist_id"]).to_numpy(float)
    fit = clients.set_index("client_id")["fit"].reindex(rows["client_id"]).to_numpy(float)
    perception = intake_draw(keys, rows["client_id"].to_numpy(np.int64) - 1, Domain.CLIENT, "empathy_perception")
    return perceived_empathy(trait, fit, rows["bond"].to_numpy(float), perception, p)


def administer_empathy(
    sessions: pd.DataFrame, clients: pd.DataFrame, therapists: pd.DataFrame, p: Params, seed: int
) -> pd.DataFrame:
    """The scale's administrations in one run: one row per (client, session) where it is given, with
    ``client_id``, ``session``, the six items ``empathy_1`` .. ``empathy_6`` and ``empathy_total``."""
    rows = sessions[empathy_given(sessions)]
    client_index = rows["client_id"].to_numpy(np.int64) - 1
    keys = np.full(len(rows), run_key(seed), dtype=np.uint64)
    perceived = empathy_perceived(sessions, clients, therapists, p, seed)
    errors = item_draws(keys, client_index, rows["session"].to_numpy(np.int64), "empathy_items")
    errors = errors.reshape(len(rows), len(EMPATHY_ITEMS))  # also with no administration (a short course)
    items = empathy_items(perceived, p, errors)
    table = pd.DataFrame({"client_id": rows["client_id"].to_numpy(), "session": rows["session"].to_numpy()})
    for item in range(len(EMPATHY_ITEMS)):
        table[f"empathy_{item + 1}"] = items[:, item].astype(np.int8)
    table["empathy_total"] = items.sum(axis=1).astype(np.int16)
    return table


def empathy_early(
    sessions: pd.DataFrame, clients: pd.DataFrame, therapists: pd.DataFrame, p: Params, seed: int
) -> pd.Series:
    """Each client's early perceived empathy: the mean scale total over their administrations (NaN
    for a client who attended none of the early sessions), indexed like ``clients``."""
    totals = administer_empathy(sessions, clients, therapists, p, seed).groupby("client_id")["empathy_total"]
    return clients["client_id"].map(totals.mean()).astype(float)


def run_parameters(runs: pd.DataFrame) -> tuple[Params, int]:
    """The parameters and seed of a one-run table (``Tables.runs``)."""
    if len(runs) != 1 or pd.isna(runs["seed"].iloc[0]):
        raise ValueError("the perceived-empathy figure is computed on one run with an integer seed")
    row = runs.iloc[0]
    values = {field.name: type(field.default)(row[field.name]) for field in dataclasses.fields(Params)}
    return Params(**values), int(row["seed"])


def empathy_outcome_r(tables: Tables) -> float:
    """corr(client-rated perceived empathy early, change) over clients with both (one run); NaN where
    undefined (e.g. a course too short to reach the early window)."""
    p, seed = run_parameters(tables.runs)
    if len(keyed(tables.clients, "client_id")) > 1:
        raise ValueError("the perceived-empathy figure is computed on one run")
    early = empathy_early(tables.sessions, tables.clients, tables.therapists, p, seed)
    return correlation(early, tables.clients["change"].astype(float))  # NaN where undefined
