"""Alliance dynamics: an agent-based model of the therapeutic alliance over courses of therapy.

The public API, documented in docs/api.md::

    from simulation import Params, apply_presets, simulate

    tables = simulate(apply_presets(["reparative"]), n_clients=2000, seed=1)

Every name is imported on first use (PEP 562), so that ``import simulation`` stays cheap: the
command line imports pandas, matplotlib, Dask, Solara and Mesa only in the commands that need them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# name -> the module that defines it
_EXPORTS = {
    "simulate": "simulation.tables",
    "simulate_runs": "simulation.tables",
    "Tables": "simulation.tables",
    "Run": "simulation.runs",
    "run_seeds": "simulation.backend",
    "Params": "simulation.config",
    "ParameterError": "simulation.config",
    "PARAMETERS": "simulation.config",
    "PRESETS": "simulation.presets",
    "apply_presets": "simulation.presets",
    "load_toml": "simulation.recipe",
    "RunRecipe": "simulation.recipe",
    "AllianceModel": "simulation.model",
    "run_to_directory": "simulation.store",
    "calibrate": "simulation.calibration",
    "calibrate_format": "simulation.calibration",
    "FIGURES": "simulation.figures.registry",
    "generate": "simulation.synthetic",
    "generate_to_directory": "simulation.synthetic",
    "fit": "simulation.fit.api",
    "instrument_figures": "simulation.instruments",
    "keep_freed_memory": "simulation.memory",
    "load_study": "simulation.sweeps",
    "run_study": "simulation.sweeps",
    "write_gallery": "simulation.viz.gallery",
}
__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:  # for type checkers and editors; at run time __getattr__ imports on first use
    from simulation.backend import run_seeds  # noqa: F401
    from simulation.calibration import calibrate, calibrate_format  # noqa: F401
    from simulation.config import PARAMETERS, ParameterError, Params  # noqa: F401
    from simulation.figures.registry import FIGURES  # noqa: F401
    from simulation.fit.api import fit  # noqa: F401
    from simulation.instruments import instrument_figures  # noqa: F401
    from simulation.memory import keep_freed_memory  # noqa: F401
    from simulation.model import AllianceModel  # noqa: F401
    from simulation.presets import PRESETS, apply_presets  # noqa: F401
    from simulation.recipe import RunRecipe, load_toml  # noqa: F401
    from simulation.runs import Run  # noqa: F401
    from simulation.store import run_to_directory  # noqa: F401
    from simulation.sweeps import load_study, run_study  # noqa: F401
    from simulation.synthetic import generate, generate_to_directory  # noqa: F401
    from simulation.tables import Tables, simulate, simulate_runs  # noqa: F401
    from simulation.viz.gallery import write_gallery  # noqa: F401


def __getattr__(name: str) -> Any:
    """Import a public name from its module on first use, and keep it."""
    if name not in _EXPORTS:
        raise AttributeError(f"module 'simulation' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
