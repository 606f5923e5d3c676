"""The defaults reproduce the individual-format targets of docs/calibration.md (fixed-seed cohort of
4,000 clients, 200 therapists), and the mechanism checks hold."""

import pytest

from simulation.calibration import TARGETS, calibrate, calibrate_format, format_target
from simulation.config import Params
from simulation.instruments.scores import FIGURES as INSTRUMENT_FIGURES
from simulation.tables import simulate


@pytest.fixture(scope="module")
def report():
    return calibrate()


@pytest.mark.parametrize("target", TARGETS, ids=[t.name for t in TARGETS])
def test_figure_inside_its_band(report, target):
    assert target.low <= report.values[target.name] <= target.high, report.to_markdown()


def test_directiveness_contrast_holds(report):
    """Directiveness x reactance (Beutler et al. 2018): on the same clients, the top resistance third
    does better with nondirective therapists by d in .45-1.10, the bottom third better with directive
    ones, by a positive d smaller than the top third's."""
    failed = [name for name, holds in report.directiveness_in_band().items() if not holds]
    assert not failed, report.to_markdown()


def test_mechanism_checks(report):
    failed = [text for text, ok in report.checks() if not ok]
    assert not failed, report.to_markdown()


def test_alliance_share_of_explained_variance_is_reported(report):
    assert 0 < report.alliance_share < 1
    assert "share of the explained outcome variance" in report.to_markdown()


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_figures_stay_in_band_for_other_seeds(seed):
    """Not tuned to one cohort: three other seeds land in every band too, the directiveness contrast
    included (four seeds with the calibration seed)."""
    report = calibrate(seed=seed)
    values = report.values
    outside = {t.name: round(values[t.name], 3) for t in TARGETS if not t.low <= values[t.name] <= t.high}
    contrast = report.directiveness_in_band()
    outside |= {name: round(report.directiveness[name], 3) for name, holds in contrast.items() if not holds}
    assert not outside


def test_header_says_what_the_parameters_are(report):
    assert report.to_markdown().splitlines()[0].endswith(", default parameters.")
    changed = calibrate(Params(repair_skill_mean=0.9, course_length=16), n_clients=200, seed=1)
    assert changed.to_markdown().splitlines()[0] == (
        "Calibration cohort: 200 individual clients, seed 1, "
        "parameters changed from the defaults: course_length=16, repair_skill_mean=0.9."
    )


def test_instrument_figures_of_the_calibration_cohort_are_in_band(report):
    """The item-level figures of docs/calibration.md ("Instruments"), measured on the same 4,000
    clients, sit in their bands, and the report shows them."""
    values = report.instruments.values()
    outside = {
        name: round(values[name], 3) for name, f in INSTRUMENT_FIGURES.items() if not f.low <= values[name] <= f.high
    }
    assert not outside, report.to_markdown()
    assert all(figure.label in report.to_markdown() for figure in INSTRUMENT_FIGURES.values())


@pytest.mark.slow
@pytest.mark.parametrize("format_name", ["group", "family"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_format_rows_stay_in_band_for_other_seeds(format_name, seed):
    """The group and family rows and their mechanism checks hold on three other seeds too (four with
    the calibration seed, tests/test_formats.py)."""
    report = calibrate_format(format_name, seed=seed)
    assert format_target(format_name).in_band(report.value), report.to_markdown()
    assert all(holds for _, holds in report.checks), report.to_markdown()


def test_client_rated_empathy_predicts_better_than_the_therapists_own(report):
    """Elliott et al. 2018: the client's perceived empathy predicts outcome better than the therapist's."""
    assert report.values["empathy_r"] > report.therapist_empathy_r + 0.1
    assert "the therapist's own empathy (trait) - outcome r" in report.to_markdown()


def test_group_r_floor_comes_from_unresolved_rupture_harm():
    """Why the group search's best point is its top corner (docs/ODD.md section 5): the member-leader
    r falls as the weights move a member's course from the leader alliance to cohesion, but at (1, 1)
    it stays above its aim (.17), held up by the lasting harm of unresolved member-leader ruptures,
    which no weight dilutes; without that harm it falls below the aim. Same 2,000 members throughout."""
    target = format_target("group")

    def r(**overrides: float) -> float:
        return target(simulate(Params(**overrides), 2000, 1, format="group"))

    corner = dict(cohesion_weight=1.0, cohesion_tie_weight=1.0)
    assert r(cohesion_weight=0.5) > r() + 0.03
    assert r(**corner) > target.aim + 0.02
    assert r(**corner, rupture_harm=0.0) < target.aim - 0.02
