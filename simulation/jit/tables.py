"""What the fused kernel reads besides the state: every parameter as one float64 table (a row per
run, a column per parameter) with each relation's row into it, and every relation's traits as one
float64 matrix (a row per relation), with the trait-only terms of the session update computed once
per pass in extra columns.

A parameter is read as ``P[run_of_row[i], K.name]``: stacked runs with different parameters cost one
index per row, and no per-row parameter arrays are built.
"""

from __future__ import annotations

import dataclasses
import enum

import numpy as np
from numba import njit

from simulation.config import PARAMETERS, Params
from simulation.dynamics.state import ANXIOUS, AVOIDANT, SECURE, Traits

K = enum.IntEnum("K", list(PARAMETERS), start=0)
"""Column of each parameter in the table (the order of :data:`simulation.config.PARAMETERS`)."""

_TRAIT_FIELDS = [field.name for field in dataclasses.fields(Traits)]
_DERIVED = [
    "bond_rate",
    "goal_rate",
    "task_rate",
    "reactance_factor",
    "skill_factor",
    "log_repair_chance",
    "withdrawal_visibility",
    "hazard_traits",
    "hazard_culture",
    "hazard_pitfalls",
    "hazard_fit",
    "hazard_reactance",
]
T = enum.IntEnum("T", _TRAIT_FIELDS + _DERIVED, start=0)
"""Column of each relation trait (:class:`simulation.dynamics.Traits`, in order), then the trait-only
terms: bond growth rate (7.7, clipped to 0-1), the goal and task growth rates before the bond gates
them (7.7), the reactance factor on change (7.17), the skill factor on change (7.13), the log of one
repair step's chance (7.11), the rupture's visibility were it a withdrawal (7.10), and the rupture
hazard's trait terms (7.8): the sum of its first five terms, then each later trait-only term on its
own, so that the kernel adds them in the array kernel's order and gets its sum to the bit."""


def parameter_table(params: list[Params]) -> np.ndarray:
    """One row per run, one float64 column per parameter (booleans as 0/1)."""
    return np.asarray([[float(getattr(p, name)) for name in PARAMETERS] for p in params], dtype=np.float64)


def dose_table(table: np.ndarray) -> np.ndarray:
    """exp(-dose_decay x sessions attended) for each run (rows) and 0, 1, ... sessions attended up to
    the longest course (columns): numpy's ``exp`` on the products the array kernel computes, so the
    same numbers (7.13)."""
    longest = int(np.max(table[:, K.course_length] + table[:, K.feedback_session_cap])) + 1
    return np.exp(-table[:, K.dose_decay][:, None] * np.arange(longest, dtype=np.float64)[None, :])


def trait_matrix(traits: Traits, table: np.ndarray, run_of_row: np.ndarray) -> np.ndarray:
    """The relations' traits as a (rows, len(T)) float64 matrix (a row per relation, its traits
    side by side), trait-only terms included."""
    n = traits.intake.shape[0]
    matrix = np.empty((n, len(T)), dtype=np.float64)
    for name in _TRAIT_FIELDS:
        matrix[:, T[name]] = getattr(traits, name)
    derive_terms(table, run_of_row, matrix)
    # the two terms with exp and log, by numpy's own functions as the array kernel computes them
    p = {name: table[run_of_row, K[name]] for name in ("reactance_change_weight", "reactance_pivot")}
    p |= {name: table[run_of_row, K[name]] for name in ("repair_base_logit", "repair_skill_effect")}
    challenge, resistance = matrix[:, T.challenge], matrix[:, T.resistance]
    matrix[:, T.reactance_factor] = np.exp(
        p["reactance_change_weight"] * challenge * (p["reactance_pivot"] - resistance)
    )
    log_odds = p["repair_base_logit"] + p["repair_skill_effect"] * (
        matrix[:, T.repair_skill] - matrix[:, T.defensiveness]
    )
    matrix[:, T.log_repair_chance] = np.log(np.clip(1.0 / (1.0 + np.exp(-log_odds)), 1e-9, 1.0 - 1e-9))
    return matrix


@njit(cache=True)
def _unit(value: float) -> float:
    return min(max(value, 0.0), 1.0)


@njit(cache=True, nogil=True)
def derive_terms(P: np.ndarray, run_of_row: np.ndarray, M: np.ndarray) -> None:
    """Fill the trait-only columns of ``M`` that need no exp or log, operation for operation as the
    array kernel computes them (growth.grow_alliance, symptoms.symptom_change, repair.visibility,
    onset.rupture_hazard)."""
    for i in range(M.shape[0]):
        r = run_of_row[i]
        attachment = M[i, T.attachment]
        factor = 1.0
        if attachment == ANXIOUS:
            factor = P[r, K.anxious_bond_factor]
        elif attachment == AVOIDANT:
            factor = P[r, K.avoidant_bond_factor]
        warmth = (M[i, T.empathy] + M[i, T.congruence] + M[i, T.regard]) / 3.0
        rate = (
            P[r, K.bond_growth_rate]
            * warmth
            * factor
            * (1.0 + P[r, K.fit_effect] * (M[i, T.fit] - 0.5))
            * (1.0 - P[r, K.resistance_effect] * M[i, T.resistance])
        )
        M[i, T.bond_rate] = _unit(rate)
        M[i, T.goal_rate] = P[r, K.goal_growth_rate] * M[i, T.collaboration]
        M[i, T.task_rate] = P[r, K.task_growth_rate] * M[i, T.skill]
        M[i, T.skill_factor] = max(1.0 + P[r, K.skill_effect] * (M[i, T.skill] - 0.5), 0.0)
        online = P[r, K.online_visibility] if M[i, T.online] != 0.0 else 1.0
        M[i, T.withdrawal_visibility] = P[r, K.withdrawal_visibility] * online
        M[i, T.hazard_traits] = (
            P[r, K.rupture_base_logit]
            + P[r, K.misattunement_weight] * (1.0 - M[i, T.attunement])
            + P[r, K.insecure_attachment_weight] * (1.0 if attachment != SECURE else 0.0)
            + P[r, K.transference_weight] * M[i, T.transference]
            + P[r, K.countertransference_weight] * M[i, T.defensiveness]
        )
        M[i, T.hazard_culture] = (
            P[r, K.cultural_mismatch_weight] * M[i, T.mismatch] * (1.0 - M[i, T.cultural_sensitivity])
        )
        M[i, T.hazard_pitfalls] = P[r, K.pitfalls_weight] * M[i, T.pitfalls]
        M[i, T.hazard_fit] = P[r, K.poor_fit_weight] * (1.0 - M[i, T.fit])
        M[i, T.hazard_reactance] = P[r, K.reactance_hazard_weight] * M[i, T.resistance] * M[i, T.challenge]
