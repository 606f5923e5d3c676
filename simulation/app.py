"""The teaching page: Mesa's model controller (Reset, play, Step) over the Classroom model
(simulation.viz.classroom), with the page's own controls and views.

The page is composed from Mesa's parts rather than SolaraViz, so that it shows only what a class
needs: no page tabs, no play or render interval, no threads switch (SolaraViz has no option to hide
them in Mesa 3.5). Every control shows its value; whole numbers (seed, cohort size) are typed.
Controls take their range and default from simulation.config.PARAMETERS and
simulation.viz.classroom.PAGE_SETTINGS, which the page's model (PageClassroom) also clamps every value
the browser sends to. Each view is a plot function of simulation.viz.plots drawn as inline SVG (its
text is text, so that the browser test can measure it) with a plain-words caption.
``alliance app [--port N]`` serves it on 127.0.0.1 (simulation.app_server, which admits only the
page's own origin).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from io import StringIO
from typing import Any

import matplotlib as mpl
import solara
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from mesa.visualization.solara_viz import ModelController
from mesa.visualization.utils import update_counter

from simulation.config import PARAMETERS
from simulation.viz.classroom import PAGE_SETTINGS, Classroom, PageClassroom
from simulation.viz.plots import plot_outcome_shares, plot_trajectory, trajectory_axes

TITLE = "Ruptures and repair in therapy"
CONTROLLED = ("repair_enabled", "feedback_enabled", "attunement_mean", "repair_skill_mean", "empathy_mean",
              "defensiveness_mean", "challenge_mean", "fit_effect")  # fmt: skip
PLAY_INTERVAL_MS = 150
#: the page's figures: text large enough to read from the back of a room once the figure is scaled to
#: the page's width (tests/test_app_browser.py measures it); text kept as text in the SVG
PAGE_STYLE = {"font.size": 13, "svg.fonttype": "none", "svg.hashsalt": "alliance-dynamics"}
FIGURE_WIDTH = 9.0  # inches (at 72 points each): the SVG is scaled to the page's width

LABELS = {
    "preset": "Scenario preset",
    "format": "Format (one client, group, family)",
    "seed": "Seed (0-999; same seed: same clients)",
    "n_clients": "Clients in the cohort (50-1000)",
    "follow_attachment": "Follow a client whose attachment is",
    "follow_modality": "... and who is seen",
    "follow": "... and whose course shows",
    "contrast": "Compare with this switch flipped",
}
TYPED = ("seed", "n_clients")  # whole numbers: typed, not dragged
#: a field's label stays at least 14 px once it floats above its value (Vuetify shrinks it to 75%)
PAGE_CSS = """
.v-label.v-label--active { transform: translateY(-22px) scale(0.9) !important; }
.v-text-field { padding-top: 18px; }
.control-value { font-size: 16px; }
"""


def label(name: str) -> str:
    """A control's label: the page setting's words, or the parameter's name and unit."""
    if name in LABELS:
        return LABELS[name]
    spec = PARAMETERS[name]
    words = name.removesuffix("_mean").replace("_", " ").capitalize()
    return words if spec.kind is bool else f"{words} ({spec.unit})"


def shown_value(value: Any) -> str:
    """How a control shows its value beside its label."""
    return f"{value:.2f}" if isinstance(value, float) else str(value)


INITIAL: dict[str, Any] = {
    **{name: setting.default for name, setting in PAGE_SETTINGS.items()},
    **{name: PARAMETERS[name].default for name in CONTROLLED},
}


@solara.component
def Control(name: str, values: solara.Reactive[dict[str, Any]]) -> None:
    """One control, showing its value: a select, a checkbox, a typed whole number or a slider."""
    value = values.value[name]

    def change(new: Any) -> None:
        values.value = {**values.value, name: new}

    setting = PAGE_SETTINGS.get(name)
    if setting is not None and setting.choices:
        solara.Select(label(name), value=value, values=list(setting.choices), on_value=change)
    elif name in TYPED:
        solara.InputInt(label(name), value=value, on_value=change, continuous_update=False)
    elif PARAMETERS[name].kind is bool:
        solara.Checkbox(label=label(name), value=value, on_value=change)
    else:
        spec = PARAMETERS[name]
        slider = solara.SliderInt if spec.kind is int else solara.SliderFloat
        step = 1 if spec.kind is int else (spec.high - spec.low) / 100
        solara.Text(f"{label(name)}: {shown_value(value)}", classes=["control-value"])
        slider("", value=value, min=spec.low, max=spec.high, step=step, on_value=change)


@dataclass(frozen=True)
class View:
    """One view of the page: ``draw`` on the Axes that :func:`trajectory_axes` (``unit``: with the
    format's unit figure) or a plain figure gives, ``height`` inches tall, ``caption`` under it (and,
    with ``unit``, the format's own caption in a group or family)."""

    draw: Callable[[Classroom, Axes, Axes | None], Any]
    caption: str
    height: float
    unit: bool = False

    def svg(self, model: Classroom) -> str:
        """The view as an inline SVG that scales to the page's width."""
        unit_figure = model.format.unit_figure if self.unit else None
        with mpl.rc_context(PAGE_STYLE):
            figure = Figure(figsize=(FIGURE_WIDTH, self.height + (1.4 if unit_figure else 0)), layout="constrained")
            ax, unit_ax = trajectory_axes(figure, unit_figure)
            self.draw(model, ax, unit_ax)
            text = StringIO()
            figure.savefig(text, format="svg", metadata={"Date": None, "Creator": None})
        svg = text.getvalue()
        return svg[svg.index("<svg") :].replace("<svg ", '<svg style="width:100%;height:auto" ', 1)

    def caption_of(self, model: Classroom) -> str:
        return f"{self.caption} {model.format.unit_caption}".strip() if self.unit else self.caption


CAPTIONS = {
    "cohort": "One client, week by week: bond, agreement on goals and agreement on tasks (0-1). Shading: the "
    "stage of therapy. A triangle marks a rupture: blue if it was repaired (dotted to the week it was), "
    "vermillion if not; hollow if the therapist did not notice it. A dashed vermillion line marks a "
    "dropout. A repaired rupture dips the alliance and then lifts it: the V.",
    "twin": "The same client with the same luck, the compared switch turned the other way. Without repair "
    "a rupture leaves a lasting dent; with feedback, a client who falls behind the expected course gets "
    "the therapist's attention to goals, tasks and ruptures.",
    "outcomes": "The whole cohort, with the switch on and off: the same clients and the same random draws. "
    "While sessions go on the bars show who is still in therapy; when every course has ended, the outcomes "
    "(ORS: recovered, reliably improved, unchanged, deteriorated, dropped out).",
}

VIEWS = [
    View(
        lambda model, ax, unit_ax: plot_trajectory(model.trajectory(model), ax, unit_ax),
        CAPTIONS["cohort"],
        3.6,
        unit=True,
    ),
    View(
        lambda model, ax, unit_ax: plot_trajectory(model.trajectory(model.twin), ax, unit_ax),
        CAPTIONS["twin"],
        3.6,
        unit=True,
    ),
    View(
        lambda model, ax, _: plot_outcome_shares(model.outcomes(), ax, "The cohort, with and without the switch"),
        CAPTIONS["outcomes"],
        2.6,
    ),
]


def status(model: Classroom) -> str:
    """Where the run stands: the session, or that the course has finished."""
    if model.finished:
        return (
            f"Course finished after session {int(model.time)}: every client's course has ended. "
            "Change the settings and press Reset for another run."
        )
    return f"Session {int(model.time)} of up to {model.params.course_length} · press ▶ or Step"


@solara.component
def Clock(model: Classroom) -> None:
    """The model's time (weekly sessions simulated), updated after every step."""
    update_counter.get()
    solara.Text(f"Time: {int(model.time)}")


@solara.component
def Views(model: Classroom) -> None:
    """The status line and the three views, redrawn after every step (Mesa's update counter)."""
    update_counter.get()
    with solara.Column(style={"width": "100%"}):
        (solara.Success if model.finished else solara.Info)(status(model), classes=["run-status"])
        if model.follow_note:
            solara.Warning(model.follow_note, classes=["follow-note"])
        for view in VIEWS:
            solara.HTML(tag="div", unsafe_innerHTML=view.svg(model), classes=["plot"], style={"width": "100%"})
            solara.Markdown(view.caption_of(model), style={"font-size": "16px"})


@solara.component
def TeachingPage(model: PageClassroom) -> None:
    """The page: the run's controls (Mesa's Reset, play and Step) and the settings in the sidebar, the
    views in the main area. Settings take effect at Reset."""
    current = solara.use_reactive(model)
    values = solara.use_reactive(dict(INITIAL))
    play_interval, render_interval = solara.use_reactive(PLAY_INTERVAL_MS), solara.use_reactive(1)
    threads = solara.use_reactive(False)
    solara.Style(PAGE_CSS)
    with solara.AppBar():
        solara.AppBarTitle(TITLE)
    with solara.Sidebar(), solara.Column():
        with solara.Card("Run"):
            ModelController(
                current,
                model_parameters=values,
                play_interval=play_interval,
                render_interval=render_interval,
                use_threads=threads,
            )
            Clock(current.value)
        with solara.Card("Settings (take effect at Reset)"):
            solara.Text("A control left at its default keeps the preset's value.", style={"font-size": "15px"})
            for name in INITIAL:
                Control(name, values)
    Views(current.value)


page = TeachingPage(PageClassroom())
"""The element that ``alliance app`` serves (its first argument is the page's initial model)."""
