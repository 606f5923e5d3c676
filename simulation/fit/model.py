"""What the fit simulates and over what: the priors (each fitted parameter's declared range, or a
narrower one from the fit TOML), and the simulated counterpart of the user's records (the same
therapists, caseload, WAI-SR schedule and columns, the instruments administered as ``alliance
generate`` does), reduced to the same summaries."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulation.config import PARAMETERS, ParameterError, Params, shown
from simulation.fit.data import SCORE_RANGES, DataError, Records
from simulation.fit.summaries import Summary, as_finite, summarise
from simulation.instruments.administration import administer
from simulation.instruments.items import WaiSchedule
from simulation.runs import Rows, Run, simulate_rows
from simulation.tables import build_tables

FROM_DATA = ("clients_per_therapist",)
"""Parameters the data fixes (its caseload), never fitted."""
IMPOSSIBLE = 1e6
"""Every summary of a parameter combination the model refuses (e.g. shares adding up past 1): never accepted."""


@dataclass(frozen=True)
class Prior:
    """A uniform prior on [low, high] for one parameter; ``whole`` parameters are rounded when simulated."""

    name: str
    low: float
    high: float
    whole: bool

    def as_dict(self) -> dict[str, object]:
        return {"name": self.name, "distribution": "uniform", "low": self.low, "high": self.high, "whole": self.whole}


def make_priors(names: list[str], ranges: dict[str, object] | None = None) -> tuple[Prior, ...]:
    """Priors for ``names``: each parameter's declared range, or ``ranges[name] = [low, high]`` (a fit
    TOML's [priors]) inside it. A ParameterError names a parameter that cannot be fitted."""
    ranges = ranges or {}
    if not names:
        raise ParameterError("--params must name at least one parameter, e.g. --params repair_skill_mean")
    unknown = [name for name in [*names, *ranges] if name not in PARAMETERS]
    if unknown:
        Params(**{unknown[0]: 0})  # raises the usual message, with close names
    priors = []
    for name in names:
        spec = PARAMETERS[name]
        if name in FROM_DATA or spec.kind is bool or not (math.isfinite(spec.low) and math.isfinite(spec.high)):
            raise ParameterError(f"{name} cannot be fitted (a switch, set by the data, or without a finite range)")
        low, high = ranges.get(name, (spec.low, spec.high))
        if not (isinstance(low, int | float) and isinstance(high, int | float) and spec.low <= low < high <= spec.high):
            raise ParameterError(
                f"the prior of {name} must be [low, high] with {spec.format_range()} and low < high; "
                f"got {shown(ranges.get(name))}"
            )
        priors.append(Prior(name, float(low), float(high), spec.kind is int))
    if len(set(names)) != len(names):
        raise ParameterError(f"--params names a parameter twice: {', '.join(names)}")
    extra = sorted(set(ranges) - set(names))
    if extra:
        raise ParameterError(f"[priors] gives a range for {extra[0]}, which --params does not fit")
    return tuple(priors)


@dataclass(frozen=True)
class Simulator:
    """The model's counterpart of the records: ``therapists`` x ``caseload`` clients, the other
    parameters at ``base``, the WAI-SR on ``schedule``, reduced to ``summaries``."""

    base: Params
    therapists: int
    caseload: int
    schedule: WaiSchedule
    columns: tuple[str, ...]
    summaries: tuple[Summary, ...]

    @classmethod
    def mirroring(cls, records: Records, base: Params, summaries: tuple[Summary, ...]) -> Simulator:
        """A simulator of data shaped like ``records``, with the WAI-SR sessions the records show."""
        caseload = max(round(records.clients / records.therapists), 1)
        if caseload > PARAMETERS["clients_per_therapist"].high:
            raise DataError(f"column therapist_id: {caseload} clients per therapist is more than the model allows")
        return cls(base, records.therapists, caseload, wai_schedule(records), records.columns, summaries)

    def params(self, values: dict[str, float]) -> Params:
        """The base parameters with ``values`` (whole-number parameters rounded) and the data's caseload."""
        kinds = {name: PARAMETERS[name].kind for name in values}
        chosen = {name: (round(value) if kinds[name] is int else float(value)) for name, value in values.items()}
        return self.base.replace(**chosen, clients_per_therapist=self.caseload)

    def records(self, values: dict[str, float], seed: int) -> pd.DataFrame:
        """One simulated data set at ``values``: the records' columns, one row per client and scheduled session."""
        params = self.params(values)
        runs = [Run(params, self.therapists * self.caseload, seed)]
        tables = build_tables(runs, simulate_rows(runs, Rows.of_runs(runs)), with_therapists=False, with_runs=False)
        long, _ = administer(tables.sessions, params, seed, self.schedule)
        return pd.DataFrame(
            {
                name: long[name].to_numpy(dtype=float, na_value=np.nan)
                if name in SCORE_RANGES
                else long[name].to_numpy()
                for name in self.columns
            }
        )

    def summarise(self, values: dict[str, float], seed: int) -> dict[str, float]:
        """The summaries of one simulated data set (finite; a refused combination gets :data:`IMPOSSIBLE`)."""
        try:
            return as_finite(summarise(self.records(values, seed), self.summaries))
        except ParameterError:
            return {summary.name: IMPOSSIBLE for summary in self.summaries}


def wai_schedule(records: Records) -> WaiSchedule:
    """The sessions at which the records give the WAI-SR: those where more than a quarter of the clients
    who attended have it (default 3,5,8,last without WAI-SR columns). A data set from ``alliance
    generate`` with ``last`` has it at the planned last session, which is found here as that session's
    number, so the simulated data sets get the same administrations."""
    table = records.table
    if "wai_client_total" not in table.columns:
        return WaiSchedule()
    attended = table[table["attended"]]
    share = attended["wai_client_total"].notna().groupby(attended["session"]).mean()
    sessions = tuple(int(session) for session in share.index[share > 0.25])
    return WaiSchedule(sessions, False, False) if sessions else WaiSchedule()
