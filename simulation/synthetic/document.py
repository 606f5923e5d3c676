"""The documents of a synthetic data set: truth/parameters.json (everything that made the data and
its estimands) and README.md (what it is, how to remake it, what each truth means)."""

from __future__ import annotations

import math
from importlib import metadata

from simulation.config import PARAMETERS
from simulation.instruments.items import (
    ORS_ITEMS,
    ORS_OFFSETS,
    SRS_ITEMS,
    SRS_OFFSETS,
    WAI_LOADINGS,
    WAI_OFFSETS,
    WAI_SUBSCALE_OF_ITEM,
    WAI_THRESHOLDS,
)
from simulation.instruments.scores import InstrumentFigures
from simulation.store import versions
from simulation.synthetic.design import Design, file_names

MISSINGNESS = {
    "missed_sessions": "a scheduled session is missed with a chance that rises as the latent alliance and "
    "motivation fall and during an open withdrawal rupture (parameters miss_*); a missed session leaves "
    "every item of that row missing (attended false)",
    "dropout": "the course ends early by competing hazards: disengaged (rises as the latent alliance falls, "
    "with open or unresolved ruptures, after a missed session, early on and, with dropout_wellbeing_weight "
    "above 0, as latent well-being falls, measured from intake: missing not at random), practical (constant) and "
    "improved (after a latent gain of 5 ORS points); no rows after the end",
    "imposed_dropout": "with imposed_dropout, the model's own dropout is undone and a course ends instead, after a "
    "session, with chance logistic(logit(imposed_dropout_rate) + imposed_dropout_ors_weight * (observed intake ORS - "
    "last observed ORS) / 10 + dropout_wellbeing_weight * (latent intake - latent well-being at the session) / 10): "
    "missing at random given the observed ORS with dropout_wellbeing_weight 0, not at random above 0; recorded as "
    "a disengaged dropout and in truth/clients imposed_dropout_session; no rows after the end",
    "wai_schedule": "the WAI-SR is given only at the end of scheduled sessions that are attended; 'last' is "
    "the last session the clinic scheduled (course_length), not the session a client turns out to attend last",
    "item_nonresponse": "each item of an administered WAI-SR, SRS or ORS is blank with chance item_nonresponse_rate "
    "(missing completely at random), shifted on the log-odds scale by item_nonresponse_session_weight per 10 of "
    "the client's own sessions (missing at random: the session is observed) and by "
    "item_nonresponse_alliance_weight per unit of latent alliance below 0.5 (missing not at random); scale "
    "scores are missing if any item is. The empathy scale has no blank items.",
}


def missingness(imposed_dropout: bool) -> dict[str, str]:
    """The missingness mechanisms of a data set: the imposed dropout's in place of the model's where it is on."""
    drop = "dropout" if imposed_dropout else "imposed_dropout"
    return {name: meaning for name, meaning in MISSINGNESS.items() if name != drop}


def measurement_model() -> dict:
    """The fixed item parameters of the measurement model (the scalar ones are parameters)."""
    return {
        "wai_sr": {
            "items": [
                {"item": index + 1, "subscale": subscale, "loading": loading, "offset": offset}
                for index, (subscale, loading, offset) in enumerate(
                    zip(WAI_SUBSCALE_OF_ITEM, WAI_LOADINGS, WAI_OFFSETS, strict=True)
                )
            ],
            "thresholds": list(WAI_THRESHOLDS),
            "model": "x = loading * (view - 0.5) + 0.5 + leniency + offset + N(0, wai_<form>_item_error_sd); "
            "score = 1 + number of thresholds below x (ordinal probit / graded response, alliance units). The "
            "client's view of a component is the component + wai_client_tendency_sd * z_client; the therapist's "
            "is the component + the kernel's view shift + wai_therapist_style_sd * z_therapist + "
            "wai_therapist_dyad_sd * z_dyad + wai_therapist_component_sd * z_dyad_component",
        },
        "srs": {"items": list(SRS_ITEMS), "log_weight_offsets": list(SRS_OFFSETS)},
        "ors": {"items": list(ORS_ITEMS), "log_weight_offsets": list(ORS_OFFSETS)},
        "srs_ors_model": "items sum to the kernel's total; the shortfall from 40 is split in proportion to "
        "exp(offset + spread * N(0, 1)) by largest remainders, each item 0-10",
        "lavaan": "truth/measurement_model.lavaan",
    }


def defined(value: object) -> object:
    """NaN (an undefined figure, e.g. d without dropouts) as None, so the JSON stays standard."""
    if isinstance(value, dict):
        return {key: defined(item) for key, item in value.items()}
    if isinstance(value, list):
        return [defined(item) for item in value]
    return None if isinstance(value, float) and math.isnan(value) else value


def truth_document(
    design: Design, estimands: dict, figures: InstrumentFigures, administrations: dict, population_source: str
) -> dict:
    """truth/parameters.json: everything that made the data, and the estimands."""
    return {
        "made_by": "simulation.synthetic",
        "command": design.command("FORMAT"),
        "seed": design.seed,
        "format": design.format,
        "therapists": design.therapists,
        "clients_per_therapist": design.params.clients_per_therapist,
        "clients": design.n_clients,
        "wai_schedule": design.schedule.describe(),
        "recipe": design.recipe.as_dict() | {"argv": []},
        "parameters": {
            name: {
                "value": getattr(design.params, name),
                "unit": spec.unit,
                "range": spec.format_range(),
                "group": spec.group,
                "meaning": spec.meaning,
            }
            for name, spec in PARAMETERS.items()
        },
        "measurement_model": measurement_model(),
        "missingness": missingness(design.params.imposed_dropout),
        "population_source": population_source,
        "estimands": defined(estimands),
        "measurement_per_administration": defined(administrations),
        "instrument_figures": defined(figures.values()),
        "versions": versions(),
    }


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def _version() -> str:
    try:
        return metadata.version("alliance-dynamics")
    except metadata.PackageNotFoundError:
        return "(not installed)"


def readme(design: Design, file_format: str, parameters: dict, figures: InstrumentFigures, study: str = "") -> str:
    """README.md of a data set: what it is, how it was made, how to remake it, what each truth means.
    ``study``: for one replicate of a study, a sentence naming the study and the command that makes it."""
    estimands = "\n".join(
        f"| `{name}` | {_number(entry['sample'])} | {_number(entry.get('population'))} | "
        f"{_number(entry.get('mc_error'))} | {entry['unit']} | {entry['meaning']} |"
        for name, entry in parameters["estimands"].items()
    )
    files = "\n".join(f"- `{name}`" for name in file_names(file_format))
    return f"""# Synthetic alliance data set

Made by the alliance dynamics simulator (package alliance-dynamics {_version()}): {design.n_clients} clients,
{design.therapists} therapists with {design.n_clients // design.therapists} clients each, {design.format} therapy,
seed {design.seed}, {design.recipe.describe()}, WAI-SR given at sessions {design.schedule.describe()}.
Every latent quantity and every parameter that made the data is in `truth/`; `codebook.md` describes
every column of every table.
{study}
Remake it, to the byte, with the same package version:

    {design.command(file_format)}

## Files

{files}

`manifest.json`, written last, holds every other file's SHA-256 and size and the version of the
simulator's code: a folder without it is incomplete, and a file whose checksum differs is not part of
this data set.

The long table `sessions` has one row per client and scheduled session up to the end of the course
(none after a dropout or planned ending). Items of a missed session, of a session off the WAI-SR
schedule (or, for the empathy scale, outside sessions 3-5), or left blank are missing.
`truth/therapists` holds every therapist's traits and their own factor on the change rate of each of
their clients, `rate_factor = exp(therapist_outcome_sd * outcome_z + therapist_alliance_outcome_effect *
alliance_ability)` (1 when both parameters are 0, the defaults; `codebook.md` defines each term).
`truth/parameters.json` holds the parameters with their units and ranges, the measurement model, the
missingness mechanisms, the estimands below and, per WAI-SR administration, each subscale's alpha,
true reliability and standardized loadings. `truth/measurement_model.lavaan` is the true measurement
model as lavaan model syntax.

## Estimands (truth/parameters.json, "estimands")

*Sample* values are computed on this data set's own latent truth: what an analysis of these very
clients would recover with every latent quantity known. *Population* values are the same definitions
on a very large reference simulation with the same parameters ({parameters["population_source"]}),
with their Monte Carlo error: what an estimator is unbiased for, and what its interval should cover
in 95 % of replicates. *Causal* estimands come from replaying each client with one thing changed and
the same random draws.

| estimand | sample | population | Monte Carlo error | unit | meaning |
|---|---|---|---|---|---|
{estimands}

## Instrument figures of this data set (pooled over administrations)

{figures.to_markdown()}
"""
