"""Parameters of the item-level measurement layer (WAI-SR, SRS, ORS items and rupture reports; see
docs/instruments.md): the instruments' own concern, assembled into :class:`simulation.config.Params`.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulation.params.declare import param


@dataclass(frozen=True)
class InstrumentParams:
    """The measurement model of the instruments: leniency, item error, rater style and
    rupture-report sensitivity."""

    wai_client_leniency: float = param(
        0.05,
        -0.5,
        0.5,
        "alliance units",
        "How far above their latent component clients rate WAI-SR items (1 alliance unit = 4 item points).",
        "instruments",
    )
    wai_therapist_leniency: float = param(
        0.04,
        -0.5,
        0.5,
        "alliance units",
        "How far above their view of a component therapists rate WAI-SR items (their view already carries bias_mean).",
        "instruments",
    )
    wai_client_item_error_sd: float = param(
        0.07,
        0.0,
        1.0,
        "alliance units",
        "SD of the error of one client WAI-SR item response (sets the subscale alphas; 1 unit = 4 item points).",
        "instruments",
    )
    wai_therapist_item_error_sd: float = param(
        0.2,
        0.0,
        1.0,
        "alliance units",
        "SD of the error of one therapist WAI-SR item response (1 alliance unit = 4 item points).",
        "instruments",
    )
    wai_client_tendency_sd: float = param(
        0.07,
        0.0,
        1.0,
        "alliance units",
        "SD between clients of a lasting rating tendency that shifts all their WAI-SR items (client-level).",
        "instruments",
    )
    wai_therapist_tendency_share: float = param(
        0.8,
        0.0,
        1.0,
        "share",
        "Share of the client's WAI-SR rating tendency that shows in the therapist's ratings of that client too "
        "(a client who presents the relationship warmly is seen so).",
        "instruments",
    )
    wai_therapist_component_sd: float = param(
        0.13,
        0.0,
        1.0,
        "alliance units",
        "SD of a therapist's lasting misjudgement of one component (goal, task or bond) of one client's "
        "alliance, apart from the other two (dyad-level: what makes the form three factors, not one).",
        "instruments",
    )
    wai_therapist_style_sd: float = param(
        0.12,
        0.0,
        1.0,
        "alliance units",
        "SD between therapists of a rating style that shifts all their WAI-SR ratings (therapist-level).",
        "instruments",
    )
    wai_therapist_dyad_sd: float = param(
        0.22,
        0.0,
        1.0,
        "alliance units",
        "SD of a therapist's lasting misjudgement of one client's alliance (dyad-level, fixed over sessions).",
        "instruments",
    )
    srs_item_spread: float = param(
        0.35,
        0.0,
        5.0,
        "log weight",
        "SD of the log weights that split a session's SRS shortfall from 40 among its 4 items.",
        "instruments",
    )
    ors_item_spread: float = param(
        0.25,
        0.0,
        5.0,
        "log weight",
        "SD of the log weights that split a session's ORS shortfall from 40 among its 4 items.",
        "instruments",
    )
    client_rupture_sensitivity: float = param(
        0.3,
        0.0,
        1.0,
        "probability",
        "Chance that the client reports a rupture that began in the session (Muran et al. 2009: fewest).",
        "instruments",
    )
    therapist_rupture_sensitivity: float = param(
        0.5, 0.0, 1.0, "probability", "Chance that the therapist reports a rupture begun in the session.", "instruments"
    )
    observer_rupture_sensitivity: float = param(
        0.8,
        0.0,
        1.0,
        "probability",
        "Chance that an observer coding rupture markers (3RS) codes a rupture that began in the session.",
        "instruments",
    )
    client_false_rupture_rate: float = param(
        0.02, 0.0, 1.0, "probability", "Chance that the client reports a rupture in a session without.", "instruments"
    )
    therapist_false_rupture_rate: float = param(
        0.04, 0.0, 1.0, "probability", "Chance the therapist reports a rupture in a session without.", "instruments"
    )
    observer_false_rupture_rate: float = param(
        0.05, 0.0, 1.0, "probability", "Chance an observer codes a rupture marker in a session without.", "instruments"
    )
    empathy_therapist_weight: float = param(
        1.0,
        0.0,
        10.0,
        "weight",
        "Weight of the therapist's empathy (trait) in what a client perceives on the empathy scale.",
        "instruments",
    )
    empathy_fit_weight: float = param(
        0.5, 0.0, 10.0, "weight", "Weight of the pair's fit in the empathy a client perceives.", "instruments"
    )
    empathy_bond_weight: float = param(
        2.0,
        0.0,
        10.0,
        "weight",
        "Weight of the client's bond that session in the empathy they perceive (weights are normalised).",
        "instruments",
    )
    empathy_perception_sd: float = param(
        0.05,
        0.0,
        1.0,
        "0-1",
        "SD between clients of a lasting shift in how much empathy they perceive (client-level).",
        "instruments",
    )
    empathy_leniency: float = param(
        0.1,
        -0.5,
        0.5,
        "0-1",
        "How far above their perceived empathy clients answer the empathy items (1 unit = 6 answer steps).",
        "instruments",
    )
    empathy_item_error_sd: float = param(
        0.12, 0.0, 1.0, "0-1", "SD of the error of one empathy item answer (sets the scale's alpha).", "instruments"
    )
    item_nonresponse_rate: float = param(
        0.0,
        0.0,
        0.5,
        "probability",
        "Chance that any one item of a given questionnaire is left blank (MCAR with both weights below at 0).",
        "instruments",
    )
    item_nonresponse_session_weight: float = param(
        0.0,
        -10.0,
        10.0,
        "log-odds",
        "Item non-response per 10 of the client's own sessions after the first (MAR: depends on an observed "
        "variable; 0: MCAR).",
        "instruments",
    )
    item_nonresponse_alliance_weight: float = param(
        0.0,
        -10.0,
        10.0,
        "log-odds",
        "Item non-response per alliance unit of the client's latent alliance below 0.5 (MNAR: depends on "
        "what the items measure; 0: none).",
        "instruments",
    )
