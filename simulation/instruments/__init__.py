"""The item-level measurement layer: WAI-SR, SRS and ORS items and rupture reports drawn from the
kernel's session records (:mod:`.items`), their derived scores and figures (:mod:`.scores`), the entry
point over a sessions table already simulated (:mod:`.administer`) and the codebook of a synthetic
data set (:mod:`.codebook`). See docs/instruments.md."""

from simulation.instruments.administer import administer, instrument_figures

__all__ = ["administer", "instrument_figures"]
