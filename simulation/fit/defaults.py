"""The fit's defaults, in a module light enough for ``alliance --help`` to import."""

DEFAULT_SEED = 1
DEFAULT_POPULATION = 200
"""Particles per ABC-SMC generation."""
DEFAULT_GENERATIONS = 6
"""ABC-SMC generations (populations); each narrows the tolerance to the median of the last one's distances."""
