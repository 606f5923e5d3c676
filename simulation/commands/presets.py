"""``alliance presets``: the presets, one line each (name, kind, summary)."""

from __future__ import annotations

import argparse
from typing import Any

from simulation.presets import PRESETS


def add_parser(commands: Any) -> argparse.ArgumentParser:
    return commands.add_parser("presets", help="list the presets, one line each")


def run(args: argparse.Namespace) -> None:
    width = max(len(name) for name in PRESETS)
    for preset in PRESETS.values():
        print(f"{preset.name:<{width}}  {preset.kind:<11}  {preset.summary}")
