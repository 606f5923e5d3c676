"""Plot functions: ``plot_*(data, ax=None)`` draws already computed data (simulation.viz.data) on
``ax`` (a new figure when None) and returns the Axes. Titles say what is shown; axes carry units."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from simulation.figures.windows import EARLY_DROPOUT_SESSIONS
from simulation.viz.data import V_GROUPS, WITNESS_GROUPS
from simulation.viz.figure import (
    CATEGORY_COLOURS,
    COMPONENT_COLOURS,
    OKABE_ITO,
    RESOLVED_COLOUR,
    SERIES_COLOURS,
    STAGE_SHADES,
    UNIT_COLOUR,
    UNRESOLVED_COLOUR,
)


def _axes(ax: Axes | None, size: tuple[float, float] = (7.0, 4.0)) -> Axes:
    return ax if ax is not None else Figure(figsize=size, layout="constrained").subplots()


@dataclass(frozen=True)
class Trajectory:
    """One client's course: ``sessions`` (session, stage, bond, goal, task; one row per session in
    therapy) and its ``ruptures`` (simulation.viz.data.rupture_events), with a title."""

    title: str
    sessions: pd.DataFrame
    ruptures: pd.DataFrame
    course_length: int
    unit_figure: str | None = None  # a column of ``sessions`` drawn dashed: 'cohesion' or 'split'


def plot_trajectory(data: Trajectory, ax: Axes | None = None) -> Axes:
    """Bond, goal and task (0-1) per session, stages shaded, each rupture marked at its onset:
    blue if it was repaired (a dotted line to the session it was), vermillion if not; a filled marker
    if the therapist noticed it, a hollow one if not (a plain marker where that is not recorded).
    In a group or family the unit's figure (``unit_figure``: the member's cohesion with the group,
    or the family's split) is drawn dashed. The axis runs to the course limit or, in an open group
    whose member joined late, to the member's last session."""
    ax = _axes(ax)
    sessions = data.sessions
    last = max(data.course_length, int(sessions["session"].max()) if len(sessions) else 0)
    for stage, shade in STAGE_SHADES.items():
        for session in sessions.loc[sessions["stage"] == stage, "session"]:
            ax.axvspan(session - 0.5, session + 0.5, color=shade, lw=0, zorder=0)
    for component, colour in COMPONENT_COLOURS.items():
        ax.plot(sessions["session"], sessions[component], "-o", ms=3, color=colour, label=component, zorder=2)
    if data.unit_figure is not None:
        label = {"cohesion": "cohesion with the group", "split": "family's split"}[data.unit_figure]
        ax.plot(sessions["session"], sessions[data.unit_figure], "--", color=UNIT_COLOUR, lw=1.4, label=label, zorder=2)
    top = sessions.set_index("session")[list(COMPONENT_COLOURS)].max(axis=1)
    for event in data.ruptures.itertuples():
        colour = RESOLVED_COLOUR if event.resolved else UNRESOLVED_COLOUR
        hollow = event.noticed is False  # NA (not recorded) keeps the plain marker
        y = min(float(top.get(event.onset, 1.0)) + 0.06, 1.04)
        ax.plot(
            event.onset,
            y,
            "v",
            ms=10,
            color=colour,
            mfc="white" if hollow else colour,
            mew=1.8,
            zorder=3,
            clip_on=False,
        )
        if event.resolved and event.resolved_at > event.onset:
            ax.plot([event.onset, event.resolved_at], [y, y], ":", color=colour, lw=1.5, zorder=3, clip_on=False)
    ax.set(
        xlim=(0.5, last + 0.5),
        ylim=(0.0, 1.08),
        xlabel="session (weekly)",
        ylabel="agreement / bond (0-1, client's view)",
        title=data.title,
    )
    ax.set_xticks(range(1, last + 1, 1 if last <= 16 else 2))
    handles, _ = ax.get_legend_handles_labels()
    handles += [
        Line2D([], [], ls="", marker="v", ms=8, color=RESOLVED_COLOUR, label="rupture, repaired"),
        Line2D([], [], ls="", marker="v", ms=8, color=UNRESOLVED_COLOUR, label="rupture, not repaired"),
    ]
    if data.ruptures["noticed"].notna().any():
        handles.append(
            Line2D([], [], ls="", marker="v", ms=8, color="black", mfc="white", label="not noticed (hollow)")
        )
    handles += [Patch(color=shade, label=stage) for stage, shade in STAGE_SHADES.items()]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    return ax


def plot_outcome_shares(data: pd.DataFrame, ax: Axes | None = None, title: str = "Outcomes") -> Axes:
    """Horizontal stacked bars: one bar per row of ``data`` (a group or cohort), its columns' shares
    (0-1: outcome categories, or where the clients are while a cohort is still in therapy)."""
    ax = _axes(ax, (7.0, 0.8 + 0.6 * len(data)))
    left = pd.Series(0.0, index=data.index)
    labels = [str(label) for label in data.index]
    for column in data.columns:
        share = data[column].astype(float)
        bars = ax.barh(labels, share, left=left, color=CATEGORY_COLOURS.get(column), label=column.replace("_", " "))
        ax.bar_label(bars, [f"{v:.0%}" if v >= 0.06 else "" for v in share], label_type="center", fontsize=8)
        left += share
    ax.invert_yaxis()
    ax.set(xlim=(0, 1), xlabel="share of clients (%)", title=title)
    ax.xaxis.set_major_formatter(lambda value, _: f"{value:.0%}")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    return ax


def plot_v_shape(data: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Mean change of the alliance around a rupture (``simulation.viz.data.v_shape``), one line per
    group of ruptures (repaired later, repaired at once, not repaired), with 95% intervals."""
    ax = _axes(ax)
    colours = dict(zip(V_GROUPS, (RESOLVED_COLOUR, OKABE_ITO["sky_blue"], UNRESOLVED_COLOUR), strict=True))
    for group, rows in data.groupby("group", sort=False):
        count = int(rows.loc[rows["offset"] == 0, "n"].sum())
        ax.fill_between(rows["offset"], rows["low"], rows["high"], color=colours[group], alpha=0.2, lw=0)
        ax.plot(rows["offset"], rows["mean"], "-o", ms=4, color=colours[group], label=f"{group} (n = {count:,})")
    ax.axhline(0.0, color="black", lw=0.8)
    ax.axvline(0.0, color="black", lw=0.8, ls="--")
    ax.annotate("rupture", (0, 0), xycoords=("data", "axes fraction"), xytext=(3, 4), textcoords="offset points")
    ax.set(
        xlabel="sessions since the rupture began",
        ylabel="alliance change from the session before (0-1 scale)",
        title="The V shape: repaired ruptures leave the alliance stronger than before",
    )
    ax.legend(loc="upper left", fontsize=8)
    return ax


def plot_survival(data: pd.DataFrame, ax: Axes | None = None, title: str = "Still in therapy") -> Axes:
    """Share of clients not yet dropped out (0-1) by session, one line per column of ``data``."""
    ax = _axes(ax)
    for index, column in enumerate(data.columns):
        overall = column == "all clients"
        colour = "black" if overall else SERIES_COLOURS[index % len(SERIES_COLOURS)]
        ax.step(
            data.index,
            data[column],
            where="post",
            color=colour,
            lw=2.2 if overall else 1.6,
            ls="--" if overall else "-",
            label=column,
        )
    ax.set(xlabel="session (weekly)", ylabel="not yet dropped out (%)", title=title, ylim=(None, 1.01))
    ax.yaxis.set_major_formatter(lambda value, _: f"{value:.0%}")
    ax.legend(loc="lower left", fontsize=8)
    return ax


def plot_dose_response(data: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Share of attending clients reliably improved (ORS 5+ points above intake) by session."""
    ax = _axes(ax)
    ax.plot(data["session"], data["improved"], "-o", color=SERIES_COLOURS[0], label="reliably improved (simulated)")
    ax.fill_between(
        [7.7, 8.3], 0.35, 0.65, color=SERIES_COLOURS[2], alpha=0.3, lw=0, label="published: 35-65% by session 8"
    )
    ax.set(
        xlabel="session attended (weekly)",
        ylabel="clients reliably improved (%)",
        ylim=(0, 1),
        title="Dose-response: early sessions help most (Howard et al. 1986)",
    )
    ax.yaxis.set_major_formatter(lambda value, _: f"{value:.0%}")
    ax.legend(loc="lower right", fontsize=8)
    return ax


def plot_cohesion(data: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Mean group cohesion (0-1) by group session (``simulation.viz.data.cohesion_by_session``), one
    line per group of members, the middle half of the members shaded."""
    ax = _axes(ax)
    colours = dict(zip(WITNESS_GROUPS, (UNRESOLVED_COLOUR, RESOLVED_COLOUR), strict=True))
    for group, rows in data.groupby("group", sort=False):
        members = int(rows["members"].iloc[0])
        ax.fill_between(rows["session"], rows["low"], rows["high"], color=colours[group], alpha=0.18, lw=0)
        ax.plot(rows["session"], rows["mean"], "-o", ms=4, color=colours[group], label=f"{group}: {members:,} members")
    ax.fill_between(
        [], [], [], color="black", alpha=0.18, lw=0, label="shaded: middle half of the members (25th-75th percentile)"
    )
    ax.set(
        xlabel="group session (weekly)",
        ylabel="cohesion (0-1, members attending)",
        ylim=(0, 1),
        title="Group cohesion over the course: members who saw ruptures left unresolved feel less held",
    )
    ax.legend(loc="lower right", fontsize=8)
    return ax


def plot_split_dropout(data: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Weekly family dropout rate (%) by the family's split at that session
    (``simulation.viz.data.split_dropout``), with 95% intervals and the counts on each bar."""
    ax = _axes(ax)
    positions = range(len(data))
    ax.bar(
        positions,
        data["rate"],
        color=UNRESOLVED_COLOUR,
        alpha=0.85,
        label="families dropping out that week (above each bar: dropouts of family-weeks)",
    )
    ax.errorbar(
        positions,
        data["rate"],
        yerr=[data["rate"] - data["low"], data["high"] - data["rate"]],
        fmt="none",
        ecolor="black",
        capsize=4,
        label="95% interval (Wilson)",
    )
    for x, row in zip(positions, data.itertuples(), strict=True):
        ax.annotate(
            f"{row.dropouts:,} of {row.family_sessions:,}",
            (x, row.high),
            xytext=(0, 3),
            textcoords="offset points",
            ha="center",
            fontsize=8,
        )
    ax.set_xticks(list(positions), data["split"])
    ax.set(
        xlabel="the family's split that week (range of the members' alliances, 0-1; fifths of the family-weeks "
        f"from session {EARLY_DROPOUT_SESSIONS + 1} on)",
        ylabel="families dropping out that week (%)",
        ylim=(0, max(float(data["high"].max()) * 1.2, 0.01)),
        title="A split alliance: families drop out most in weeks when their members are furthest apart",
    )
    ax.yaxis.set_major_formatter(lambda value, _: f"{value:.0%}")
    ax.legend(loc="upper left", fontsize=8)
    return ax
