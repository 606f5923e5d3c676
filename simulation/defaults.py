"""Defaults and choices that the command line shows, defined here once and read by the modules that
use them: importing this module imports nothing, so that building the ``alliance`` parser (``--help``,
``presets``) does not import pandas, pyarrow or the simulation itself."""

from __future__ import annotations

# clients simulated at once when a cohort is streamed to files: bounds memory, and is the kernel's
# fastest size (at 100,000 each chunk's arrays come from fresh pages of memory, and the same cohort
# costs about a third more CPU time: benchmarks/README.md); it does not change results
DEFAULT_CHUNK = 20_000
FILE_FORMATS = ("parquet", "csv")  # table files of a synthetic data set
POPULATION_CLIENTS = 20_000  # a synthetic data set's reference simulation, for parameters other than the defaults
CALIBRATION_CLIENTS = 4000  # the calibration cohort (docs/calibration.md: at least 2,000 clients)
CALIBRATION_SEED = 20261128
