"""The docs read parameters from the code: the tables in docs/ODD.md must match simulation.config.PARAMETERS."""

import importlib.util
from pathlib import Path

DOCS = Path(__file__).parents[1] / "docs"


def test_odd_parameter_table_is_current():
    spec = importlib.util.spec_from_file_location("refresh", DOCS / "refresh.py")
    refresh = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(refresh)
    text = (DOCS / "ODD.md").read_text(encoding="utf-8")
    assert refresh.refreshed(text) == text, "run: python docs/refresh.py"


def test_calibration_doc_exists_and_reports_every_target():
    from simulation.calibration import TARGETS

    text = (DOCS / "calibration.md").read_text(encoding="utf-8")
    assert all(target.label in text for target in TARGETS)


def test_user_facing_files_stand_alone():
    """A user has only this repository: the README, docs/, benchmarks/ and the package's docstrings
    point to nothing outside it (no design document of the team, no ../shared)."""
    root = Path(__file__).resolve().parents[1]
    files = [root / "README.md", *root.glob("docs/*.md"), *root.glob("benchmarks/*"), *root.rglob("simulation/**/*.py")]
    offenders = [
        str(path.relative_to(root))
        for path in files
        if path.is_file() and any(name in path.read_text(encoding="utf-8") for name in ("DESIGN.md", "../shared"))
    ]
    assert not offenders, offenders
