"""Tidy tables from a simulated pass: sessions (one row per client and scheduled session), clients and
therapists. The timing definitions are those of DESIGN.md section 3 (see also docs/ODD.md)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulation import dynamics, measures
from simulation.config import Params
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
    """The three tables of one run (or of several, with a ``run`` column)."""

    sessions: pd.DataFrame
    clients: pd.DataFrame
    therapists: pd.DataFrame


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


def build_tables(runs: list[Run], result: CourseResult, with_therapists: bool = True) -> Tables:
    """Sessions, clients and therapists tables of a pass (a ``run`` column when several runs).

    A chunk of a larger cohort leaves the therapists out (``with_therapists=False``): they are
    written once per run by :func:`therapist_table`."""
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
    if len(runs) > 1:
        sessions.insert(0, "run", rows.run[row_of])
        clients.insert(0, "run", rows.run)
    return Tables(sessions, clients, therapist_table(runs) if with_therapists else pd.DataFrame())


def therapist_table(runs: list[Run]) -> pd.DataFrame:
    """One row per therapist of each run: traits and caseload (a ``run`` column when several runs).

    Client i of a run sees therapist i // clients_per_therapist, so the caseloads follow from the
    run's size: every therapist has a full caseload but the last."""
    therapists = []
    for index, run in enumerate(runs):
        table = pd.DataFrame(therapist_traits(runs, index))
        caseload = run.params.clients_per_therapist
        first_client = np.arange(len(table)) * caseload
        table.insert(0, "therapist_id", np.arange(1, len(table) + 1, dtype=np.int32))
        table["clients"] = np.minimum(caseload, run.n_clients - first_client)
        therapists.append(table.assign(run=index) if len(runs) > 1 else table)
    return pd.concat(therapists, ignore_index=True)


def simulate(params: Params, n_clients: int, seed: int, backend: str = "numpy") -> Tables:
    """Simulate one cohort in one pass and return its tables (the common case, in memory)."""
    runs = [Run(params, n_clients, seed)]
    return build_tables(runs, simulate_rows(runs, Rows.of_runs(runs), backend))
