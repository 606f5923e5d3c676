"""``alliance generate``: a synthetic data set with known truth (simulation.synthetic)."""

from __future__ import annotations

import argparse
from typing import Any

from simulation.commands import options
from simulation.defaults import FILE_FORMATS


def add_parser(commands: Any) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        "generate",
        help="write a synthetic data set with known truth (item scores, truth, codebook)",
        description="Simulate therapists x clients-per-therapist clients and write a synthetic data set to "
        "--out: the long table of item scores (sessions), clients, therapists, truth/ (latent states, "
        "parameters, estimands with sample and population values, the measurement model), codebook.json, "
        "codebook.md and README.md; with --replicates K, K such data sets sharing one population truth.",
    )
    options.add_parameter_options(parser)
    options.add_output_options(parser, options.DEFAULT_SEED, "output directory (required)")
    options.add_format_option(parser)
    parser.add_argument(
        "--therapists",
        type=options.count("--therapists", 1, options.MAX_CLIENTS),
        default=20,
        help="therapists (default 20)",
    )
    parser.add_argument(
        "--clients-per-therapist",
        type=options.count("--clients-per-therapist", 1, 1000),
        help="caseload (default: the parameter clients_per_therapist)",
    )
    parser.add_argument(
        "--wai-schedule",
        metavar="SESSIONS",
        help="sessions at whose end the WAI-SR is given (1 to the course's last), e.g. 3,5,8,last, or all; "
        "last is the course's planned last session (default 3,5,8,last, without sessions past a shorter course)",
    )
    parser.add_argument(
        "--replicates",
        type=options.count("--replicates", 1, 1000),
        default=1,
        help="data sets of a simulation study (seeds SEED on) sharing one population truth (default 1)",
    )
    parser.add_argument(
        "--population-clients",
        type=options.count("--population-clients", 0, 10_000_000),
        default=20_000,
        help="size of the reference simulation for population values when parameters differ from the "
        "defaults (recorded values are used for the defaults; 0: none; default 20000)",
    )
    parser.add_argument("--file-format", choices=FILE_FORMATS, default="parquet", help="table files (parquet)")
    options.add_chunk_option(parser)
    return parser


def run(args: argparse.Namespace) -> None:
    from simulation.instruments.items import WaiSchedule
    from simulation.synthetic import generate_to_directory

    options.require_out(args, "generate", "the data set")
    try:
        schedule = None if args.wai_schedule is None else WaiSchedule.parse(args.wai_schedule)
    except ValueError as error:
        raise options.UsageError(str(error)) from None
    figures, truth = generate_to_directory(
        args.out,
        options.resolve_recipe(args),
        args.therapists,
        args.clients_per_therapist,
        args.seed,
        schedule,
        args.file_format,
        args.overwrite,
        args.chunk,
        args.format,
        args.replicates,
        args.population_clients,
    )
    print(f"Synthetic data set of {truth['clients']} clients, {truth['therapists']} therapists ({args.format})")
    print(figures.to_markdown())
    print(f"Wrote {args.out}/ (sessions, clients, therapists, truth/, codebook.json, codebook.md, README.md, manifest)")
