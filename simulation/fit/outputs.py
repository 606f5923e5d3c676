"""What a fit writes: posterior samples (posterior.parquet), the table of posterior means and 90 %
intervals (estimates.csv, estimates.md), the posterior predictive check (predictive_check.png), pair
plots (pairs.png) and, published last, manifest.json (data hash, priors, library and version, seeds,
settings, summaries, generations, every file's checksum). Written atomically (simulation.store):
all or nothing, nothing replaced without ``overwrite``. Same records and seed: same bytes."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.config import PARAMETERS
from simulation.fit.data import Records
from simulation.fit.figures import pair_plot, predictive_check
from simulation.fit.inference import NOT_IDENTIFIED_RATIO, Fit
from simulation.fit.summaries import summarise
from simulation.store import MANIFEST, atomic_outputs, checksum, versions, write_manifest
from simulation.store.parquet import write_frame
from simulation.viz.figure import save_figure

FIT_FILES = ("posterior.parquet", "estimates.csv", "estimates.md", "predictive_check.png", "pairs.png", MANIFEST)
PREDICTIVE_DRAWS = 20
"""Data sets simulated at posterior draws for the predictive check."""


def estimates_markdown(table: pd.DataFrame) -> str:
    """The estimates as a Markdown table, an unidentified parameter said so."""
    lines = ["| parameter | prior | posterior mean | 90 % interval | identified |", "|---|---|---|---|---|"]
    for row in table.itertuples():
        verdict = (
            "yes" if row.identified else f"no: posterior close to prior (SD {row.sd_over_prior_sd:.2f} of the prior's)"
        )
        lines.append(
            f"| {row.parameter} | {row.prior_low:g} to {row.prior_high:g} | {row.mean:.3g} | "
            f"{row.q05:.3g} to {row.q95:.3g} | {verdict} |"
        )
    return "\n".join(lines)


def predictive_sets(fit: Fit) -> tuple[list[pd.DataFrame], list[dict[str, float]]]:
    """Data sets simulated at :data:`PREDICTIVE_DRAWS` posterior draws, and their summaries."""
    tables = [
        fit.simulator.records(values, int(np.random.SeedSequence([fit.settings.seed, 2, index]).generate_state(1)[0]))
        for index, values in enumerate(fit.draws(PREDICTIVE_DRAWS, fit.settings.seed))
    ]
    return tables, [summarise(table, fit.simulator.summaries) for table in tables]


def manifest(fit: Fit, records: Records, command_line: list[str]) -> dict:
    """What the fit was, to remake it: data hash, priors, library, seeds, settings and results."""
    fixed = {name: value for name, value in fit.simulator.base.as_dict().items() if value != PARAMETERS[name].default}
    return {
        "made_by": "simulation.fit",
        "command": " ".join(command_line) if command_line else None,
        "data": {
            "file": records.source.name,
            "sha256": checksum(records.source)["sha256"],
            "clients": records.clients,
            "therapists": records.therapists,
            "columns": list(records.columns),
        },
        "library": {
            "name": "pyabc",
            "version": metadata.version("pyabc"),
            "method": "ABC-SMC",
            "distance": "adaptive 2-norm, each summary scaled by its median absolute deviation",
            "epsilon": "median of the previous generation's distances",
        },
        "seeds": {"fit": fit.settings.seed, "predictive_check": fit.settings.seed},
        "settings": {"population": fit.settings.population, "generations": fit.settings.generations},
        "priors": [prior.as_dict() for prior in fit.priors],
        "fixed_parameters": fixed,
        "simulated_design": {
            "therapists": fit.simulator.therapists,
            "clients_per_therapist": fit.simulator.caseload,
            "wai_schedule": fit.simulator.schedule.describe(),
        },
        "summaries": {
            summary.name: {"observed": fit.observed[summary.name], "meaning": summary.meaning}
            for summary in fit.simulator.summaries
        },
        "generations": fit.generations,
        "evaluations": fit.evaluations,
        "not_identified_when": f"posterior SD over prior SD >= {NOT_IDENTIFIED_RATIO}",
        "versions": versions(),
    }


def write_fit(
    fit: Fit,
    records: Records,
    out: Path,
    overwrite: bool = False,
    command_line: list[str] | None = None,
    truth: dict[str, float] | None = None,
) -> pd.DataFrame:
    """Write a fit's outputs to ``out`` (see the module docstring); return the estimates table."""
    table = fit.table()
    tables, summaries = predictive_sets(fit)
    limits = {prior.name: (prior.low, prior.high) for prior in fit.priors}
    stamp = (
        f"{records.clients:,} clients, {records.therapists} therapists · pyabc ABC-SMC, "
        f"{fit.settings.population} particles x {len(fit.generations)} generations · seed {fit.settings.seed}"
    )
    with atomic_outputs(out, FIT_FILES, overwrite) as paths:
        write_frame(fit.samples, paths["posterior.parquet"])
        table.to_csv(paths["estimates.csv"], index=False, float_format="%.6g")
        paths["estimates.md"].write_text(f"# Posterior estimates\n\n{estimates_markdown(table)}\n", encoding="utf-8")
        save_figure(
            predictive_check(
                records.table,
                tables,
                fit.observed,
                summaries,
                f"Posterior predictive check: your records beside {PREDICTIVE_DRAWS} data sets "
                "simulated at posterior draws",
            ),
            stamp,
            paths["predictive_check.png"],
        )
        save_figure(
            pair_plot(fit.samples, limits, "Posterior of the fitted parameters (x axes: the prior range)", truth),
            stamp,
            paths["pairs.png"],
        )
        write_manifest(paths, manifest(fit, records, command_line or []))
    return table
