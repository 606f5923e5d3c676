"""Every registered format declares what callers ask of it, and no module outside simulation/formats/
branches on a format's name (issue 22: a Format is complete)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from simulation.figures.registry import FIGURES, FORMAT_CALIBRATION, FORMAT_REPORT
from simulation.formats import FORMATS
from simulation.store import run_files

PACKAGE = Path(__file__).resolve().parents[1] / "simulation"
# comparing a format's name to a literal: `format_name == "group"`, `.format != "individual"`, ...
NAME_TEST = re.compile(r"""(format\w*|\.name)\s*[!=]=\s*["'](individual|group|family)["']""")


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_each_format_declares_its_unit_table_and_agent(name):
    format_ = FORMATS[name]
    assert format_.name == name
    if format_.has_units:
        assert format_.unit_file is not None and format_.unit_file.endswith(".parquet")
        assert format_.unit_file in run_files(name)
        agent = format_.unit_agent()
        assert agent is not None and agent.__name__.lower() == name
    else:
        assert format_.unit_agent() is None
        assert run_files(name) == run_files("individual")


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_each_format_with_units_declares_its_calibration_row_and_mechanism_checks(name):
    """`alliance calibrate --format` reads the row, the report's figures and the mechanism checks from
    the format's declarations: every check names a registered figure and a direction, and a format
    without units (individual) declares none (its checks are those of the individual report)."""
    format_ = FORMATS[name]
    checks = format_.mechanism_checks
    if not format_.has_units:
        assert not checks and name not in FORMAT_CALIBRATION
        return
    assert name in FORMAT_CALIBRATION and name in FORMAT_REPORT and checks
    for check in checks:
        assert check.figure in FIGURES and check.direction in ("lower", "higher") and check.overrides
        if check.shown_as:
            assert FIGURES[check.figure] in FORMAT_REPORT[name]


def test_unit_files_differ_between_formats():
    files = [format_.unit_file for format_ in FORMATS.values() if format_.unit_file is not None]
    assert len(files) == len(set(files)) >= 2


def test_no_module_outside_formats_compares_a_format_name_to_a_literal():
    offenders = {
        str(path.relative_to(PACKAGE.parent))
        for path in PACKAGE.rglob("*.py")
        if "formats" not in path.relative_to(PACKAGE).parts[:1] and NAME_TEST.search(path.read_text(encoding="utf-8"))
    }
    assert not offenders, sorted(offenders)
