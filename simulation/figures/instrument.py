"""The instrument figures of docs/calibration.md, accumulated from item scores
(simulation.instruments.scores.InstrumentFigures), with their published bands."""

from __future__ import annotations

from simulation.figures.definition import Figure

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
