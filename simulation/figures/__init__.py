"""The figures: one registry of what every figure means, how it is computed, its unit and, where
published, its target band and source (:mod:`.registry`), and the session windows they use
(:mod:`.windows`). Measures, calibration, sweep summaries, the formats' figures and the gallery read
their definitions from here.

Importing this package imports nothing heavy (the kernel reads :mod:`.windows`); the registry, which
computes over pandas tables, is imported as ``simulation.figures.registry``.
"""

from simulation.figures.windows import (
    ALLIANCE_EARLY_SESSIONS,
    DOSE_RESPONSE_SESSION,
    EARLY_DROPOUT_SESSIONS,
    WAI_SESSIONS,
)

__all__ = ["ALLIANCE_EARLY_SESSIONS", "DOSE_RESPONSE_SESSION", "EARLY_DROPOUT_SESSIONS", "WAI_SESSIONS"]
