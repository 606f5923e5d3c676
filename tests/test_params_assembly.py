"""Params is assembled from the concerns that declare its fields, and behaves as one frozen dataclass."""

import copy
import dataclasses
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from simulation.config import CONCERNS, PARAMETERS, ParameterError, Params, declared_in

ROOT = Path(__file__).parents[1]


def declared_names(declarations: tuple[type, ...]) -> list[str]:
    return [field.name for declaration in declarations for field in dataclasses.fields(declaration)]


def test_fields_are_the_concerns_declarations_in_order_each_once():
    in_order = [name for declarations in CONCERNS.values() for name in declared_names(declarations)]
    assert len(in_order) == len(set(in_order)), "a parameter is declared by two concerns"
    assert [field.name for field in dataclasses.fields(Params)] == in_order
    assert list(PARAMETERS) == in_order


def test_each_spec_names_its_concern_and_the_concern_its_files():
    for concern, declarations in CONCERNS.items():
        assert {PARAMETERS[name].concern for name in declared_names(declarations)} == {concern}
        assert all((ROOT / path).is_file() for path in declared_in(concern))
    assert declared_in("group format") == ["simulation/formats/group_params.py"]
    assert declared_in("family format") == ["simulation/formats/family_params.py"]
    assert declared_in("instruments") == ["simulation/instruments/params.py"]
    assert all(path.startswith("simulation/params/") for path in declared_in("core dynamics"))


def test_a_concern_declares_defaults_that_params_keeps():
    for declarations in CONCERNS.values():
        for declaration in declarations:
            for field in dataclasses.fields(declaration):
                assert getattr(Params(), field.name) == field.default == PARAMETERS[field.name].default


def test_params_pickles_copies_and_hashes_as_one_value():
    params = Params(group_size=5, family_size=2, wai_client_leniency=0.1, repair_enabled=False, course_length=20)
    for copied in (pickle.loads(pickle.dumps(params)), copy.deepcopy(params), params.replace()):
        assert type(copied) is Params
        assert copied == params and hash(copied) == hash(params)
        assert copied.as_dict() == params.as_dict()
    assert params != Params() and len({params, Params(), Params()}) == 2
    with pytest.raises(dataclasses.FrozenInstanceError):
        params.group_size = 6  # type: ignore[misc]


def test_fields_of_every_concern_are_checked():
    for name, value in [("group_size", 1), ("therapist_neutrality", 1.5), ("item_nonresponse_rate", -0.1)]:
        with pytest.raises(ParameterError, match=f"^{name} must be"):
            Params(**{name: value})


def test_declarations_import_without_the_kernel_and_formats_import_first():
    """The declarations (and so ``simulation.config``) load without numpy, pandas, the formats'
    mechanics or the instruments' administration, and a module of the formats or instruments imported
    before ``simulation.config`` still finds ``Params`` (no import cycle); the packages' lazy names stay
    the functions whatever was imported first."""
    heavy = "{'numpy', 'pandas', 'simulation.formats.group', 'simulation.instruments.administration'}"
    light = f"import sys, simulation.config; print(sorted({heavy} & set(sys.modules)))"
    for code, expected in [
        (light, "[]"),
        ("import simulation.formats.group as g, simulation.config as c; print(g.Params is c.Params)", "True"),
        ("from simulation.formats import FORMATS, Format; print(sorted(FORMATS))", "['family', 'group', 'individual']"),
        (
            "import simulation.instruments.administration; from simulation.instruments import administer; "
            "print(callable(administer))",
            "True",
        ),
    ]:
        done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
        assert done.stdout.strip() == expected
