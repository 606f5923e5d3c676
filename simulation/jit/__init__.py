"""The fused kernel: the session update of :mod:`simulation.dynamics` compiled by numba into one loop
over the relations (the ``numba`` backend, the default; docs/performance.md).

:mod:`.session` is the fused loop, :mod:`.tables` the parameter table and trait matrix it reads,
:mod:`.draws` the counter-based draws row by row, :mod:`.formats` the group's and family's
submodels, :mod:`.stepper` what a :class:`simulation.runs.Course` calls, :mod:`.cache` what keeps
numba's on-disk cache in step with the model's layout. The array kernel in :mod:`simulation.dynamics` stays the readable
reference (``--backend numpy``); tests/test_fused.py checks the two against each other.
"""
