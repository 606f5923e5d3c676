"""The figure gallery of one run (``alliance figures RUN_DIR --out DIR``): from the Parquet tables
that ``alliance run`` writes, each figure as PNG and SVG, written atomically.

Session-level figures (trajectories, V shape, dose-response; group cohesion, family split) read the
first ``SESSION_CLIENTS`` clients' sessions, which bounds memory for very large runs; client-level
figures use every client. A group or family run (the manifest's "format", or its unit table) adds
its own figures (UNIT_GALLERY: the figures that its format declares, ``Format.gallery_figures``, read
from the columns it declares).

Each figure's title states its claim; tests/test_gallery_claims.py checks each on the data the figure
draws, over several seeds.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from simulation.config import shown
from simulation.figures.windows import EARLY_DROPOUT_SESSIONS
from simulation.formats import FORMATS, get_format
from simulation.readers import read_json_object, read_table
from simulation.store import (
    MANIFEST,
    RUN_FILES,
    atomic_outputs,
    check_free,
    open_checked,
    output_lock,
    run_files,
)
from simulation.viz import data
from simulation.viz.figure import Stamp, save_figure
from simulation.viz.plots import (
    Trajectory,
    plot_cohesion,
    plot_dose_response,
    plot_outcome_shares,
    plot_split_dropout,
    plot_survival,
    plot_trajectory,
    plot_v_shape,
    trajectory_axes,
)

SESSION_CLIENTS = 20_000
READ_COLUMNS = ["client_id", "session", "stage", "attended", "bond", "goal", "task", "alliance", "rupture",
                   "rupture_resolved", "ors"]  # fmt: skip
# the columns the figures read from the other tables (a file without them is refused, not drawn); a
# format adds its own (Format.gallery_session_columns, gallery_client_columns, gallery_unit_columns)
CLIENT_COLUMNS = ["client_id", "therapist_id", "outcome", "sessions_scheduled", "dropped_out", "ors_intake"]
THERAPIST_COLUMNS = ["therapist_id", "repair_skill", "attunement"]


MIN_CLIENTS = 10  # fewer cannot fill the tercile and curve figures (a run of 1 client has no terciles)


class RunDirError(ValueError):
    """RUN_DIR is missing or is not the output of ``alliance run``."""


@dataclass(frozen=True)
class RunTables:
    """The tables of one run as the gallery needs them (``units``: the groups or families table of a
    group or family run, None in the individual format)."""

    sessions: pd.DataFrame  # the first SESSION_CLIENTS clients
    clients: pd.DataFrame
    therapists: pd.DataFrame
    stamp: Stamp
    format: str = "individual"
    units: pd.DataFrame | None = None


def run_manifest(run_dir: Path) -> tuple[dict, str]:
    """The run's manifest and format ('individual', 'group' or 'family': the manifest's "format",
    else the unit table the directory holds); :class:`RunDirError` (one line) when it is not a run,
    :class:`~simulation.readers.UnreadableFileError` when its manifest cannot be read."""
    if not run_dir.is_dir():
        raise RunDirError(f"RUN_DIR {run_dir} does not exist or is not a directory")
    missing = [name for name in RUN_FILES if not (run_dir / name).is_file()]
    if missing == [MANIFEST]:  # the tables without the manifest, published last: an unfinished write
        raise RunDirError(
            f"RUN_DIR {run_dir} has no manifest.json: a writer is publishing it or was stopped before it "
            "finished; wait for it, or run it again with --overwrite"
        )
    if missing:
        raise RunDirError(f"RUN_DIR {run_dir} is not a run directory ('alliance run --out' writes it): no {missing[0]}")
    manifest = read_json_object(run_dir / MANIFEST, "a run manifest")
    parameters = manifest.get("parameters")
    recorded = {
        "n_clients": manifest.get("n_clients"),
        "seed": manifest.get("seed"),
        "course_length": parameters.get("course_length") if isinstance(parameters, dict) else None,
    }
    wrong = [key for key, value in recorded.items() if type(value) is not int]
    if wrong:
        raise RunDirError(f"RUN_DIR {run_dir}: manifest.json is not a run manifest ({wrong[0]} is not a whole number)")
    if not isinstance(manifest.get("checksums"), dict):
        raise RunDirError(
            f"RUN_DIR {run_dir}: manifest.json records no checksums (an older version wrote it); run it again"
        )
    present = [
        name for name, format_ in FORMATS.items() if format_.unit_file and (run_dir / format_.unit_file).is_file()
    ]
    format_name = manifest.get("format") or (present[0] if present else "individual")
    if not isinstance(format_name, str) or format_name not in FORMATS:
        raise RunDirError(f"RUN_DIR {run_dir}: manifest.json names an unknown format {shown(format_name)}")
    missing = [name for name in run_files(format_name) if not (run_dir / name).is_file()]
    if missing:
        raise RunDirError(f"RUN_DIR {run_dir} is a {format_name} run without its {missing[0]}")
    if manifest["n_clients"] < MIN_CLIENTS:
        raise RunDirError(
            f"RUN_DIR {run_dir} holds {manifest['n_clients']} clients; the gallery summarises a cohort "
            f"(terciles, curves) and needs at least {MIN_CLIENTS}"
        )
    return manifest, format_name


def read_run(run_dir: Path) -> RunTables:
    """Read a run directory; :class:`RunDirError` (one line) when it is not one, MixedOutputError
    when a table does not belong with its manifest (each is read from the bytes checked),
    :class:`~simulation.readers.UnreadableFileError` when a table cannot be read or lacks a column the
    figures need."""
    manifest, format_name = run_manifest(run_dir)
    with ExitStack() as stack:
        handles = {
            name: stack.enter_context(open_checked(run_dir / name, manifest["checksums"].get(name), run_dir / MANIFEST))
            for name in run_files(format_name)
            if name != MANIFEST
        }

        def table(name: str, what: str, columns: list[str] | None, **options) -> pd.DataFrame:
            return read_table(run_dir / name, what, columns, source=handles[name], **options)

        format_ = get_format(format_name)
        sessions = table(
            "sessions.parquet",
            "a sessions table",
            [*READ_COLUMNS, *format_.gallery_session_columns],
            filters=[("client_id", "<=", SESSION_CLIENTS)],
        )
        clients = table("clients.parquet", "a clients table", [*CLIENT_COLUMNS, *format_.gallery_client_columns])
        therapists = table("therapists.parquet", "a therapists table", THERAPIST_COLUMNS)
        unit_columns = None if format_.gallery_unit_columns is None else list(format_.gallery_unit_columns)
        units = None if format_.unit_file is None else table(format_.unit_file, f"a {format_name} table", unit_columns)
    stamp = Stamp(manifest["n_clients"], manifest["seed"], manifest["parameters"]["course_length"], format_name)
    return RunTables(sessions, clients, therapists, stamp, format_name, units)


def _example_trajectories(run: RunTables, figure: Figure) -> None:
    """The typical client of each of data.EXAMPLE_GROUPS (data.typical_clients: the median by the
    alliance at their last session), one under the other; in a group or family, each with the unit's
    figure on an axis of its own."""
    events = data.rupture_events(run.sessions)
    picked = data.typical_clients(run.sessions)
    format_ = get_format(run.format)
    dropped = run.clients.set_index("client_id")["dropped_out"]
    unit = format_.unit_figure is not None
    rows = figure.subfigures(len(picked), 1, squeeze=False)[:, 0]
    for index, (row, (label, client)) in enumerate(zip(rows, picked.items(), strict=True)):
        ax, unit_ax = trajectory_axes(row, format_.unit_figure)
        trajectory = Trajectory(
            f"Client {client}: {label}",
            run.sessions[run.sessions["client_id"] == client],
            events[events["client_id"] == client],
            run.stamp.course_length,
            format_.unit_figure,
            format_.unit_figure_label,
            bool(dropped.get(client, False)),
        )
        plot_trajectory(trajectory, ax, unit_ax)  # each panel keeps its legend: the panels stay aligned
        if index < len(rows) - 1:
            (unit_ax if unit else ax).set_xlabel("")
    figure.suptitle(
        "Typical clients (the median by final alliance of each group): every rupture repaired,\n"
        "none repaired, no rupture; the repaired client ends with a stronger alliance than the unrepaired one"
    )


def _outcomes_by_therapist(trait: str, label: str) -> Callable[[RunTables, Figure], None]:
    def draw(run: RunTables, figure: Figure) -> None:
        groups = data.therapist_tercile(run.clients, run.therapists, trait)
        plot_outcome_shares(
            data.outcomes_by(groups, run.clients["outcome"]),
            figure.subplots(),
            f"Outcomes by the therapist's {label} (thirds of clients; {label} 0-1):\n"
            "in one cohort the thirds differ by less than 10 points in every outcome",
        )

    return draw


def _survival(run: RunTables, figure: Figure) -> None:
    groups = data.therapist_tercile(run.clients, run.therapists, "repair_skill")
    groups = groups.cat.rename_categories(lambda name: f"repair skill {name}")
    plot_survival(
        data.dropout_survival(run.clients, groups),
        figure.subplots(),
        "Still in therapy (Kaplan-Meier), by the therapist's repair skill:\n"
        f"dropout is steepest in the first {EARLY_DROPOUT_SESSIONS} sessions",
    )


Draw = Callable[[RunTables, Figure], None]
GALLERY: dict[str, tuple[Draw, tuple[float, float]]] = {
    "trajectories": (_example_trajectories, (9.5, 11.0)),
    "v_shape": (lambda run, figure: plot_v_shape(data.v_shape(run.sessions), figure.subplots()), (8.5, 5.5)),
    "outcomes_by_repair_skill": (_outcomes_by_therapist("repair_skill", "repair skill"), (9.5, 3.4)),
    "dropout_survival": (_survival, (8.0, 5.0)),
    "dose_response": (
        lambda run, figure: plot_dose_response(data.dose_response(run.sessions, run.clients), figure.subplots()),
        (8.0, 5.0),
    ),
}
UNIT_GALLERY: dict[str, tuple[Draw, tuple[float, float]]] = {
    "cohesion": (
        lambda run, figure: plot_cohesion(data.cohesion_by_session(run.sessions, run.clients), figure.subplots()),
        (8.5, 4.8),
    ),
    "split_dropout": (
        lambda run, figure: plot_split_dropout(data.split_dropout(run.sessions, run.units), figure.subplots()),
        (8.5, 4.8),
    ),
}
"""The figures of units, by name; each format names those it draws (``Format.gallery_figures``)."""


def figures_of(format_name: str) -> dict[str, tuple[Draw, tuple[float, float]]]:
    """Every figure of GALLERY, then those that the format declares, by name."""
    return {**GALLERY, **{name: UNIT_GALLERY[name] for name in get_format(format_name).gallery_figures}}


def gallery_files(format_name: str = "individual") -> tuple[str, ...]:
    """The files of the gallery of a run in ``format_name``: every figure of GALLERY, then the
    format's own (:func:`figures_of`), each as PNG and SVG."""
    return tuple(f"{name}.{ext}" for name in figures_of(format_name) for ext in ("png", "svg"))


GALLERY_FILES = gallery_files()


def write_gallery(run_dir: Path, out: Path, overwrite: bool = False) -> list[str]:
    """Draw every figure of GALLERY, and those of the run's format (:func:`figures_of`), from the run in
    ``run_dir`` into ``out`` (PNG and SVG); nothing is written unless all succeed, nothing replaced
    without ``overwrite``. Returns the file names."""
    _, format_name = run_manifest(run_dir)
    files = gallery_files(format_name)
    others = tuple(name for other in FORMATS for name in gallery_files(other) if name not in files)
    check_free(out, (*files, *others), overwrite)
    with output_lock(out):  # a second writer into ``out`` is refused before the run is read
        run = read_run(run_dir)
        with atomic_outputs(out, files, overwrite, replaces=others, lock_held=True) as paths:
            for name, (draw, size) in figures_of(format_name).items():
                figure = Figure(figsize=size, layout="constrained")
                draw(run, figure)
                save_figure(figure, run.stamp.text(), paths[f"{name}.png"], paths[f"{name}.svg"])
    return list(files)
