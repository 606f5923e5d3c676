"""Calibration: the published figures of docs/calibration.md against a simulated cohort, plus the
mechanism checks that show the figures come from the mechanisms and not from dropout alone."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulation import measures
from simulation.config import Params
from simulation.defaults import CALIBRATION_CLIENTS, CALIBRATION_SEED
from simulation.dynamics import CLIENT_TRAITS, THERAPIST_TRAITS
from simulation.figures.registry import (
    CALIBRATION,
    DIRECTIVENESS,
    FIGURES,
    FORMAT_CALIBRATION,
    FORMAT_REPORT,
    Figure,
)
from simulation.formats import get_format
from simulation.instruments import instrument_figures
from simulation.instruments.scores import InstrumentFigures
from simulation.presets import apply_presets
from simulation.tables import Tables, simulate

TARGETS = CALIBRATION  # the published figures on individual clients (simulation.figures.registry)
SUBSTANCE_USE_DROPOUT = (0.30, 0.50)  # outpatient substance-use treatment (a mechanism check, not a target)


def figures(tables: Tables, preset: str = "") -> dict[str, float]:
    """The simulated value of every target computed on the cohort of ``preset`` ("": as given)."""
    return {target.name: target(tables) for target in TARGETS if target.preset == preset}


def preset_cohorts(params: Params, n_clients: int, seed: int) -> dict[str, Tables]:
    """The cohorts of the population presets that targets are computed on: each preset applied over
    ``params``, the same clients (seed) as the main cohort."""
    return {
        preset: simulate(apply_presets([preset], params), n_clients, seed)
        for preset in dict.fromkeys(target.preset for target in TARGETS if target.preset)
    }


def loss(values: dict[str, float]) -> float:
    """Sum of squared distances from each aimed-at figure, in half-band widths (0 = all on target)."""
    return float(sum(((values[t.name] - t.aim) / (0.5 * (t.high - t.low))) ** 2 for t in TARGETS))


DIRECTIVE_CHALLENGE = (0.1, 0.9)  # every therapist's challenge: nondirective vs directive
RESISTANCE_THIRDS = 3


def _cohens_d(first: np.ndarray, second: np.ndarray) -> float:
    pooled = np.sqrt((np.var(first, ddof=1) + np.var(second, ddof=1)) / 2.0)
    return float((first.mean() - second.mean()) / pooled)


def directiveness_contrast(params: Params, n_clients: int, seed: int) -> dict[str, float]:
    """Directiveness x reactance (Beutler et al. 2018) as a paired contrast: the same clients and
    therapists (seed) with challenge_mean at 0.1 and at 0.9, so that every therapist's challenge moves
    by 0.8 (their own deviation from the mean kept; clipped to 0-1). Returns the Cohen's d of change
    of the top third of clients by resistance (low minus high challenge, ``reactant``) and of the
    bottom third (high minus low, ``compliant``), over clients with change in both arms."""
    low, high = (
        simulate(params.replace(challenge_mean=value), n_clients, seed).clients for value in DIRECTIVE_CHALLENGE
    )
    both = low["change"].notna().to_numpy() & high["change"].notna().to_numpy()
    resistance = low["resistance"].to_numpy()
    cut_low, cut_high = np.quantile(resistance, [1 / RESISTANCE_THIRDS, 1 - 1 / RESISTANCE_THIRDS])
    change_low, change_high = (arm["change"].to_numpy(dtype=float) for arm in (low, high))
    top, bottom = both & (resistance >= cut_high), both & (resistance <= cut_low)
    return {
        DIRECTIVENESS["reactant"].name: _cohens_d(change_low[top], change_high[top]),
        DIRECTIVENESS["compliant"].name: _cohens_d(change_high[bottom], change_low[bottom]),
    }


def explained_share(tables: Tables) -> float:
    """The early alliance's share of the outcome variance that the model's variables explain:
    R^2 of change on alliance_early alone over R^2 on all client and therapist variables
    (Horvath et al. 2011 put the alliance near a third)."""
    key = measures.keyed(tables.therapists, "therapist_id")  # (run, therapist_id) in a multi-run table
    clients = tables.clients.merge(tables.therapists, on=key, suffixes=("", "_therapist"))
    clients = clients[clients["alliance_early"].notna()]
    outcome = clients["change"].to_numpy(dtype=float)
    variables = ["alliance_early", "wellbeing_intake", "fit", *CLIENT_TRAITS, *THERAPIST_TRAITS]
    if len(clients) <= len(variables) + 1 or np.ptp(outcome) == 0:
        return math.nan  # too few clients with an early alliance to fit (e.g. a course shorter than session 3)

    def r_squared(columns: list[str]) -> float:
        design = np.column_stack([np.ones(len(clients))] + [clients[c].to_numpy(dtype=float) for c in columns])
        fitted = design @ np.linalg.lstsq(design, outcome, rcond=None)[0]
        return 1.0 - np.var(outcome - fitted) / np.var(outcome)

    return float(r_squared(["alliance_early"]) / r_squared(variables))


@dataclass(frozen=True)
class Report:
    """Simulated figures against targets, and the mechanism checks."""

    values: dict[str, float]
    preset_dropout: dict[str, float]
    completers: dict[str, float]
    without_repair: dict[str, float]
    with_repair: dict[str, float]
    alliance_share: float
    n_clients: int
    seed: int
    description: str  # what the parameters are, e.g. "default parameters" or where they came from
    instruments: InstrumentFigures  # the item-level figures of the same cohort (docs/calibration.md)
    directiveness: dict[str, float]  # the paired contrast of directiveness_contrast, by figure name
    therapist_empathy_r: float  # corr(the therapist's own empathy, change): what a therapist's rating aims at

    def directiveness_in_band(self) -> dict[str, bool]:
        """Whether each contrast row holds: the top third's d in its band; the bottom third's d above 0
        and under the top third's."""
        top = self.directiveness[DIRECTIVENESS["reactant"].name]
        bottom = self.directiveness[DIRECTIVENESS["compliant"].name]
        return {
            DIRECTIVENESS["reactant"].name: DIRECTIVENESS["reactant"].in_band(top),
            DIRECTIVENESS["compliant"].name: 0.0 < bottom < top,
        }

    def checks(self) -> list[tuple[str, bool]]:
        """The mechanism checks of docs/calibration.md, each with whether it holds."""
        return [
            ("without repair, more clients drop out", self.without_repair["dropout"] > self.with_repair["dropout"]),
            ("without repair, fewer clients recover", self.without_repair["recovered"] < self.with_repair["recovered"]),
            ("among completers, early alliance - outcome r > 0", self.completers["early_alliance_r"] > 0),
            ("among completers, resolution - outcome r > 0", self.completers["resolution_r"] > 0),
            (
                "substance-use preset: dropout {:.0%} - {:.0%}".format(*SUBSTANCE_USE_DROPOUT),
                SUBSTANCE_USE_DROPOUT[0] <= self.preset_dropout["substance_use"] <= SUBSTANCE_USE_DROPOUT[1],
            ),
        ]

    def to_markdown(self) -> str:
        lines = [
            f"Calibration cohort: {self.n_clients} individual clients, seed {self.seed}, {self.description}.",
            "",
            "| figure | simulated | target band | in band | source |",
            "|---|---|---|---|---|",
        ]
        for t in TARGETS:
            value = self.values[t.name]
            verdict = "yes" if t.in_band(value) else "NO"
            lines.append(f"| {t.label} | {value:.3f} | {t.low:.2f} - {t.high:.2f} | {verdict} | {t.source} |")
        holds = self.directiveness_in_band()
        for key, figure in DIRECTIVENESS.items():
            band = f"{figure.low:.2f} - {figure.high:.2f}" if key == "reactant" else "> 0, < the top third's"
            verdict = "yes" if holds[figure.name] else "NO"
            value = self.directiveness[figure.name]
            lines.append(f"| {figure.label} | {value:.3f} | {band} | {verdict} | {figure.source} |")
        lines += ["", "Mechanism checks (same clients, same seed):", ""]
        lines += [f"- [{'x' if ok else ' '}] {text}" for text, ok in self.checks()]
        lines += [
            "",
            *(
                f"- {name} with / without repair: {self.with_repair[name]:.3f} / {self.without_repair[name]:.3f}"
                for name in ("dropout", "recovered")
            ),
            f"- dropout of the substance-use preset: {self.preset_dropout['substance_use']:.3f}",
            f"- completers: early alliance r = {self.completers['early_alliance_r']:.3f}, "
            f"resolution r = {self.completers['resolution_r']:.3f}",
            f"- early alliance's share of the explained outcome variance: {self.alliance_share:.2f} "
            "(Horvath et al. 2011: about a third; no band)",
            f"- the therapist's own empathy (trait) - outcome r: {self.therapist_empathy_r:.3f} (Elliott et al. "
            "2018: client-rated empathy predicts outcome better than therapist-rated; no band)",
            "",
            "Instruments, item by item (the measurement layer over the same cohort; docs/instruments.md):",
            "",
            self.instruments.to_markdown(),
        ]
        return "\n".join(lines)


def _outcome_rates(clients: pd.DataFrame) -> dict[str, float]:
    return {"dropout": measures.dropout_rate(clients), "recovered": float((clients["outcome"] == "recovered").mean())}


def calibrate(
    params: Params | None = None,
    n_clients: int = CALIBRATION_CLIENTS,
    seed: int = CALIBRATION_SEED,
    description: str | None = None,
) -> Report:
    """Run the calibration cohort (and the same clients without repair) and compare with targets.

    ``description`` says in the report's first line what the parameters are; by default, the
    parameters that differ from the defaults."""
    params = params or Params()
    tables = simulate(params, n_clients, seed)
    without = simulate(params.replace(repair_enabled=False), n_clients, seed)
    completed = tables.clients[~tables.clients["dropped_out"]]
    values = figures(tables)
    presets = preset_cohorts(params, n_clients, seed)
    for preset, cohort in presets.items():
        values |= figures(cohort, preset)
    return Report(
        values=values,
        preset_dropout={preset: measures.dropout_rate(cohort.clients) for preset, cohort in presets.items()},
        completers={
            "early_alliance_r": measures.early_alliance_outcome_r(completed),
            "resolution_r": measures.resolution_outcome_r(completed),
        },
        without_repair=_outcome_rates(without.clients),
        with_repair=_outcome_rates(tables.clients),
        alliance_share=explained_share(tables),
        n_clients=n_clients,
        seed=seed,
        description=description or params.describe_changes(),
        instruments=instrument_figures(tables.sessions, params, seed),  # the same clients, item by item
        directiveness=directiveness_contrast(params, n_clients, seed),
        therapist_empathy_r=measures.correlation(
            tables.clients["therapist_id"].map(tables.therapists.set_index("therapist_id")["empathy"]),
            tables.clients["change"],
        ),
    )


def format_target(format_name: str) -> Figure:
    """The calibration target of the group or family format."""
    return FORMAT_CALIBRATION[format_name]


@dataclass(frozen=True)
class FormatReport:
    """The group or family calibration row, the format's own figures and its mechanism checks."""

    format: str
    value: float
    figures: dict[str, float]
    checks: list[tuple[str, bool]]
    n_clients: int
    seed: int
    description: str

    def to_markdown(self) -> str:
        target = format_target(self.format)
        verdict = "yes" if target.in_band(self.value) else "NO"
        lines = [
            f"Calibration cohort: {self.n_clients} members in the {self.format} format, seed {self.seed}, "
            f"{self.description}.",
            "",
            "| figure | simulated | target band | in band | source |",
            "|---|---|---|---|---|",
            f"| {target.label} | {self.value:.3f} | {target.low:.2f} - {target.high:.2f} | {verdict} "
            f"| {target.source} |",
            "",
            "Figures of the format (no published band):",
            "",
            *(f"- {name}: {value:.3f}" for name, value in self.figures.items()),
            "",
            "Mechanism checks (same members, same seed):",
            "",
            *(f"- [{'x' if ok else ' '}] {text}" for text, ok in self.checks),
        ]
        return "\n".join(lines)


def format_checks(
    format_name: str, params: Params, n_clients: int, seed: int, tables: Tables
) -> tuple[list[tuple[str, bool]], dict[str, tuple[str, float]]]:
    """The format's declared mechanism checks (simulation.formats.base.MechanismCheck) on the same
    members with each mechanism switched off, each with whether it holds; and the switched-off figures
    the format shows, as {the figure's label: (the shown label, value)}. One cohort per distinct switch."""
    checks, shown = [], {}
    switched_off: dict[tuple[tuple[str, object], ...], Tables] = {}
    for check in get_format(format_name).mechanism_checks:
        key = tuple(sorted(check.overrides.items()))
        if key not in switched_off:
            switched_off[key] = simulate(params.replace(**check.overrides), n_clients, seed, format=format_name)
        figure = FIGURES[check.figure]
        value = figure(switched_off[key])
        checks.append((check.text, check.holds(value, figure(tables))))
        if check.shown_as:
            shown[figure.label] = (f"{figure.label} {check.shown_as}", value)
    return checks, shown


def calibrate_format(
    format_name: str,
    params: Params | None = None,
    n_clients: int = CALIBRATION_CLIENTS,
    seed: int = CALIBRATION_SEED,
    description: str | None = None,
) -> FormatReport:
    """The group or family calibration row over ``n_clients`` members, with the format's figures and
    the mechanism checks it declares (the same members with each mechanism switched off; a switched-off
    figure the format shows comes just before the cohort's own)."""
    params = params or Params()
    tables = simulate(params, n_clients, seed, format=format_name)
    checks, shown = format_checks(format_name, params, n_clients, seed, tables)
    figures_: dict[str, float] = {}
    for figure in FORMAT_REPORT[format_name]:
        if figure.label in shown:
            label, value = shown[figure.label]
            figures_[label] = value
        figures_[figure.label] = figure(tables)
    return FormatReport(
        format=format_name,
        value=format_target(format_name)(tables),
        figures=figures_,
        checks=checks,
        n_clients=n_clients,
        seed=seed,
        description=description or params.describe_changes(),
    )
