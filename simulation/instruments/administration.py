"""The measurement layer over tables already simulated: the instruments administered to the rows of a
sessions table (item scores, scale scores, rupture reports: :func:`administer`) and the instrument
figures of docs/calibration.md computed from them (:func:`instrument_figures`), without simulating again.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulation.config import Params
from simulation.instruments.items import OBSERVER_MARKERS, WaiSchedule, measure
from simulation.instruments.scores import InstrumentFigures, item_columns, scale_scores, srs_below_cutoff

FORMS = ("wai_client", "wai_therapist", "srs", "ors")


def nullable(values: np.ndarray, dtype: str) -> pd.api.extensions.ExtensionArray:
    """Float values with NaN for missing as a nullable integer ("Int8", ...) or "boolean" array."""
    missing = np.isnan(values)
    filled = np.where(missing, 0, values)
    if dtype == "boolean":
        return pd.arrays.BooleanArray(filled.astype(bool), missing)
    return pd.arrays.IntegerArray(filled.astype(dtype.lower()), missing)


def administer(
    sessions: pd.DataFrame, params: Params, seed: int, schedule: WaiSchedule | None = None
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """The long table of one run's sessions table (simulation.tables, client-major) as the instruments
    see it, and the latent terms behind the therapist form (items.measure).

    The long table has one row per sessions-table row: ids (``client_id``, ``therapist_id``,
    ``unit_id``, which is the therapist in the individual format, and ``format``, ``role`` where
    present), timing (``session``, ``member_session`` where present, ``attended``), then per form
    (WAI-SR client and therapist, SRS, ORS) its items and scale scores, ``srs_below_cutoff`` and the
    client's, therapist's and observer's rupture reports. The WAI-SR is given on ``schedule``
    (default 3,5,8,last) of each client's own sessions."""
    observed, latent = measure(sessions, params, seed, schedule or WaiSchedule())
    ids = {"client_id": sessions["client_id"], "therapist_id": sessions["therapist_id"]}
    ids["unit_id"] = sessions["unit_id"] if "unit_id" in sessions.columns else sessions["therapist_id"]
    ids.update({name: sessions[name] for name in ("format", "role") if name in sessions.columns})
    timing = {name: sessions[name] for name in ("session", "member_session", "attended") if name in sessions.columns}
    items = {name: nullable(values, "Int8") for name, values in observed.items() if not name.startswith("rupture_")}
    scores = scale_scores(pd.DataFrame({**ids, **timing, **items}))
    columns = {**ids, **timing}
    for form in FORMS:
        columns.update({name: items[name] for name in item_columns(form)})
        columns.update({name: values for name, values in scores.items() if name.startswith(f"{form}_")})
    columns["srs_below_cutoff"] = srs_below_cutoff(pd.Series(scores["srs_total"]))
    columns["rupture_client"] = nullable(observed["rupture_client"], "boolean")
    columns["rupture_therapist"] = nullable(observed["rupture_therapist"], "boolean")
    columns["rupture_observer"] = pd.Categorical.from_codes(
        observed["rupture_observer"], categories=list(OBSERVER_MARKERS)
    )
    return pd.DataFrame(columns), latent  # every column shares the sessions table's RangeIndex


def instrument_figures(
    sessions: pd.DataFrame, params: Params, seed: int, schedule: WaiSchedule | None = None
) -> InstrumentFigures:
    """The instrument figures (reliabilities, client-therapist agreement, the SRS ceiling) of one run's
    sessions table measured item by item: the same numbers as the synthetic data set of that run."""
    figures = InstrumentFigures()
    figures.add(administer(sessions, params, seed, schedule)[0])
    return figures
