"""Worked example for methods researchers: generate a synthetic data set with known truth, fit the
standard models an analyst would fit, and set the estimates beside the truth.

    python experiments/synthetic_methods.py          # -> results/synthetic_methods/ (a few seconds)

1. Therapist effects (statsmodels MixedLM, therapist random intercepts): the therapist-level share of
   the variance of ORS change (intake to last session), and of the client-rated WAI-SR total over
   sessions 3-5 (the measured early alliance), against the population values of the true shares
   (truth/parameters.json, "estimands": the observed change's share, and the latent early alliance's,
   which error in the WAI-SR items pulls the estimate below).
2. A within-client lagged model: next attended session's ORS total on this session's client WAI-SR
   total, client fixed effects (within transformation, OLS with client-clustered errors), against the
   population value of the within-client slope on the latent alliance (error in the WAI-SR items can
   only pull the estimate toward 0: compare the two).

The table also lists each estimand's sample value (on this data set's own latent truth) and the
population value's Monte Carlo error. experiments/synthetic_study.py repeats such fits over replicates
(bias, RMSE and interval coverage).

Copy it, change the generating parameters (``PARAMETERS``) and see which methods recover the truth.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from simulation.config import Params
from simulation.extras import MissingExtraError, require
from simulation.store import versions
from simulation.synthetic import generate_to_directory
from simulation.synthetic.truths import WAI_POINTS_PER_UNIT

try:
    sm = require("statsmodels.api", "stats", "experiments/synthetic_methods.py")
    smf = require("statsmodels.formula.api", "stats", "experiments/synthetic_methods.py")
except MissingExtraError as missing:
    print(missing, file=sys.stderr)
    raise SystemExit(2) from None

HERE = Path(__file__).parent
THERAPISTS, CLIENTS_PER_THERAPIST, SEED = 60, 10, 15
PARAMETERS = Params()  # the generating parameters: change any of them to see what the methods recover


def therapist_share(data: pd.DataFrame, outcome: str) -> tuple[float, float]:
    """Therapist-level variance share (ICC) of ``outcome`` from a random-intercept MixedLM (REML), with
    the large-sample standard error of an intraclass correlation at the mean caseload (Swiger et al.
    1964; exact for balanced groups)."""
    data = data[["therapist_id", outcome]].dropna().astype(float)
    fit = smf.mixedlm(f"{outcome} ~ 1", data, groups=data["therapist_id"]).fit(reml=True)
    between, within = float(fit.cov_re.iloc[0, 0]), float(fit.scale)
    share = between / (between + within)
    groups = data["therapist_id"].nunique()
    size = len(data) / groups
    se = np.sqrt(2 * (1 - share) ** 2 * (1 + (size - 1) * share) ** 2 / (size * (size - 1) * (groups - 1)))
    return share, float(se)


def lagged_within_client(sessions: pd.DataFrame) -> tuple[float, float]:
    """Slope of the next attended session's ORS total on this session's client WAI-SR total, within
    clients (client-mean centred), with client-clustered standard errors."""
    seen = sessions[sessions["attended"]].sort_values(["client_id", "session"])
    pairs = pd.DataFrame(
        {
            "client_id": seen["client_id"],
            "wai": seen["wai_client_total"].astype(float),
            "next_ors": seen.groupby("client_id")["ors_total"].shift(-1).astype(float),
        }
    ).dropna()
    centred = pairs[["wai", "next_ors"]] - pairs.groupby("client_id")[["wai", "next_ors"]].transform("mean")
    fit = sm.OLS(centred["next_ors"], centred[["wai"]]).fit(cov_type="cluster", cov_kwds={"groups": pairs["client_id"]})
    return float(fit.params["wai"]), float(fit.bse["wai"])


def plot_estimates(table: pd.DataFrame, ax: plt.Axes) -> plt.Axes:
    """Estimates (with 95 % intervals) beside the truth, one row per estimand (``short`` labels)."""
    rows = np.arange(len(table))
    ax.errorbar(
        table["estimate"], rows, xerr=1.96 * table["se"], fmt="o", color="C0", capsize=4, label="estimate, 95 % CI"
    )
    ax.scatter(table["truth"], rows, marker="D", s=50, color="C3", zorder=3, label="population truth")
    ax.scatter(
        table["sample_truth"], rows, marker="x", s=50, color="C2", zorder=3, label="this data set's latent truth"
    )
    ax.set_yticks(rows, table["short"])
    ax.set_ylim(len(table) - 0.5, -0.5)
    return ax


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=HERE.parent / "results", help="results root")
    args = parser.parse_args()
    folder = args.results / "synthetic_methods"
    data_folder = folder / "data"
    generate_to_directory(
        data_folder, PARAMETERS, THERAPISTS, CLIENTS_PER_THERAPIST, SEED, "all", "parquet", overwrite=True
    )
    sessions = pd.read_parquet(data_folder / "sessions.parquet")
    clients = pd.read_parquet(data_folder / "clients.parquet")
    truth = json.loads((data_folder / "truth" / "parameters.json").read_text())["estimands"]

    early = sessions[sessions["session"].between(3, 5)]  # the observed analogue of alliance_early
    wai_early = early.groupby(["therapist_id", "client_id"])["wai_client_total"].mean().reset_index()
    rows = []
    for label, short, data, outcome, name in (
        (
            "therapist share of ORS change",
            "ORS change",
            clients,
            "change",
            "therapist_share_of_observed_change_variance",
        ),
        (
            "therapist share of early alliance (WAI-SR, sessions 3-5)",
            "early alliance\n(WAI-SR, sessions 3-5)",
            wai_early,
            "wai_client_total",
            "therapist_share_of_alliance_variance",
        ),
    ):
        estimate, se = therapist_share(data, outcome)
        rows.append(
            {
                "label": label,
                "short": short,
                "estimand": name,
                "unit": "share of variance",
                "estimate": estimate,
                "se": se,
                "truth": truth[name]["population"],
                "truth_mc_error": truth[name]["mc_error"],
                "sample_truth": truth[name]["sample"],
            }
        )
    slope, se = lagged_within_client(sessions)
    within = truth["within_client_alliance_to_next_ors"]
    rows.append(
        {
            "label": "within-client: next ORS per WAI-SR point",
            "short": "next session's ORS\n(within client)",
            "estimand": "within_client_alliance_to_next_ors",
            "unit": "ORS points per WAI-SR total point",
            "estimate": slope,
            "se": se,
            "truth": within["per_wai_total_point"]["population"],
            "truth_mc_error": within["mc_error"] / WAI_POINTS_PER_UNIT,
            "sample_truth": within["per_wai_total_point"]["sample"],
        }
    )
    table = pd.DataFrame(rows)
    table = table.drop(columns="short").assign(short=table["short"])
    print(table.drop(columns="short").to_string(index=False, float_format=lambda value: f"{value:.3f}"))

    figure, axes = plt.subplots(1, 2, figsize=(11, 3.4), gridspec_kw={"width_ratios": [1.4, 1]})
    plot_estimates(table.iloc[:2], axes[0]).set_xlabel("therapist-level share of variance (ICC, 0-1)")
    axes[0].set_title("therapist effects (random intercepts)", fontsize=10)
    plot_estimates(table.iloc[2:], axes[1]).set_xlabel("ORS points per WAI-SR total point")
    axes[1].set_title("alliance -> next session's ORS (lagged)", fontsize=10)
    handles, labels = axes[0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="upper center", ncol=3, bbox_to_anchor=(0.5, 0.0))
    figure.suptitle(
        f"Known truth vs standard estimates: {THERAPISTS * CLIENTS_PER_THERAPIST} synthetic clients, "
        f"{THERAPISTS} therapists (seed {SEED})"
    )
    figure.text(0.99, -0.1, f"alliance-dynamics {versions()['alliance-dynamics']}", ha="right", fontsize=7, color="0.4")
    figure.tight_layout()
    folder.mkdir(parents=True, exist_ok=True)
    figure.savefig(folder / "estimates_vs_truth.png", dpi=120, bbox_inches="tight")
    plt.close(figure)
    table.drop(columns="short").to_csv(folder / "estimates_vs_truth.csv", index=False)
    print(f"Wrote {folder}/ (data/, estimates_vs_truth.csv, estimates_vs_truth.png)")


if __name__ == "__main__":
    main()
