"""``alliance calibrate``: simulated vs published figures (simulation.calibration), printed and, with
--out, written as calibration.md and calibration.json."""

from __future__ import annotations

import argparse
from typing import Any

from simulation.commands import options
from simulation.defaults import CALIBRATION_CLIENTS, CALIBRATION_SEED
from simulation.formats import get_format

FILES = ("calibration.md", "calibration.json")


def add_parser(commands: Any) -> argparse.ArgumentParser:
    parser = commands.add_parser("calibrate", help="simulated vs published figures, side by side")
    options.add_parameter_options(parser)
    options.add_clients_option(parser, 100, CALIBRATION_CLIENTS, "calibration cohort size")
    options.add_output_options(parser, CALIBRATION_SEED, "also write DIR/calibration.md and DIR/calibration.json")
    options.add_format_option(parser)
    return parser


def run(args: argparse.Namespace) -> None:
    from simulation.calibration import calibrate, calibrate_format, format_target
    from simulation.store import atomic_outputs, check_free, write_json

    recipe = options.resolve_recipe(args)
    params = recipe.params()
    format_ = get_format(args.format)
    if args.out is not None:
        check_free(args.out, FILES, args.overwrite)
    if not format_.has_units:
        report = calibrate(params, args.clients, args.seed, recipe.describe())
        values = report.values | report.directiveness
        values |= {f"instruments.{name}": value for name, value in report.instruments.values().items()}
    else:
        report = calibrate_format(args.format, params, args.clients, args.seed, recipe.describe())
        values = {format_target(args.format).name: report.value, **report.figures}
    text = report.to_markdown()
    print(text)
    if args.out is not None:
        with atomic_outputs(args.out, FILES, args.overwrite) as paths:
            paths["calibration.md"].write_text(
                f"# Calibration\n\nOutput of `alliance calibrate`.\n\n{text}\n", encoding="utf-8"
            )
            write_json(
                paths["calibration.json"],
                {
                    "format": args.format,
                    "values": values,
                    "seed": args.seed,
                    "clients": args.clients,
                    "recipe": recipe.as_dict(),
                    "parameters": params.as_dict(),
                },
            )
