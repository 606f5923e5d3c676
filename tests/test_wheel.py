"""The package as a user installs it: a wheel built from the checkout, installed without -e into a
fresh virtual environment, runs the README's commands from a folder outside the checkout.

The wheel holds every subpackage and file of simulation/, and its declared requirements (the ``all``
extra with them) are met. The fresh environment borrows those requirements from this test's own
environment (installed by the README's test command, ``pip install -e '.[all,test]'``) through a
.pth file instead of downloading them again (a fresh download takes 5-15 minutes here), so it tests
what the wheel carries and declares; the simulation package itself comes only from the wheel.
"""

from __future__ import annotations

import email.parser
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement

pytestmark = pytest.mark.slow
ROOT = Path(__file__).parents[1]
PROJECT = "alliance-dynamics"
TINY_STUDY = """[study]
name = "tiny"
sampler = "grid"
replicates = 1
clients = 20
seed = 5
max_runs = 10

[vary.repair_skill_mean]
levels = [0.3, 0.8]
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel pip builds from a copy of the checkout's sources (so the build leaves nothing in it)."""
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(ROOT / "simulation", source / "simulation", ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path_factory.mktemp("wheel")
    command = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(source)]
    subprocess.run(command, check=True, capture_output=True, timeout=600)
    (built,) = out.glob("*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """A fresh venv with the wheel installed (not editable); returns its bin/ folder."""
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    install = [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", "--no-index"]
    subprocess.run([*install, str(wheel)], check=True, capture_output=True, timeout=600)
    site = Path(subprocess.check_output([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                        text=True).strip())  # fmt: skip
    borrowed = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    (site / "borrowed_requirements.pth").write_text("".join(f"{path}\n" for path in borrowed))
    return venv / "bin"


def test_the_wheel_holds_every_subpackage_and_file_of_simulation(wheel):
    """Every file of simulation/ (modules and any package data) is in the wheel, so a subpackage added
    later cannot be left out as instruments and viz were."""
    in_checkout = {
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "simulation").rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    with zipfile.ZipFile(wheel) as archive:
        in_wheel = {name for name in archive.namelist() if name.startswith("simulation/")}
    assert in_checkout - in_wheel == set()


def declared_requirements(wheel: Path, extra: str) -> list[Requirement]:
    """The wheel's requirements with ``extra`` (and the extras it names of this project) requested."""
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [name for name in archive.namelist() if name.endswith(".dist-info/METADATA")]
        requirements = [Requirement(text) for text in email.parser.Parser().parsestr(
            archive.read(name).decode()).get_all("Requires-Dist")]  # fmt: skip
    extras, grown = {extra}, True
    while grown:
        wanted = [req for req in requirements if req.marker is None or any(req.marker.evaluate({"extra": e})
                                                                          for e in extras)]  # fmt: skip
        own = set().union(*(req.extras for req in wanted if req.name == PROJECT))
        grown, extras = not own <= extras, extras | own
    return [req for req in wanted if req.name != PROJECT]


def test_the_wheels_requirements_with_all_its_extras_are_installed(wheel):
    """What the fresh environment borrows meets what the wheel declares (the app extra's exact Solara
    pins among them), so the commands below run against the declared versions."""
    requirements = declared_requirements(wheel, "all")
    assert {"solara", "solara-assets", "dask", "statsmodels", "mesa", "pyabc"} <= {
        req.name.lower() for req in requirements
    }
    unmet = []
    for req in requirements:
        try:
            version = metadata.version(req.name)
        except metadata.PackageNotFoundError:
            version = None
        if version is None or not req.specifier.contains(version, prereleases=True):
            unmet.append(f"{req} (installed: {version})")
    assert unmet == []


def alliance(installed: Path, cwd: Path, *arguments: str) -> str:
    """Run the installed ``alliance`` in ``cwd``; returns its output, failing with it on a non-zero exit."""
    environment = {name: value for name, value in os.environ.items() if name != "PYTHONPATH"}
    done = subprocess.run([installed / "alliance", *arguments], cwd=cwd, env=environment, capture_output=True,
                          text=True, timeout=600)  # fmt: skip
    assert done.returncode == 0, f"alliance {' '.join(arguments)}: exit {done.returncode}\n{done.stderr}"
    return done.stdout


def test_the_readmes_commands_run_from_the_installed_wheel(installed, tmp_path):
    """run, params, presets, calibrate, generate, figures, sweep, app --help and a tiny fit, outside the checkout,
    with the simulation package imported from the wheel (not the checkout)."""
    where = subprocess.check_output(
        [installed / "python", "-c", "import simulation.app, simulation; print(simulation.__file__)"],
        cwd=tmp_path,
        text=True,
        env={name: value for name, value in os.environ.items() if name != "PYTHONPATH"},
    )
    assert Path(where.strip()).is_relative_to(installed.parent)
    alliance(installed, tmp_path, "run", "--clients", "60", "--seed", "3", "--out", "run")
    assert {"sessions.parquet", "clients.parquet", "therapists.parquet", "manifest.json"} <= {
        path.name for path in (tmp_path / "run").iterdir()
    }
    assert "repair_skill_mean" in alliance(installed, tmp_path, "params")
    assert "reparative" in alliance(installed, tmp_path, "presets")
    assert "ORS alpha" in alliance(installed, tmp_path, "calibrate", "--clients", "100")
    alliance(installed, tmp_path, "generate", "--therapists", "2", "--clients-per-therapist", "5", "--out", "data")
    assert (tmp_path / "data" / "codebook.json").is_file()
    alliance(installed, tmp_path, "figures", "run", "--out", "figures")
    assert any((tmp_path / "figures").glob("*.png"))
    (tmp_path / "tiny.toml").write_text(TINY_STUDY)
    alliance(installed, tmp_path, "sweep", "tiny.toml", "--out", "sweep", "--workers", "0")
    assert (tmp_path / "sweep" / "summary.parquet").is_file()
    assert "--port" in alliance(installed, tmp_path, "app", "--help")
    alliance(installed, tmp_path, "fit", "data", "--params", "practical_dropout_hazard", "--population", "10",
             "--generations", "1", "--workers", "0", "--out", "fit")  # fmt: skip
    assert (tmp_path / "fit" / "manifest.json").is_file()
