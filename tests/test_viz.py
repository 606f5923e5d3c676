"""Teaching views: the data behind the figures, the page's model and controls, the gallery command."""

import json
import shutil
import xml.etree.ElementTree as ElementTree

import matplotlib.image
import numpy as np
import pandas as pd
import pytest

from simulation.cli import main
from simulation.config import PARAMETERS, Params
from simulation.formats import FORMATS
from simulation.model import AllianceModel
from simulation.presets import PRESETS
from simulation.viz import data
from simulation.viz.classroom import PAGE_SETTINGS, Classroom
from simulation.viz.gallery import GALLERY_FILES, gallery_files


def sessions_of(rows: list[tuple[int, int, bool, bool]]) -> pd.DataFrame:
    """A sessions table from (client_id, session, rupture, rupture_resolved) rows."""
    return pd.DataFrame(rows, columns=["client_id", "session", "rupture", "rupture_resolved"])


def test_rupture_events_pair_each_rupture_with_its_resolution():
    """Known answer: client 1 repairs a rupture in the session it began, then has one never repaired;
    client 2 repairs one two sessions after it began; the next rupture starts a new count."""
    sessions = sessions_of(
        [
            *[(1, 1, False, False), (1, 2, True, True), (1, 3, False, False), (1, 4, True, False)],
            *[(1, 5, False, False), (2, 1, True, False), (2, 2, False, False), (2, 3, False, True)],
            (2, 4, True, False),
        ]
    )
    events = data.rupture_events(sessions)
    assert events[["client_id", "onset"]].values.tolist() == [[1, 2], [1, 4], [2, 1], [2, 4]]
    assert events["resolved"].tolist() == [True, False, True, False]
    assert events["resolved_at"].tolist() == [2, pd.NA, 3, pd.NA]
    assert events["noticed"].isna().all()  # the tables do not record noticing


def test_dropout_survival_is_kaplan_meier_with_planned_endings_censored():
    """Known answer: dropouts after sessions 2 and 3, planned endings after 3 and 5; Greenwood's
    interval after the first dropout: 0.75 +- 1.96 x 0.75 x sqrt(1 / (4 x 3))."""
    clients = pd.DataFrame({"sessions_scheduled": [2, 3, 3, 5], "dropped_out": [True, True, False, False]})
    groups = pd.Series(pd.Categorical(["a", "a", "b", "b"]))
    curves = data.dropout_survival(clients, groups)
    assert curves[("all clients", "share")].tolist() == pytest.approx([1, 1, 0.75, 0.5, 0.5, 0.5])
    assert curves[("a", "share")].tolist() == pytest.approx([1, 1, 0.5, 0.0, 0.0, 0.0])
    assert curves[("b", "share")].tolist() == pytest.approx([1.0] * 6)
    half = 1.96 * 0.75 * (1 / 12) ** 0.5
    assert curves.loc[2, ("all clients", "low")] == pytest.approx(0.75 - half)
    assert curves.loc[2, ("all clients", "high")] == 1.0  # clipped to 0-1


def test_split_dropout_counts_each_family_week_once_and_its_dropout_at_the_last():
    """Known answer: family 1 (split rising 0.1, 0.2, 0.3 over sessions 4-6) drops out after session 6;
    family 2 (0.0, 0.05) ends as planned after session 5. Members repeat the family's split; each week
    counts once; the first three sessions (early dropout) are left out."""
    sessions = pd.DataFrame(
        {
            "unit_id": [1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2],
            "session": [3, 4, 4, 5, 5, 6, 6, 4, 4, 5, 5],
            "split": [0.9, 0.1, 0.1, 0.2, 0.2, 0.3, 0.3, 0.0, 0.0, 0.05, 0.05],
        }
    )
    families = pd.DataFrame({"unit_id": [1, 2], "dropped_out": [True, False], "sessions_scheduled": [6, 5]})
    table = data.split_dropout(sessions, families)
    assert table["family_sessions"].tolist() == [1] * 5 and table["dropouts"].tolist() == [0, 0, 0, 0, 1]
    assert table["split"].iloc[-1] == "highest (0.30-0.30)"
    assert (table["low"] <= table["rate"]).all() and (table["rate"] <= table["high"]).all()
    assert table["low"].min() >= 0 and table["high"].max() <= 1


def test_cohesion_by_session_splits_members_by_net_witnessing():
    """Known answer: member 1 (net witnessing < 0) and members 2, 3 (>= 0); a missed session (member 3
    at session 2) does not count."""
    sessions = pd.DataFrame(
        {
            "client_id": [1, 1, 2, 2, 3, 3],
            "session": [1, 2, 1, 2, 1, 2],
            "attended": [True, True, True, True, True, False],
            "cohesion": [0.4, 0.3, 0.5, 0.7, 0.7, 0.9],
        }
    )
    clients = pd.DataFrame({"client_id": [1, 2, 3], "witnessed": [-0.1, 0.0, 0.05]})
    table = data.cohesion_by_session(sessions, clients).set_index(["group", "session"])
    lost, kept = data.WITNESS_GROUPS
    assert table.loc[(lost, 2), "mean"] == pytest.approx(0.3) and table.loc[(kept, 1), "mean"] == pytest.approx(0.6)
    assert table.loc[(kept, 2), "n"] == 1 and table.loc[(kept, 2), "members"] == 2
    assert table.loc[(kept, 1), "low"] == pytest.approx(0.55) and table.loc[(kept, 1), "high"] == pytest.approx(0.65)


def test_repaired_ruptures_leave_the_alliance_higher_than_unrepaired_ones(cohort):
    """The V shape in the default cohort (800 clients, seed 11): two sessions after onset, ruptures
    repaired in a later session sit above their pre-rupture level and above those never repaired;
    at the onset both of those dipped below it."""
    shape = data.v_shape(cohort.sessions).set_index(["group", "offset"])["mean"]
    later, never = data.V_GROUPS[0], data.V_GROUPS[2]
    assert shape[later, 0] < 0 and shape[never, 0] < 0
    assert shape[later, 2] > 0 and shape[later, 2] > shape[never, 2] + 0.05


def test_outcome_and_therapist_summaries_are_shares(cohort):
    """Terciles split the clients in three near-equal groups; each group's outcome shares sum to 1;
    the dose-response shares are shares and fewer clients attend later sessions."""
    terciles = data.therapist_tercile(cohort.clients, cohort.therapists, "repair_skill")
    sizes = terciles.value_counts().to_numpy()
    assert len(sizes) == 3 and sizes.max() - sizes.min() <= 1
    shares = data.outcomes_by(terciles, cohort.clients["outcome"])
    assert np.allclose(shares.sum(axis=1), 1.0) and list(shares.columns)[-1] == "dropped_out"
    dose = data.dose_response(cohort.sessions, cohort.clients)
    assert dose["improved"].between(0, 1).all() and dose["n"].iloc[-1] < dose["n"].iloc[0]


def test_classroom_follows_a_client_exactly_as_the_tables_record_it():
    """The page's trace of the followed client matches that client's rows of the sessions table,
    and the twin is the same cohort with repair switched (same clients: same intake)."""
    model = Classroom(n_clients=120, seed=4, follow_attachment="anxious")
    model.run_model()
    trace = model.trajectory(model).sessions
    client_id = int(trace["client_id"].iloc[0])
    tables = model.tables()
    assert tables.clients.set_index("client_id").loc[client_id, "attachment"] == "anxious"
    rows = tables.sessions[tables.sessions["client_id"] == client_id].reset_index(drop=True)
    assert trace["session"].tolist() == rows["session"].tolist()
    for column in ("bond", "goal", "task"):
        assert np.allclose(trace[column], rows[column], atol=1e-6)
    for column in ("rupture", "rupture_resolved"):
        assert trace[column].tolist() == rows[column].tolist()
    assert model.twin.params == model.params.replace(repair_enabled=False)
    assert model.twin.tables().clients["ors_intake"].equals(tables.clients["ors_intake"])
    assert list(model.outcomes().index) == ["repair on", "repair off"]


@pytest.mark.parametrize(
    ("format_name", "figure", "unit"), [("group", "cohesion", "group"), ("family", "split", "family")]
)
def test_classroom_follows_a_member_of_a_group_or_family(format_name, figure, unit):
    """In a group or family the page follows a member: its trace carries the unit's figure exactly as
    the sessions table records it on that member's rows, the title names the unit, and the twin is
    the same format with repair switched."""
    model = Classroom(n_clients=48, seed=4, format=format_name, follow_modality="online")
    model.run_model()
    trajectory = model.trajectory(model)
    assert trajectory.unit_figure == figure and f"{unit} " in trajectory.title
    client_id = int(trajectory.sessions["client_id"].iloc[0])
    sessions = model.tables().sessions
    rows = sessions[sessions["client_id"] == client_id]
    assert np.allclose(trajectory.sessions[figure], rows[figure], atol=1e-6)
    assert model.twin.format is model.format and not model.twin.params.repair_enabled
    assert model.twin.tables().sessions[figure].notna().all()


def test_classroom_keeps_a_presets_value_unless_a_control_moves_it():
    """A control at its default leaves the preset's value; a moved one wins; the cohort is the
    model Mesa steps (time advances one session per step, both cohorts together)."""
    preset = PRESETS["reparative"].overrides
    model = Classroom(preset="reparative", attunement_mean=PARAMETERS["attunement_mean"].default, repair_skill_mean=0.3)
    assert model.params.attunement_mean == preset["attunement_mean"]
    assert model.params.repair_skill_mean == 0.3
    model.step()
    assert model.time == 1 and model.twin.time == 1
    assert len(model.datacollector.get_model_vars_dataframe()) == 2  # intake and session 1


def test_controls_come_from_the_parameter_definitions():
    """Every control of the page starts at its parameter's default (simulation.config.PARAMETERS) or
    its page setting's, and a parameter's label names its unit."""
    from simulation.app import CONTROLLED, INITIAL, label

    for name in CONTROLLED:
        spec = PARAMETERS[name]
        assert INITIAL[name] == spec.default
        assert spec.kind is bool or f"({spec.unit})" in label(name)
    assert {name: INITIAL[name] for name in PAGE_SETTINGS} == {name: s.default for name, s in PAGE_SETTINGS.items()}
    assert PAGE_SETTINGS["preset"].choices == tuple(PRESETS)
    assert PAGE_SETTINGS["format"].choices == tuple(FORMATS) and INITIAL["format"] == "individual"


def test_each_view_draws_text_as_text_for_every_format():
    """The page's views are inline SVG whose text stays text (the browser test measures its size),
    with the unit's figure on its own axis in a group or family, at every stage of a run."""
    from simulation.app import VIEWS

    for format_name in FORMATS:
        model = Classroom(n_clients=60, format=format_name)
        for _ in range(2):
            for view in VIEWS:
                svg = view.svg(model)
                assert svg.startswith("<svg") and "<text" in svg and 'style="width:100%' in svg
            while model.running:
                model.step()
        unit_label = FORMATS[format_name].unit_figure_label
        assert not unit_label or unit_label.split("\n")[-1] in VIEWS[0].svg(model)


def test_the_page_says_when_no_client_fits_the_follow_rule():
    """Seed 6 has no avoidant client seen online whose rupture is repaired in a later week: the page
    says so and follows the first avoidant online client; at seed 5 one fits and nothing is said."""
    for seed, fits in ((6, False), (5, True)):
        model = Classroom(seed=seed, follow_attachment="avoidant", follow_modality="online")
        client = model.traces[model].client
        assert (client.attachment, client.modality) == ("avoidant", "online")
        assert bool(model.follow_note) is not fits
        if not fits:
            first = next(c for c in model.clients_by_row if (c.attachment, c.modality) == ("avoidant", "online"))
            assert client.row == first.row and "no avoidant online client" in model.follow_note.lower()


def test_the_page_imports_and_builds_its_model():
    """As Mesa tests its examples: the app module imports and its page's model steps."""
    from simulation import app

    assert app.page is not None
    model = Classroom(n_clients=60)
    model.step()
    assert isinstance(model, AllianceModel) and model.params == Params()


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "run"
    assert main(["run", "--clients", "400", "--seed", "5", "--out", str(out)]) == 0
    return out


def test_figures_writes_every_figure_as_png_and_svg(run_dir, tmp_path, capsys):
    out = tmp_path / "gallery"
    assert main(["figures", str(run_dir), "--out", str(out)]) == 0
    assert "Wrote" in capsys.readouterr().out
    assert sorted(path.name for path in out.iterdir()) == sorted(GALLERY_FILES)
    assert all(drawn(out / name) for name in GALLERY_FILES)
    again = tmp_path / "again"
    assert main(["figures", str(run_dir), "--out", str(again)]) == 0
    assert all((out / name).read_bytes() == (again / name).read_bytes() for name in GALLERY_FILES)


@pytest.fixture(scope="module", params=["group", "family"])
def format_run_dir(request, tmp_path_factory):
    """A small group or family run (160 members, seed 7)."""
    out = tmp_path_factory.mktemp(request.param) / "run"
    assert main(["run", "--format", request.param, "--clients", "160", "--seed", "7", "--out", str(out)]) == 0
    return request.param, out


def drawn(path) -> bool:
    """A PNG with something drawn on it, or an SVG that parses."""
    if path.suffix == ".png":
        pixels = matplotlib.image.imread(path)
        return pixels.shape[0] > 200 and pixels[..., :3].std() > 0.05
    return ElementTree.parse(path).getroot().tag.endswith("svg")


def test_figures_of_a_group_or_family_run_add_the_formats_figure(format_run_dir, tmp_path):
    """A group run's gallery adds cohesion, a family run's split_dropout, beside every usual figure;
    the format is found from the manifest, or from the unit table when the manifest does not name it."""
    format_name, run_dir = format_run_dir
    extra = {"group": "cohesion", "family": "split_dropout"}[format_name]
    expected = gallery_files(format_name)
    assert set(expected) - set(GALLERY_FILES) == {f"{extra}.png", f"{extra}.svg"}
    assert main(["figures", str(run_dir), "--out", str(tmp_path / "gallery")]) == 0
    assert sorted(path.name for path in (tmp_path / "gallery").iterdir()) == sorted(expected)
    assert all(drawn(tmp_path / "gallery" / name) for name in expected)

    unnamed = tmp_path / "unnamed"
    shutil.copytree(run_dir, unnamed)
    manifest = json.loads((unnamed / "manifest.json").read_text())
    del manifest["format"]
    (unnamed / "manifest.json").write_text(json.dumps(manifest))
    assert main(["figures", str(unnamed), "--out", str(tmp_path / "again")]) == 0
    assert (tmp_path / "again" / f"{extra}.png").read_bytes() == (tmp_path / "gallery" / f"{extra}.png").read_bytes()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["figures", "{missing}", "--out", "{out}"], "does not exist"),
        (["figures", "{empty}", "--out", "{out}"], "is not a run directory"),
        (["figures", "{run}"], "needs --out"),
        (["figures", "{tiny}", "--out", "{out}"], "needs at least 10"),
    ],
)
def test_figures_refuses_bad_input_with_one_line(arguments, message, run_dir, tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["run", "--clients", "1", "--out", str(tmp_path / "tiny")]) == 0
    capsys.readouterr()
    paths = {"missing": tmp_path / "nope", "empty": tmp_path / "empty", "out": tmp_path / "out", "run": run_dir}
    paths["tiny"] = tmp_path / "tiny"
    assert main([argument.format(**paths) for argument in arguments]) == 2
    error = capsys.readouterr().err
    assert message in error and error.count("\n") == 1
    assert not (tmp_path / "out").exists()


def test_figures_does_not_overwrite_without_overwrite(run_dir, tmp_path, capsys):
    out = tmp_path / "gallery"
    out.mkdir()
    (out / "v_shape.png").write_bytes(b"keep")
    assert main(["figures", str(run_dir), "--out", str(out)]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert (out / "v_shape.png").read_bytes() == b"keep" and len(list(out.iterdir())) == 1
    assert main(["figures", str(run_dir), "--out", str(out), "--overwrite"]) == 0
    assert (out / "v_shape.png").read_bytes() != b"keep"


def test_app_refuses_a_port_in_use(capsys):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["app", "--port", str(port)]) == 2
    assert f"--port {port} is in use" in capsys.readouterr().err
