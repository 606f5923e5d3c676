"""``alliance params``: every parameter (name, value, range, unit, meaning), as text, TOML or Markdown."""

from __future__ import annotations

import argparse
from typing import Any

from simulation.commands import options
from simulation.config import PARAMETERS, Params, declared_in, markdown_table
from simulation.recipe import to_toml


def add_parser(commands: Any) -> argparse.ArgumentParser:
    parser = commands.add_parser("params", help="list every parameter (name, default, range, unit, meaning)")
    options.add_parameter_options(parser)
    parser.add_argument("--toml", action="store_true", help="print the (resolved) parameters as TOML instead")
    parser.add_argument("--markdown", action="store_true", help="print the defaults as a Markdown table")
    parser.add_argument("--out", type=options.OUT_DIR, metavar="DIR", help="also write DIR/parameters.toml")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing parameters.toml")
    return parser


def parameter_table(params: Params) -> str:
    """Every parameter: name, value, range, unit and meaning, by concern and group, with the files that
    declare each concern's parameters."""
    lines, concern, group = [], None, None
    for name, spec in PARAMETERS.items():
        if spec.concern != concern:
            concern = spec.concern
            lines.append(f"\n# {concern} ({', '.join(declared_in(concern))})")
        if spec.group != group:
            group = spec.group
            lines.append(f"\n[{group}]")
        value = getattr(params, name)
        marker = "" if value == spec.default else f" (default {spec.default})"
        lines.append(f"  {name} = {value}{marker}   range {spec.format_range()}, {spec.unit}: {spec.meaning}")
    return "\n".join(lines).lstrip("\n")


def run(args: argparse.Namespace) -> None:
    params = options.resolve_params(args)
    if args.out is not None:
        from simulation.store import atomic_outputs

        with atomic_outputs(args.out, ("parameters.toml",), args.overwrite) as paths:
            paths["parameters.toml"].write_text(to_toml(params), encoding="utf-8")
    print(to_toml(params) if args.toml else markdown_table() if args.markdown else parameter_table(params))
