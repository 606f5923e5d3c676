"""The therapist knobs and the estimands they move (docs/synthetic.md, Knobs a simulation study varies).

Each therapist multiplies every client's change rate by their own factor (ODD 7.1, 7.13),
``exp(therapist_outcome_sd * outcome_z + therapist_alliance_outcome_effect * alliance_ability)``:

- ``therapist_outcome_sd`` (SD of the log factor, 0-1.5) adds therapist differences in outcome that
  no trait explains, and so raises the therapist share (ICC) of latent change;
- ``therapist_alliance_outcome_effect`` (log factor per SD of alliance ability, -1.5 to 1.5) lets
  therapists who build better alliances also help more, beyond what the alliance does for each
  client: it moves the between-therapist alliance-outcome slope and leaves the within-therapist one
  nearly where it was.

:func:`knob_table` measures the three estimands (the definitions of :mod:`.truths`) at a grid of
levels of each knob, the other at 0 and every other parameter at its default, on :data:`BATCHES`
independent batches of :data:`THERAPISTS` therapists with :data:`~.population.CASELOAD` clients each.
Every level simulates the same clients (the same seeds), so that levels differ by the knob alone
(common random numbers). :func:`sd_for_share` finds the ``therapist_outcome_sd`` that gives a target
share for any parameters, by bisection on the same simulation::

    python -m simulation.synthetic.knobs               # the table of docs/synthetic.md
    python -m simulation.synthetic.knobs --share 0.15  # therapist_outcome_sd for a change ICC of .15
"""

from __future__ import annotations

import argparse
import sys

from simulation import measures
from simulation.config import PARAMETERS, Params
from simulation.runs import Rows, Run, simulate_rows
from simulation.synthetic.population import CASELOAD, over_batches
from simulation.synthetic.truths import between_within_slopes, with_latent_change
from simulation.tables import build_tables

SD_LEVELS = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5)
EFFECT_LEVELS = (-1.0, -0.5, 0.0, 0.5, 1.0)
BATCHES, THERAPISTS = 8, 100  # 80,000 clients per level
SEED = 700_001  # batch b uses seed SEED + b (not the population reference's seeds)
SHARE = "therapist_share_of_change_variance"
BETWEEN, WITHIN = "between_therapist_alliance_slope", "within_therapist_alliance_slope"
BISECTIONS = 10  # halvings of the bracket of therapist_outcome_sd: to within 1.5 / 2**10, about .0015


def batch_estimands(params: Params, therapists: int, seed: int) -> dict[str, float]:
    """The knobs' estimands on one batch: ``therapists`` therapists of CASELOAD clients each."""
    run = Run(params.replace(clients_per_therapist=CASELOAD), therapists * CASELOAD, seed)
    kernel = build_tables([run], simulate_rows([run], Rows.of_runs([run])), with_therapists=False)
    clients = with_latent_change(kernel.clients)
    between, within = between_within_slopes(clients)
    return {SHARE: measures.therapist_share(clients, "latent_change"), BETWEEN: between, WITHIN: within}


def knob_values(params: Params, batches: int = BATCHES, therapists: int = THERAPISTS) -> dict[str, dict[str, float]]:
    """Each of the knobs' estimands at ``params``: the mean over the batches and its Monte Carlo error."""
    return over_batches([batch_estimands(params, therapists, SEED + batch) for batch in range(batches)])


def knob_table(batches: int = BATCHES, therapists: int = THERAPISTS) -> list[dict]:
    """One row per knob and level (the other knob at 0, all else at the defaults): the estimands."""
    rows = []
    for knob, levels in (("therapist_outcome_sd", SD_LEVELS), ("therapist_alliance_outcome_effect", EFFECT_LEVELS)):
        for level in levels:
            values = knob_values(Params(**{knob: level}), batches, therapists)
            rows.append({"knob": knob, "level": level, **values})
    return rows


def to_markdown(rows: list[dict]) -> str:
    """The table as docs/synthetic.md shows it (Monte Carlo errors in brackets)."""
    lines = [
        "| knob | level | change ICC | between-therapist slope | within-therapist slope |",
        "|---|---|---|---|---|",
    ]
    for row in rows:
        cells = [f"{row[SHARE]['value']:.3f} ({row[SHARE]['mc_error']:.3f})"]
        cells += [f"{row[name]['value']:.1f} ({row[name]['mc_error']:.1f})" for name in (BETWEEN, WITHIN)]
        lines.append(f"| `{row['knob']}` | {row['level']:g} | {' | '.join(cells)} |")
    return "\n".join(lines)


def sd_for_share(
    target: float, params: Params | None = None, batches: int = BATCHES, therapists: int = THERAPISTS
) -> float:
    """The ``therapist_outcome_sd`` at which the therapist share of latent change is ``target`` with
    every other parameter as in ``params`` (default: the defaults), on the simulation of
    :func:`knob_values`: bisection between 0 and the parameter's maximum, then linear interpolation
    within the last bracket. Raises ValueError for a target that no value of the parameter reaches."""
    params = params or Params()
    spec = PARAMETERS["therapist_outcome_sd"]

    def share(sd: float) -> float:
        return knob_values(params.replace(therapist_outcome_sd=sd), batches, therapists)[SHARE]["value"]

    low, high = float(spec.low), float(spec.high)
    share_low, share_high = share(low), share(high)
    if not share_low <= target <= share_high:
        raise ValueError(
            f"a therapist share of change variance of {target:g} is out of reach of therapist_outcome_sd: it gives "
            f"{share_low:.3f} at {low:g} and {share_high:.3f} at {high:g} with these parameters "
            "(below that range, lower therapist_trait_sd instead)"
        )
    for _ in range(BISECTIONS):
        middle = (low + high) / 2.0
        share_middle = share(middle)
        if share_middle < target:
            low, share_low = middle, share_middle
        else:
            high, share_high = middle, share_middle
    if share_high == share_low:
        return (low + high) / 2.0
    return low + (target - share_low) / (share_high - share_low) * (high - low)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="How the therapist knobs move the synthetic data sets' estimands.")
    parser.add_argument(
        "--share",
        type=float,
        help="print the therapist_outcome_sd that gives this therapist share of latent change variance "
        "(0-1) at the default parameters, instead of the table",
    )
    args = parser.parse_args(argv)
    if args.share is None:
        print(to_markdown(knob_table()))
        return 0
    try:
        if not 0.0 < args.share < 1.0:
            raise ValueError(f"--share must be a share of variance between 0 and 1; got {args.share:g}")
        print(f"therapist_outcome_sd = {sd_for_share(args.share):.3f}")
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
