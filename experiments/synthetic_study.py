"""A small Monte Carlo study on synthetic data: K replicate data sets (simulation.synthetic, seeds
SEED + r) that share one population truth, the standard models fitted to each, and per estimator its
bias, RMSE and 95 % interval coverage of the population value over the replicates.

    python experiments/synthetic_study.py                 # -> results/synthetic_study/ (about 15 minutes)
    python experiments/synthetic_study.py --replicates 5  # a quick look

Estimators (statsmodels MixedLM with therapist random intercepts, REML; semopy for the CFA):

1. the therapist share (ICC) of latent change, from a random-intercept model of the truth's latent
   change (correctly specified: coverage should be near 95 %);
2. the ICC of the observed ORS change (the analyst's `change` column);
3. the within- and between-therapist slopes of latent change on the latent early alliance (Baldwin,
   Wampold & Imel 2007: therapist mean and the client's deviation from it as two predictors). The
   between slope is estimated from therapists' *observed* means of a few clients each, which mixes in
   the within slope (Lüdtke et al. 2008): biased toward it, as the table shows;
4. complete-case ORS change (observed change of the clients who did not drop out) against the
   no-dropout mean latent change, with the MNAR dial ``dropout_wellbeing_weight`` at 0 and at 4;
5. a three-factor CFA (semopy, items as continuous) of the client WAI-SR at session 5: the mean
   standardized goal loading against the data set's true (latent-response) one (treating 5-point
   items as continuous attenuates it), and how often a chi-square difference test (p < .05) prefers
   three factors to one for the therapist form.

A second part (``dropout.csv``) takes the missingness mechanism from the model to a known one: the
imposed dropout (``imposed_dropout``, simulation.synthetic.dropout) with no dropout at all, a constant
hazard per session, a hazard on the observed ORS decline (MAR: the MNAR dial at 0) and the same with the
dial at 4 (MNAR). Per condition, the bias of two estimators of the no-dropout mean change: the
complete-case mean ORS change, and the inverse-probability-weighted one (each completer weighted by
one over their chance of completing, from a discrete-time logistic model of dropout on the observed
ORS decline from intake: what an analyst can fit, and correctly specified under MAR).
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy import stats
from synthetic_methods import therapist_share  # the worked example's REML ICC with its standard error

from simulation.config import Params
from simulation.extras import MissingExtraError, require
from simulation.instruments.items import WAI_SUBSCALES
from simulation.instruments.scores import subscale_columns
from simulation.store import versions
from simulation.synthetic import generate
from simulation.synthetic.population import population_values

try:
    smf = require("statsmodels.formula.api", "stats", "experiments/synthetic_study.py")
    semopy = require("semopy", "stats", "experiments/synthetic_study.py")
except MissingExtraError as missing:
    print(missing, file=sys.stderr)
    raise SystemExit(2) from None

HERE = Path(__file__).parent
SEED = 500
CONDITIONS = {"MNAR dial 0": Params(), "MNAR dial 4": Params(dropout_wellbeing_weight=4.0)}
Z = 1.959964
THREE_FACTORS = "therapist form: 3 factors fit better than 1 (share)"
SHOWN = {"no_dropout_change": "complete-case change vs no_dropout_change"}  # the estimator, where not the truth


def slopes(clients: pd.DataFrame) -> dict[str, tuple[float, float]]:
    """Between and within slopes of latent change on the latent early alliance (MixedLM)."""
    data = clients[["therapist_id", "alliance_early", "latent_change"]].dropna().copy()
    data["therapist_mean"] = data.groupby("therapist_id")["alliance_early"].transform("mean")
    data["deviation"] = data["alliance_early"] - data["therapist_mean"]
    fit = smf.mixedlm("latent_change ~ therapist_mean + deviation", data, groups=data["therapist_id"]).fit(reml=True)
    return {
        "between_therapist_alliance_slope": (float(fit.params["therapist_mean"]), float(fit.bse["therapist_mean"])),
        "within_therapist_alliance_slope": (float(fit.params["deviation"]), float(fit.bse["deviation"])),
    }


def cfa(sessions: pd.DataFrame, form: str, factors: int) -> semopy.Model:
    """A CFA of one WAI-SR form's items at session 5: three correlated factors or one."""
    rows = sessions.loc[(sessions["session"] == 5), [f"{form}_{item}" for item in range(1, 13)]].dropna().astype(float)
    if factors == 3:
        syntax = "\n".join(f"{name} =~ {' + '.join(subscale_columns(form, name))}" for name in WAI_SUBSCALES)
    else:
        syntax = f"alliance =~ {' + '.join(rows.columns)}"
    model = semopy.Model(syntax)
    model.fit(rows)
    return model


def replicate(params: Params, therapists: int, caseload: int, seed: int) -> list[dict]:
    """Every estimate of one replicate data set, with its sample truth where it has one."""
    data = generate(params, therapists, caseload, seed, wai_schedule="3,5,8,last", population_clients=0)
    truth = data.truth["clients"].assign(
        latent_change=lambda table: table["wellbeing_final"] - table["wellbeing_intake"]
    )
    rows = []
    for name, (estimate, se) in {
        "therapist_share_of_change_variance": therapist_share(truth, "latent_change"),
        "therapist_share_of_observed_change_variance": therapist_share(data.clients, "change"),
        **slopes(truth),
    }.items():
        rows.append({"estimand": name, "estimate": estimate, "se": se})
    completers = data.clients.loc[~data.clients["dropped_out"], "change"].astype(float).dropna()
    rows.append(
        {
            "estimand": "no_dropout_change",
            "estimate": float(completers.mean()),
            "se": float(completers.std(ddof=1) / np.sqrt(len(completers))),
        }
    )
    three = cfa(data.sessions, "wai_client", 3).inspect(std_est=True)
    goal = three[(three["op"] == "~") & (three["rval"] == "goal")]["Est. Std"].mean()
    true = np.mean(
        data.parameters["measurement_per_administration"]["session 5"]["wai_client_goal"]["standardized_loadings"]
    )
    rows.append({"estimand": "standardized goal loading (CFA)", "estimate": float(goal), "se": np.nan, "truth": true})
    fits = [semopy.calc_stats(cfa(data.sessions, "wai_therapist", k)) for k in (3, 1)]
    difference = fits[1]["chi2"].iloc[0] - fits[0]["chi2"].iloc[0]
    better = stats.chi2.sf(difference, fits[1]["DoF"].iloc[0] - fits[0]["DoF"].iloc[0]) < 0.05
    rows.append({"estimand": THREE_FACTORS, "estimate": float(better), "se": np.nan})
    return [row | {"seed": seed} for row in rows]


def study(
    replicates: int, therapists: int, caseload: int, population_clients: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every replicate's estimates and, per condition and estimand, bias, RMSE and coverage."""
    per_replicate = []
    for condition, params in CONDITIONS.items():
        population = population_values(params, "individual", population_clients)["values"]
        for r in range(replicates):
            for row in replicate(params, therapists, caseload, SEED + r):
                name = row["estimand"]
                truth = row.get("truth", population.get(name, {}).get("value", np.nan))
                per_replicate.append(row | {"condition": condition, "truth": truth})
    table = pd.DataFrame(per_replicate)
    table["error"] = table["estimate"] - table["truth"]
    table["covered"] = (table["error"].abs() <= Z * table["se"]).where(table["se"].notna())
    return table, error_summary(table, ["condition", "estimand"], coverage=("covered", "mean"))


def error_summary(table: pd.DataFrame, by: list[str], **more: tuple) -> pd.DataFrame:
    """Per group of ``table`` (one row per replicate, with its ``error``): the truth, the mean estimate,
    bias with its Monte Carlo error, RMSE, the aggregates ``more`` and the number of replicates."""
    return (
        table.groupby(by, sort=False)
        .agg(
            truth=("truth", "mean"),
            mean_estimate=("estimate", "mean"),
            bias=("error", "mean"),
            bias_mc_error=("error", "sem"),
            rmse=("error", lambda errors: float(np.sqrt(np.mean(errors**2)))),
            **more,
            replicates=("error", "size"),
        )
        .reset_index()
    )


DROPOUT_CONDITIONS = {
    "no dropout": Params(imposed_dropout=True, imposed_dropout_rate=0.0),
    "constant hazard per session": Params(imposed_dropout=True, imposed_dropout_ors_weight=0.0),
    "observed ORS (MAR, dial 0)": Params(imposed_dropout=True),
    "observed ORS + dial 4 (MNAR)": Params(imposed_dropout=True, dropout_wellbeing_weight=4.0),
}
DROPOUT_ESTIMATORS = ("complete case", "inverse probability weighted")


def at_risk(data) -> pd.DataFrame:
    """The observed person-sessions at risk of dropout: every session of a client who dropped out, every
    session but the last of one who did not, with whether the course ended there and the observed
    decline from intake (intake ORS minus the last observed ORS total) per 10 ORS points."""
    clients = data.clients.set_index("client_id")
    rows = data.sessions[["client_id", "session", "ors_total"]].copy()
    last = rows.groupby("client_id")["session"].transform("max")
    rows["ended"] = ((rows["session"] == last) & rows["client_id"].map(clients["dropped_out"])).astype(float)
    rows = rows[(rows["ended"] == 1) | (rows["session"] < last)]
    last_ors = rows["ors_total"].astype(float).groupby(rows["client_id"]).ffill()
    rows["decline"] = (rows["client_id"].map(clients["ors_intake"].astype(float)) - last_ors) / 10
    return rows.dropna(subset=["decline"])


def weighted_change(data) -> float:
    """Inverse-probability-weighted mean ORS change of the completers (Hajek): each weighted by one over
    the product of (1 - dropout hazard) over the sessions they were at risk, the hazard from a logistic
    model of dropout on the observed decline."""
    rows = at_risk(data)
    fit = smf.logit("ended ~ decline", rows).fit(disp=0)
    rows["stay"] = np.log1p(-fit.predict(rows))
    completers = data.clients.loc[~data.clients["dropped_out"], ["client_id", "change"]].dropna()
    weights = 1.0 / np.exp(completers["client_id"].map(rows.groupby("client_id")["stay"].sum()).fillna(0.0))
    return float(np.average(completers["change"].astype(float), weights=weights))


def dropout_study(replicates: int, therapists: int, caseload: int, first_seed: int = SEED) -> pd.DataFrame:
    """Per imposed-dropout condition and estimator: the no-dropout mean change (the population value,
    the same in every condition: the imposed dropout leaves the no-dropout course alone), the mean
    estimate, bias with its Monte Carlo error, RMSE, and the mean share of clients who dropped out."""
    truth = population_values(Params(), "individual", 0)["values"]["no_dropout_change"]["value"]
    rows = []
    for condition, params in DROPOUT_CONDITIONS.items():
        for seed in range(first_seed, first_seed + replicates):
            data = generate(params, therapists, caseload, seed, population_clients=0)
            completers = data.clients.loc[~data.clients["dropped_out"], "change"].astype(float)
            dropped = float(data.clients["dropped_out"].mean())
            has_dropouts = dropped > 0
            estimates = (completers.mean(), weighted_change(data) if has_dropouts else completers.mean())
            for estimator, estimate in zip(DROPOUT_ESTIMATORS, estimates, strict=True):
                rows.append({"condition": condition, "estimator": estimator, "estimate": estimate, "dropout": dropped})
    table = pd.DataFrame(rows).assign(truth=truth)
    table["error"] = table["estimate"] - truth
    return error_summary(table, ["condition", "estimator"], dropout=("dropout", "mean"))


def plot(summary: pd.DataFrame, replicates: int, folder: Path) -> None:
    """Coverage of the 95 % intervals per estimator and condition, and the complete-case bias."""
    rated = summary[summary["coverage"].notna()]
    figure, (left, right) = plt.subplots(1, 2, figsize=(12, 4), gridspec_kw={"width_ratios": [1.6, 1]})
    labels = [f"{SHOWN.get(row.estimand, row.estimand)}\n({row.condition})" for row in rated.itertuples()]
    rows = np.arange(len(rated))
    left.barh(rows, rated["coverage"], color="C0")
    left.axvline(0.95, color="C3", linestyle="--", label="nominal 95 %")
    left.set_yticks(rows, labels, fontsize=7)
    left.set_xlim(0, 1)
    left.set_xlabel("share of replicates whose 95 % interval covers the population value")
    left.set_title("interval coverage", fontsize=10)
    left.legend(loc="lower right", fontsize=8)
    cc = summary[summary["estimand"] == "no_dropout_change"]
    right.bar(cc["condition"], cc["bias"], yerr=1.96 * cc["bias_mc_error"], color="C1", capsize=5)
    right.axhline(0, color="0.3", linewidth=0.8)
    right.set_ylabel("bias of complete-case change (ORS points)")
    right.set_title("complete cases vs no-dropout change", fontsize=10)
    figure.suptitle(f"Monte Carlo study on synthetic data: {replicates} replicates per condition")
    figure.text(
        0.99, -0.02, f"alliance-dynamics {versions()['alliance-dynamics']}", ha="right", fontsize=7, color="0.4"
    )
    figure.tight_layout()
    figure.savefig(folder / "study.png", dpi=120, bbox_inches="tight")
    plt.close(figure)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=HERE.parent / "results", help="results root")
    parser.add_argument("--replicates", type=int, default=40, help="replicate data sets per condition (40)")
    parser.add_argument("--therapists", type=int, default=40, help="therapists per data set (40)")
    parser.add_argument("--caseload", type=int, default=20, help="clients per therapist (20)")
    parser.add_argument(
        "--population-clients", type=int, default=100_000, help="reference size for the dial's truth (100000)"
    )
    args = parser.parse_args()
    warnings.filterwarnings("ignore", module="statsmodels")  # boundary fits of small ICCs, reported as such
    warnings.filterwarnings("ignore", message=".*boundary of the parameter space.*")
    folder = args.results / "synthetic_study"
    folder.mkdir(parents=True, exist_ok=True)
    per_replicate, summary = study(args.replicates, args.therapists, args.caseload, args.population_clients)
    per_replicate.to_csv(folder / "replicates.csv", index=False)
    summary.to_csv(folder / "summary.csv", index=False)
    plot(summary, args.replicates, folder)
    print(summary.to_string(index=False, float_format=lambda value: f"{value:.3f}"))
    dropout = dropout_study(args.replicates, args.therapists, args.caseload)
    dropout.to_csv(folder / "dropout.csv", index=False)
    print(dropout.to_string(index=False, float_format=lambda value: f"{value:.3f}"))
    print(f"Wrote {folder}/ (summary.csv, replicates.csv, study.png, dropout.csv)")


if __name__ == "__main__":
    main()
