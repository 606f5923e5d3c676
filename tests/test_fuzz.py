"""Hostile input, kept fixed (issue 21): every bad value, file or disk is refused as the command line
promises (one line on stderr naming the option or parameter and what is valid, exit status 2, nothing
written), never with a traceback; and the edge cases that once crashed now run.

The command is called in-process (``main``), its output captured; each case is one that a hostile-but-
realistic user tried."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import json
import shutil
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import simulation.store
from simulation.cli import main
from simulation.config import PARAMETERS, ParameterError, Params, parse_value
from simulation.recipe import load_toml
from simulation.sweeps.study import SAMPLERS, STUDY_KEYS, StudyError, parse_study

NINES = "9" * 400
SMALL_RUN = ["--clients", "20"]
SMALL_GENERATE = ["--therapists", "2", "--clients-per-therapist", "5"]
SMALL_CALIBRATE = ["--clients", "100"]


def call(argv: list[str]) -> tuple[int, str]:
    """``alliance ARGV`` in this process: its exit status and what it printed on stderr."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            status = main(argv)
        except SystemExit as stop:  # argparse's own refusals
            status = stop.code
    return status, err.getvalue()


def folder_state(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` and its SHA-256 (to tell that nothing was written)."""
    if not folder.exists():
        return {}
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def assert_refused(argv: list[str], out: Path, *named: str) -> str:
    """ARGV exits 2 with one line naming each of ``named``, and ``out`` is left as it was."""
    before = folder_state(out)
    status, err = call(argv)
    lines = err.strip().splitlines()
    assert status == 2, err
    assert len(lines) == 1 and lines[0].startswith(f"alliance {argv[0]}: error: "), err
    assert "Traceback" not in err
    for name in named:
        assert name in lines[0], (name, lines[0])
    assert folder_state(out) == before
    if not before:
        assert not out.exists()
    return lines[0]


# --- --set NAME=VALUE: any strange value for any parameter ----------------------------------------

STRANGE_TEXTS = [
    "inf", "-inf", "nan", "NaN", "Infinity", "1e400", "-1e400", "1e-400", "-0", "-0.0", NINES, "-" + NINES,
    str(2**63), str(-(2**63)), "", " ", "true", "false", "yes", "on", "abc", "0x10", "1_0", "1e2", "12.0",
    "2.5", "[1]", "{}", "None", "=", "0.5", "1",
]  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(sorted(PARAMETERS)),
    text=st.one_of(
        st.sampled_from(STRANGE_TEXTS),
        st.integers().map(str),
        st.floats().map(repr),
        st.text(max_size=30),
    ),
)
def test_any_set_value_is_taken_or_refused_in_one_line(name, text):
    """``--set NAME=VALUE`` for every parameter with inf, nan, 1e400, -0, huge integers, empty and
    arbitrary strings, booleans: exit 0 with parameters.toml written (and read back to the same value),
    or exit 2 with one line naming the parameter and nothing written."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "out"
        argv = ["params", "--set", f"{name}={text}", "--out", str(out)]
        status, err = call(argv)
        assert "Traceback" not in err
        if status == 0:
            assert load_toml(out / "parameters.toml").as_dict()[name] == parse_value(name, text)
        else:
            line = assert_refused(argv, out, name)
            assert len(line) < 300  # a long value is echoed cut short


TOML_TYPED_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=10**300, max_value=10**400),
    st.floats(),
    st.text(max_size=20),
    st.lists(st.floats(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
    st.dates(),
    st.times(),
)


@settings(max_examples=300, deadline=None)
@given(name=st.sampled_from(sorted(PARAMETERS)), value=TOML_TYPED_VALUES)
def test_any_typed_value_is_taken_or_refused_in_one_line(name, value):
    """What a TOML file or a study can hand Params (any type tomllib makes, and more): a Params whose
    value is of the parameter's type, or one ParameterError line that names the parameter."""
    try:
        taken = getattr(Params().replace(**{name: value}), name)
    except ParameterError as error:
        message = str(error)
        assert "\n" not in message and name in message and len(message) < 300, message
    else:
        assert type(taken) is PARAMETERS[name].kind and taken == value


# --- whole-number and real parameters: inf, nan, 400 nines, in every place a value can come from ---

COMMANDS = {
    "run": SMALL_RUN,
    "params": [],
    "calibrate": SMALL_CALIBRATE,
    "generate": SMALL_GENERATE,
}
NON_FINITE = [("course_length", value) for value in ("inf", "-inf", "nan", NINES, "1e400")] + [
    ("repair_skill_mean", value) for value in ("nan", "inf", "-inf", NINES)
]


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("name, value", NON_FINITE)
def test_non_finite_and_huge_values_are_refused_in_every_command(tmp_path, command, name, value):
    out = tmp_path / "out"
    line = assert_refused([command, "--set", f"{name}={value}", "--out", str(out), *COMMANDS[command]], out, name)
    assert ("a whole number from 2 to 104" if name == "course_length" else "a number from 0 to 1") in line
    assert line.count("whole number") <= 1 and len(line) < 200


BAD_CONFIGS = {
    "inf whole number": ("[parameters]\ncourse_length = inf\n", "course_length must be a whole number from 2 to 104"),
    "nan real": ("[parameters]\nrepair_skill_mean = nan\n", "repair_skill_mean must be a number from 0 to 1"),
    "400 nines": (f"[parameters]\ncourse_length = {NINES}\n", "course_length must be a whole number from 2 to 104"),
    "boolean for a number": ("[parameters]\ncourse_length = true\n", "course_length must be a whole number"),
    "string for a number": ('[parameters]\ncourse_length = "12"\n', "course_length must be a whole number"),
    "table for a number": ("[parameters]\ncourse_length = { a = 1 }\n", "course_length must be a whole number"),
    "list for a number": ("[parameters]\nrepair_skill_mean = [0.5]\n", "repair_skill_mean must be a number"),
    "date for a number": ("[parameters]\nrepair_skill_mean = 1979-05-27\n", "repair_skill_mean must be a number"),
    "number for a switch": ("[parameters]\nrepair_enabled = 1\n", "repair_enabled must be true or false"),
    "nested presets": ("presets = [[1]]\n", "'presets' must be a list of preset names"),
    "presets a string": ('presets = "online"\n', "'presets' must be a list of preset names"),
    "presets of numbers": ("presets = [1]\n", "'presets' must be a list of preset names"),
    "presets a table": ("[presets]\na = 1\n", "'presets' must be a list of preset names"),
    "parameters a list": ("parameters = [1]\n", "'parameters' must be a table"),
    "binary": (b"\x00\xff\xfe\x00", "is not UTF-8 text"),
}


@pytest.mark.parametrize("command", ["run", "params"])
@pytest.mark.parametrize("case", BAD_CONFIGS)
def test_bad_config_files_are_refused_naming_the_file(tmp_path, command, case):
    content, message = BAD_CONFIGS[case]
    config = tmp_path / "config.toml"
    config.write_bytes(content if isinstance(content, bytes) else content.encode())
    out = tmp_path / "out"
    line = assert_refused([command, "--config", str(config), "--out", str(out), *COMMANDS[command]], out, message)
    assert line.count(str(config)) == 1


LONG_OPTIONS = {
    "--clients 400 nines": (["run", "--clients", NINES], "--clients must be from 1 to"),
    "--seed 400 nines": (["run", "--seed", NINES], "--seed must be from 0 to"),
    "--chunk 5000 nines": (["run", "--chunk", "9" * 5000], "--chunk must be"),
    "a long unknown parameter": (["run", "--set", f"{'x' * 500}=1"], "unknown parameter"),
    "--set without =": (["run", "--set", "x" * 500], "--set takes KEY=VALUE"),
    "--preset long": (["run", "--preset", "x" * 500], "unknown preset"),
    "--wai-schedule 5000 nines": (["generate", "--wai-schedule", "9" * 5000], "--wai-schedule must be"),
    "--wai-schedule superscript": (["generate", "--wai-schedule", "\u00b2"], "--wai-schedule must be"),
}


@pytest.mark.parametrize("case", LONG_OPTIONS)
def test_long_values_are_echoed_short(tmp_path, case):
    """One line, the value cut short (a 400-digit number was echoed whole), argparse's refusals too
    (they printed the usage first and named the option twice)."""
    argv, message = LONG_OPTIONS[case]
    out = tmp_path / "out"
    line = assert_refused([*argv, "--out", str(out)], out, message)
    assert len(line) < 300 and line.count(message.split()[0]) == 1, line


# --- cross-parameter rules and the WAI-SR schedule ---------------------------------------------------


@pytest.mark.parametrize("command", ["run", "generate", "calibrate"])
def test_the_shortest_course_runs_everywhere(tmp_path, command):
    """course_length=2 with resolution_sessions=1 is valid (resolution_sessions < course_length): every
    command runs it, without a division by zero or a numpy warning (figures undefined there are NaN)."""
    out = tmp_path / "out"
    argv = [command, "--set", "course_length=2", "--set", "resolution_sessions=1", "--out", str(out)]
    status, err = call([*argv, *COMMANDS[command]])
    assert status == 0, err
    if command == "generate":
        estimands = json.loads((out / "truth" / "parameters.json").read_text())["estimands"]
        assert estimands["within_client_alliance_to_next_ors"]["sample"] is None  # no client has two sessions to pair


def test_resolution_not_shorter_than_the_course_is_refused_naming_both(tmp_path):
    out = tmp_path / "out"
    assert_refused(
        ["run", "--set", "course_length=2", "--out", str(out), *SMALL_RUN], out, "resolution_sessions", "course_length"
    )


@pytest.mark.parametrize(
    "schedule, extra, last",
    [
        ("100", [], 12),
        ("13", [], 12),
        ("3,5,8,last", ["--set", "course_length=6"], 6),
        ("13", ["--format", "group", "--set", "open_groups=true", "--clients-per-therapist", "16"], 12),
    ],
)
def test_wai_schedule_past_the_course_is_refused_with_its_range(tmp_path, schedule, extra, last):
    out = tmp_path / "out"
    argv = ["generate", "--wai-schedule", schedule, "--out", str(out), *SMALL_GENERATE, *extra]
    assert_refused(argv, out, "--wai-schedule", f"from 1 to {last}")


def test_the_default_wai_schedule_fits_a_short_course(tmp_path):
    out = tmp_path / "out"
    status, err = call(["generate", "--set", "course_length=4", "--out", str(out), *SMALL_GENERATE])
    assert status == 0, err
    assert json.loads((out / "truth" / "parameters.json").read_text())["wai_schedule"] == "3,last"


@pytest.mark.parametrize("fmt", ["individual", "group", "family"])
@pytest.mark.parametrize("therapists, caseload", [(1, 1), (1, 2), (2, 1), (3, 2)])
def test_tiny_cohorts_generate_without_warnings(tmp_path, fmt, therapists, caseload):
    """pytest turns warnings into errors: a figure undefined for a tiny cohort is NaN, silently."""
    argv = ["generate", "--format", fmt, "--therapists", str(therapists), "--clients-per-therapist", str(caseload)]
    status, err = call([*argv, "--out", str(tmp_path / "out")])
    assert status == 0 and not err, err


# --- studies -----------------------------------------------------------------------------------------

SMALL_VARY = "[vary.repair_skill_mean]\nlevels = [0.3]\n"
LHS = '[study]\nsampler = "lhs"\n'
WHOLE = "course_length must be a whole number"
REAL = "repair_skill_mean must be a number"
BAD_STUDIES = {
    "inf level": ("[vary.course_length]\nlevels = [inf]\n", WHOLE),
    "nan level": ("[vary.repair_skill_mean]\nlevels = [nan]\n", REAL),
    "400-nines level": (f"[vary.course_length]\nlevels = [{NINES}]\n", WHOLE),
    "inf parameter": (f"[parameters]\ncourse_length = inf\n{SMALL_VARY}", WHOLE),
    "400-nines parameter": (f"[parameters]\ncourse_length = {NINES}\n{SMALL_VARY}", WHOLE),
    "nan parameter": (f"[parameters]\nrepair_skill_mean = nan\n{SMALL_VARY}", REAL),
    "parameters not a table": (f"parameters = 3\n{SMALL_VARY}", "'parameters' must be a table"),
    "inf bound": (f"{LHS}[vary.repair_skill_mean]\nrange = [0, inf]\n", "vary.repair_skill_mean.range"),
    "nan bound": (f"{LHS}[vary.repair_skill_mean]\nrange = [nan, 1]\n", "vary.repair_skill_mean.range"),
    "400-nines bound": (f"{LHS}[vary.course_length]\nrange = [2, {NINES}]\n", "vary.course_length.range"),
    "a grid of 10^9 steps": ("[vary.repair_skill_mean]\nrange = [0, 1]\nsteps = 1000000000\n", "study.max_runs"),
    "10^7 lhs samples": (
        f"{LHS}samples = 10000000\nmax_runs = 1000000\n[vary.repair_skill_mean]\nrange = [0, 1]\n",
        "study.max_runs",
    ),
    "max_runs 10^9": (f"[study]\nmax_runs = 1000000000\n{SMALL_VARY}", "study.max_runs must be a whole number"),
    "max_runs 400 nines": (f"[study]\nmax_runs = {NINES}\n{SMALL_VARY}", "study.max_runs must be a whole number"),
    "10^7 clients a run": (f"[study]\nclients = 10000000\n{SMALL_VARY}", "study.max_memory_gib = 8"),
    "every client row kept": (
        f'[study]\nclients = 100000\nreplicates = 1000\noutputs = ["summary", "clients"]\n{SMALL_VARY}',
        "study.max_memory_gib = 8",
    ),
    "max_memory_gib nan": (f"[study]\nmax_memory_gib = nan\n{SMALL_VARY}", "study.max_memory_gib must be a number"),
    "presets nested": (f"[study]\npresets = [[1]]\n{SMALL_VARY}", "study.presets must be a list of names"),
    "format a list": (f"[study]\nformat = [1]\n{SMALL_VARY}", "unknown study.format"),
    "long name": (f'[study]\nname = "{"x" * 500}!"\n{SMALL_VARY}', "study.name must be letters"),
}


@pytest.mark.parametrize("case", BAD_STUDIES)
def test_bad_studies_are_refused_before_any_work(tmp_path, case):
    text, message = BAD_STUDIES[case]
    study = tmp_path / "study.toml"
    study.write_text(text)
    out = tmp_path / "out"
    line = assert_refused(["sweep", str(study), "--out", str(out), "--workers", "0"], out, message)
    assert line.count(str(study)) == 1 and len(line) < 400  # the file named once, long values cut short


TOML_VALUES = [
    "inf", "-inf", "nan", NINES, "-" + NINES, "1e400", "-1", "0", "1", "2", "3", "64", "0.5", "3.0", "true",
    "false", '""', '"x"', '"grid"', '"lhs"', '"sobol"', '"morris"', '"group"', '"family"', "[]", "[1]", "[[1]]",
    '["summary"]', '["summary", "clients"]', '["clients"]', '["working"]', "{}", "{ a = 1 }", "1979-05-27",
    "[0, 1]", "[0.2, 0.8]", "[1, 0]", "[0, inf]", "[nan, 1]", "[0.5]", "[true, false]",
]  # fmt: skip
STUDY_BASE = "[vary.repair_skill_mean]\nrange = [0.2, 0.8]\nsteps = 2\n"
SIZE_LIMITS = ("study.max_runs", "study.max_memory_gib")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(key=st.sampled_from(STUDY_KEYS), value=st.sampled_from(TOML_VALUES), sampler=st.sampled_from(SAMPLERS))
def test_any_study_setting_is_taken_or_refused_in_one_line(key, value, sampler):
    """Every [study] key with strange TOML values: a checked study, or one StudyError line that names
    the key (or the size limit it breaks); never another exception."""
    sampler_line = "" if key == "sampler" else f'sampler = "{sampler}"\n'
    text = f"[study]\n{sampler_line}{key} = {value}\n{STUDY_BASE}"
    try:
        parse_study(text)
    except StudyError as error:
        message = str(error)
        assert "\n" not in message and len(message) < 400, message
        assert f"study.{key}" in message or any(limit in message for limit in SIZE_LIMITS), message


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(["repair_skill_mean", "course_length", "repair_enabled"]),
    spec=st.dictionaries(st.sampled_from(["levels", "range", "steps"]), st.sampled_from(TOML_VALUES), max_size=3),
    sampler=st.sampled_from(SAMPLERS),
)
def test_any_vary_table_is_taken_or_refused_in_one_line(name, spec, sampler):
    """[vary.NAME] tables with strange levels, ranges and steps: a checked study, or one StudyError
    line that names the table; never another exception."""
    body = "".join(f"{key} = {value}\n" for key, value in spec.items())
    try:
        parse_study(f'[study]\nsampler = "{sampler}"\n[vary.{name}]\n{body}')
    except StudyError as error:
        message = str(error)
        assert "\n" not in message and len(message) < 400, message
        assert f"vary.{name}" in message or name in message or any(limit in message for limit in SIZE_LIMITS), message


# --- damaged outputs: manifests and Parquet files read back -----------------------------------------

SWEEP = "[study]\nclients = 20\nmax_runs = 10\nruns_per_part = 1\n[vary.repair_skill_mean]\nlevels = [0.3, 0.8]\n"


@pytest.fixture(scope="module")
def finished_sweep(tmp_path_factory) -> tuple[Path, Path]:
    """A finished two-run study: its file and its folder."""
    folder = tmp_path_factory.mktemp("sweep")
    study = folder / "study.toml"
    study.write_text(SWEEP)
    assert call(["sweep", str(study), "--out", str(folder / "out"), "--workers", "0"])[0] == 0
    return study, folder / "out"


def _edited_manifest(edit):
    def damage(manifest: dict) -> bytes:
        edit(manifest)
        return json.dumps(manifest).encode()

    return damage


DAMAGED_SWEEP_MANIFESTS = {
    "corrupt": lambda manifest: b"{not json",
    "empty": lambda manifest: b"",
    "binary": lambda manifest: b"\x00\xff\xfe\x00",
    "a list": lambda manifest: b"[1, 2]",
    "parts a string": _edited_manifest(lambda m: m.update(parts="x")),
    "a part's files a number": _edited_manifest(lambda m: m["parts"][0].update(files=3)),
    "done a string": _edited_manifest(lambda m: m["parts"][0].update(done="yes")),
    "complete missing": _edited_manifest(lambda m: m.pop("complete")),
}


@pytest.mark.parametrize("case", DAMAGED_SWEEP_MANIFESTS)
def test_a_damaged_sweep_manifest_is_refused_naming_it(tmp_path, finished_sweep, case):
    study, done = finished_sweep
    out = tmp_path / "out"
    shutil.copytree(done, out)
    manifest = out / "manifest.json"
    manifest.write_bytes(DAMAGED_SWEEP_MANIFESTS[case](json.loads(manifest.read_text())))
    assert_refused(["sweep", str(study), "--out", str(out), "--workers", "0"], out, str(manifest))


def test_a_damaged_part_is_refused_naming_it(tmp_path, finished_sweep):
    study, done = finished_sweep
    out = tmp_path / "out"
    shutil.copytree(done, out)
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["complete"] = False  # the parts are joined again
    (out / "manifest.json").write_text(json.dumps(manifest))
    part = out / "parts" / manifest["parts"][0]["files"][0]
    part.write_bytes(part.read_bytes()[:20])
    (out / "summary.parquet").unlink()
    status, err = call(["sweep", str(study), "--out", str(out), "--workers", "0"])
    assert status == 2 and err.count("\n") == 1 and str(part) in err and "Traceback" not in err
    assert not (out / "summary.parquet").exists()


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("run") / "out"
    assert call(["run", "--clients", "30", "--out", str(folder)])[0] == 0
    return folder


def _truncated(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _swapped(path: Path) -> None:
    other = path.with_name("therapists.parquet" if path.name != "therapists.parquet" else "clients.parquet")
    path.write_bytes(other.read_bytes())


def _recorded(**values):
    """A damage: the manifest with ``values`` recorded instead."""

    def damage(path: Path) -> None:
        path.write_text(json.dumps(json.loads(path.read_text()) | values))

    return damage


DAMAGED_RUN_FILES = {
    "truncated sessions": ("sessions.parquet", _truncated),
    "empty clients": ("clients.parquet", lambda path: path.write_bytes(b"")),
    "truncated therapists": ("therapists.parquet", _truncated),
    "swapped sessions": ("sessions.parquet", _swapped),
    "swapped clients": ("clients.parquet", _swapped),
    "swapped therapists": ("therapists.parquet", _swapped),
    "corrupt manifest": ("manifest.json", lambda path: path.write_text("{")),
    "binary manifest": ("manifest.json", lambda path: path.write_bytes(b"\xff\x00")),
    "list manifest": ("manifest.json", lambda path: path.write_text("[]")),
    "n_clients a string": ("manifest.json", _recorded(n_clients="30")),
    "parameters a list": ("manifest.json", _recorded(parameters=[])),
    "format a number": ("manifest.json", _recorded(format=3)),
}


@pytest.mark.parametrize("case", DAMAGED_RUN_FILES)
def test_figures_refuse_a_damaged_run_naming_the_file(tmp_path, finished_run, case):
    name, damage = DAMAGED_RUN_FILES[case]
    run = tmp_path / "run"
    shutil.copytree(finished_run, run)
    damage(run / name)
    out = tmp_path / "figures"
    assert_refused(["figures", str(run), "--out", str(out)], out, str(run))


# --- the operating system: no space, no permission, a file in the way -----------------------------


class FullDiskWriter(pq.ParquetWriter):
    """A Parquet writer on a full disk: writing fails with ENOSPC, and writing or closing that writer
    afterwards fails as pyarrow's does ('Operation on closed file'), which used to hide the first error.
    Each writer fails on its own (``alliance run`` writes its files on threads of their own)."""

    failed = False

    def write_table(self, *args, **kwargs):
        if self.failed:
            raise pa.ArrowInvalid("Operation on closed file")
        self.failed = True
        raise OSError(errno.ENOSPC, "No space left on device")


def test_a_full_disk_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(simulation.store.parquet.pq, "ParquetWriter", FullDiskWriter)
    monkeypatch.setattr(simulation.store.ParquetStream, "ROW_GROUP", 8)  # write during the run, not at the end
    monkeypatch.setattr(FullDiskWriter, "failed", False)
    out = tmp_path / "out"
    line = assert_refused(["run", "--out", str(out), *SMALL_RUN], out)
    assert line == f"alliance run: error: no space left on device while writing {out}"


def test_no_permission_says_so(tmp_path, monkeypatch):
    """A folder that may not be created (simulated: the tests may run as root, who may write anywhere)."""

    def refuse(self, *args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(self))

    monkeypatch.setattr(Path, "mkdir", refuse)
    out = tmp_path / "out"
    assert_refused(["run", "--out", str(out), *SMALL_RUN], out, "Permission denied", str(out))


@pytest.mark.parametrize("command", ["run", "params", "generate"])
def test_out_under_a_file_says_so(tmp_path, command):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    out = blocker / "out"
    assert_refused([command, "--out", str(out), *COMMANDS[command]], out, "Not a directory")


def test_running_out_of_memory_says_so(tmp_path, monkeypatch):
    """A --chunk too big for the machine (simulated: the allocation fails as numpy's does)."""

    def allocate(*args, **kwargs):
        raise MemoryError("Unable to allocate 335. GiB for an array with shape (100000000, 12) and data type float64")

    monkeypatch.setattr(simulation.store.run, "simulate_rows", allocate)
    out = tmp_path / "out"
    line = assert_refused(["run", "--out", str(out), *SMALL_RUN], out, "not enough memory", "335. GiB", "--chunk")
    assert "shape" not in line
