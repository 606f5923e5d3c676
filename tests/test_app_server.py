"""The teaching page as a server: what the browser sends is clamped to the controls' ranges before
it reaches the model, only the page's own origin may open its websocket, a missing extra is refused
with one line, and ``alliance app`` stops on SIGTERM and SIGINT and frees its port."""

from __future__ import annotations

import math
import signal
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from simulation.cli import main
from simulation.config import PARAMETERS, PRESETS
from simulation.viz.classroom import PAGE_SETTINGS, Classroom, PageClassroom

pytest.importorskip("solara", reason="the page needs the app extra (pip install -e '.[all,test]')")
from app_process import ServedPage, port_is_free
from mesa.visualization.solara_viz import _build_model_init_kwargs
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

HIGH, LOW = PARAMETERS["attunement_mean"].high, PARAMETERS["empathy_mean"].low


def reset_with(received: dict) -> PageClassroom:
    """The model that SolaraViz's Reset builds from ``received`` control values (simulation.app's page)."""
    from simulation.app import page

    model = page.args[0]
    assert type(model) is PageClassroom
    return type(model)(**_build_model_init_kwargs(model, received, add_scenario_when_empty=True,
                                                  require_model_accepts_scenario=True))  # fmt: skip


def test_reset_clamps_every_value_the_browser_sends():
    """Out-of-range, huge, NaN, infinite and wrong-typed values reach the model clamped to their
    control's range (a number) or as the control's default (anything else); unknown names are dropped."""
    model = reset_with(
        {
            "n_clients": 20_000_000,
            "seed": 10**400,
            "attunement_mean": math.inf,
            "empathy_mean": -1e308,
            "repair_skill_mean": math.nan,
            "challenge_mean": "0.9",
            "defensiveness_mean": True,
            "repair_enabled": "false",
            "preset": "../../etc/passwd",
            "format": {"name": "group"},
            "follow_attachment": ["anxious"],
            "unknown_setting": 1,
        }
    )
    cohort = PAGE_SETTINGS["n_clients"]
    assert len(model.clients_by_row) == len(model.twin.clients_by_row) == cohort.high
    assert model.runs[0].seed == PAGE_SETTINGS["seed"].high
    assert model.params.attunement_mean == HIGH and model.params.empathy_mean == LOW
    working = PRESETS[PAGE_SETTINGS["preset"].default].overrides
    for name in ("repair_skill_mean", "challenge_mean", "defensiveness_mean", "repair_enabled"):
        assert getattr(model.params, name) == working.get(name, PARAMETERS[name].default), name
    assert model.format.name == PAGE_SETTINGS["format"].default


@pytest.mark.parametrize(
    ("setting", "received", "expected"),
    [
        ("n_clients", -5, 50),
        ("n_clients", 449.6, 450),
        ("n_clients", float("-inf"), 50),
        ("n_clients", "300000", 300),
        ("seed", 3.7, 4),
        ("seed", None, 1),
        ("preset", "reparative", "reparative"),
        ("preset", 7, "working"),
        ("follow_modality", "online", "online"),
    ],
)
def test_a_page_setting_is_clamped_to_its_control(setting, received, expected):
    assert PAGE_SETTINGS[setting].clamp(received) == expected


def test_values_inside_the_ranges_reach_the_model_unchanged():
    """Clamping changes nothing the controls can send: the page's model equals the plain Classroom."""
    chosen = {"n_clients": 100, "seed": 7, "format": "family", "attunement_mean": 0.61, "repair_enabled": False}
    page_model, plain = reset_with(chosen), Classroom(**chosen)
    assert page_model.params == plain.params and page_model.runs == plain.runs


def test_app_without_solara_is_refused_with_one_line(monkeypatch, capsys):
    """Without the app extra, ``alliance app`` names the extra to install (exit 2, no traceback)."""
    monkeypatch.setitem(sys.modules, "solara", None)  # import solara now raises ModuleNotFoundError
    assert main(["app", "--port", "8765"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "alliance-dynamics[app]" in error


def test_sweep_on_a_cluster_without_dask_is_refused_with_one_line(monkeypatch, capsys, tmp_path):
    monkeypatch.setitem(sys.modules, "distributed", None)
    study = Path(__file__).parents[1] / "experiments" / "smoke.toml"
    status = main(["sweep", str(study), "--out", str(tmp_path / "out"), "--scheduler", "tcp://127.0.0.1:1"])
    error = capsys.readouterr().err
    assert status == 2 and error.count("\n") == 1 and "alliance-dynamics[dask]" in error
    assert not (tmp_path / "out").exists()


@pytest.fixture(scope="module")
def served():
    page = ServedPage()
    yield page
    page.stop()


def websocket(page: ServedPage, host: str, origin: str | None) -> bool:
    """Whether the page's kernel websocket opens from ``origin`` (None: no Origin header) at ``host``."""
    url = f"ws://{host}:{page.port}/jupyter/api/kernels/test-kernel/channels?session_id=test-page"
    try:
        with connect(url, origin=origin, open_timeout=30):
            return True
    except InvalidStatus as refused:
        assert refused.response.status_code == 403
        return False


@pytest.mark.slow
def test_the_websocket_opens_only_from_the_pages_own_origin(served):
    """A foreign page (or a DNS-rebinding one, which names its own host) cannot open the websocket
    that drives the model; the page's own origin can, as 127.0.0.1 and as localhost."""
    own = f"http://127.0.0.1:{served.port}"
    assert websocket(served, "127.0.0.1", own)
    assert websocket(served, "localhost", f"http://localhost:{served.port}")
    assert not websocket(served, "127.0.0.1", "http://evil.example")
    assert not websocket(served, "127.0.0.1", f"http://127.0.0.1:{served.port + 1}")
    assert not websocket(served, "127.0.0.1", None)
    request = urllib.request.Request(served.address, headers={"Host": f"rebound.example:{served.port}"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    with refused.value as response:
        assert response.code == 403


@pytest.mark.slow
@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_app_stops_on_a_signal_and_frees_its_port(stop_signal):
    page = ServedPage()
    try:
        page.process.send_signal(stop_signal)
        deadline = time.monotonic() + 15
        while page.process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert page.process.poll() is not None, f"alliance app still runs 15 s after {stop_signal.name}"
        assert port_is_free(page.port)
    finally:
        page.stop()
