"""``alliance figures``: the figure gallery of a run directory (simulation.viz.gallery)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from simulation.commands import options


def add_parser(commands: Any) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        "figures",
        help="draw the figure gallery of a run (PNG and SVG)",
        description="Draw the teaching figures (trajectories, V shape, outcomes by therapist repair skill "
        "and attunement, dropout curves, dose-response; a group run adds cohesion over the course, a family "
        "run dropout by the family's split) from the tables that 'alliance run' wrote.",
    )
    parser.add_argument("run_dir", type=Path, metavar="RUN_DIR", help="a directory written by 'alliance run --out'")
    parser.add_argument("--out", type=options.OUT_DIR, metavar="DIR", help="where to write the figures (required)")
    parser.add_argument("--overwrite", action="store_true", help="replace existing figure files")
    return parser


def run(args: argparse.Namespace) -> None:
    from simulation.viz.gallery import write_gallery

    options.require_out(args, "figures", "the figures")
    names = write_gallery(args.run_dir, args.out, args.overwrite)
    print(f"Wrote {args.out}/ ({len(names)} files: {', '.join(names)})")
