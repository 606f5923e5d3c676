"""What the subcommands share: the one-line argparse refusal, the option builders (``--seed`` and
``--out`` mean the same in every command that takes them), the usage error and how parameters are made
from the options.

Every type here refuses with one line naming the option and its valid range (exit status 2, nothing
written: simulation.cli.main).
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

from simulation.config import Params, shown
from simulation.defaults import DEFAULT_CHUNK
from simulation.formats import FORMATS
from simulation.presets import PRESETS
from simulation.recipe import RunRecipe

DEFAULT_CLIENTS = 2000
DEFAULT_SEED = 1
MAX_CLIENTS = 100_000_000


class UsageError(ValueError):
    """A bad command-line value (the message names the option and its valid range)."""


class OneLineParser(argparse.ArgumentParser):
    """argparse, refusing in one line: 'alliance run: error: --clients must be from 1 to ...; see
    alliance run --help' (argparse prints its usage first and names the option twice)."""

    def error(self, message: str) -> NoReturn:
        option = re.match(r"argument ([^:]+): (?=\1 )", message)  # 'argument --chunk: --chunk must be ...'
        text = message[option.end() :] if option else message
        self.exit(2, f"{self.prog}: error: {text}; see {self.prog} --help\n")


def count(option: str, low: int, high: int) -> Callable[[str], int]:
    """An argparse type: a whole number in [low, high], with a message naming the option."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{option} must be a whole number from {low} to {high}; got {shown(text)}"
            ) from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{option} must be from {low} to {high}; got {shown(value)}")
        return value

    return parse


def nonempty[T](option: str, kind: Callable[[str], T], valid: str) -> Callable[[str], T]:
    """An argparse type: ``kind`` of a text that is not empty or blank (an empty --out would mean the
    current folder; an empty --scheduler, no cluster), with a message naming the option and ``valid``."""

    def parse(text: str) -> T:
        if not text.strip():
            raise argparse.ArgumentTypeError(f"{option} must be {valid}; got an empty value")
        return kind(text)

    return parse


OUT_DIR = nonempty("--out", Path, "a folder path")


def add_parameter_options(parser: argparse.ArgumentParser) -> None:
    """--preset, --config and --set: how the parameters are made (:func:`resolve_recipe`)."""
    parser.add_argument(
        "--preset",
        action="append",
        default=[],
        metavar="NAME",
        help=f"apply a named preset (repeatable, in order): {', '.join(PRESETS)}",
    )
    parser.add_argument("--config", type=Path, metavar="FILE", help="TOML file with a [parameters] table")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        dest="assignments",
        help="override one parameter, e.g. --set repair_skill_mean=0.7 (repeatable)",
    )
    parser.set_defaults(command_line=[])  # main() fills in the command line it was given


def add_clients_option(parser: argparse.ArgumentParser, low: int, default: int, meaning: str) -> None:
    """--clients: members of the cohort, from ``low`` to MAX_CLIENTS."""
    parser.add_argument(
        "--clients", type=count("--clients", low, MAX_CLIENTS), default=default, help=f"{meaning} (default {default})"
    )


def add_output_options(parser: argparse.ArgumentParser, seed: int, out_help: str) -> None:
    """--seed (default ``seed``), --out and --overwrite."""
    parser.add_argument(
        "--seed",
        type=count("--seed", 0, 2**63 - 1),
        default=seed,
        help=f"random seed (same seed, same bytes; default {seed})",
    )
    parser.add_argument("--out", type=OUT_DIR, metavar="DIR", help=out_help)
    parser.add_argument("--overwrite", action="store_true", help="replace existing output files")


def add_executor_options(parser: argparse.ArgumentParser, scheduler_help: str) -> None:
    """--workers (local processes) and --scheduler (a Dask cluster), which exclude each other."""
    parser.add_argument(
        "--workers",
        type=count("--workers", 0, 4096),
        help="local worker processes (default: all cores; 0: in this process)",
    )
    parser.add_argument(
        "--scheduler",
        type=nonempty("--scheduler", str, "a Dask scheduler address tcp://HOST:PORT"),
        metavar="tcp://HOST:PORT",
        help=scheduler_help,
    )


def add_chunk_option(parser: argparse.ArgumentParser) -> None:
    """--chunk: clients per pass (memory only; results do not depend on it)."""
    parser.add_argument(
        "--chunk",
        type=count("--chunk", 1, MAX_CLIENTS),
        default=DEFAULT_CHUNK,
        help=f"clients per chunk, bounds memory; does not change results (default {DEFAULT_CHUNK})",
    )


def add_format_option(parser: argparse.ArgumentParser) -> None:
    """--format: the therapy format by name (checked by the command: simulation.formats.get_format)."""
    parser.add_argument(
        "--format",
        default="individual",
        metavar="NAME",
        help=f"therapy format: {', '.join(FORMATS)} (default individual; sizes count members, people in "
        "therapy; set group_size or family_size with --set; --chunk is rounded down to whole units)",
    )


def require_out(args: argparse.Namespace, command: str, what: str) -> None:
    """Refuse a command that writes without --out (``what``: what it writes)."""
    if args.out is None:
        raise UsageError(f"{command} needs --out DIR (where to write {what})")


def resolve_recipe(args: argparse.Namespace) -> RunRecipe:
    """How the parameters are made: defaults, then --preset in order, then --config (its presets,
    then its parameters), then --set; with the command line."""
    return RunRecipe.from_options(args.preset, args.config, args.assignments, args.command_line)


def resolve_params(args: argparse.Namespace) -> Params:
    """The parameters that the options make (see :func:`resolve_recipe`)."""
    return resolve_recipe(args).params()
