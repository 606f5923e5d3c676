"""Tidy tables from a simulated pass: sessions (one row per client and scheduled session), clients,
therapists and runs. The timing definitions are those of DESIGN.md section 3 (see also docs/ODD.md)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulation import dynamics, measures
from simulation.config import PARAMETERS, Params
from simulation.runs import CourseResult, Rows, Run, simulate_rows, therapist_traits

SESSION_COLUMNS = (
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
    "rupture",
    "rupture_kind",
    "rupture_resolved",
    "ors",
    "srs",
)


@dataclass(frozen=True)
class Tables:
    """The tables of one run or of several (then the first three carry a ``run`` column).

    ``runs`` has one row per run: its index ``run``, seed, cohort size and every parameter
    (see :func:`run_table`), so that results can be joined to what made them."""

    sessions: pd.DataFrame
    clients: pd.DataFrame
    therapists: pd.DataFrame
    runs: pd.DataFrame


def _categorical(codes: np.ndarray, categories: tuple[str, ...]) -> pd.Categorical:
    return pd.Categorical.from_codes(codes.astype(np.int8), categories=list(categories))


def _whole_points(values: np.ndarray) -> pd.arrays.IntegerArray:
    """Instrument totals as nullable small integers (missing where the session was missed)."""
    missing = np.isnan(values)
    return pd.arrays.IntegerArray(np.where(missing, 0, values).astype(np.int8), missing)


def session_arrays(result: CourseResult) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """Session records laid out client-major: (columns, row index of each table row, offsets).

    A client in therapy at session s was in therapy at every earlier session, so its rows are
    sessions 1..L; table row (client c, session s) sits at offset[c] + s - 1.
    """
    n = len(result.rows)
    lengths = np.zeros(n, dtype=np.int64)
    for _, positions, _ in result.sessions:
        lengths[positions] += 1
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    total = int(lengths.sum())
    columns: dict[str, np.ndarray] = {"session": np.empty(total, dtype=np.int16)}
    row_of = np.repeat(np.arange(n), lengths)
    for session, positions, record in result.sessions:
        at = offsets[positions] + session - 1
        columns["session"][at] = session
        for name, values in record.items():
            if name not in columns:
                columns[name] = np.empty(total, dtype=values.dtype)
            columns[name][at] = values
    return columns, row_of, offsets


def build_tables(
    runs: list[Run], result: CourseResult, with_therapists: bool = True, run_column: bool | None = None
) -> Tables:
    """The tables of a pass; sessions, clients and therapists carry a ``run`` column if ``run_column``
    (by default: when there are several runs).

    A chunk of a larger cohort leaves the therapists out (``with_therapists=False``): they are
    written once per run by :func:`therapist_table`."""
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
                for name in ("bond", "goal", "task", "alliance", "alliance_therapist")
            },
            "rupture": columns["rupture"],
            "rupture_kind": _categorical(columns["rupture_kind"], dynamics.RUPTURE_KINDS),
            "rupture_resolved": columns["rupture_resolved"],
            "ors": _whole_points(columns["ors"]),
            "srs": _whole_points(columns["srs"]),
        },
        copy=False,
    )
    summary = measures.course_summary(columns, offsets)
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
    if run_column:
        sessions.insert(0, "run", rows.run[row_of])
        clients.insert(0, "run", rows.run)
    therapists = therapist_table(runs, run_column) if with_therapists else pd.DataFrame()
    return Tables(sessions, clients, therapists, run_table(runs))


def therapist_table(runs: list[Run], run_column: bool = False) -> pd.DataFrame:
    """One row per therapist of each run: traits and caseload; a ``run`` column if ``run_column``.

    Client i of a run sees therapist i // clients_per_therapist, so the caseloads follow from the
    run's size: every therapist has a full caseload but the last."""
    therapists = []
    for index, run in enumerate(runs):
        table = pd.DataFrame(therapist_traits(runs, index))
        caseload = run.params.clients_per_therapist
        first_client = np.arange(len(table)) * caseload
        table.insert(0, "therapist_id", np.arange(1, len(table) + 1, dtype=np.int32))
        table["clients"] = np.minimum(caseload, run.n_clients - first_client)
        if run_column:
            table.insert(0, "run", np.full(len(table), index, dtype=np.int32))
        therapists.append(table)
    return pd.concat(therapists, ignore_index=True)


def run_table(runs: list[Run]) -> pd.DataFrame:
    """One row per run: ``run`` (its index), its seed, ``n_clients`` and every parameter.

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
            **{name: spec.kind for name, spec in PARAMETERS.items()},
        }
    )


def simulate(params: Params, n_clients: int, seed: int, backend: str = "numpy") -> Tables:
    """Simulate one cohort in one pass and return its tables (the common case, in memory)."""
    runs = [Run(params, n_clients, seed)]
    return build_tables(runs, simulate_rows(runs, Rows.of_runs(runs), backend))


def simulate_runs(runs: list[Run], backend: str = "numpy") -> Tables:
    """Simulate several runs (replicates, parameter points) stacked in one vectorized pass.

    Every table carries a ``run`` column (the run's index in ``runs``, even for one run); ``runs``
    maps it to the run's parameters, seed and size. Each run's rows equal that run simulated alone
    (random draws are keyed by run, client and session, not by position in the pass)."""
    return build_tables(runs, simulate_rows(runs, Rows.of_runs(runs), backend), run_column=True)
