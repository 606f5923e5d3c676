"""Every figure the package reports, defined once: its name, label, one-line meaning, unit, how it is
computed from a run's tables and, where published, its target band and source (DESIGN.md section 5).

``alliance calibrate`` reads :data:`CALIBRATION` and :data:`FORMAT_CALIBRATION` (and, for the format
report, :data:`FORMAT_REPORT`); the instrument layer reads the bands of :data:`INSTRUMENT`; a sweep's
summary holds :data:`RUN_FIGURES` of every run and the :data:`FORMAT_FIGURES` of its format
(:func:`run_figures`). Session windows (early alliance, early dropout, dose-response) are in
:mod:`simulation.figures.windows`; every session number is the client's own (a member's first session
is their session 1).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from simulation import measures
from simulation.figures.windows import DOSE_RESPONSE_SESSION

if TYPE_CHECKING:
    from simulation.tables import Tables


@dataclass(frozen=True)
class Figure:
    """One figure. ``compute`` maps a run's tables (one run, or several stacked, pooled) to its value;
        None for the instrument figures, which :class:`simulation.instruments.scores.InstrumentFigures`
        accumulates from item scores chunk by chunk. ``low``, ``high`` (the published band), ``aim`` (what
        the calibration search aims at: the published point estimate, except where noted) and ``source``
        are set where a band is published. ``preset``: the population preset of the cohort a calibration
        figure is computed on ("": the parameters as given). ``measured``: computed through an instrument
    of the measurement layer, which needs the run's own seed, so from one run's tables only (not in a
    sweep's summary)."""

    name: str
    label: str
    meaning: str
    unit: str
    compute: Callable[[Tables], float] | None = None
    low: float | None = None
    high: float | None = None
    aim: float | None = None
    source: str = ""
    preset: str = ""
    measured: bool = False

    def __call__(self, tables: Tables) -> float:
        """The figure's value on ``tables`` (NaN where it is undefined, e.g. a correlation without variance)."""
        if self.compute is None:
            raise TypeError(f"{self.name} is accumulated from item scores (simulation.instruments), not from tables")
        return float(self.compute(tables))

    def in_band(self, value: float) -> bool:
        """Whether ``value`` lies in the published band (inclusive)."""
        return self.low is not None and self.high is not None and self.low <= value <= self.high


def _alliance_r(tables: Tables) -> float:
    return measures.early_alliance_outcome_r(tables.clients)


def _empathy_r(tables: Tables) -> float:
    from simulation.instruments.empathy import empathy_outcome_r  # the instruments read this registry

    return empathy_outcome_r(tables)


# --- the calibration targets of DESIGN.md section 5, on individual clients ------------------------------

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

# the paired contrast of DESIGN.md section 5 (simulation.calibration.directiveness_contrast): the same
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

# the group and family rows of DESIGN.md section 5: computed as the first row, over members
FORMAT_CALIBRATION: dict[str, Figure] = {
    "group": Figure(
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
    "family": Figure(
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
}

# --- figures without a published band --------------------------------------------------------------


def _outcome_share(outcome: str) -> Figure:
    return Figure(
        outcome,
        outcome,
        f"share of clients whose outcome category is {outcome} (measures.classify_outcomes)",
        "share 0-1",
        lambda t: (t.clients["outcome"] == outcome).mean(),
    )


OUTCOME_SHARES: tuple[Figure, ...] = tuple(
    _outcome_share(name)
    for name in measures.OUTCOMES
    if name != "dropped_out"  # dropout is a figure already
)

MEMBER_FIGURES: tuple[Figure, ...] = (
    Figure(
        "mean_change",
        "mean change (ORS points)",
        "mean of change (ors_final - ors_intake) over clients",
        "ORS points",
        lambda t: t.clients["change"].mean(),
    ),
    Figure(
        "alliance_early_mean",
        "mean early alliance",
        "mean of alliance_early over clients who attended one of sessions 3-5",
        "alliance 0-1",
        lambda t: t.clients["alliance_early"].mean(),
    ),
    Figure(
        "sessions_attended_mean",
        "mean sessions attended",
        "mean of sessions_attended over clients",
        "sessions",
        lambda t: t.clients["sessions_attended"].mean(),
    ),
    Figure(
        "ruptures_per_client",
        "ruptures per client",
        "mean number of ruptures per client",
        "ruptures",
        lambda t: t.clients["ruptures"].mean(),
    ),
    Figure(
        "ruptures_resolved_share",
        "share of ruptures resolved",
        "ruptures resolved over all ruptures, pooled over clients",
        "share 0-1",
        lambda t: t.clients["ruptures_resolved"].sum() / t.clients["ruptures"].sum(),
    ),
)

GROUP_FIGURES: tuple[Figure, ...] = (
    Figure(
        "cohesion_mean",
        "mean cohesion",
        "mean over members of their mean group cohesion over the sessions they attended",
        "cohesion 0-1",
        lambda t: t.clients["cohesion_mean"].mean(),
    ),
    Figure(
        "group_dropout_share",
        "mean share of a group's members who dropped out",
        "mean over groups of the share of their members who dropped out (members leave one by one)",
        "share 0-1",
        lambda t: t.units["dropout"].mean(),
    ),
    Figure(
        "member_ruptures_per_member",
        "member-member ruptures per member",
        "mean over members of their ruptures with other members",
        "ruptures",
        lambda t: t.clients["member_ruptures"].mean(),
    ),
)

FAMILY_FIGURES: tuple[Figure, ...] = (
    Figure(
        "split_mean",
        "mean split",
        "mean over families of their mean split (range of the members' alliances) over their sessions",
        "alliance 0-1",
        lambda t: t.units["split"].mean(),
    ),
    Figure(
        "shared_alliance_mean",
        "mean shared alliance",
        "mean over families of their mean shared alliance over their sessions",
        "alliance 0-1",
        lambda t: t.units["shared_alliance"].mean(),
    ),
    Figure(
        "family_dropout",
        "family dropout",
        "share of families that dropped out (together)",
        "share 0-1",
        lambda t: t.units["dropped_out"].mean(),
    ),
)

# --- the instrument figures of DESIGN.md section 5 (accumulated from item scores) ------------------

_WAI_ALPHA_SOURCE = {
    "wai_client": "Hatcher & Gillaspy 2006; Munder et al. 2010",
    "wai_therapist": "Hatcher & Gillaspy 2006",
}
INSTRUMENT: tuple[Figure, ...] = (
    *(
        Figure(
            f"{form}_{subscale}_alpha",
            f"WAI-SR {form.removeprefix('wai_')} {subscale} alpha",
            f"Cronbach's alpha of the {form.removeprefix('wai_')} form's four {subscale} items, over administrations",
            "alpha",
            low=0.80,
            high=0.92,
            source=source,
        )
        for form, source in _WAI_ALPHA_SOURCE.items()
        for subscale in ("goal", "task", "bond")
    ),
    Figure(
        "wai_client_therapist_r",
        "WAI-SR totals, client vs therapist: r",
        "Pearson r of the client and therapist WAI-SR totals of the same sessions",
        "r",
        low=0.25,
        high=0.47,
        source="Tryon, Blackwell & Hammel 2007 (r = .36)",
    ),
    Figure(
        "wai_client_minus_therapist_d",
        "WAI-SR totals, client minus therapist: d",
        "Cohen's d of client minus therapist WAI-SR totals (paired sessions, SD pooled over the two)",
        "d",
        low=0.4,
        high=0.8,
        source="Tryon, Blackwell & Hammel 2007 (d = .63)",
    ),
    Figure(
        "ors_alpha",
        "ORS alpha",
        "Cronbach's alpha of the four ORS items, over attended sessions",
        "alpha",
        low=0.82,
        high=0.92,
        source="Miller et al. 2003; Bringhurst et al. 2006",
    ),
    Figure(
        "srs_alpha",
        "SRS alpha",
        "Cronbach's alpha of the four SRS items, over attended sessions",
        "alpha",
        low=0.88,
        high=0.97,
        source="Duncan et al. 2003",
    ),
    # the ceiling band ("most sessions") is ours
    Figure(
        "srs_at_or_above_cutoff",
        "SRS sessions at 36 or more (ceiling)",
        "share of attended sessions whose SRS total is at or above the cutoff 36",
        "share 0-1",
        low=0.5,
        high=1.0,
        source="Duncan et al. 2003; Reese et al. 2013",
    ),
)

# --- what each report and table holds --------------------------------------------------------------

_BY_NAME = {figure.name: figure for figure in (*GROUP_FIGURES, *FAMILY_FIGURES)}
FORMAT_FIGURES: dict[str, dict[str, Figure]] = {
    "individual": {},
    "group": {
        figure.name: figure
        for figure in (FORMAT_CALIBRATION["group"], _BY_NAME["cohesion_mean"], _BY_NAME["group_dropout_share"])
    },
    "family": {
        figure.name: figure
        for figure in (
            FORMAT_CALIBRATION["family"],
            _BY_NAME["split_mean"],
            _BY_NAME["shared_alliance_mean"],
            _BY_NAME["family_dropout"],
        )
    },
}
"""The group and family runs' own figures in a sweep's summary (after :data:`RUN_FIGURES`): the
format's calibration row and figures of its units (tables.unit_table)."""

_CALIBRATION_BY_NAME = {figure.name: figure for figure in CALIBRATION}
_MEMBERS = (_CALIBRATION_BY_NAME["dropout"], _CALIBRATION_BY_NAME["missed"], MEMBER_FIGURES[0])
FORMAT_REPORT: dict[str, tuple[Figure, ...]] = {
    "group": (*_MEMBERS, _BY_NAME["cohesion_mean"], _BY_NAME["member_ruptures_per_member"]),
    "family": (*_MEMBERS, _BY_NAME["shared_alliance_mean"], _BY_NAME["split_mean"], _BY_NAME["family_dropout"]),
}
"""The figures without a band that ``alliance calibrate --format group|family`` prints, by label."""

RUN_FIGURES: tuple[Figure, ...] = (
    *(figure for figure in CALIBRATION if not figure.preset and not figure.measured),  # on the run's own cohort
    *OUTCOME_SHARES,
    *MEMBER_FIGURES,
)
"""A sweep's figures of every run, over clients (members in the group and family formats)."""

FIGURES: dict[str, Figure] = {
    figure.name: figure
    for figure in (
        *CALIBRATION,
        *FORMAT_CALIBRATION.values(),
        *OUTCOME_SHARES,
        *MEMBER_FIGURES,
        *GROUP_FIGURES,
        *FAMILY_FIGURES,
        *INSTRUMENT,
    )
}
"""Every figure by name."""


def run_figures(tables: Tables, format_name: str = "individual") -> dict[str, float]:
    """One run's :data:`RUN_FIGURES` and then its format's :data:`FORMAT_FIGURES`, by name; NaN where
    a figure is undefined for the run (e.g. a correlation in a run with no rupture)."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        return {figure.name: figure(tables) for figure in (*RUN_FIGURES, *FORMAT_FIGURES[format_name].values())}
