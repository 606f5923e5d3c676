"""What the fused kernel reads besides the state: every parameter as one float64 table (a row per
run, a column per parameter) with each relation's row into it, and the traits the loops read as one
float64 matrix (a row per relation), with the trait-only terms of the session update computed once
per pass in extra columns.

A parameter is read as ``P[run_of_row[i], K.name]``: stacked runs with different parameters cost one
index per row, and no per-row parameter arrays are built. A trait is read as ``M[i, T.name]``; the
matrix holds only the traits the loops read (:data:`READ`) and the derived terms, so that a row of it
is what one session reads and no more (tests/test_fused.py checks that every ``T.name`` the loops
read is a column here).
"""

from __future__ import annotations

import collections
import dataclasses
import enum

import numpy as np
from numba import njit

from simulation.config import PARAMETERS, Params
from simulation.dynamics.state import ANXIOUS, AVOIDANT, SECURE, Traits

K = enum.IntEnum("K", list(PARAMETERS), start=0)
"""Column of each parameter in the table (the order of :data:`simulation.config.PARAMETERS`)."""

READ = [
    "motivation",
    "intake",
    "attainable",
    "feedback_use",
    "challenge",
    "bias",
    "attachment",
    "attunement",
    "openness",
    "therapist_factor",
]
"""The fields of :class:`simulation.dynamics.Traits` that the fused loops read as ``M[i, T.name]``
(simulation.jit.session and .formats), one a line: a trait the loops start to read is added here."""
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
_READ_EVERY_SESSION = {
    *("motivation", "intake", "attainable", "feedback_use", "challenge", "bias", "therapist_factor"),
    *("bond_rate", "goal_rate", "task_rate", "reactance_factor", "skill_factor"),
    *("hazard_traits", "hazard_culture", "hazard_pitfalls", "hazard_fit", "hazard_reactance"),
}
"""The columns an attended session without a rupture reads: they come first, side by side in a row's
first cache lines; those read on a rupture only follow."""
T = enum.IntEnum("T", sorted(READ + _DERIVED, key=lambda name: name not in _READ_EVERY_SESSION), start=0)
"""Column of each trait the loops read, then of each trait-only term: bond growth rate (7.7, clipped
to 0-1), the goal and task growth rates before the bond gates them (7.7), the reactance factor on
change (7.17), the skill factor on change (7.13), the log of one repair step's chance (7.11), the
rupture's visibility were it a withdrawal (7.10), and the rupture hazard's trait terms (7.8): the sum
of its first five terms, then each later trait-only term on its own, so that the kernel adds them in
the array kernel's order and gets its sum to the bit. The columns of :data:`_READ_EVERY_SESSION`
first, each group in the order above."""

TraitArrays = collections.namedtuple("TraitArrays", [field.name for field in dataclasses.fields(Traits)])
"""The Traits' arrays as a named tuple, which numba reads by name (``t.empathy[i]``)."""


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
    """The traits the loops read as a (rows, len(T)) float64 matrix (a row per relation, its traits
    side by side), trait-only terms included. The two terms that pass through exp and log take
    numpy's own functions, on contiguous arrays, as the array kernel computes them: the loop leaves
    their arguments in ``exponent`` and ``chance``, numpy takes exp (and log) in place, and the loop
    writes them into the matrix."""
    n = traits.intake.shape[0]
    matrix = np.empty((n, len(T)), dtype=np.float64)
    for name in READ:
        matrix[:, T[name]] = getattr(traits, name)
    exponent, chance = np.empty(n), np.empty(n)
    arrays = TraitArrays(*(getattr(traits, name) for name in TraitArrays._fields))
    derive_terms(table, run_of_row, arrays, matrix, exponent, chance)
    np.exp(exponent, out=exponent)  # 7.17: the reactance factor
    np.exp(chance, out=chance)  # 7.11: exp(-log_odds) of one repair step's chance
    repair_terms(exponent, chance, matrix)
    np.log(chance, out=chance)
    matrix[:, T.log_repair_chance] = chance
    return matrix


@njit(cache=True, inline="always")
def _unit(value: float) -> float:
    return min(max(value, 0.0), 1.0)


@njit(cache=True, inline="always")
def _derive_row(P: np.ndarray, r: int, t: TraitArrays, i: int, M: np.ndarray) -> tuple[float, float]:
    """Row ``i``'s trait-only terms that need no exp or log, into ``M``, operation for operation as
    the array kernel computes them (growth.grow_alliance, symptoms.symptom_change, repair.visibility,
    onset.rupture_hazard); returns the reactance factor's exponent (7.17) and minus the log-odds of one
    repair step's success (7.11)."""
    attachment = t.attachment[i]
    factor = 1.0
    if attachment == ANXIOUS:
        factor = P[r, K.anxious_bond_factor]
    elif attachment == AVOIDANT:
        factor = P[r, K.avoidant_bond_factor]
    warmth = (t.empathy[i] + t.congruence[i] + t.regard[i]) / 3.0
    rate = (
        P[r, K.bond_growth_rate]
        * warmth
        * factor
        * (1.0 + P[r, K.fit_effect] * (t.fit[i] - 0.5))
        * (1.0 - P[r, K.resistance_effect] * t.resistance[i])
    )
    M[i, T.bond_rate] = _unit(rate)
    M[i, T.goal_rate] = P[r, K.goal_growth_rate] * t.collaboration[i]
    M[i, T.task_rate] = P[r, K.task_growth_rate] * t.skill[i]
    M[i, T.skill_factor] = max(1.0 + P[r, K.skill_effect] * (t.skill[i] - 0.5), 0.0)
    online = P[r, K.online_visibility] if t.online[i] else 1.0
    M[i, T.withdrawal_visibility] = P[r, K.withdrawal_visibility] * online
    M[i, T.hazard_traits] = (
        P[r, K.rupture_base_logit]
        + P[r, K.misattunement_weight] * (1.0 - t.attunement[i])
        + P[r, K.insecure_attachment_weight] * (1.0 if attachment != SECURE else 0.0)
        + P[r, K.transference_weight] * t.transference[i]
        + P[r, K.countertransference_weight] * t.defensiveness[i]
    )
    mismatch = 1.0 if t.mismatch[i] else 0.0
    M[i, T.hazard_culture] = P[r, K.cultural_mismatch_weight] * mismatch * (1.0 - t.cultural_sensitivity[i])
    M[i, T.hazard_pitfalls] = P[r, K.pitfalls_weight] * t.pitfalls[i]
    M[i, T.hazard_fit] = P[r, K.poor_fit_weight] * (1.0 - t.fit[i])
    M[i, T.hazard_reactance] = P[r, K.reactance_hazard_weight] * t.resistance[i] * t.challenge[i]
    exponent = P[r, K.reactance_change_weight] * t.challenge[i] * (P[r, K.reactance_pivot] - t.resistance[i])
    log_odds = P[r, K.repair_base_logit] + P[r, K.repair_skill_effect] * (t.repair_skill[i] - t.defensiveness[i])
    return exponent, -log_odds


@njit(cache=True, nogil=True)
def derive_terms(P, run_of_row, t, M, exponent, chance):  # fmt: skip
    """:func:`_derive_row` for every row: the terms into ``M``, the arguments of exp into
    ``exponent`` and ``chance``."""
    for i in range(M.shape[0]):
        exponent[i], chance[i] = _derive_row(P, run_of_row[i], t, i, M)


@njit(cache=True, nogil=True)
def repair_terms(reactance, chance, M):  # fmt: skip
    """After numpy's exp: the reactance factor into ``M``, and one repair step's chance (the logistic,
    clipped as repair.repair_step_chance clips it) into ``chance``, for numpy's log."""
    for i in range(M.shape[0]):
        M[i, T.reactance_factor] = reactance[i]
        chance[i] = min(max(1.0 / (1.0 + chance[i]), 1e-9), 1.0 - 1e-9)
