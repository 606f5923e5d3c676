"""Fitting the model to session records (``alliance fit``, docs/fit.md): simulation-based inference
(ABC-SMC with pyabc) of chosen parameters from a clinic's or a generated data set's long session
records, with posterior samples, estimates, a predictive check, pair plots and a manifest.

    from simulation.fit import fit
    result = fit("DATASET", ["repair_skill_mean", "attunement_mean"], seed=1, out="fitted")
"""

from typing import Any

__all__ = ["fit", "prepare"]


def __getattr__(name: str) -> Any:
    """``fit`` and ``prepare`` load on first use, so that ``alliance --help`` need not import pandas."""
    if name in __all__:
        from simulation.fit import api

        return getattr(api, name)
    raise AttributeError(f"module 'simulation.fit' has no attribute {name!r}")
