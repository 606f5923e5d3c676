"""The estimands of a synthetic data set, computed on its latent truth (its *sample* values): the
therapist shares (ICC) of latent change, of observed change and of the early alliance, the within-
client lagged slope, the between- and within-therapist alliance-outcome slopes, the replayed causal
effects (:mod:`.replay`) and the dropout and rupture figures. :mod:`.population` computes the same
definitions on a very large reference simulation: their *population* values.

Definitions (docs/synthetic.md, Estimands, says the same for a reader of a data set):

- latent change: latent well-being at the end of the course minus at intake (``wellbeing_final -
  wellbeing_intake``), ORS points.
- between/within-therapist slopes (Baldwin, Wampold & Imel 2007): the least-squares regression of
  latent change on the therapist's mean latent early alliance and the client's deviation from it,
  over clients with an early alliance; ORS points per alliance unit.
- ``alliance_raise_effect``: mean over clients still in therapy after session s of the replayed final
  well-being with the alliance raised by delta at session s minus their own final well-being.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from simulation import measures
from simulation.config import Params
from simulation.dynamics import DROPOUT_CAUSES
from simulation.instruments.items import WAI_ITEMS, WAI_LOADINGS

WAI_POINTS_PER_UNIT = 4 * WAI_ITEMS * float(np.mean(WAI_LOADINGS))  # WAI-SR total points per alliance unit
CLIENT_COLUMNS = (
    "therapist_id",
    "alliance_early",
    "change",
    "wellbeing_intake",
    "wellbeing_final",
    "wellbeing_alliance_raised",
    "wellbeing_no_dropout",
    "sessions_scheduled",
    "dropped_out",
    "dropout_cause",
    "ruptures",
    "ruptures_resolved",
    "flagged",
)


def with_latent_change(clients: pd.DataFrame) -> pd.DataFrame:
    """``clients`` with ``latent_change``: latent well-being at the end of the course minus at intake."""
    return clients.assign(latent_change=clients["wellbeing_final"] - clients["wellbeing_intake"])


def between_within_slopes(clients: pd.DataFrame, outcome: str = "latent_change") -> tuple[float, float]:
    """Least-squares slopes of ``outcome`` on the therapist-mean early alliance (between) and the
    client's deviation from it (within), over clients with an early alliance (Baldwin et al. 2007)."""
    known = clients[clients["alliance_early"].notna()]
    alliance = known["alliance_early"].to_numpy(float)
    y = known[outcome].to_numpy(float)
    therapist_mean = known.groupby("therapist_id")["alliance_early"].transform("mean").to_numpy(float)
    deviation = alliance - therapist_mean
    design = np.column_stack([np.ones_like(y), therapist_mean, deviation])
    if len(y) < 4 or np.linalg.matrix_rank(design) < 3:
        return math.nan, math.nan
    coefficients = np.linalg.lstsq(design, y, rcond=None)[0]
    return float(coefficients[1]), float(coefficients[2])


@dataclass
class Truths:
    """What the estimands are computed from, gathered chunk by chunk: a slim client table and the
    within-client sums of the lagged alliance -> next ORS regression, one value per client."""

    clients: list[pd.DataFrame] = field(default_factory=list)
    cross: list[np.ndarray] = field(default_factory=list)
    square: list[np.ndarray] = field(default_factory=list)

    def add(self, truth_sessions: pd.DataFrame, truth_clients: pd.DataFrame) -> None:
        optional = [name for name in ("unit_id", "wellbeing_final_feedback_off") if name in truth_clients.columns]
        self.clients.append(truth_clients[[*CLIENT_COLUMNS, *optional]])
        seen = truth_sessions[truth_sessions["attended"]]
        pairs = pd.DataFrame(
            {
                "client_id": seen["client_id"].to_numpy(),
                "alliance": seen["alliance"].to_numpy(float),
                "next_ors": seen.groupby("client_id")["ors_kernel"].shift(-1).to_numpy(float),
            }
        ).dropna()
        centred = pairs[["alliance", "next_ors"]] - pairs.groupby("client_id")[["alliance", "next_ors"]].transform(
            "mean"
        )
        self.cross.append((centred["alliance"] * centred["next_ors"]).groupby(pairs["client_id"]).sum().to_numpy())
        self.square.append((centred["alliance"] ** 2).groupby(pairs["client_id"]).sum().to_numpy())

    def merge(self, other: Truths) -> None:
        """Take in the sums of another chunk."""
        self.clients += other.clients
        self.cross += other.cross
        self.square += other.square

    def values(self, params: Params) -> dict[str, float]:
        """Every estimand's value on these clients (NaN where undefined)."""
        clients = with_latent_change(pd.concat(self.clients, ignore_index=True))
        spread = math.fsum(np.concatenate(self.square))  # 0 when no client has two attended sessions to pair
        slope = math.fsum(np.concatenate(self.cross)) / spread if spread > 0 else math.nan
        between, within = between_within_slopes(clients)
        still = clients[clients["sessions_scheduled"] > params.estimand_alliance_session]
        values = {
            "therapist_share_of_change_variance": measures.therapist_share(clients, "latent_change"),
            "therapist_share_of_observed_change_variance": measures.therapist_share(clients, "change"),
            "therapist_share_of_alliance_variance": measures.therapist_share(clients, "alliance_early"),
            "within_client_alliance_to_next_ors": slope,
            "between_therapist_alliance_slope": between,
            "within_therapist_alliance_slope": within,
            "alliance_raise_effect": float((still["wellbeing_alliance_raised"] - still["wellbeing_final"]).mean()),
            "no_dropout_change": float((clients["wellbeing_no_dropout"] - clients["wellbeing_intake"]).mean()),
            "latent_change": float(clients["latent_change"].mean()),
            "dropout_rate": measures.dropout_rate(clients),
            **{f"dropout_{name}": float((clients["dropout_cause"] == name).mean()) for name in DROPOUT_CAUSES[1:]},
            "alliance_dropout_d": measures.alliance_dropout_d(clients),
            "ruptures_per_client": float(clients["ruptures"].mean()),
            "ruptures_resolved_share": float(clients["ruptures_resolved"].sum() / max(clients["ruptures"].sum(), 1)),
        }
        if "unit_id" in clients.columns:  # groups and families: the unit's share, within therapists' units
            units = clients.drop(columns="therapist_id").rename(columns={"unit_id": "therapist_id"})
            values["unit_share_of_change_variance"] = measures.therapist_share(units, "latent_change")
            values["unit_share_of_alliance_variance"] = measures.therapist_share(units, "alliance_early")
        if "wellbeing_final_feedback_off" in clients.columns:
            flagged = clients[clients["flagged"]]
            values["feedback_effect_flagged"] = float(
                (flagged["wellbeing_final"] - flagged["wellbeing_final_feedback_off"]).mean()
            )
        return values
