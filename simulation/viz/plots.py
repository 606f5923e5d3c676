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
    therapy) and its ``ruptures`` (simulation.viz.data.rupture_events), with a title. In a group or
    family, ``unit_figure`` names a column of ``sessions`` ('cohesion' or 'split', the format's
    declaration) drawn on its own axis, labelled ``unit_label``. ``dropped_out``: the course ended by
    dropout after its last session (marked and labelled)."""

    title: str
    sessions: pd.DataFrame
    ruptures: pd.DataFrame
    course_length: int
    unit_figure: str | None = None
    unit_label: str = ""
    dropped_out: bool = False


def trajectory_axes(figure: Figure, unit_figure: str | None) -> tuple[Axes, Axes | None]:
    """The axes of a trajectory on ``figure``: one, or, with a unit figure, the alliance above and
    the unit's figure on its own smaller axis below (the same sessions)."""
    if unit_figure is None:
        return figure.subplots(), None
    ax, unit_ax = figure.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": (3, 1)})
    return ax, unit_ax


def plot_trajectory(data: Trajectory, ax: Axes | None = None, unit_ax: Axes | None = None) -> Axes:
    """Bond, goal and task (0-1) per session, stages shaded, each rupture marked at its onset:
    blue if it was repaired (a dotted line to the session it was), vermillion if not; a filled marker
    if the therapist noticed it, a hollow one if not (a plain marker where that is not recorded).
    A dropout is marked after the last session with a labelled line. The unit's figure
    (``unit_figure``: the member's cohesion with the group, or the family's split) goes on
    ``unit_ax`` (:func:`trajectory_axes`; a right-hand axis of its own when None). The axis runs to
    the course limit or, in an open group whose member joined late, to the member's last session."""
    ax = _axes(ax)
    sessions = data.sessions
    last = max(data.course_length, int(sessions["session"].max()) if len(sessions) else 0)
    for stage, shade in STAGE_SHADES.items():
        for session in sessions.loc[sessions["stage"] == stage, "session"]:
            ax.axvspan(session - 0.5, session + 0.5, color=shade, lw=0, zorder=0)
    for component, colour in COMPONENT_COLOURS.items():
        ax.plot(sessions["session"], sessions[component], "-o", ms=3, color=colour, label=component, zorder=2)
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
    if data.dropped_out and len(sessions):
        _mark_dropout(ax, int(sessions["session"].max()))
    ax.set(xlim=(0.5, last + 0.5), ylim=(0.0, 1.08), ylabel="alliance (0-1, client's view)", title=data.title)
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
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", frameon=False)
    if data.unit_figure is not None:
        unit_ax = unit_ax if unit_ax is not None else ax.twinx()
        unit_ax.plot(sessions["session"], sessions[data.unit_figure], "-s", ms=3, color=UNIT_COLOUR, lw=1.6)
        unit_ax.set(ylim=(0.0, 1.0), yticks=(0.0, 0.5, 1.0))
        unit_ax.set_ylabel(data.unit_label, color=UNIT_COLOUR, fontsize="small")
        if unit_ax.get_shared_x_axes().joined(ax, unit_ax):
            ax.tick_params(labelbottom=False)
    (unit_ax if unit_ax is not None and data.unit_figure is not None else ax).set_xlabel("session (weekly)")
    return ax


def _mark_dropout(ax: Axes, last_session: int) -> None:
    """A dashed line after the client's last session, labelled: the course ended by dropout there."""
    ax.axvline(last_session + 0.5, color=UNRESOLVED_COLOUR, ls="--", lw=1.8, zorder=1)
    ax.annotate(
        f"dropped out after session {last_session}",
        (last_session + 0.5, 0.03),
        xytext=(4, 0),
        textcoords="offset points",
        color=UNRESOLVED_COLOUR,
        fontsize="small",
        fontweight="bold",
        ha="left",
        va="bottom",
    )


def plot_outcome_shares(data: pd.DataFrame, ax: Axes | None = None, title: str = "Outcomes") -> Axes:
    """Horizontal stacked bars: one bar per row of ``data`` (a group or cohort), its columns' shares
    (0-1: outcome categories, or where the clients are while a cohort is still in therapy)."""
    ax = _axes(ax, (7.0, 0.8 + 0.6 * len(data)))
    left = pd.Series(0.0, index=data.index)
    labels = [str(label) for label in data.index]
    for column in data.columns:
        share = data[column].astype(float)
        bars = ax.barh(labels, share, left=left, color=CATEGORY_COLOURS.get(column), label=column.replace("_", " "))
        ax.bar_label(bars, [f"{v:.0%}" if v >= 0.06 else "" for v in share], label_type="center", fontsize="small")
        left += share
    ax.invert_yaxis()
    ax.set(xlim=(0, 1), xlabel="share of clients (%)", title=title)
    ax.xaxis.set_major_formatter(lambda value, _: f"{value:.0%}")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", frameon=False)
    return ax


def plot_v_shape(data: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Mean change of the alliance around a rupture (``simulation.viz.data.v_shape``), one line per
    group of ruptures (repaired later, repaired at once, not repaired) with 95% intervals, and, dashed
    in the group's colour, the change of clients without a rupture over the same sessions."""
    ax = _axes(ax)
    colours = dict(zip(V_GROUPS, (RESOLVED_COLOUR, OKABE_ITO["sky_blue"], UNRESOLVED_COLOUR), strict=True))
    for group, rows in data.groupby("group", sort=False):
        count = int(rows.loc[rows["offset"] == 0, "n"].sum())
        ax.fill_between(rows["offset"], rows["low"], rows["high"], color=colours[group], alpha=0.2, lw=0)
        ax.plot(rows["offset"], rows["mean"], "-o", ms=4, color=colours[group], label=f"{group} (n = {count:,})")
        ax.plot(rows["offset"], rows["baseline"], "--", lw=1.2, color=colours[group])
    ax.plot([], [], "--", color="black", lw=1.2, label="dashed: clients without a rupture, the same sessions")
    ax.axhline(0.0, color="black", lw=0.8)
    ax.axvline(0.0, color="black", lw=0.8, ls=":")
    ax.annotate("rupture", (0, 0), xycoords=("data", "axes fraction"), xytext=(3, 4), textcoords="offset points")
    ax.set(
        xlabel="sessions since the rupture began",
        ylabel="alliance change from the session before (0-1 scale)",
        title="The V: a rupture drops the alliance below the course without one;\n"
        "repaired, it climbs back above it; not repaired, it stays below",
    )
    ax.legend(loc="upper left", fontsize="small")
    return ax


def plot_survival(data: pd.DataFrame, ax: Axes | None = None, title: str = "Still in therapy") -> Axes:
    """Share of clients not yet dropped out (0-1) by session, one line per curve of ``data``
    (``simulation.viz.data.dropout_survival``) with its 95% interval shaded. The axis runs from 50%,
    which the label says (every curve of the default cohort stays above it)."""
    ax = _axes(ax)
    floor = min(0.5, float(data.xs("low", axis=1, level=1).min().min()) // 0.1 * 0.1)
    for index, curve in enumerate(data.columns.get_level_values(0).unique()):
        overall = curve == "all clients"
        colour = "black" if overall else SERIES_COLOURS[index % len(SERIES_COLOURS)]
        ax.fill_between(
            data.index, data[(curve, "low")], data[(curve, "high")], step="post", color=colour, alpha=0.12, lw=0
        )
        ax.step(
            data.index,
            data[(curve, "share")],
            where="post",
            color=colour,
            lw=2.2 if overall else 1.6,
            ls="--" if overall else "-",
            label=curve,
        )
    ax.set(
        xlabel="session (weekly)",
        ylabel=f"not yet dropped out (%; axis from {floor:.0%})",
        title=title,
        ylim=(floor, 1.01),
    )
    ax.yaxis.set_major_formatter(lambda value, _: f"{value:.0%}")
    ax.legend(loc="lower left", fontsize="small", title="shaded: 95% intervals", title_fontsize="small")
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
        title="Reliably improved by session: the share climbs over the first sessions\n"
        "and is within the published 35-65% at session 8 (Howard et al. 1986)",
    )
    ax.yaxis.set_major_formatter(lambda value, _: f"{value:.0%}")
    ax.legend(loc="lower right", fontsize="small")
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
    ax.legend(loc="lower right", fontsize="small")
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
            fontsize="small",
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
    ax.legend(loc="upper left", fontsize="small")
    return ax
