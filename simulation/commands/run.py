"""``alliance run``: simulate a cohort and write its tables (simulation.store.run_to_directory)."""

from __future__ import annotations

import argparse
from typing import Any

from simulation.backend import BACKENDS, DEFAULT_BACKEND
from simulation.commands import options
from simulation.formats import get_format


def add_parser(commands: Any) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        "run",
        help="simulate a cohort and write its tables",
        description="Simulate a cohort (clients, or members of groups or families with --format) and write "
        "sessions, clients, therapists (Parquet), the unit table (groups.parquet or families.parquet) in "
        "the group and family formats, and manifest.json to --out.",
    )
    options.add_parameter_options(parser)
    options.add_clients_option(parser, 1, options.DEFAULT_CLIENTS, "cohort size")
    options.add_output_options(parser, options.DEFAULT_SEED, "output directory (required)")
    options.add_format_option(parser)
    parser.add_argument(
        "--backend",
        choices=BACKENDS,
        default=DEFAULT_BACKEND,
        help="kernel: numba (fused, the default), numpy (the readable reference) or cupy (docs/performance.md)",
    )
    options.add_chunk_option(parser)
    return parser


def run(args: argparse.Namespace) -> None:
    from simulation.store import run_files, run_to_directory

    options.require_out(args, "run", "the tables")
    get_format(args.format)  # an unknown format is refused before anything is written
    summary = run_to_directory(
        options.resolve_recipe(args),
        args.clients,
        args.seed,
        args.out,
        args.overwrite,
        args.chunk,
        args.backend,
        format_name=args.format,
    )
    print(summary.to_text())
    print(f"Wrote {args.out}/ ({', '.join(run_files(args.format))})")
