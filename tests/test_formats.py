"""The group and family formats (simulation.formats): their mechanisms, tables, determinism, chunking
and stacking invariance, bounds and refusals. The individual format's results are pinned by
tests/baseline.json."""

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from simulation.backend import namespace
from simulation.calibration import calibrate_format, format_target
from simulation.cli import main
from simulation.config import Params
from simulation.formats import FormatError, get_format
from simulation.formats.base import Members
from simulation.formats.family import family_figures
from simulation.runs import Course, Rows, Run, _compact, simulate_rows
from simulation.store import run_files
from simulation.tables import build_tables, simulate, simulate_runs

xp = namespace("numpy")
NO_MEMBER_RUPTURES = dict(member_rupture_base_logit=-10.0, member_rupture_tie_weight=0.0)


@pytest.fixture(scope="module")
def groups():
    """400 members in open groups of 8 (seed 3)."""
    return simulate(Params(open_groups=True), 400, 3, format="group")


@pytest.fixture(scope="module")
def families():
    """600 members in families of 3 (seed 4)."""
    return simulate(Params(), 600, 4, format="family")


@pytest.mark.parametrize(
    "overrides",
    [
        dict(repair_enabled=False, witness_repair_gain=0.0, rupture_base_logit=-1.0),
        dict(witness_unresolved_loss=0.0, rupture_base_logit=-1.0, attunement_mean=1.0, repair_base_logit=10.0),
    ],
    ids=["unresolved", "repaired"],
)
def test_witnessed_ruptures_change_the_cohesion_of_the_others(overrides):
    """Each session, a member who attends loses witness_unresolved_loss for every rupture of another
    member of the group left unresolved that session, and gains witness_repair_gain for every one
    repaired; their own ruptures do not count. Checked against a count made here with bincount, on the
    array kernel, whose record is per row (the fused kernel gives its tables: tests/test_fused.py)."""
    params = Params(**overrides, **NO_MEMBER_RUPTURES)
    runs = [Run(params, 40, 3, "group")]
    course = Course(runs, Rows.of_runs(runs), "numpy", compact=False)
    group = course.rows.unit
    seen = 0.0
    while course.running:
        unresolved, witnessed = course.state.unresolved.copy(), course.own.witnessed.copy()
        record = course.advance()
        expired = (course.state.unresolved > unresolved).astype(float)
        resolved = record.rupture_resolved.astype(float)
        others_expired = np.bincount(group, weights=expired)[group] - expired
        others_resolved = np.bincount(group, weights=resolved)[group] - resolved
        change = params.witness_repair_gain * others_resolved - params.witness_unresolved_loss * others_expired
        expected = np.clip(witnessed + record.attended * change, -1.0, 1.0)
        np.testing.assert_allclose(course.own.witnessed, expected)
        seen += float(np.sum(record.attended * np.abs(change)))
    assert seen > 0.1  # the rule acted
    assert (
        (course.own.witnessed < 0).any()
        if overrides.get("repair_enabled") is False
        else (course.own.witnessed > 0).any()
    )


def test_unresolved_ruptures_seen_lower_the_groups_cohesion():
    """The same members without repair (unresolved ruptures, seen by the others) end with lower cohesion,
    and lower still when witnessing costs more."""
    base = Params(repair_enabled=False)
    cohesion = [
        simulate(base.replace(witness_unresolved_loss=loss), 400, 6, format="group").clients["cohesion_mean"].mean()
        for loss in (0.0, 0.05, 0.2)
    ]
    assert cohesion[0] > cohesion[1] > cohesion[2]


def test_a_larger_split_raises_family_dropout():
    """The same families (common random numbers) drop out more often the more the split counts, and
    the split is the range of the members' alliances."""
    dropout = [
        simulate(Params(split_dropout_weight=weight), 900, 8, format="family").units["dropped_out"].mean()
        for weight in (0.0, 3.0, 8.0)
    ]
    assert dropout[0] < dropout[1] < dropout[2]
    members = Members(xp, np.array([0, 1, 2, 0, 1]), np.array([3, 3, 3, 2, 2]), np.ones(5, dtype=np.int16), 3)
    alliance = np.array([0.2, 0.5, 0.9, 0.6, 0.6])
    shared, split = family_figures(xp, members, alliance, np.array([True, True, True, True, False]))
    np.testing.assert_allclose(split, [0.7, 0.7, 0.7, 0.0, 0.0])  # one member in therapy: no split
    np.testing.assert_allclose(shared, [1.6 / 3 * 0.3] * 3 + [0.6, 0.6])  # mean x (1 - split)


def test_siding_lifts_one_member_and_lowers_the_others():
    """A less neutral therapist sides with one member per family (the same members: the draw does not
    depend on neutrality): that member's early alliance rises, the others' falls."""
    neutral, partial = (
        simulate(Params(therapist_neutrality=value, siding_effect=0.3), 900, 9, format="family").clients
        for value in (1.0, 0.0)
    )
    assert (neutral["sided_with"] == partial["sided_with"]).all() and partial["sided_with"].any()
    sided = partial["sided_with"]
    assert partial.loc[sided, "alliance_early"].mean() > neutral.loc[sided, "alliance_early"].mean() + 0.02
    assert partial.loc[~sided, "alliance_early"].mean() < neutral.loc[~sided, "alliance_early"].mean() - 0.02


def test_a_family_ends_together(families):
    units = families.clients.groupby("unit_id")
    assert (units["sessions_scheduled"].nunique() == 1).all()
    assert (units["dropped_out"].nunique() == 1).all()
    assert (units["dropout_cause"].nunique() == 1).all()
    # the checks above are not vacuous: some families leave together, most stay to the end (share of
    # families that dropped out, 600 members in families of 3, seed 4: 0.385)
    assert 0.2 < families.units["dropped_out"].mean() < 0.6
    assert list(families.clients["role"][:3]) == ["parent", "adolescent", "parent"]


@pytest.mark.parametrize(
    ("family_size", "clients", "last_family"),
    [
        (5, 7, ["parent", "adolescent"]),
        (3, 8, ["parent", "adolescent"]),
        (4, 7, ["parent", "adolescent", "parent"]),
        (2, 5, ["partner"]),
    ],
)
def test_a_remainder_family_takes_the_first_roles_of_a_full_family(family_size, clients, last_family):
    """The last family of a cohort holds the remainder: it takes the first places of a full family
    (a couple only in the couple format, family_size 2); the unit table names the same roles."""
    tables = simulate(Params(family_size=family_size), clients, 1, format="family")
    full = {2: ["partner"] * 2, 3: ["parent", "adolescent", "parent"]}.get(
        family_size, ["parent", "adolescent", "parent", "sibling", "sibling"][:family_size]
    )
    roles = tables.clients.groupby("unit_id")["role"].agg(list)
    assert list(roles.iloc[0]) == full and list(roles.iloc[-1]) == last_family
    assert list(tables.units["roles"]) == [",".join(members) for members in roles]


def test_stacked_runs_of_other_family_sizes_keep_each_runs_roles():
    """A family of two is a couple in a run of family_size 2 and a parent with an adolescent in a run
    of family_size 5, in one pass: each run's unit table names its own roles."""
    units = simulate_runs(
        [Run(Params(family_size=2), 4, 1, "family"), Run(Params(family_size=5), 7, 2, "family")]
    ).units
    assert list(units["roles"]) == [
        "partner,partner",
        "partner,partner",
        "parent,adolescent,parent,sibling,sibling",
        "parent,adolescent",
    ]


def test_roles_shift_motivation_and_resistance(families):
    clients = families.clients
    by_role = clients.groupby("role", observed=True)[["motivation", "resistance"]].mean()
    assert by_role.loc["adolescent", "motivation"] < by_role.loc["parent", "motivation"] - 0.15
    assert by_role.loc["adolescent", "resistance"] > by_role.loc["parent", "resistance"] + 0.15


def test_open_groups_admit_members_later_without_gaps(groups):
    """Half the seats start at session 1, the others join one every admission_interval sessions; each
    member's rows run from their first session without gaps, member_session counting from 1."""
    sessions, clients = groups.sessions, groups.clients
    assert sorted(clients["first_session"].unique()) == [1, 4, 7, 10, 13]
    first = sessions.groupby("client_id")["session"].agg(["min", "max", "count"])
    assert (first["min"].to_numpy() == clients["first_session"].to_numpy()).all()
    assert (first["max"] - first["min"] + 1 == first["count"]).all()
    assert (
        sessions["member_session"]
        == sessions["session"] - sessions["client_id"].map(clients.set_index("client_id")["first_session"]) + 1
    ).all()
    assert sessions.groupby("client_id")["member_session"].max().le(Params().course_length).all()


def test_group_and_family_figures_stay_in_bounds(groups, families):
    assert groups.sessions["cohesion"].between(0, 1).all()
    assert families.sessions["shared_alliance"].between(0, 1).all() and families.sessions["split"].between(0, 1).all()
    for tables in (groups, families):
        assert tables.sessions["alliance"].between(0, 1).all()
        assert tables.clients["ors_final"].between(0, 40).all()
        assert tables.units["size"].sum() == len(tables.clients)


def test_member_ties_are_symmetric_and_in_bounds():
    runs = [Run(Params(member_rupture_base_logit=-2.0), 43, 5, "group")]
    course = Course(runs, Rows.of_runs(runs), compact=False)
    while course.running:
        course.advance()
    ties, member, unit = course.own.ties, course.rows.member, course.rows.unit
    assert ((ties >= 0) & (ties <= 1)).all() and course.own.member_ruptures.sum() > 0
    for row in range(len(member)):
        for j in range(course.rows.size[row]):
            other = row - member[row] + j
            assert unit[other] == unit[row] and ties[row, j] == ties[other, member[row]]


@pytest.mark.parametrize("format_name", ["group", "family"])
def test_same_seed_same_tables_other_seed_other_tables(format_name):
    first, again, other = (simulate(Params(), 200, seed, format=format_name) for seed in (2, 2, 3))
    for name in ("sessions", "clients", "units"):
        pd.testing.assert_frame_equal(getattr(first, name), getattr(again, name), check_exact=True)
    assert not first.clients["change"].equals(other.clients["change"])


@pytest.mark.parametrize(("format_name", "overrides"), [("group", dict(open_groups=True)), ("family", {})])
def test_chunks_at_unit_boundaries_and_stacking_equal_the_whole_run(format_name, overrides):
    params = Params(**overrides)
    runs = [Run(params, 205, 9, format_name)]
    whole = build_tables(runs, simulate_rows(runs, Rows.of_runs(runs)), with_therapists=False)
    step = get_format(format_name).aligned_chunk(params, 50)
    pieces = [
        build_tables(runs, simulate_rows(runs, Rows.of_runs(runs, start, start + step)), with_therapists=False)
        for start in range(0, 205, step)
    ]
    for name in ("sessions", "clients", "units"):
        joined = pd.concat([getattr(piece, name) for piece in pieces], ignore_index=True)
        pd.testing.assert_frame_equal(joined, getattr(whole, name), check_exact=True)  # same bytes, not close
    # stacked with a run of another unit size (and a remainder unit): the pass is as wide as its
    # widest unit, and a unit's figures must not depend on that width
    other_size = {"group": dict(group_size=13), "family": dict(family_size=2)}[format_name]
    stacked = simulate_runs([Run(params.replace(siding_effect=0.5, **other_size), 90, 1, format_name), runs[0]])
    alone = simulate(params, 205, 9, format=format_name)
    for name in ("sessions", "clients", "units"):
        mine = getattr(stacked, name)
        pd.testing.assert_frame_equal(
            mine[mine["run"] == 1].drop(columns="run").reset_index(drop=True), getattr(alone, name), check_exact=True
        )


def test_a_pass_that_would_split_a_unit_is_refused():
    runs = [Run(Params(), 100, 1, "group")]
    with pytest.raises(ValueError, match="unit boundary"):
        Rows.of_runs(runs, 4, 50)


def test_compaction_refuses_an_undeclared_matrix():
    @dataclass(frozen=True)
    class WithMatrix:
        row: np.ndarray
        matrix: np.ndarray

    value = WithMatrix(np.arange(3), np.zeros((3, 2)))
    with pytest.raises(TypeError, match="cannot compact field 'matrix'"):
        _compact(xp, value, np.array([0, 2]))
    kept = _compact(xp, value, np.array([0, 2]), row_matrices=("matrix",))
    assert kept.matrix.shape == (2, 2)


def test_runs_of_two_formats_cannot_share_a_pass_and_unknown_formats_are_refused():
    with pytest.raises(FormatError, match="unknown format 'couple'; choose one of: individual, group, family"):
        Run(Params(), 10, 1, "couple")
    runs = [Run(Params(), 10, 1, "group"), Run(Params(), 10, 1, "family")]
    with pytest.raises(ValueError, match="cannot share a pass"):
        simulate_runs(runs)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--format", "dyad"], "unknown format 'dyad'"),
        (["--format", "group", "--set", "group_size=1"], "group_size must be a whole number from 2 to 16"),
        (["--format", "family", "--set", "family_size=7"], "family_size must be a whole number from 2 to 5"),
    ],
)
def test_bad_format_input_gets_one_line_and_exit_2(tmp_path, capsys, arguments, message):
    out = tmp_path / "out"
    assert main(["run", "--clients", "20", "--out", str(out), *arguments]) == 2
    error = capsys.readouterr().err
    assert message in error and error.count("\n") == 1
    assert not out.exists()


@pytest.mark.parametrize(("format_name", "unit_file"), [("group", "groups.parquet"), ("family", "families.parquet")])
def test_run_writes_the_unit_table_and_names_the_format(tmp_path, format_name, unit_file):
    import json

    out = tmp_path / format_name
    assert main(["run", "--format", format_name, "--clients", "60", "--out", str(out)]) == 0
    assert (out / unit_file).exists() and json.loads((out / "manifest.json").read_text())["format"] == format_name
    clients = pd.read_parquet(out / "clients.parquet")
    assert {"format", "unit_id"} <= set(clients.columns) and (clients["format"] == format_name).all()
    assert len(pd.read_parquet(out / unit_file)) == clients["unit_id"].nunique()


@pytest.mark.parametrize("format_name", ["group", "family"])
def test_calibration_row_in_band_and_mechanism_checks_hold(format_name):
    """The group (r .10-.25) and family (r .20-.40) rows of docs/calibration.md, on the calibration
    cohort (4,000 members), with the calibrated defaults; and the format's mechanism checks."""
    report = calibrate_format(format_name)
    target = format_target(format_name)
    assert target.low <= report.value <= target.high
    assert all(ok for _, ok in report.checks), report.checks


@pytest.mark.parametrize("format_name", ["group", "family"])
def test_mesa_model_has_unit_agents_and_equals_the_batch_path(format_name):
    """AllianceModel(format=...) has one Group or Family agent per unit, whose members are the client
    views; run to the end, its tables equal the batch path's (which compacts rows, the model does not)."""
    from simulation.model import AllianceModel

    model = AllianceModel(n_clients=45, seed=3, format=format_name)
    unit = model.units_by_index[0]
    assert [member.client_id for member in unit.members] == list(
        range(1, get_format(format_name).unit_size(Params()) + 1)
    )
    assert all(member.unit is unit for member in unit.members)
    if format_name == "group":
        model.run_for(4)
        graph = unit.ties_graph()
        size = Params().group_size
        assert graph.number_of_nodes() == size and graph.number_of_edges() == size * (size - 1) // 2
        assert all(0 <= weight <= 1 for _, _, weight in graph.edges(data="weight"))
    else:
        assert unit.roles == ["parent", "adolescent", "parent"]
    while model.running:
        model.step()
    tables, batch = model.tables(), simulate(Params(), 45, 3, format=format_name)
    for name in ("sessions", "clients", "units"):
        pd.testing.assert_frame_equal(getattr(tables, name), getattr(batch, name), check_exact=True)


def test_calibrate_shows_the_format_row(tmp_path, capsys):
    import json

    assert main(["calibrate", "--format", "family", "--clients", "300", "--out", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    assert format_target("family").label in text and "300 members in the family format" in text
    saved = json.loads((tmp_path / "calibration.json").read_text())
    assert saved["format"] == "family" and "family_alliance_r" in saved["values"]


@pytest.mark.parametrize("format_name", ["group", "family"])
def test_run_files_do_not_depend_on_the_chunk_size(tmp_path, format_name):
    """Every file of `alliance run`, the unit table included, is the same bytes with chunks of one unit
    or one chunk (the unit means are summed over each unit's own rows)."""
    for name, chunk in (("small", "7"), ("whole", "100000")):
        arguments = ["run", "--format", format_name, "--clients", "301", "--chunk", chunk, "--seed", "1"]
        assert main([*arguments, "--out", str(tmp_path / name)]) == 0
    files = sorted(path.name for path in (tmp_path / "whole").glob("*.parquet"))
    assert len(files) == 4
    for file in files:
        assert (tmp_path / "small" / file).read_bytes() == (tmp_path / "whole" / file).read_bytes(), file


def test_a_folder_never_mixes_two_formats(tmp_path, capsys):
    """Another format's unit table counts as an existing output: refused without --overwrite, removed
    with it, so the folder holds one run."""
    out = str(tmp_path / "run")
    assert main(["run", "--format", "group", "--clients", "40", "--out", out]) == 0
    assert main(["run", "--clients", "40", "--out", out]) == 2
    assert "already exists" in capsys.readouterr().err and (tmp_path / "run" / "groups.parquet").exists()
    assert main(["run", "--clients", "40", "--out", out, "--overwrite"]) == 0
    assert sorted(path.name for path in (tmp_path / "run").iterdir()) == sorted(run_files("individual"))
