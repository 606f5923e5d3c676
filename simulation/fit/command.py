"""``alliance fit DATA --params NAME,...``: the parser and the command (docs/fit.md)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from simulation.commands import options
from simulation.fit.defaults import DEFAULT_GENERATIONS, DEFAULT_POPULATION, DEFAULT_SEED

USER_ERRORS = (("simulation.fit.data", "DataError"),)  # bad records: one line, exit status 2


def add_parser(commands: Any) -> argparse.ArgumentParser:
    """The ``fit`` subcommand's options."""
    parser = commands.add_parser(
        "fit",
        help="fit chosen parameters to session records (simulation-based inference)",
        description="Fit the parameters named by --params to session records in the long format of "
        "'alliance generate' (or your own columns, mapped in a fit TOML) by ABC-SMC (pyabc), and write "
        "posterior.parquet, estimates.csv/.md, predictive_check.png, pairs.png and manifest.json to --out.",
    )
    parser.add_argument("data", type=Path, metavar="DATA", help="a data set folder, or a .parquet/.csv file")
    parser.add_argument("--params", required=True, metavar="NAME,...", help="parameters to fit, comma-separated")
    parser.add_argument("--config", type=Path, metavar="FIT.toml", help="[columns], [priors] and [parameters] tables")
    parser.add_argument(
        "--population",
        type=options.count("--population", 10, 100_000),
        default=DEFAULT_POPULATION,
        help=f"particles per generation (default {DEFAULT_POPULATION})",
    )
    parser.add_argument(
        "--generations",
        type=options.count("--generations", 1, 100),
        default=DEFAULT_GENERATIONS,
        help=f"ABC-SMC generations (default {DEFAULT_GENERATIONS})",
    )
    options.add_executor_options(parser, "run the simulations on this Dask cluster instead")
    options.add_output_options(parser, DEFAULT_SEED, "output directory (required)")
    return parser


def run(args: argparse.Namespace) -> None:
    """Check everything, say what the columns can inform, fit, write."""
    from simulation.fit.api import prepare
    from simulation.fit.inference import Settings, cores, defined_summaries, run_abc
    from simulation.fit.model import Simulator
    from simulation.fit.outputs import FIT_FILES, estimates_markdown, write_fit
    from simulation.fit.screen import screen
    from simulation.store import check_free
    from simulation.sweeps.executors import dask_executor, local_executor

    options.require_out(args, "fit", "the posterior")
    if args.scheduler is not None and args.workers is not None:
        raise options.UsageError("--workers and --scheduler exclude each other (the cluster decides its workers)")
    names = [name.strip() for name in args.params.split(",") if name.strip()]
    records, priors, base = prepare(args.data, names, args.config)
    check_free(args.out, FIT_FILES, args.overwrite)
    print(f"{records.clients} clients, {records.therapists} therapists; columns: {', '.join(records.columns)}")
    print(screen(Simulator.mirroring(records, base, defined_summaries(records)[0]), priors, args.seed).message())
    client = None
    if args.scheduler is not None:
        try:
            executor, client = dask_executor(args.scheduler)
        except (OSError, ValueError) as error:  # unreachable (TimeoutError is an OSError) or malformed address
            raise options.UsageError(
                f"--scheduler: could not reach a Dask scheduler at {args.scheduler}: {error}"
            ) from None
        slots = max(sum(client.nthreads().values()), 1)
    else:
        slots = cores() if args.workers is None else args.workers
        executor = local_executor(slots) if slots > 0 else None
    try:
        settings = Settings(args.seed, args.population, args.generations)
        result = run_abc(records, priors, base, settings, executor, max(slots, 1))
    finally:
        if client is not None:
            client.close()  # the cluster's executor goes with its client
        elif executor is not None:
            executor.shutdown(cancel_futures=True)
    table = write_fit(result, records, args.out, args.overwrite, args.command_line)
    print(estimates_markdown(table))
    print(f"{result.evaluations} simulations in {len(result.generations)} generations")
    print(f"Wrote {args.out}/ ({', '.join(FIT_FILES)})")
