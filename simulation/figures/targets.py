"""The figures with a published band (docs/calibration.md): the calibration targets on individual
clients (:data:`CALIBRATION`), the directiveness contrast (:data:`DIRECTIVENESS`) and the group and
family rows (:data:`FORMAT_TARGETS`; each format names its own, ``Format.calibration_figure``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulation import measures
from simulation.figures.definition import Figure
from simulation.figures.windows import DOSE_RESPONSE_SESSION

if TYPE_CHECKING:
    from simulation.tables import Tables


def _alliance_r(tables: Tables) -> float:
    return measures.early_alliance_outcome_r(tables.clients)


def _empathy_r(tables: Tables) -> float:
    from simulation.instruments.empathy import empathy_outcome_r  # the instruments read this registry

    return empathy_outcome_r(tables)


# --- the calibration targets of docs/calibration.md, on individual clients ------------------------------

CALIBRATION: tuple[Figure, ...] = (
    Figure(
        "early_alliance_r",
        "early alliance - outcome r",
        "corr(alliance_early, change) over clients with both, dropouts included",
        "r",
        _alliance_r,
        0.20,
        0.36,
        0.28,
        "Flückiger et al. 2018 (r = .28); Horvath et al. 2011",
    ),
    Figure(
        "dropout",
        "dropout",
        "share of clients whose course ended by dropout",
        "share 0-1",
        lambda t: measures.dropout_rate(t.clients),
        0.15,
        0.30,
        0.197,
        "Swift & Greenberg 2012 (19.7 %)",
    ),
    Figure(
        "missed",
        "missed scheduled sessions",
        "share of scheduled sessions (sessions-table rows) not attended",
        "share 0-1",
        lambda t: measures.missed_share(t.sessions),
        0.08,
        0.25,
        0.20,
        "Mitchell & Selmes 2007 (~20 %)",
    ),
    Figure(
        "resolution_r",
        "rupture resolution - outcome r",
        "corr(ruptures_resolved / ruptures, change) over clients with a rupture",
        "r",
        lambda t: measures.resolution_outcome_r(t.clients),
        0.15,
        0.40,
        0.29,
        "Eubanks, Muran & Safran 2018 (r = .29)",
    ),
    Figure(
        f"improved_by_{DOSE_RESPONSE_SESSION}",
        f"reliably improved by session {DOSE_RESPONSE_SESSION}",
        f"among clients who attend their own session {DOSE_RESPONSE_SESSION}: ORS there >= intake + 5",
        "share 0-1",
        lambda t: measures.improved_by_session(t.sessions, t.clients, DOSE_RESPONSE_SESSION),
        0.35,
        0.65,
        0.50,
        "Howard et al. 1986 (~50 %)",
    ),
    # aimed between Johns (5 %) and the band centre: 200 therapists estimate it to about +- 0.01
    Figure(
        "therapist_share",
        "therapist share of outcome variance",
        "therapist-level share of the variance of change (random-intercept ICC)",
        "share 0-1",
        lambda t: measures.therapist_share(t.clients),
        0.03,
        0.10,
        0.06,
        "Johns et al. 2019 (~5 %); Baldwin & Imel 2013",
    ),
    Figure(
        "alliance_dropout_d",
        "early alliance, completers vs dropouts (d)",
        "Cohen's d of alliance_early, completers minus dropouts, pooled SD",
        "d",
        lambda t: measures.alliance_dropout_d(t.clients),
        0.35,
        0.85,
        0.55,
        "Sharf, Primavera & Diener 2010 (d = .55)",
    ),
    Figure(
        "deterioration",
        "reliable deterioration (2+ sessions)",
        "among clients with 2+ attended sessions: share with change <= -5 ORS points",
        "share 0-1",
        lambda t: measures.deterioration_rate(t.clients),
        0.04,
        0.12,
        0.082,
        "Hansen, Lambert & Forman 2002 (8.2 %); Lambert 2013 (5 - 10 %)",
    ),
    Figure(
        "substance_use_completion_ratio",
        "substance use: completion, strong vs weak early alliance",
        "completion rate of the top tercile of alliance_early over the bottom tercile's (substance_use preset)",
        "ratio",
        lambda t: measures.completion_ratio(t.clients),
        1.5,
        4.0,
        2.5,
        "Ardito & Rabellino 2011 (2 to 3 times likelier to complete)",
        preset="substance_use",
    ),
    Figure(
        "empathy_r",
        "perceived empathy (client-rated, early) - outcome r",
        "corr(mean empathy-scale total over attended sessions 3-5, change) over clients with both",
        "r",
        _empathy_r,
        0.18,
        0.38,
        0.28,
        "Elliott, Bohart, Watson & Murphy 2018 (r = .28 [.23, .33])",
        measured=True,
    ),
)

# the paired contrast of docs/calibration.md (simulation.calibration.directiveness_contrast): the same
# clients with every therapist's challenge low vs high; not a figure of one run's tables
DIRECTIVENESS: dict[str, Figure] = {
    "reactant": Figure(
        "directiveness_reactant_d",
        "directiveness x reactance: top resistance third, d (low - high challenge)",
        "among the top third of clients by resistance: Cohen's d of change, challenge 0.1 minus 0.9 (same clients)",
        "d",
        low=0.45,
        high=1.10,
        aim=0.79,
        source="Beutler, Edwards & Someah 2018 (d = .79)",
    ),
    "compliant": Figure(
        "directiveness_compliant_d",
        "directiveness x reactance: bottom resistance third, d (high - low challenge)",
        "among the bottom third by resistance: Cohen's d of change, challenge 0.9 minus 0.1; band: above 0 "
        "and under the top third's d",
        "d",
        low=0.0,
        high=0.79,
        aim=0.3,
        source="Beutler, Edwards & Someah 2018 (reverse for low reactance, to a lesser degree)",
    ),
}

# the group and family rows of docs/calibration.md: computed as the first row, over members (each
# format names its own: Format.calibration_figure)
FORMAT_TARGETS: tuple[Figure, ...] = (
    Figure(
        "group_alliance_r",
        "group: member-leader early alliance - outcome r",
        "corr(alliance_early, change) over group members (the member-leader alliance)",
        "r",
        _alliance_r,
        0.10,
        0.25,
        0.17,
        "Alldredge et al. 2021 (r = .17)",
    ),
    Figure(
        "family_alliance_r",
        "couple/family: early alliance - outcome r",
        "corr(alliance_early, change) over family members",
        "r",
        _alliance_r,
        0.20,
        0.40,
        0.30,
        "Friedlander et al. 2018 (r = .30)",
    ),
)
