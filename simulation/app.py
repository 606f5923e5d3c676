"""The teaching page: Mesa's SolaraViz over the Classroom model (simulation.viz.classroom).

Controls take their range and default from simulation.config.PARAMETERS and
simulation.viz.classroom.PAGE_SETTINGS, which the page's model (PageClassroom) also clamps every value
the browser sends to; each view is a plot function of simulation.viz.plots with a plain-words caption.
``alliance app [--port N]`` serves it on 127.0.0.1 (simulation.app_server, which admits only the
page's own origin).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import solara
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from mesa.visualization import Slider, SolaraViz

from simulation.config import PARAMETERS
from simulation.viz.classroom import PAGE_SETTINGS, Classroom, PageClassroom
from simulation.viz.plots import plot_outcome_shares, plot_trajectory

CONTROLLED = ("repair_enabled", "attunement_mean", "repair_skill_mean", "empathy_mean", "defensiveness_mean",
              "challenge_mean", "fit_effect")  # fmt: skip


def control(name: str) -> Slider | dict[str, Any]:
    """SolaraViz's control for a parameter: a checkbox for a switch, else a slider over its range
    (100 steps; whole numbers step by 1), labelled with its name and unit, at its default."""
    spec = PARAMETERS[name]
    label = f"{name.removesuffix('_mean').replace('_', ' ').capitalize()} ({spec.unit})"
    if spec.kind is bool:
        return {"type": "Checkbox", "value": spec.default, "label": label.removesuffix(f" ({spec.unit})")}
    step = 1 if spec.kind is int else (spec.high - spec.low) / 100
    return Slider(label, value=spec.default, min=spec.low, max=spec.high, step=step, dtype=spec.kind)


def choice(name: str, label: str) -> dict[str, Any]:
    """A select over the page setting's choices, at its default."""
    setting = PAGE_SETTINGS[name]
    return {"type": "Select", "value": setting.default, "values": list(setting.choices), "label": label}


def number(name: str, label: str, step: int) -> Slider:
    """A slider over the page setting's range, at its default."""
    setting = PAGE_SETTINGS[name]
    return Slider(label, value=setting.default, min=setting.low, max=setting.high, step=step, dtype=setting.kind)


MODEL_PARAMS: dict[str, Any] = {
    "preset": choice("preset", "Scenario preset (controls left at their default keep its values)"),
    "format": choice("format", "Format: one client, a group with its leader, or a family"),
    "seed": number("seed", "Seed (same seed: same clients)", 1),
    "n_clients": number("n_clients", "Clients in the cohort", 50),
    "follow_attachment": choice("follow_attachment", "Follow a client whose attachment is"),
    "follow_modality": choice("follow_modality", "... and who is seen"),
    **{name: control(name) for name in CONTROLLED},
}

CAPTIONS = {
    "cohort": "One client, week by week: bond, agreement on goals and agreement on tasks (0-1). Shading: the "
    "stage of therapy. A triangle marks a rupture: blue if it was repaired (dotted to the week it was), "
    "vermillion if not; hollow if the therapist did not notice it. A repaired rupture leaves the alliance "
    "higher than before: the V.",
    "twin": "The same client with the same luck, repair switched the other way. Without repair a rupture "
    "leaves a lasting dent, and the client is likelier to drop out.",
    "outcomes": "The whole cohort, with repair and without: the same clients and the same random draws. While "
    "sessions go on the bars show who is still in therapy; when every course has ended, the outcomes "
    "(ORS: recovered, reliably improved, unchanged, deteriorated, dropped out).",
}
UNIT_CAPTIONS = {
    "group": "In a group the client is one member. Dashed: their cohesion with the group (ties to the others, "
    "the members' alliances, and the others' ruptures they saw repaired, which draw a group together, or "
    "left unresolved, which pull it apart).",
    "family": "In a family the client is one member. Dashed: the family's split (how far apart the members' "
    "alliances are); a wide split makes the whole family likelier to stop coming.",
}


@dataclass(frozen=True)
class View:
    """One view of the page: ``draw`` on a fresh figure of ``size`` inches, ``caption`` under it (and,
    with ``unit_caption``, a line on the group's or family's figure in those formats). Called with the
    model, it is the SolaraViz component (redrawn after every step)."""

    draw: Callable[[Classroom, Axes], Axes]
    caption: str
    size: tuple[float, float]
    unit_caption: bool = False

    def __call__(self, model: Classroom):
        figure = Figure(figsize=self.size, layout="constrained")
        self.draw(model, figure.subplots())
        caption = self.caption
        if self.unit_caption and model.format.name in UNIT_CAPTIONS:
            caption = f"{caption} {UNIT_CAPTIONS[model.format.name]}"
        with solara.Column() as column:
            solara.FigureMatplotlib(figure, format="png")
            solara.Markdown(caption)
        return column


COMPONENTS = [
    View(lambda model, ax: plot_trajectory(model.trajectory(model), ax), CAPTIONS["cohort"], (7.5, 3.6)),
    View(lambda model, ax: plot_trajectory(model.trajectory(model.twin), ax), CAPTIONS["twin"], (7.5, 3.6), True),
    View(
        lambda model, ax: plot_outcome_shares(model.outcomes(), ax, "The cohort, with and without repair"),
        CAPTIONS["outcomes"],
        (7.5, 2.6),
    ),
]

page = SolaraViz(
    PageClassroom(),
    components=COMPONENTS,
    model_params=MODEL_PARAMS,
    name="Ruptures and repair in therapy",
    play_interval=150,
)
