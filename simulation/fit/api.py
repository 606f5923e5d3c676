"""The Python entry points of the fit: :func:`prepare` checks the inputs, :func:`fit` fits and writes."""

from __future__ import annotations

import concurrent.futures as cf
from pathlib import Path

import pandas as pd

from simulation.config import Params
from simulation.fit.data import DataError, Records, read_mapping, read_records, read_toml
from simulation.fit.defaults import DEFAULT_GENERATIONS, DEFAULT_POPULATION, DEFAULT_SEED
from simulation.fit.inference import Fit, Settings, run_abc
from simulation.fit.model import Prior, make_priors


def prepare(
    data: str | Path, names: list[str], config: str | Path | None = None
) -> tuple[Records, tuple[Prior, ...], Params]:
    """Read and check everything before any simulation: the records (columns mapped by the fit TOML's
    [columns]), the priors (its [priors], else each parameter's range) and the fixed parameters (its
    [parameters], else the defaults). Raises DataError or ParameterError with one line."""
    from simulation.config import ParameterError

    path = None if config is None else Path(config)
    document = read_toml(path) if path is not None else {}
    known = {"columns", "priors", "parameters"}
    if set(document) - known:
        raise DataError(
            f"{path}: unknown table [{sorted(set(document) - known)[0]}]; valid: [columns], [priors], [parameters]"
        )
    records = read_records(Path(data), read_mapping(path))
    priors = make_priors(names, document.get("priors", {}))
    fixed = document.get("parameters", {})
    clash = sorted(set(fixed) & set(names))
    if clash:
        raise ParameterError(f"{clash[0]} is both fitted (--params) and fixed in [parameters]")
    return records, priors, Params(**fixed)


def fit(
    data: str | Path,
    names: list[str],
    seed: int = DEFAULT_SEED,
    population: int = DEFAULT_POPULATION,
    generations: int = DEFAULT_GENERATIONS,
    config: str | Path | None = None,
    out: str | Path | None = None,
    overwrite: bool = False,
    executor: cf.Executor | None = None,
    slots: int = 1,
) -> tuple[Fit, pd.DataFrame]:
    """Fit the parameters ``names`` to the records at ``data`` (a folder of ``alliance generate`` or a
    .parquet/.csv file); return the fit and its estimates table, and with ``out`` write the outputs
    (simulation.fit.outputs). ``executor`` runs the simulations (``slots`` at once); same result."""
    records, priors, base = prepare(data, names, config)
    if out is not None:
        from simulation.fit.outputs import FIT_FILES
        from simulation.store import check_free

        check_free(Path(out), FIT_FILES, overwrite)  # refused before the fit, not after it
    result = run_abc(records, priors, base, Settings(seed, population, generations), executor, slots)
    if out is None:
        return result, result.table()
    from simulation.fit.outputs import write_fit

    return result, write_fit(result, records, Path(out), overwrite)
