"""``alliance app``: serve the teaching page on 127.0.0.1 (simulation.app_server)."""

from __future__ import annotations

import argparse
from typing import Any

from simulation.commands import options

DEFAULT_PORT = 8765


def add_parser(commands: Any) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        "app",
        help="serve the teaching page on 127.0.0.1",
        description="Serve the teaching page (Mesa's SolaraViz over AllianceModel) on 127.0.0.1 until interrupted.",
    )
    parser.add_argument(
        "--port", type=options.count("--port", 1024, 65535), default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})"
    )
    return parser


def run(args: argparse.Namespace) -> None:
    from simulation.app_server import PortInUseError, serve  # Solara (the app extra) only when serving

    try:
        serve(args.port)
    except PortInUseError as error:
        raise options.UsageError(str(error)) from None
