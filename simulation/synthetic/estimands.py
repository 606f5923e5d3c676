"""What each estimand of a synthetic data set means, in its unit, and how its value is computed: the
entries of ``truth/parameters.json`` ("estimands") and of the data set's README. A *sample* value is
computed on the data set's own latent truth; a *population* value on a very large reference
simulation with the same parameters (:mod:`.population`), with its Monte Carlo error."""

from __future__ import annotations

import math

from simulation.dynamics import DROPOUT_CAUSES
from simulation.synthetic.truths import WAI_POINTS_PER_UNIT

ICC = "therapist-level share (ICC) of the variance of "
ANOVA = ", one-way random-effects ANOVA estimator over clients"
DEFINITIONS: dict[str, tuple[str, str]] = {
    "therapist_share_of_change_variance": (
        "share of variance",
        ICC + "latent change (latent well-being at the end of the course minus at intake)" + ANOVA,
    ),
    "therapist_share_of_observed_change_variance": (
        "share of variance",
        ICC + "observed change (the kernel's ORS totals, last attended minus intake: the truth's `change`), "
        "what a random-intercept model of the observed change targets" + ANOVA,
    ),
    "therapist_share_of_alliance_variance": (
        "share of variance",
        ICC + "the latent early alliance (alliance_early, client's view, sessions 3-5)" + ANOVA,
    ),
    "within_client_alliance_to_next_ors": (
        "ORS points per alliance unit",
        "within-client (client fixed effects) least-squares slope of the next attended session's ORS total "
        f"on this session's latent alliance; per_wai_total_point divides by the {WAI_POINTS_PER_UNIT:g} WAI-SR "
        "total points of one alliance unit. A regression on the simulated data, not a causal effect.",
    ),
    "between_therapist_alliance_slope": (
        "ORS points per alliance unit",
        "slope of latent change on the therapist's mean latent early alliance, with the client's deviation "
        "from it in the same least-squares model (Baldwin, Wampold & Imel 2007); population value with "
        "100 clients per therapist (the therapists' true means)",
    ),
    "within_therapist_alliance_slope": (
        "ORS points per alliance unit",
        "slope of latent change on the client's deviation from their therapist's mean latent early alliance "
        "(same model as the between slope)",
    ),
    "unit_share_of_change_variance": (
        "share of variance",
        "groups and families: unit-level share (ICC) of the variance of latent change, the unit (group or family) "
        "in place of the therapist" + ANOVA,
    ),
    "unit_share_of_alliance_variance": (
        "share of variance",
        "groups and families: unit-level share (ICC) of the variance of the latent early alliance" + ANOVA,
    ),
    "alliance_raise_effect": (
        "ORS points",
        "causal: mean over clients still in therapy after their session estimand_alliance_session of the "
        "latent well-being at the end of the course when that client is replayed with bond, goal and task "
        "raised by estimand_alliance_delta at the end of that session, minus their own (same random draws)",
    ),
    "no_dropout_change": (
        "ORS points",
        "causal: mean latent change had no client dropped out: each client replayed with every dropout "
        "undone, to the planned ending (course_length sessions, or the resolution sessions done)",
    ),
    "latent_change": ("ORS points", "mean latent change as it happened (dropouts at their last session)"),
    "feedback_effect_flagged": (
        "ORS points",
        "causal, with feedback_enabled: mean over clients flagged not on track of their final latent "
        "well-being minus that of their replay without feedback (same random draws)",
    ),
    "dropout_rate": ("share of clients", "share of clients who dropped out"),
    **{
        f"dropout_{name}": (
            "share of clients",
            f"share of clients whose course ended by {name} dropout"
            + (
                " (the hazard rises as the latent alliance falls: missing not at random)"
                if name == "disengaged"
                else ""
            ),
        )
        for name in DROPOUT_CAUSES[1:]
    },
    "alliance_dropout_d": ("d", "Cohen's d of the latent early alliance, completers minus dropouts"),
    "ruptures_per_client": ("ruptures", "mean ruptures per client"),
    "ruptures_resolved_share": ("share of ruptures", "share of ruptures that were resolved"),
}


def _defined(value: float) -> float | None:
    return None if isinstance(value, float) and math.isnan(value) else value


def estimand_entries(sample: dict[str, float], population: dict | None, alliance_effect: float) -> dict[str, dict]:
    """The "estimands" of truth/parameters.json: per estimand its unit, meaning, sample value and (where
    known) population value with its Monte Carlo error; plus the structural alliance effect."""
    values = population["values"] if population else {}
    entries: dict[str, dict] = {}
    for name, value in sample.items():
        unit, meaning = DEFINITIONS[name]
        entry = {"unit": unit, "meaning": meaning, "sample": _defined(value)}
        if name in values:
            entry |= {"population": _defined(values[name]["value"]), "mc_error": _defined(values[name]["mc_error"])}
        if name == "within_client_alliance_to_next_ors":
            entry["per_wai_total_point"] = {
                key: _defined(entry[key] / WAI_POINTS_PER_UNIT) if entry.get(key) is not None else None
                for key in ("sample", "population")
            }
        entries[name] = entry
    entries["alliance_effect_on_change_rate"] = {
        "unit": "multiplier per alliance unit",
        "meaning": "the kernel's structural parameter alliance_effect: an attended session closes a share of the "
        "gap to the level within reach that is multiplied by 1 + alliance_effect * (alliance - 0.5) (docs/ODD.md)",
        "sample": alliance_effect,
        "population": alliance_effect,
        "mc_error": 0.0,
    }
    return entries
