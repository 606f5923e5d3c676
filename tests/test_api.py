"""The package's public face: every name of docs/api.md is importable from ``simulation``, and the
package and the light commands import no heavy module (lazy imports, PEP 562)."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import simulation

ROOT = Path(__file__).parents[1]
HEAVY = ("pandas", "pyarrow", "matplotlib", "dask", "solara", "mesa")


def modules_after(code: str) -> set[str]:
    """The heavy modules imported by running ``code`` in a fresh interpreter."""
    probe = f"import json, sys\n{code}\nprint(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT)
    return set(json.loads(result.stdout.strip().splitlines()[-1]))


def test_import_simulation_imports_nothing_heavy():
    assert modules_after("import simulation") == set()


@pytest.mark.parametrize("arguments", [["--help"], ["presets"], ["run", "--help"]])
def test_light_commands_import_no_plotting_cluster_page_or_mesa(arguments):
    code = f"from simulation.cli import main\ntry:\n    main({arguments!r})\nexcept SystemExit:\n    pass"
    assert modules_after(code) == set()


def test_every_public_name_resolves_and_is_documented():
    api = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `(\w+)` \|", api, flags=re.MULTILINE))
    assert documented == set(simulation.__all__)
    for name in simulation.__all__:
        assert getattr(simulation, name) is not None
    assert simulation.simulate is simulation.tables.simulate


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'simulte'"):
        simulation.simulte  # noqa: B018
