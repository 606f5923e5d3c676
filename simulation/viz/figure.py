"""Colours shared by every figure and the one helper that stamps and saves a figure (:func:`save_figure`).

The palette is Okabe & Ito's (2008), safe for the common colour-vision deficiencies. Outcomes, stages
and rupture markers keep one colour each across the page and the gallery.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import matplotlib as mpl
from matplotlib.figure import Figure

from simulation.formats import get_format

OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "grey": "#999999",
}

COMPONENT_COLOURS = {"bond": OKABE_ITO["blue"], "goal": OKABE_ITO["orange"], "task": OKABE_ITO["green"]}
RESOLVED_COLOUR, UNRESOLVED_COLOUR = OKABE_ITO["blue"], OKABE_ITO["vermillion"]
UNIT_COLOUR = OKABE_ITO["purple"]  # the unit's figure (group cohesion, family split) beside a member's alliance
STAGE_SHADES = {"engagement": "#F2F2F2", "exploration": "#E3EEF7", "working": "#E5F3EC", "resolution": "#FBF4DA"}
CATEGORY_COLOURS = {
    "recovered": OKABE_ITO["green"],
    "improved": OKABE_ITO["sky_blue"],
    "unchanged": OKABE_ITO["grey"],
    "deteriorated": OKABE_ITO["purple"],
    "dropped_out": OKABE_ITO["vermillion"],
    # while a cohort is still in therapy (the teaching page)
    "in_therapy": OKABE_ITO["yellow"],
    "ended": OKABE_ITO["blue"],
}
SERIES_COLOURS = [OKABE_ITO[name] for name in ("blue", "vermillion", "green", "orange", "purple", "sky_blue")]

# fixed SVG ids and no timestamp: the same figure gives the same bytes
mpl.rcParams["svg.hashsalt"] = "alliance-dynamics"


@dataclass(frozen=True)
class Stamp:
    """Where a figure's numbers come from: printed in small type at its foot."""

    clients: int
    seed: int
    course_length: int
    format: str = "individual"  # a group or family run says so: its clients are members of units

    def text(self) -> str:
        version = metadata.version("alliance-dynamics")
        members = get_format(self.format).members_text
        return (
            f"{self.clients:,} clients{members} · up to {self.course_length} sessions · seed {self.seed} · "
            f"alliance-dynamics {version}"
        )


def save_figure(figure: Figure, stamp: str, *paths: Path) -> None:
    """Stamp the figure with its provenance (``stamp``: one line in small type at its foot), write it
    to each path (PNG or SVG by the suffix, no timestamps: the same figure gives the same bytes) and
    release it (a figure made through pyplot is closed there too). The one save helper, for the
    gallery and for the experiments' study figures."""
    figure.set_layout_engine("constrained", rect=(0.0, 0.03, 1.0, 0.97))  # room for the stamp
    figure.text(0.99, 0.005, stamp, ha="right", va="bottom", fontsize=7, color=OKABE_ITO["grey"])
    for path in paths:
        if path.suffix == ".svg":
            figure.savefig(path, metadata={"Date": None, "Creator": None})
        else:
            figure.savefig(path, dpi=110, metadata={"Software": None})
    if figure.canvas.manager is not None:  # made by pyplot, which keeps it until closed
        import matplotlib.pyplot as plt

        plt.close(figure)
    figure.clear()
