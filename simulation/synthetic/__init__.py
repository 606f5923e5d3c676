"""Synthetic data sets with known truth, for testing analysis methods (docs/synthetic.md).

:func:`generate` returns the tables as pandas DataFrames; :func:`generate_to_directory` (``alliance
generate``) streams them, chunk by chunk, to a folder: the observed tables (a long table of one row per
client and scheduled session with every item score, a client table, a therapist table), ``truth/``
(the latent states per session, the kernel's client and therapist tables with the replayed potential
outcomes, parameters.json with every parameter, the measurement model, the missingness mechanisms and
the estimands with their sample and population values, and measurement_model.lavaan), codebook.json,
codebook.md, README.md and, published last, manifest.json (every other file's checksum). With
``replicates`` above 1 it writes that many data sets (seeds seed, seed + 1, ...) that share one
population truth.

The package, by concern: :mod:`.design` (what to make), :mod:`.chunks` (the tables, chunk by chunk),
:mod:`.replay` (causal truth by replaying clients), :mod:`.truths` (estimands on a data set's own
latent truth), :mod:`.population` (the same on a very large reference simulation),
:mod:`.measurement` (reliability per administration, the lavaan model), :mod:`.document` (truth
document and README) and :mod:`.write` (in memory or to a folder). Names below load on first use: the
parameter declarations (:mod:`.params`) are read while ``Params`` is assembled, before the rest can load.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simulation.synthetic.design import TABLES, Design, file_names, make_design
    from simulation.synthetic.write import DataSet, generate, generate_to_directory

_HOMES = {
    "TABLES": "design",
    "Design": "design",
    "file_names": "design",
    "make_design": "design",
    "DataSet": "write",
    "generate": "write",
    "generate_to_directory": "write",
}
__all__ = ["TABLES", "DataSet", "Design", "file_names", "generate", "generate_to_directory", "make_design"]


def __getattr__(name: str) -> Any:
    """The public names, from their module on first use (see the module docstring)."""
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"simulation.synthetic.{_HOMES[name]}"), name)
