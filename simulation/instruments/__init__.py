"""The item-level measurement layer: WAI-SR, SRS and ORS items and rupture reports drawn from the
kernel's session records (:mod:`.items`), their derived scores and figures (:mod:`.scores`), the entry
point over a sessions table already simulated (:mod:`.administration`), the codebook of a synthetic data
set (:mod:`.codebook`) and the instruments' parameters (:mod:`.params`). See docs/instruments.md.

``administer`` and ``instrument_figures`` are imported on first use (PEP 562): :mod:`simulation.config`
reads :mod:`.params` while it assembles ``Params``, which :mod:`.administration` imports, so this
package must load without it (and without pandas). No submodule may share a name exported here: importing
it would rebind the package's attribute to the module.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simulation.instruments.administration import administer, instrument_figures

__all__ = ["administer", "instrument_figures"]


def __getattr__(name: str) -> Any:
    """``administer`` and ``instrument_figures`` from :mod:`.administration`, on first use."""
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module("simulation.instruments.administration"), name)
