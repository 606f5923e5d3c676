"""``alliance sweep``: every run of a study file, locally or on a Dask cluster (simulation.sweeps)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from simulation.commands import options


def add_parser(commands: Any) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        "sweep",
        help="run a parameter sweep from a study file (resumes a killed one)",
        description="Run every run of a study file (experiments/smoke.toml shows the format) and write "
        "summary.parquet (one row per run), parts and manifest.json to --out. Run it again on the same "
        "--out to resume a study that was stopped.",
    )
    parser.add_argument("study", type=Path, metavar="STUDY.toml", help="the study file")
    parser.add_argument("--out", type=options.OUT_DIR, metavar="DIR", help="output directory (required)")
    options.add_executor_options(parser, "run on this Dask cluster instead")
    parser.add_argument("--overwrite", action="store_true", help="replace a different study's results in --out")
    return parser


def run(args: argparse.Namespace) -> None:
    from simulation.sweeps import dask_executor, load_study, run_study

    options.require_out(args, "sweep", "the results")
    if args.scheduler is not None and args.workers is not None:
        raise options.UsageError("--workers and --scheduler exclude each other (the cluster decides its workers)")
    study = load_study(args.study)
    try:
        executor, client = dask_executor(args.scheduler) if args.scheduler else (None, None)
    except (OSError, ValueError) as error:  # unreachable (TimeoutError is an OSError) or malformed address
        raise options.UsageError(
            f"--scheduler: could not reach a Dask scheduler at {args.scheduler}: {error}"
        ) from None
    try:
        result = run_study(study, args.out, workers=args.workers, executor=executor, overwrite=args.overwrite)
    finally:
        if client is not None:
            client.close()
    print(f"Study {study.name}: {len(result.summary)} runs of {study.clients} {study.people} ({study.sampler} sampler)")
    print(f"Wrote {args.out}/ ({', '.join(f'{name}.parquet' for name in study.outputs)}, parts/, manifest.json)")
