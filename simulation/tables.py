"""Tidy tables from a simulated pass: sessions (one row per client and scheduled session), clients,
therapists and runs, and in the group and family formats a unit table (groups or families). The
timing definitions are those of docs/ODD.md."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from simulation import dynamics, layout, measures
from simulation.backend import DEFAULT_BACKEND
from simulation.config import PARAMETERS, Params
from simulation.figures.courses import course_figures
from simulation.formats import Format, get_format
from simulation.formats.base import unit_mean
from simulation.monitoring import record as monitoring_record
from simulation.runs import CourseResult, Rows, Run, simulate_rows, therapist_traits

RECORDED_SESSION_COLUMNS = (
    "client_id",
    "therapist_id",
    "session",
    "stage",
    "attended",
    "bond",
    "goal",
    "task",
    "alliance",
    "alliance_therapist",
    "wellbeing",
    "rupture",
    "rupture_kind",
    "rupture_resolved",
    "ors",
    "srs",
)
"""The sessions table's columns that the session update records (the reference model's too)."""
SESSION_COLUMNS = (*RECORDED_SESSION_COLUMNS, *monitoring_record.SESSION_COLUMNS)
"""The sessions table's columns: those recorded, then the routine outcome monitoring's signals."""
TABLED_AS_FLOAT32 = ("bond", "goal", "task", "alliance_therapist", "wellbeing")
"""Recorded fields that only the sessions table reads, in float32: laid out in float32 at once (the
client-view ``alliance`` is tabled in float32 too, but the early-alliance figure reads it in float64)."""


@dataclass(frozen=True)
class Tables:
    """The tables of one run or of several (then the first three carry a ``run`` column).

    ``runs`` has one row per run: its index ``run``, seed, cohort size and every parameter
    (see :func:`run_table`), so that results can be joined to what made them. ``units`` is the unit
    table of the group or family format (one row per group or family, see :func:`unit_columns`); empty
    in the individual format, whose tables are as they were before formats existed."""

    sessions: pd.DataFrame
    clients: pd.DataFrame
    therapists: pd.DataFrame
    runs: pd.DataFrame
    units: pd.DataFrame = field(default_factory=pd.DataFrame)


def _categorical(codes: np.ndarray, categories: tuple[str, ...]) -> pd.Categorical:
    return pd.Categorical.from_codes(codes.astype(np.int8), dtype=_categories(categories))


@cache
def _categories(categories: tuple[str, ...]) -> pd.CategoricalDtype:
    """The dtype of a categorical column (made once: pandas checks the categories each time it makes one)."""
    return pd.CategoricalDtype(list(categories))


def _whole_points(values: np.ndarray) -> pd.arrays.IntegerArray:
    """Instrument totals as nullable small integers (missing where the session was missed)."""
    points, missing = np.empty(values.shape, dtype=np.int8), np.empty(values.shape, dtype=bool)
    layout.whole_points(values, points, missing)
    return pd.arrays.IntegerArray(points, missing)


def session_arrays(
    result: CourseResult, names: tuple[str, ...] | None = None, dtypes: dict[str, Any] | None = None
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """Session records laid out client-major: (columns, row index of each table row, offsets); the
    columns are ``session`` and the record fields ``names`` (all of them by default), each in its
    dtype in ``dtypes`` if named there (converted as astype does), else in the record's.

    A client in therapy at session s was in therapy at every earlier session since their first
    (``rows.start``: 1, except for members who join an open group later), so its rows are sessions
    start..start + L - 1 without gaps; table row (client c, session s) sits at offset[c] + s - start[c].
    Each column is placed straight from each session's record (simulation.layout.place), without
    first joining the records end to end (one more copy of every column).
    """
    n = len(result.rows)
    sizes = np.array([positions.size for _, positions, _ in result.sessions], dtype=np.int64)
    numbers = np.array([session for session, _, _ in result.sessions], dtype=np.int64)
    positions = np.concatenate([np.empty(0, np.int64), *(positions for _, positions, _ in result.sessions)])
    lengths = np.bincount(positions, minlength=n)
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    start = result.rows.start.astype(np.int64)
    at = layout.client_major_rows(positions.astype(np.int64, copy=False), numbers, sizes, offsets, start)
    bounds = np.cumsum(sizes)
    rows_of_session = [at[stop - size : stop] for size, stop in zip(sizes, bounds, strict=True)]
    columns = {"session": np.empty(at.size, dtype=np.int16)}
    layout.session_numbers(offsets, lengths, start, columns["session"])
    for name in (result.sessions[0][2] if result.sessions else ()) if names is None else names:
        dtype = (dtypes or {}).get(name, result.sessions[0][2][name].dtype)
        column = columns[name] = np.empty(at.size, dtype=dtype)
        for where, (_, _, record) in zip(rows_of_session, result.sessions, strict=True):
            layout.place(column, where, record[name])
    return columns, np.repeat(np.arange(n), lengths), offsets


@dataclass(frozen=True)
class TableColumns:
    """The columns of a pass's tables by name, in table order, before they become DataFrames
    (:func:`build_tables`) or Arrow tables (simulation.store): numpy arrays, pandas Categoricals and
    nullable integer arrays. ``units`` is empty in the individual format."""

    sessions: dict[str, Any]
    clients: dict[str, Any]
    units: dict[str, Any]


def table_columns(runs: list[Run], result: CourseResult, run_column: bool) -> TableColumns:
    """The columns of the sessions, clients and (group and family formats) unit tables of a pass;
    sessions and clients lead with a ``run`` column if ``run_column``. The format adds its label
    columns after ``therapist_id`` and its own columns last (simulation.formats.base.Format)."""
    columns, row_of, offsets = session_arrays(result, dtypes=dict.fromkeys(TABLED_AS_FLOAT32, np.float32))
    rows, traits, final = result.rows, result.traits, result.final
    format_ = get_format(result.format)
    client_id = rows.client + 1
    therapist_id = (rows.therapist + 1).astype(np.int32)
    labels = format_.label_columns(rows)
    # a member's own session numbers drive the signals (course_figures reads them from the records)
    own_session = columns.get("member_session", columns["session"])
    summary = course_figures(result)
    margin = np.array([run.params.monitoring_margin for run in runs], dtype=np.float64)[rows.run]
    session_signals, client_signals = monitoring_record.signal_columns(
        row_of, own_session, columns["ors"], columns["attended"], summary["ors_intake"], margin
    )
    lead = {"run": rows.run} if run_column else {}
    sessions = {
        **{name: values[row_of] for name, values in lead.items()},
        "client_id": client_id[row_of],
        "therapist_id": therapist_id[row_of],
        **{name: values[row_of] for name, values in labels.items()},
        "session": columns["session"],
        **({"member_session": columns["member_session"]} if "member_session" in columns else {}),
        "stage": _categorical(columns["stage"], dynamics.STAGES),
        "attended": columns["attended"],
        **{
            name: columns[name] if name in TABLED_AS_FLOAT32 else columns[name].astype(np.float32)
            for name in ("bond", "goal", "task", "alliance", "alliance_therapist", "wellbeing")
        },
        "rupture": columns["rupture"],
        "rupture_kind": _categorical(columns["rupture_kind"], dynamics.RUPTURE_KINDS),
        "rupture_resolved": columns["rupture_resolved"],
        "ors": _whole_points(columns["ors"]),
        "srs": _whole_points(columns["srs"]),
        **session_signals,
        **format_.session_columns(columns),
    }
    clients = {
        **lead,
        "client_id": client_id,
        "therapist_id": therapist_id,
        **labels,
        "attachment": _categorical(traits["attachment"], dynamics.ATTACHMENT_STYLES),
        "culture": _categorical(traits["minority"].astype(np.int8), ("majority", "minority")),
        "modality": _categorical(traits["online"].astype(np.int8), ("in_person", "online")),
        "cultural_mismatch": traits["mismatch"],
        **{name: traits[name] for name in dynamics.CLIENT_TRAITS},
        "fit": traits["fit"],
        "wellbeing_intake": traits["intake"],
        "wellbeing_attainable": traits["attainable"],
        "wellbeing_final": final["wellbeing"],
        "ors_intake": _whole_points(summary["ors_intake"]),
        "ors_final": _whole_points(summary["ors_final"]),
        "change": summary["ors_final"] - summary["ors_intake"],
        "sessions_scheduled": summary["sessions_scheduled"],
        "sessions_attended": summary["sessions_attended"],
        "final_stage": _categorical(final["stage"], dynamics.STAGES),
        "dropped_out": final["dropped_out"],
        "dropout_cause": _categorical(final["dropout_cause"], dynamics.DROPOUT_CAUSES),
        "ruptures": final["ruptures"],
        "ruptures_resolved": final["resolved"],
        "ruptures_unresolved": final["unresolved"] + final["rupture_open"],  # still open at the end: unresolved
        "alliance_early": summary["alliance_early"],
        "outcome": _categorical(
            measures.classify_outcomes(summary["ors_intake"], summary["ors_final"], final["dropped_out"]),
            measures.OUTCOMES,
        ),
        **client_signals,
        "feedback_sessions": final["feedback_sessions"],
        "sessions_added": final["extension"],
        **format_.client_columns(rows, final, columns, offsets),
    }
    units = unit_columns(clients, format_) if format_.has_units else {}
    return TableColumns(sessions, clients, units)


def build_tables(
    runs: list[Run],
    result: CourseResult,
    with_therapists: bool = True,
    run_column: bool | None = None,
    with_runs: bool = True,
) -> Tables:
    """The tables of a pass as DataFrames; sessions, clients and therapists carry a ``run`` column if
    ``run_column`` (by default: when there are several runs).

    A chunk of a larger cohort leaves the therapists out (``with_therapists=False``): they are
    written once per run by :func:`therapist_table`; a caller that never reads the run table (a fit's
    thousands of small simulations) leaves it out with ``with_runs=False``."""
    if run_column is None:
        run_column = len(runs) > 1
    columns = table_columns(runs, result, run_column)
    sessions, clients = (pd.DataFrame(part, copy=False) for part in (columns.sessions, columns.clients))
    units = pd.DataFrame(columns.units, copy=False) if columns.units else pd.DataFrame()
    therapists = therapist_table(runs, run_column) if with_therapists else pd.DataFrame()
    return Tables(sessions, clients, therapists, run_table(runs) if with_runs else pd.DataFrame(), units)


def unit_columns(clients: dict[str, Any], format_: Format) -> dict[str, Any]:
    """One row per group or family (and run): ``unit_id``, ``therapist_id`` (the leader), ``size``,
    ``alliance_early`` (the members' mean), the members' mean ``change``, then the format's own
    columns (Format.unit_columns). A unit's members are contiguous client rows (units are filled in
    order), so each unit is a segment of the clients table."""
    keys = [clients[name] for name in ("run", "unit_id") if name in clients]
    changes = np.zeros(len(clients["unit_id"]), dtype=bool)
    changes[:1] = True
    for key in keys:
        changes[1:] |= key[1:] != key[:-1]
    starts = np.flatnonzero(changes)
    sizes = np.diff(np.append(starts, changes.size))
    return {
        **{name: clients[name][starts] for name in ("run", "unit_id") if name in clients},
        "therapist_id": clients["therapist_id"][starts],
        "size": sizes.astype(np.int32),
        "alliance_early": unit_mean(clients["alliance_early"], starts),
        "change": unit_mean(clients["change"], starts),
        **format_.unit_columns(clients, starts, sizes),
    }


def therapist_table(runs: list[Run], run_column: bool = False, outcome: bool = False) -> pd.DataFrame:
    """One row per therapist of each run: traits and caseload; a ``run`` column if ``run_column``;
    with ``outcome``, the terms of the therapist's own effect on change too (runs.therapist_traits).

    The run's format's roster says who sees whom (in the individual format client i sees therapist
    i // clients_per_therapist): ``clients`` counts each therapist's clients (members)."""
    therapists = []
    for index, run in enumerate(runs):
        table = pd.DataFrame(therapist_traits(runs, index, outcome=outcome))
        roster = get_format(run.format).roster(run.params, run.n_clients)
        table.insert(0, "therapist_id", np.arange(1, len(table) + 1, dtype=np.int32))
        table["clients"] = np.bincount(roster.therapist, minlength=len(table))
        if run_column:
            table.insert(0, "run", np.full(len(table), index, dtype=np.int32))
        therapists.append(table)
    return pd.concat(therapists, ignore_index=True)


def run_table(runs: list[Run]) -> pd.DataFrame:
    """One row per run: ``run`` (its index), its seed, ``n_clients``, ``format`` and every parameter.

    An int seed is in ``seed``; a SeedSequence (e.g. spawned for one run of a study) leaves ``seed``
    empty and is recorded as ``seed_entropy`` (the entropy, as text: it may exceed 64 bits) and
    ``seed_spawn_key`` (e.g. "3" or "3,1")."""
    records = []
    for index, run in enumerate(runs):
        sequence = isinstance(run.seed, np.random.SeedSequence)
        records.append(
            {
                "run": index,
                "seed": None if sequence else run.seed,
                "seed_entropy": str(run.seed.entropy) if sequence else None,
                "seed_spawn_key": ",".join(map(str, run.seed.spawn_key)) if sequence else None,
                "n_clients": run.n_clients,
                "format": run.format,
                **run.params.as_dict(),
            }
        )
    table = pd.DataFrame.from_records(records)
    return table.astype(
        {
            "run": np.int32,
            "seed": "Int64",
            "seed_entropy": "string",
            "seed_spawn_key": "string",
            "n_clients": np.int64,
            "format": "string",
            **{name: spec.kind for name, spec in PARAMETERS.items()},
        }
    )


def simulate(
    params: Params, n_clients: int, seed: int, backend: str = DEFAULT_BACKEND, format: str = "individual"
) -> Tables:
    """Simulate one cohort (of ``n_clients`` members in ``format``) in one pass and return its tables
    (the common case, in memory)."""
    runs = [Run(params, n_clients, seed, format)]
    return build_tables(runs, simulate_rows(runs, Rows.of_runs(runs), backend))


def simulate_runs(runs: list[Run], backend: str = DEFAULT_BACKEND) -> Tables:
    """Simulate several runs (replicates, parameter points) stacked in one vectorized pass.

    Every table carries a ``run`` column (the run's index in ``runs``, even for one run); ``runs``
    maps it to the run's parameters, seed and size. Each run's rows equal that run simulated alone
    (random draws are keyed by run, client and session, not by position in the pass)."""
    return build_tables(runs, simulate_rows(runs, Rows.of_runs(runs), backend), run_column=True)
