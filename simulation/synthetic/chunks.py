"""The tables of a synthetic data set, made chunk by chunk (whole units at a time): the observed long
table, client and therapist tables, and their truth (latent states, the kernel's tables, the replayed
potential outcomes of :mod:`.replay`). Random draws are keyed by run, client and session, so the rows
of a chunk do not depend on the chunk size."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from simulation.backend import Domain, run_key
from simulation.defaults import DEFAULT_CHUNK
from simulation.formats import get_format
from simulation.instruments.administration import administer, nullable
from simulation.instruments.empathy import EMPATHY_ITEMS, administer_empathy, empathy_given, empathy_perceived
from simulation.instruments.items import intake_draw
from simulation.instruments.scores import InstrumentFigures, clinically_significant, reliable_change
from simulation.monitoring import record as monitoring_record
from simulation.synthetic.design import Design
from simulation.synthetic.dropout import imposed_dropout_columns
from simulation.synthetic.measurement import AdministrationFigures
from simulation.synthetic.replay import course_of, replayed_outcomes
from simulation.synthetic.truths import Truths
from simulation.tables import build_tables, therapist_table

TRUTH_SESSION_COLUMNS = ("stage", "bond", "goal", "task", "alliance", "alliance_therapist", "wellbeing")
EMPATHY_COLUMNS = (*(f"empathy_{item}" for item in range(1, len(EMPATHY_ITEMS) + 1)), "empathy_total")


def _at_given(given: np.ndarray, values: np.ndarray, dtype: str) -> pd.api.extensions.ExtensionArray:
    """Values of the rows where ``given`` holds, spread over every row (missing elsewhere)."""
    spread = np.full(given.size, np.nan)
    spread[given] = values
    return nullable(spread, dtype)


def empathy_columns(sessions: pd.DataFrame, clients: pd.DataFrame, therapists: pd.DataFrame, design: Design) -> dict:
    """The empathy scale's items and total on the rows of the long table (missing where not given), and
    the perceived empathy behind them (truth)."""
    given = empathy_given(sessions)
    scale = administer_empathy(sessions, clients, therapists, design.params, design.seed)
    observed = {name: _at_given(given, scale[name].to_numpy(float), "Int8") for name in EMPATHY_COLUMNS[:-1]}
    observed["empathy_total"] = _at_given(given, scale["empathy_total"].to_numpy(float), "Int16")
    perceived = np.full(len(sessions), np.nan, dtype=np.float32)
    perceived[given] = empathy_perceived(sessions, clients, therapists, design.params, design.seed)
    return {"observed": observed, "perceived": perceived}


def observed_clients(long: pd.DataFrame, clients: pd.DataFrame) -> pd.DataFrame:
    """The client table an analyst gets: ids, modality, attendance and the ORS figures from the items."""
    firsts = long.groupby("client_id", sort=False).head(1)
    lasts = long[long["attended"]].groupby("client_id", sort=False).tail(1)
    ors_intake = firsts["ors_total"].reset_index(drop=True)
    ors_final = lasts["ors_total"].reset_index(drop=True)
    return pd.DataFrame(
        {
            "client_id": clients["client_id"],
            "therapist_id": clients["therapist_id"],
            "unit_id": firsts["unit_id"].to_numpy(),
            **{name: clients[name] for name in ("format", "role") if name in clients.columns},
            "modality": clients["modality"],
            "culture": clients["culture"],
            "sessions_scheduled": clients["sessions_scheduled"],
            "sessions_attended": clients["sessions_attended"],
            "dropped_out": clients["dropped_out"],
            "ors_intake": ors_intake,
            "ors_final": ors_final,
            "change": (ors_final - ors_intake).astype("Int8"),
            "reliable_change": reliable_change(ors_intake, ors_final),
            "clinically_significant": clinically_significant(ors_intake, ors_final),
        }
    )


def chunk_tables(
    design: Design, start: int, stop: int, therapists: pd.DataFrame
) -> tuple[dict[str, pd.DataFrame], Truths, AdministrationFigures]:
    """The tables of clients ``start:stop`` (``therapists``: the run's true therapist table)."""
    runs = [design.run()]
    kernel = build_tables(runs, course_of(runs[0], start, stop), with_therapists=False)
    sessions, clients = kernel.sessions, kernel.clients
    long, latent = administer(sessions, design.params, design.seed, design.schedule)
    empathy = empathy_columns(sessions, clients, therapists, design)
    for name, values in empathy["observed"].items():
        long[name] = values
    if design.params.feedback_enabled:  # the clinic sees its signals (the monitoring columns)
        for name in monitoring_record.SESSION_COLUMNS:
            long[name] = sessions[name]
    unit_columns = get_format(design.format).unit_truth_columns
    truth_sessions = pd.DataFrame(
        {
            "client_id": sessions["client_id"],
            "therapist_id": sessions["therapist_id"],
            "session": sessions["session"],
            "attended": sessions["attended"],
            **{name: sessions[name] for name in TRUTH_SESSION_COLUMNS},
            **{name: sessions[name] for name in unit_columns},
            **{
                name: values.astype(np.float32)
                for name, values in latent.items()
                if name.startswith(("client_view_", "therapist_view_"))
            },
            "empathy_perceived": empathy["perceived"],
            "rupture": sessions["rupture"],
            "rupture_kind": sessions["rupture_kind"],
            "rupture_resolved": sessions["rupture_resolved"],
            "ors_kernel": sessions["ors"],
            "srs_kernel": sessions["srs"],
            **{name: sessions[name] for name in monitoring_record.SESSION_COLUMNS},
        }
    )
    truth_clients = clients.assign(
        wai_therapist_dyad=intake_draw(
            np.full(len(clients), run_key(design.seed), dtype=np.uint64),
            clients["client_id"].to_numpy(np.int64) - 1,
            Domain.CLIENT,
            "wai_therapist_dyad",
        ),
        **replayed_outcomes(design, start, stop, clients),
        **imposed_dropout_columns(clients, design.params),
    )
    truths = Truths()
    truths.add(truth_sessions, truth_clients)
    administrations = AdministrationFigures()
    administrations.add(long, truth_sessions, design.params)
    tables = {
        "sessions": long,
        "clients": observed_clients(long, clients),
        "truth/sessions": truth_sessions,
        "truth/clients": truth_clients,
    }
    return tables, truths, administrations


def therapist_tables(design: Design) -> dict[str, pd.DataFrame]:
    """The observed and the true therapist tables (the truth with each therapist's own effect on change)."""
    truth = therapist_table([design.run()], outcome=True)
    truth["wai_therapist_style"] = intake_draw(
        np.full(len(truth), run_key(design.seed), dtype=np.uint64),
        truth["therapist_id"].to_numpy(np.int64) - 1,
        Domain.THERAPIST,
        "wai_therapist_style",
    )
    observed = truth[["therapist_id", "clients", "minority"]]
    return {"therapists": observed, "truth/therapists": truth}


def stream(
    design: Design, write: Callable[[str, pd.DataFrame], None], chunk_clients: int = DEFAULT_CHUNK
) -> tuple[Truths, InstrumentFigures, AdministrationFigures]:
    """Make the data set chunk by chunk, handing every piece of every table to ``write(name, piece)``;
    return what the truth and the figures are computed from."""
    truths, figures, administrations = Truths(), InstrumentFigures(), AdministrationFigures()
    chunk_clients = get_format(design.format).aligned_chunk(design.params, chunk_clients)  # whole units
    therapists = therapist_tables(design)
    for start in range(0, design.n_clients, chunk_clients):
        tables, chunk_truths, chunk_administrations = chunk_tables(
            design, start, min(start + chunk_clients, design.n_clients), therapists["truth/therapists"]
        )
        for name, table in tables.items():
            write(name, table)
        figures.add(tables["sessions"])
        truths.merge(chunk_truths)
        administrations.merge(chunk_administrations)
    for name, table in therapists.items():
        write(name, table)
    return truths, figures, administrations
