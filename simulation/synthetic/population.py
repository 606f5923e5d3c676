"""Population values of the estimands: the definitions of :mod:`.truths` computed on a very large
reference simulation, in independent batches, so that each value comes with its Monte Carlo error
(the standard error of the batch mean).

The reference uses large caseloads (:data:`CASELOAD` clients per therapist), so that the
between-therapist slope is that of the therapists' true means, not of means blurred by sampling a
few clients each; no other estimand depends on the caseload. Its seeds (from :data:`SEED` on) are
not those of any data set made with small seeds.

For the default parameters of each format the values are recorded in ``population.json`` beside this
module; regenerate it with::

    python -m simulation.synthetic.population --refresh

For other parameters :func:`population_values` runs a reference simulation of the size asked for.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np

from simulation.config import PARAMETERS, Params
from simulation.formats import FORMATS, get_format
from simulation.synthetic.design import make_design
from simulation.synthetic.replay import course_of, replayed_outcomes
from simulation.synthetic.truths import Truths
from simulation.tables import build_tables

REFERENCE = Path(__file__).with_name("population.json")
REFRESH = "python -m simulation.synthetic.population --refresh"
CASELOAD = 100  # clients per therapist in the reference simulation
SEED = 900_001  # batch b uses seed SEED + b
BATCHES, THERAPISTS_PER_BATCH = 40, 200  # the recorded reference: 40 x 200 x 100 = 800,000 clients per format
CHUNK = 5_000


def batch_values(params: Params, format: str, therapists: int, seed: int) -> dict[str, float]:
    """Every estimand on one batch: ``therapists`` therapists of CASELOAD clients (members) each."""
    caseload = max(CASELOAD // get_format(format).unit_size(params), 1) * get_format(format).unit_size(params)
    design = make_design(params.replace(clients_per_therapist=caseload), therapists, seed=seed, format=format)
    truths, runs = Truths(), [design.run()]
    step = get_format(format).aligned_chunk(design.params, CHUNK)
    for start in range(0, design.n_clients, step):
        stop = min(start + step, design.n_clients)
        kernel = build_tables(runs, course_of(runs[0], start, stop), with_therapists=False)
        sessions = kernel.sessions.rename(columns={"ors": "ors_kernel"})
        truths.add(sessions, kernel.clients.assign(**replayed_outcomes(design, start, stop, kernel.clients)))
    return truths.values(design.params)


def reference_values(
    params: Params, format: str = "individual", batches: int = BATCHES, therapists: int = THERAPISTS_PER_BATCH
) -> dict[str, dict[str, float]]:
    """Each estimand's population value (the mean over ``batches`` independent batches) and its Monte
    Carlo error (their standard deviation over the square root of their number)."""
    return over_batches([batch_values(params, format, therapists, SEED + batch) for batch in range(batches)])


def over_batches(per_batch: list[dict[str, float]]) -> dict[str, dict[str, float]]:
    """Each estimand's mean over independent batches ("value") and its Monte Carlo error ("mc_error":
    their standard deviation over the square root of their number); undefined batches left out."""
    out = {}
    for name in per_batch[0]:
        values = np.asarray([batch[name] for batch in per_batch], dtype=float)
        values = values[~np.isnan(values)]
        error = float(values.std(ddof=1) / math.sqrt(values.size)) if values.size > 1 else math.nan
        out[name] = {"value": float(values.mean()) if values.size else math.nan, "mc_error": error}
    return out


def recorded() -> dict:
    """The recorded reference (population.json)."""
    return json.loads(REFERENCE.read_text(encoding="utf-8"))


def _what_estimands_read(params: Params) -> dict[str, object]:
    """The parameters the estimands depend on: all but the instruments' and the caseload."""
    return {
        name: value
        for name, value in params.as_dict().items()
        if PARAMETERS[name].group != "instruments" and name != "clients_per_therapist"
    }


def population_values(params: Params, format: str, clients: int) -> dict | None:
    """The population values for ``params`` in ``format``: the recorded ones where every parameter the
    estimands read is at its default (the instruments' parameters and the caseload may differ), else a
    reference simulation of about ``clients`` clients in 10 batches (None with ``clients`` 0)."""
    if _what_estimands_read(params) == _what_estimands_read(Params()):
        entry = recorded()["formats"][format]
        return {"values": entry["estimands"], "source": f"recorded reference ({entry['clients']:,} clients; {REFRESH})"}
    if clients <= 0:
        return None
    batches = 10
    therapists = max(2, math.ceil(clients / (batches * CASELOAD)))
    values = reference_values(params, format, batches, therapists)
    return {
        "values": values,
        "source": f"reference simulation of {batches * therapists * CASELOAD:,} clients made with the data set",
    }


def refresh() -> dict:
    """Recompute the recorded reference for the default parameters of every format."""
    document = {
        "command": REFRESH,
        "seed": SEED,
        "batches": BATCHES,
        "therapists_per_batch": THERAPISTS_PER_BATCH,
        "caseload": CASELOAD,
        "meaning": "population values of the estimands at the default parameters: the mean over independent "
        "batches, with the Monte Carlo error (SD over batches / sqrt(batches))",
        "formats": {},
    }
    for name in FORMATS:
        document["formats"][name] = {
            "clients": BATCHES * THERAPISTS_PER_BATCH * CASELOAD,
            "estimands": reference_values(Params(), name),
        }
    return document


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Population values of the synthetic data sets' estimands.")
    parser.add_argument("--refresh", action="store_true", help=f"recompute {REFERENCE.name} (a few minutes)")
    args = parser.parse_args(argv)
    if args.refresh:
        text = json.dumps(refresh(), indent=2, allow_nan=True) + "\n"
        REFERENCE.write_text(text, encoding="utf-8")
        print(f"Wrote {REFERENCE}")
    else:
        print(json.dumps(recorded(), indent=2))


if __name__ == "__main__":
    main()
