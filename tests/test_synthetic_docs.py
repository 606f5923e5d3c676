"""The numbers docs/synthetic.md states about synthetic data sets are those of the recorded population
reference and of the data they describe."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulation.config import Params
from simulation.synthetic import generate
from simulation.synthetic.population import recorded

DOC = " ".join((Path(__file__).parents[1] / "docs" / "synthetic.md").read_text(encoding="utf-8").split())


def short(value: float, digits: int) -> str:
    """A number as the doc writes it: no leading zero before the point."""
    text = f"{value:.{digits}f}"
    return text[1:] if text.startswith("0.") else text


def test_population_values_stated_in_the_doc_are_the_recorded_ones():
    values = {name: entry["value"] for name, entry in recorded()["formats"]["individual"]["estimands"].items()}
    stated = (
        f"change ICC {short(values['therapist_share_of_change_variance'], 3)}",
        f"observed change ICC {short(values['therapist_share_of_observed_change_variance'], 3)}",
        f"early-alliance ICC {short(values['therapist_share_of_alliance_variance'], 3)}",
        f"within-client slope {values['within_client_alliance_to_next_ors']:.2f}",
        f"slopes {values['between_therapist_alliance_slope']:.1f} and {values['within_therapist_alliance_slope']:.1f}",
        f"`alliance_raise_effect` {values['alliance_raise_effect']:.2f}",
        f"no-dropout change {values['no_dropout_change']:.2f} against {values['latent_change']:.2f}",
    )
    for text in stated:
        assert text in DOC, text


def test_complete_case_bias_at_dial_zero_is_as_stated():
    """'On 4,000 clients (seed 7) the completers' latent change exceeds the no-dropout change by about
    0.4 ORS points at 0' (within 0.15)."""
    assert "On 4,000 clients (seed 7) the completers' latent change exceeds the no-dropout change by about 0.4" in DOC
    truth = generate(Params(), 200, 20, 7, population_clients=0).truth["clients"]
    completers = truth[~truth["dropped_out"]]
    bias = (completers["wellbeing_final"] - completers["wellbeing_intake"]).mean() - (
        truth["wellbeing_no_dropout"] - truth["wellbeing_intake"]
    ).mean()
    assert bias == pytest.approx(0.4, abs=0.15)
