"""Tidy tables from a simulated pass: sessions (one row per client and scheduled session), clients,
therapists and runs, and in the group and family formats a unit table (groups or families). The
timing definitions are those of DESIGN.md section 3 (see also docs/ODD.md)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from simulation import dynamics, measures
from simulation.config import PARAMETERS, Params
from simulation.formats import FORMATS, get_format
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


@dataclass(frozen=True)
class Tables:
    """The tables of one run or of several (then the first three carry a ``run`` column).

    ``runs`` has one row per run: its index ``run``, seed, cohort size and every parameter
    (see :func:`run_table`), so that results can be joined to what made them. ``units`` is the unit
    table of the group or family format (one row per group or family, see :func:`unit_table`); empty
    in the individual format, whose tables are as they were before formats existed."""

    sessions: pd.DataFrame
    clients: pd.DataFrame
    therapists: pd.DataFrame
    runs: pd.DataFrame
    units: pd.DataFrame = field(default_factory=pd.DataFrame)


def _categorical(codes: np.ndarray, categories: tuple[str, ...]) -> pd.Categorical:
    return pd.Categorical.from_codes(codes.astype(np.int8), categories=list(categories))


def _whole_points(values: np.ndarray) -> pd.arrays.IntegerArray:
    """Instrument totals as nullable small integers (missing where the session was missed)."""
    missing = np.isnan(values)
    return pd.arrays.IntegerArray(np.where(missing, 0, values).astype(np.int8), missing)


def session_arrays(result: CourseResult) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """Session records laid out client-major: (columns, row index of each table row, offsets).

    A client in therapy at session s was in therapy at every earlier session since their first
    (``rows.start``: 1, except for members who join an open group later), so its rows are sessions
    start..start + L - 1 without gaps; table row (client c, session s) sits at offset[c] + s - start[c].
    """
    n = len(result.rows)
    lengths = np.zeros(n, dtype=np.int64)
    for _, positions, _ in result.sessions:
        lengths[positions] += 1
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    total = int(lengths.sum())
    columns: dict[str, np.ndarray] = {"session": np.empty(total, dtype=np.int16)}
    row_of = np.repeat(np.arange(n), lengths)
    start = result.rows.start.astype(np.int64)
    for session, positions, record in result.sessions:
        at = offsets[positions] + session - start[positions]
        columns["session"][at] = session
        for name, values in record.items():
            if name not in columns:
                columns[name] = np.empty(total, dtype=values.dtype)
            columns[name][at] = values
    return columns, row_of, offsets


def build_tables(
    runs: list[Run],
    result: CourseResult,
    with_therapists: bool = True,
    run_column: bool | None = None,
    with_runs: bool = True,
) -> Tables:
    """The tables of a pass; sessions, clients and therapists carry a ``run`` column if ``run_column``
    (by default: when there are several runs).

    A chunk of a larger cohort leaves the therapists out (``with_therapists=False``): they are
    written once per run by :func:`therapist_table`; a caller that never reads the run table (a fit's
    thousands of small simulations) leaves it out with ``with_runs=False``."""
    if run_column is None:
        run_column = len(runs) > 1
    columns, row_of, offsets = session_arrays(result)
    rows, traits, final = result.rows, result.traits, result.final
    client_id = rows.client + 1
    therapist_id = (rows.therapist + 1).astype(np.int32)
    sessions = pd.DataFrame(
        {
            "client_id": client_id[row_of],
            "therapist_id": therapist_id[row_of],
            "session": columns["session"],
            "stage": _categorical(columns["stage"], dynamics.STAGES),
            "attended": columns["attended"],
            **{
                name: columns[name].astype(np.float32)
                for name in ("bond", "goal", "task", "alliance", "alliance_therapist", "wellbeing")
            },
            "rupture": columns["rupture"],
            "rupture_kind": _categorical(columns["rupture_kind"], dynamics.RUPTURE_KINDS),
            "rupture_resolved": columns["rupture_resolved"],
            "ors": _whole_points(columns["ors"]),
            "srs": _whole_points(columns["srs"]),
        },
        copy=False,
    )
    # a member's own session numbers drive the per-client figures (intake, early alliance, final ORS)
    own_session = columns.get("member_session", columns["session"])
    summary = measures.course_summary({**columns, "session": own_session}, offsets)
    clients = pd.DataFrame(
        {
            "client_id": client_id,
            "therapist_id": therapist_id,
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
        },
        copy=False,
    )
    margin = np.array([run.params.monitoring_margin for run in runs], dtype=np.float64)[rows.run]
    session_signals, client_signals = monitoring_record.signal_columns(
        row_of, own_session, columns["ors"], columns["attended"], summary["ors_intake"], margin
    )
    for name, values in session_signals.items():
        sessions[name] = values
    for name, values in client_signals.items():
        clients[name] = values
    clients["feedback_sessions"], clients["sessions_added"] = final["feedback_sessions"], final["extension"]
    units = pd.DataFrame()
    has_units = get_format(result.format).has_units
    if has_units:
        _add_format_columns(result, columns, row_of, offsets, sessions, clients)
    if run_column:
        sessions.insert(0, "run", rows.run[row_of])
        clients.insert(0, "run", rows.run)
    if has_units:
        units = unit_table(clients, result.format)
    therapists = therapist_table(runs, run_column) if with_therapists else pd.DataFrame()
    return Tables(sessions, clients, therapists, run_table(runs) if with_runs else pd.DataFrame(), units)


def _segment_mean(values: np.ndarray, counted: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Per client, the mean of ``values`` over their session rows where ``counted`` (NaN where none)."""
    total = np.add.reduceat(np.where(counted, values, 0.0), offsets)
    count = np.add.reduceat(counted.astype(np.int64), offsets)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _add_format_columns(
    result: CourseResult,
    columns: dict[str, np.ndarray],
    row_of: np.ndarray,
    offsets: np.ndarray,
    sessions: pd.DataFrame,
    clients: pd.DataFrame,
) -> None:
    """The group or family format's columns, in place: ``format``, ``unit_id`` and (families) ``role``
    after ``therapist_id`` in both tables; ``member_session`` after ``session``; then the format's own
    figures per session and per client."""
    rows, final = result.rows, result.final
    format_ = get_format(result.format)
    unit_id = (rows.unit + 1).astype(np.int32)
    labels = {
        "format": pd.Categorical.from_codes(
            np.full(len(rows), list(FORMATS).index(format_.name), np.int8), list(FORMATS)
        )
    }
    labels["unit_id"] = unit_id
    if len(format_.roles) > 1:
        labels["role"] = _categorical(rows.role, format_.roles)
    for offset, (name, values) in enumerate(labels.items()):
        sessions.insert(2 + offset, name, values[row_of])
        clients.insert(2 + offset, name, values)
    sessions.insert(sessions.columns.get_loc("session") + 1, "member_session", columns["member_session"])
    attended = columns["attended"]
    if format_.name == "group":
        sessions["cohesion"] = columns["cohesion"].astype(np.float32)
        sessions["member_rupture"] = columns["member_rupture"]
        clients["first_session"] = rows.start
        clients["cohesion_mean"] = _segment_mean(columns["cohesion"], attended, offsets)
        clients["member_ruptures"] = final["member_ruptures"]
        clients["witnessed"] = final["witnessed"]
    else:
        sessions["shared_alliance"] = columns["shared_alliance"].astype(np.float32)
        sessions["split"] = columns["split"].astype(np.float32)
        every = np.ones(attended.size, dtype=bool)
        clients["shared_alliance"] = _segment_mean(columns["shared_alliance"], every, offsets)
        clients["split"] = _segment_mean(columns["split"], every, offsets)
        clients["sided_with"] = final["sided"]


def _unit_means(values: pd.Series, starts: np.ndarray) -> np.ndarray:
    """The mean of ``values`` over each unit's rows (``starts``: each unit's first row; missing values
    skipped), summed over the unit's own rows alone: pandas' grouped mean can differ in the last bit
    with the other units in the table, which would make the unit table depend on the chunk size."""
    numbers = values.to_numpy(dtype=float, na_value=np.nan)
    present = ~np.isnan(numbers)
    sums = np.add.reduceat(np.where(present, numbers, 0.0), starts)
    counts = np.add.reduceat(present.astype(np.int64), starts)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / counts, np.nan)


def _unit_roles(roles: pd.Series, starts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Each unit's members' roles in member order, joined by commas (e.g. "parent,adolescent"): read
    from the members' rows, since they follow from each run's format parameters (formats.family)."""
    codes = roles.cat.codes.to_numpy()
    place = np.arange(sizes.max(initial=1))
    present = place[None, :] < sizes[:, None]
    matrix = np.where(present, codes[np.minimum(starts[:, None] + place[None, :], codes.size - 1)], -1)
    kinds, which = np.unique(matrix, axis=0, return_inverse=True)
    labels = roles.cat.categories
    names = np.array([",".join(labels[code] for code in kind if code >= 0) for kind in kinds], dtype=object)
    return names[which.reshape(-1)]


def unit_table(clients: pd.DataFrame, format_name: str) -> pd.DataFrame:
    """One row per group or family (and run): ``unit_id``, ``therapist_id`` (the leader), ``size``,
    ``alliance_early`` (the members' mean), the members' mean ``change``; groups: mean ``cohesion``
    (of the members' mean cohesion over attended sessions), ``member_ruptures`` (ruptures between
    members) and ``dropout`` (share of members who dropped out: members leave one by one); families:
    ``roles``, ``shared_alliance`` and ``split`` (means over the family's sessions), ``dropped_out``
    (the family as a whole) and ``sessions_scheduled``."""
    key = ["run", "unit_id"] if "run" in clients.columns else ["unit_id"]
    grouped = clients.groupby(key, sort=False, observed=True)
    # a unit's members are contiguous rows (units are filled in order): the first row of each unit
    changes = np.ones(len(clients), dtype=bool)
    changes[1:] = (clients[key].to_numpy()[1:] != clients[key].to_numpy()[:-1]).any(axis=1)
    starts = np.flatnonzero(changes)
    table = grouped.agg(therapist_id=("therapist_id", "first"), size=("client_id", "size"))
    table["alliance_early"] = _unit_means(clients["alliance_early"], starts)
    table["change"] = _unit_means(clients["change"], starts)
    if format_name == "group":
        table["cohesion"] = _unit_means(clients["cohesion_mean"], starts)
        table["member_ruptures"] = grouped["member_ruptures"].sum() // 2  # each rupture is on both members
        table["dropout"] = _unit_means(clients["dropped_out"], starts)
    else:
        table["roles"] = _unit_roles(clients["role"], starts, table["size"].to_numpy())
        table["shared_alliance"] = grouped["shared_alliance"].first()
        table["split"] = grouped["split"].first()
        table["dropped_out"] = grouped["dropped_out"].first()
        table["sessions_scheduled"] = grouped["sessions_scheduled"].max()
    return table.reset_index().astype({"size": np.int32})


def therapist_table(runs: list[Run], run_column: bool = False) -> pd.DataFrame:
    """One row per therapist of each run: traits and caseload; a ``run`` column if ``run_column``.

    The run's format's roster says who sees whom (in the individual format client i sees therapist
    i // clients_per_therapist): ``clients`` counts each therapist's clients (members)."""
    therapists = []
    for index, run in enumerate(runs):
        table = pd.DataFrame(therapist_traits(runs, index))
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


def simulate(params: Params, n_clients: int, seed: int, backend: str = "numpy", format: str = "individual") -> Tables:
    """Simulate one cohort (of ``n_clients`` members in ``format``) in one pass and return its tables
    (the common case, in memory)."""
    runs = [Run(params, n_clients, seed, format)]
    return build_tables(runs, simulate_rows(runs, Rows.of_runs(runs), backend))


def simulate_runs(runs: list[Run], backend: str = "numpy") -> Tables:
    """Simulate several runs (replicates, parameter points) stacked in one vectorized pass.

    Every table carries a ``run`` column (the run's index in ``runs``, even for one run); ``runs``
    maps it to the run's parameters, seed and size. Each run's rows equal that run simulated alone
    (random draws are keyed by run, client and session, not by position in the pass)."""
    return build_tables(runs, simulate_rows(runs, Rows.of_runs(runs), backend), run_column=True)
