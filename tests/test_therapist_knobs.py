"""The therapist knobs (ODD 7.1, 7.13; docs/synthetic.md): each therapist's own factor on their clients'
change rate, exp(therapist_outcome_sd * outcome_z + therapist_alliance_outcome_effect * alliance_ability).

At the defaults (both 0) the factor is exactly 1 and every course is as it was (tests/test_baseline.py
checks the bytes); each knob moves its estimands monotonically; the truth states each therapist's terms;
the table in docs/synthetic.md is what the code computes. The fused and array kernels agree with the
knobs on (tests/test_fused.py), and so do the kernel and the per-agent reference
(tests/test_reference_agreement.py).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulation import dynamics
from simulation.config import Params
from simulation.model import AllianceModel
from simulation.runs import Run, therapist_traits
from simulation.synthetic import generate, knobs
from simulation.synthetic.population import CASELOAD, recorded

DOC = (Path(__file__).parents[1] / "docs" / "synthetic.md").read_text(encoding="utf-8")
SMALL = {"batches": 2, "therapists": 100}  # 20,000 clients per level: enough for the ordering checks


def test_the_factor_is_exactly_one_at_the_defaults_and_a_new_draw_moves_no_other():
    """Knobs at 0: rate factor 1.0 exactly (so every product it enters is unchanged); knobs on: the
    therapists' traits are the same numbers (the factor's draw has a stream of its own)."""
    off = therapist_traits([Run(Params(), 400, 5)], 0, outcome=True)
    assert (off["rate_factor"] == 1.0).all()
    on = therapist_traits([Run(Params(therapist_outcome_sd=1.0), 400, 5)], 0, outcome=True)
    for name in (*dynamics.THERAPIST_TRAITS, "bias", "style", "minority", "outcome_z", "alliance_ability"):
        np.testing.assert_array_equal(on[name], off[name])
    assert np.allclose(on["rate_factor"], np.exp(on["outcome_z"]))


def test_alliance_ability_is_about_standard_normal_and_tracks_the_therapists_alliance():
    """Over 2,000 therapists: mean about 0, SD about 1; it is 0 when therapist_trait_sd is 0."""
    traits = therapist_traits([Run(Params(clients_per_therapist=1), 2_000, 9)], 0, outcome=True)
    assert abs(traits["alliance_ability"].mean()) < 0.1
    assert traits["alliance_ability"].std() == pytest.approx(1.0, abs=0.1)
    flat = therapist_traits([Run(Params(therapist_trait_sd=0.0), 100, 9)], 0, outcome=True)
    assert (flat["alliance_ability"] == 0.0).all()


def test_the_change_icc_rises_with_therapist_outcome_sd():
    """The therapist share of latent change at SD 0, 0.5 and 1 rises, each step by more than .04; the
    within-therapist slope moves by less than 2.5 ORS points per alliance unit."""
    values = [knobs.knob_values(Params(therapist_outcome_sd=sd), **SMALL) for sd in (0.0, 0.5, 1.0)]
    shares = [value[knobs.SHARE]["value"] for value in values]
    assert np.all(np.diff(shares) > 0.04), shares
    assert np.ptp([value[knobs.WITHIN]["value"] for value in values]) < 2.5


def test_the_alliance_ability_effect_moves_the_between_slope_far_more_than_the_within():
    """Effect -0.5, 0, 0.5, 1: the between-therapist slope rises by more than 10 ORS points per alliance
    unit at each step; the within-therapist slope moves by less than a fifth as much in all."""
    values = [
        knobs.knob_values(Params(therapist_alliance_outcome_effect=effect), **SMALL) for effect in (-0.5, 0, 0.5, 1.0)
    ]
    between = np.array([value[knobs.BETWEEN]["value"] for value in values])
    within = np.array([value[knobs.WITHIN]["value"] for value in values])
    assert np.all(np.diff(between) > 10.0), between
    assert np.ptp(within) < 0.2 * np.ptp(between), (between, within)


def test_the_truth_states_each_therapists_terms_and_population_values_follow_the_knobs():
    """truth/therapists holds outcome_z, alliance_ability and rate_factor (the factor their clients'
    rows carried); the population change ICC of a data set with the SD knob on is far above the
    recorded default one."""
    params = Params(therapist_outcome_sd=1.0, therapist_alliance_outcome_effect=0.5)
    data = generate(params, therapists=10, clients_per_therapist=8, seed=3, population_clients=10_000)
    truth = data.truth["therapists"]
    expected = np.exp(1.0 * truth["outcome_z"] + 0.5 * truth["alliance_ability"])
    np.testing.assert_allclose(truth["rate_factor"], expected, rtol=1e-12)
    codebook = pd.DataFrame(data.parameters["estimands"]).T
    default = recorded()["formats"]["individual"]["estimands"][knobs.SHARE]["value"]
    assert codebook.loc[knobs.SHARE, "population"] > default + 0.1


def test_an_edited_therapist_trait_moves_their_factor():
    """A Mesa edit of a trait in the alliance ability (empathy) changes that therapist's factor on
    change from the next session on, as the ability says (effect 1: log factor up by the edit's
    deviation over therapist_trait_sd x sqrt(7))."""
    params = Params(therapist_alliance_outcome_effect=1.0)
    model = AllianceModel(params=params, n_clients=40, seed=2)
    therapist = model.therapists_by_index[0]
    rows = therapist.rows
    before = model.course.traits.therapist_factor[rows].copy()
    old = therapist.empathy
    therapist.empathy = min(old + 0.2, 1.0)
    after = model.course.traits.therapist_factor[rows]
    step = (therapist.empathy - old) / (params.therapist_trait_sd * np.sqrt(len(dynamics.ALLIANCE_ABILITY)))
    np.testing.assert_allclose(np.log(after / before), step, rtol=1e-9)


def test_sd_for_share_hits_its_target_and_refuses_one_out_of_reach(capsys):
    """The solver's SD gives the target share on the same simulation (to .003); a share below the one
    at SD 0 is refused with a message naming the parameter; the command line exits 2 on bad input."""
    small = {"batches": 1, "therapists": 50}
    sd = knobs.sd_for_share(0.2, **small)
    assert 0.3 < sd < 1.2
    reached = knobs.knob_values(Params(therapist_outcome_sd=sd), **small)[knobs.SHARE]["value"]
    assert reached == pytest.approx(0.2, abs=0.003)
    with pytest.raises(ValueError, match="therapist_outcome_sd"):
        knobs.sd_for_share(0.01, **small)
    assert knobs.main(["--share", "1.5"]) == 2
    assert "--share must be" in capsys.readouterr().err


def _doc_rows() -> dict[tuple[str, float], list[float]]:
    """The knob table of docs/synthetic.md: (knob, level) -> the six numbers of its row."""
    rows = {}
    for line in DOC.splitlines():
        match = re.match(r"\| `(therapist_\w+)` \| (-?[\d.]+) \| (.*) \|$", line)
        if match:
            rows[match[1], float(match[2])] = [float(value) for value in re.findall(r"-?\d+\.\d+", match[3])]
    return rows


def test_the_doc_table_is_what_the_code_computes():
    """The doc states how the table is made (batches, therapists, caseload, seeds, the solver's dozen
    simulations); every row of the table is there, and two rows recomputed afresh (each level is its
    own simulation) equal the doc's numbers to the digits it prints."""
    text = " ".join(DOC.split())
    clients = knobs.BATCHES * knobs.THERAPISTS * CASELOAD
    assert f"{knobs.BATCHES} independent batches of {knobs.THERAPISTS} therapists with {CASELOAD} clients" in text
    assert f"({clients:,} clients per level; the same clients, seeds {knobs.SEED:,} to" in text
    assert f"{knobs.SEED + knobs.BATCHES - 1:,}, at every level" in text
    assert knobs.BISECTIONS + 2 == 12 and f"(a dozen simulations of {clients:,} clients;" in text
    rows = _doc_rows()
    expected = [("therapist_outcome_sd", level) for level in knobs.SD_LEVELS]
    expected += [("therapist_alliance_outcome_effect", level) for level in knobs.EFFECT_LEVELS]
    assert list(rows) == expected
    for knob, level in (("therapist_outcome_sd", 0.5), ("therapist_alliance_outcome_effect", 1.0)):
        values = knobs.knob_values(Params(**{knob: level}))
        names = (knobs.SHARE, knobs.BETWEEN, knobs.WITHIN)
        fresh = [values[name][key] for name in names for key in ("value", "mc_error")]
        for stated, computed, digits in zip(rows[knob, level], fresh, (3, 3, 1, 1, 1, 1), strict=True):
            assert stated == pytest.approx(computed, abs=0.6 * 10**-digits), (knob, level)
