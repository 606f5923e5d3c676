"""Parameters: one source of truth, validation with clear messages, TOML round trip, presets."""

import re

import pytest

from simulation.config import PARAMETERS, ParameterError, Params, parse_assignments
from simulation.presets import PRESETS, apply_presets
from simulation.recipe import load_toml, save_toml


def test_every_parameter_has_range_unit_and_meaning():
    for spec in PARAMETERS.values():
        assert spec.low <= spec.default <= spec.high, spec.name
        assert spec.unit and spec.meaning and spec.group


@pytest.mark.parametrize(
    "name, value, expected",
    [
        ("repair_skill_mean", 1.5, "repair_skill_mean must be a number from 0 to 1; got 1.5"),
        ("course_length", 2.5, "course_length must be a whole number from 2 to 104; got 2.5"),
        ("repair_enabled", "yes", "repair_enabled must be true or false; got 'yes'"),
        ("severity_mean", "0.1", "severity_mean must be a number from 0 to 0.5; got '0.1'"),
        ("change_rate", float("nan"), "change_rate must be a number from 0 to 1; got nan"),
        ("course_length", float("inf"), "course_length must be a whole number from 2 to 104; got inf"),
        ("course_length", float("nan"), "course_length must be a whole number from 2 to 104; got nan"),
        ("course_length", 10**400 - 1, "course_length must be a whole number from 2 to 104; got 9999999999"),
        ("course_length", True, "course_length must be a whole number from 2 to 104; got True"),
        ("course_length", {"a": 1}, "course_length must be a whole number from 2 to 104; got {'a': 1}"),
        ("repair_skill_mean", -float("inf"), "repair_skill_mean must be a number from 0 to 1; got -inf"),
    ],
)
def test_bad_values_name_the_parameter_and_its_range(name, value, expected):
    with pytest.raises(ParameterError, match=re.escape(expected)) as refused:
        Params().replace(**{name: value})
    assert len(str(refused.value)) < 120  # a 400-digit value is cut short, the range said once
    assert str(refused.value).count("whole number") <= 1


def test_negative_zero_is_stored_as_zero():
    """-0.0 is in the range 0 to 1 and is stored as 0.0 (the manifest and the bytes do not see a sign)."""
    value = Params(repair_skill_mean=-0.0).repair_skill_mean
    assert value == 0.0 and str(value) == "0.0"


def test_unknown_parameter_suggests_close_names():
    with pytest.raises(ParameterError, match=r"unknown parameter 'repair_skil_mean'.*repair_skill_mean"):
        Params().replace(repair_skil_mean=0.5)


def test_constructor_gives_the_command_lines_message_for_an_unknown_name():
    with pytest.raises(
        ValueError, match=r"unknown parameter 'repair_skil_mean'\. Did you mean: repair_skill_mean"
    ) as caught:
        Params(repair_skil_mean=0.7)
    assert isinstance(caught.value, ParameterError)


def test_cross_field_checks():
    with pytest.raises(ParameterError, match="share_anxious \\+ share_avoidant"):
        Params(share_anxious=0.7, share_avoidant=0.5)
    with pytest.raises(ParameterError, match="resolution_sessions must be less than course_length"):
        Params(course_length=3, resolution_sessions=3)


def test_toml_round_trip(tmp_path):
    params = Params(repair_skill_mean=0.71, course_length=16, repair_enabled=False)
    save_toml(params, tmp_path / "p.toml")
    assert load_toml(tmp_path / "p.toml") == params


def test_toml_errors(tmp_path):
    broken = tmp_path / "broken.toml"
    broken.write_text("[parameters\nx = 1")
    with pytest.raises(ParameterError, match="not valid TOML"):
        load_toml(broken)
    typo = tmp_path / "typo.toml"
    typo.write_text("[parameters]\nrepair_skil_mean = 0.5\n")
    with pytest.raises(ParameterError, match="unknown parameter"):
        load_toml(typo)
    with pytest.raises(ParameterError, match="does not exist"):
        load_toml(tmp_path / "missing.toml")


@pytest.mark.parametrize(
    "content, message",
    [
        ("[parameters]\nrepair_skill_mean = 7\n", "repair_skill_mean must be a number from 0 to 1; got 7"),
        ('[parameters]\nrepair_skill_mean = "high"\n', "repair_skill_mean must be a number from 0 to 1; got 'high'"),
        ("[parameters]\nrepair_enabled = 1\n", "repair_enabled must be true or false; got 1"),
        (
            "[parameters]\nrepair_skil_mean = 0.5\n",
            "unknown parameter 'repair_skil_mean'. Did you mean: repair_skill_mean",
        ),
        ('presets = ["psychoanalytic"]\n', "unknown preset 'psychoanalytic'; choose one of"),
        ("presets = [[1]]\n", "'presets' must be a list of preset names (working, "),
        ('presets = "online"\n', "'presets' must be a list of preset names (working, "),
        ("[parameters]\ncourse_length = inf\n", "course_length must be a whole number from 2 to 104; got inf"),
        ("[parameters]\ncourse_length = true\n", "course_length must be a whole number from 2 to 104; got True"),
        ("[parameters]\ncourse_length = { a = 1 }\n", "course_length must be a whole number from 2 to 104; got"),
    ],
)
def test_toml_value_errors_name_the_file(tmp_path, content, message):
    path = tmp_path / "study.toml"
    path.write_text(content)
    with pytest.raises(ParameterError, match=re.escape(f"config file {path}: {message}")):
        load_toml(path)


def test_toml_presets_then_parameters(tmp_path):
    path = tmp_path / "study.toml"
    path.write_text('presets = ["reparative"]\n[parameters]\nrepair_skill_mean = 0.9\n')
    params = load_toml(path)
    assert params.repair_skill_mean == 0.9
    assert params.attunement_mean == PRESETS["reparative"].overrides["attunement_mean"]


def test_presets_are_valid_and_change_what_they_say():
    for preset in PRESETS.values():
        params = apply_presets([preset.name])
        for name, value in preset.overrides.items():
            assert getattr(params, name) == value
    with pytest.raises(ParameterError, match="unknown preset 'nope'; choose one of"):
        apply_presets(["nope"])


def test_parse_assignments_types():
    assert parse_assignments(["course_length=16", "repair_enabled=false", "severity_mean=0.2"]) == {
        "course_length": 16,
        "repair_enabled": False,
        "severity_mean": 0.2,
    }
    with pytest.raises(ParameterError, match="KEY=VALUE"):
        parse_assignments(["severity_mean"])
    with pytest.raises(ParameterError, match="must be a number"):
        parse_assignments(["severity_mean=high"])
    assert parse_assignments(["course_length=" + "9" * 400]) == {"course_length": 10**400 - 1}  # exact
    assert parse_assignments(["course_length=12.0"]) == {"course_length": 12}


@pytest.mark.parametrize(
    "changes",
    [
        {"share_anxious": 0.7},
        {"share_anxious": 0.7, "share_avoidant": 0.5},
        {"bond_weight": 0.0, "goal_weight": 0.0, "task_weight": 0.0},
        {"course_length": 3},
        {"resolution_sessions": 10, "course_length": 12},
        {"course_length": 104, "repair_skill_mean": 0.8, "feedback_enabled": True},
    ],
)
def test_replace_gives_what_the_constructor_gives(changes):
    """Params.replace checks only the changed values and the relations they take part in (a sweep
    builds one Params per point): from a valid base it refuses what the constructor refuses, with the
    same message, and otherwise gives an equal object."""
    base = Params(share_avoidant=0.4, bond_weight=0.0, goal_weight=0.0, course_length=12, resolution_sessions=4)
    try:
        built = Params(**(base.as_dict() | changes))
    except ParameterError as refused:
        with pytest.raises(ParameterError, match=re.escape(str(refused))):
            base.replace(**changes)
    else:
        replaced = base.replace(**changes)
        assert replaced == built and hash(replaced) == hash(built) and replaced.as_dict() == built.as_dict()
