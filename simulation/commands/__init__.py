"""The built-in subcommands of ``alliance`` (simulation.cli), one module each, plus the option builders
and the usage error they share (:mod:`.options`).

Each command module has ``add_parser(commands)``, which adds its subparser and returns it, and
``run(args)``, which does the work. A module imports only light modules at import time (``alliance
--help`` builds every subparser); pandas, pyarrow, matplotlib, Dask, Solara and Mesa are imported inside
``run``.
"""
