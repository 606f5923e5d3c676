"""Sweeps: study files are checked before anything runs, results do not depend on packing, workers or
executor, a killed study resumes to the same bytes, and the sensitivity helpers give SALib's known
answers."""

import hashlib
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest

from simulation.backend import run_seeds
from simulation.cli import main
from simulation.sweeps import FIGURES, FORMAT_FIGURES, load_study, parse_study, run_study
from simulation.sweeps.analysis import plot_indices, point_summary, sobol_table
from simulation.sweeps.executors import local_executor
from simulation.tables import simulate

matplotlib.use("Agg")

SMOKE = Path(__file__).parent.parent / "experiments" / "smoke.toml"


def digests(folder: Path) -> dict[str, str]:
    """sha256 of every result file under ``folder`` (manifest aside: it records versions and paths)."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*.parquet"))
    }


def exit_status(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as stop:
        return stop.code


@pytest.fixture(scope="module")
def smoke():
    return load_study(SMOKE)


@pytest.fixture(scope="module")
def smoke_in_memory(smoke):
    return run_study(smoke, workers=0, progress=False)


def test_summary_has_one_row_per_run_with_point_seed_values_and_figures(smoke, smoke_in_memory):
    summary, design = smoke_in_memory.summary, smoke.design()
    assert len(summary) == len(design) * smoke.replicates == 12
    assert list(summary["run"]) == list(range(12))
    assert (summary["point"] == summary["run"] // 3).all() and (summary["replicate"] == summary["run"] % 3).all()
    assert set(FIGURES) <= set(summary.columns)
    for name in smoke.names:
        np.testing.assert_array_equal(summary[name], design[name].to_numpy()[summary["point"]])
    assert summary["dropout"].between(0, 1).all() and summary["recovered"].between(0, 1).all()
    assert summary["run_key"].nunique() == 12


def test_run_seeds_follow_the_study_seed_and_index(smoke):
    """Run i's seed is child i of the study seed (backend.run_seeds); paired: child = replicate."""
    expected = run_seeds(smoke.seed, 12)
    for index in range(12):
        assert smoke.seed_of(index).generate_state(4).tolist() == expected[index].generate_state(4).tolist()
    paired = replace(smoke, paired=True)
    assert paired.seed_of(4).spawn_key == paired.seed_of(1).spawn_key == (1,)


@pytest.mark.parametrize("sampler", ["lhs", "sobol", "morris"])
def test_samplers_honour_the_study_seed(sampler):
    def design(seed: int) -> pd.DataFrame:
        text = f"""
        [study]
        sampler = "{sampler}"
        samples = 8
        seed = {seed}
        [vary.repair_skill_mean]
        range = [0.2, 0.9]
        [vary.course_length]
        range = [8, 20]
        """
        return parse_study(text).design()

    first, again, other = design(5), design(5), design(6)
    pd.testing.assert_frame_equal(first, again)
    assert not first.equals(other)
    assert first["repair_skill_mean"].between(0.2, 0.9).all() and first["course_length"].dtype == np.int64


def test_results_do_not_depend_on_packing(smoke, smoke_in_memory):
    for runs_per_part in (1, 5, 12):
        packed = run_study(replace(smoke, runs_per_part=runs_per_part), workers=0, progress=False)
        pd.testing.assert_frame_equal(packed.summary, smoke_in_memory.summary, check_exact=True)


def test_local_processes_and_dask_cluster_write_the_same_bytes(smoke, tmp_path):
    """`alliance sweep` on two local worker processes, and on a real dask.distributed LocalCluster
    reached through --scheduler tcp://..., write identical files."""
    distributed = pytest.importorskip("distributed")
    assert main(["sweep", str(SMOKE), "--out", str(tmp_path / "local"), "--workers", "2"]) == 0
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, protocol="tcp", dashboard_address=":0"
    ) as cluster:
        assert cluster.scheduler_address.startswith("tcp://")
        assert (
            main(["sweep", str(SMOKE), "--out", str(tmp_path / "dask"), "--scheduler", cluster.scheduler_address]) == 0
        )
    assert digests(tmp_path / "local") == digests(tmp_path / "dask")
    assert len(digests(tmp_path / "local")) == len(smoke.parts(smoke.design())) + 1


def test_folder_results_equal_the_in_memory_ones(smoke, smoke_in_memory, tmp_path):
    written = run_study(smoke, tmp_path / "out", workers=0, progress=False)
    pd.testing.assert_frame_equal(written.summary, smoke_in_memory.summary, check_exact=True)
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["complete"] and all(part["done"] for part in manifest["parts"])
    assert manifest["study_file"] == SMOKE.read_text() and manifest["seeds"]["study_seed"] == smoke.seed
    assert {"numpy", "pandas", "python"} <= set(manifest["versions"])


def test_per_client_rows_on_request(smoke):
    study = replace(smoke, outputs=("summary", "clients"))
    result = run_study(study, workers=0, progress=False)
    clients = result.clients
    assert len(clients) == 12 * study.clients and clients.columns[0] == "run"
    by_run = clients.groupby("run")["dropped_out"].mean().to_numpy()
    np.testing.assert_allclose(by_run, result.summary["dropout"].to_numpy())


def manifest_parts(folder: Path) -> list[dict]:
    try:
        return json.loads((folder / "manifest.json").read_text())["parts"]
    except (FileNotFoundError, json.JSONDecodeError):
        return []


def test_a_killed_study_resumes_to_the_same_bytes_leaving_finished_parts_untouched(tmp_path):
    """kill -9 of the study (driver and its worker) once the first part has landed; the rerun only
    runs the rest, and the results equal a clean run's byte for byte."""
    study_file = tmp_path / "study.toml"
    study_file.write_text(
        SMOKE.read_text().replace("clients = 200", "clients = 1500").replace("runs_per_part = 2", "runs_per_part = 1")
    )
    out = tmp_path / "killed"
    driver = subprocess.Popen(
        [sys.executable, "-m", "simulation.cli", "sweep", str(study_file), "--out", str(out), "--workers", "1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while not any(part["done"] for part in manifest_parts(out)) and time.monotonic() < deadline:
        time.sleep(0.02)
    os.killpg(driver.pid, signal.SIGKILL)
    driver.wait()
    done = [part for part in manifest_parts(out) if part["done"]]
    assert 0 < len(done) < 12, "the kill should land mid-study"
    landed = {name: (out / "parts" / name) for part in done for name in part["files"]}
    before = {name: (path.stat().st_mtime_ns, path.read_bytes()) for name, path in landed.items()}

    assert main(["sweep", str(study_file), "--out", str(out), "--workers", "0"]) == 0
    assert {name: (path.stat().st_mtime_ns, path.read_bytes()) for name, path in landed.items()} == before
    assert not list(out.rglob(".partial-*"))
    assert main(["sweep", str(study_file), "--out", str(tmp_path / "clean"), "--workers", "0"]) == 0
    assert digests(out) == digests(tmp_path / "clean")


def undo_parts(out: Path, unmarked: int, deleted: int) -> None:
    """Leave a finished study folder as a killed study might: part ``unmarked`` written but not marked
    done (killed between the two), part ``deleted``'s file and the joined summary gone."""
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["parts"][unmarked]["done"] = False
    (out / "manifest.json").write_text(json.dumps(manifest))
    (out / "parts" / f"part-{deleted:05d}.parquet").unlink()
    (out / "summary.parquet").unlink()


def test_deleted_parts_are_run_again_and_nothing_else(smoke, tmp_path):
    out = tmp_path / "out"
    run_study(smoke, out, workers=0, progress=False)
    clean = digests(out)
    undo_parts(out, unmarked=3, deleted=5)
    untouched = out / "parts" / "part-00001.parquet"
    stamp = untouched.stat().st_mtime_ns
    run_study(smoke, out, workers=0, progress=False)
    assert digests(out) == clean and untouched.stat().st_mtime_ns == stamp


BAD_STUDIES = [
    ("[vary.repair_skil_mean]\nlevels = [0.3]", "unknown parameter 'repair_skil_mean'"),
    ("[vary.repair_skill_mean]\nrange = [0.2, 1.5]\nsteps = 2", "outside the valid range of repair_skill_mean: 0 to 1"),
    ("[vary.course_length]\nlevels = [1, 12]", "course_length must be a whole number from 2 to 104"),
    ('[study]\nsampler = "halton"\n[vary.repair_skill_mean]\nrange = [0.2, 0.5]', "unknown study.sampler 'halton'"),
    ("[study]\nreplicates = 0\n[vary.repair_skill_mean]\nlevels = [0.3]", "study.replicates must be a whole number"),
    (
        "[study]\nreplicates = 10\nmax_runs = 50\n[vary.repair_skill_mean]\nrange = [0.2, 0.5]\nsteps = 6",
        "the sweep has 60 runs (6 points x 10 replicates), over study.max_runs = 50",
    ),
    ('[study]\nsampler = "sobol"\nsamples = 10\n[vary.repair_skill_mean]\nrange = [0.2, 0.5]', "power of 2"),
    ("[vary.share_anxious]\nlevels = [0.9]", "share_anxious + share_avoidant must be at most 1"),
    ("[study\n", "is not valid TOML"),
    (
        '[study]\nformat = "couple"\n[vary.repair_skill_mean]\nlevels = [0.3]',
        "unknown study.format 'couple'; choose one of: individual, group, family",
    ),
    ('[study]\noutputs = ["summary", "summary"]\n[vary.repair_skill_mean]\nlevels = [0.3]', "once each"),
]


@pytest.mark.parametrize("text, message", BAD_STUDIES, ids=[m for _, m in BAD_STUDIES])
def test_bad_study_exits_2_with_one_line_and_writes_nothing(tmp_path, capsys, text, message):
    study_file = tmp_path / "bad.toml"
    study_file.write_text(text)
    out = tmp_path / "out"
    assert exit_status(["sweep", str(study_file), "--out", str(out)]) == 2
    error = capsys.readouterr().err
    assert message in error and len(error.strip().splitlines()) == 1
    assert not out.exists()


def test_another_study_in_the_same_folder_needs_overwrite(smoke, tmp_path, capsys):
    out = tmp_path / "out"
    run_study(smoke, out, workers=0, progress=False)
    before = digests(out)
    other = tmp_path / "other.toml"
    other.write_text(SMOKE.read_text().replace("seed = 20261129", "seed = 7"))
    assert exit_status(["sweep", str(other), "--out", str(out), "--workers", "0"]) == 2
    assert "holds a different study; pass --overwrite" in capsys.readouterr().err
    assert digests(out) == before
    assert main(["sweep", str(other), "--out", str(out), "--workers", "0", "--overwrite"]) == 0
    assert digests(out) != before and len(digests(out)) == len(before)


FORMAT_STUDIES = {
    "group": ("group_size", "[4, 6]", ["group_alliance_r", "cohesion_mean", "group_dropout_share"]),
    "family": ("family_size", "[2, 4]", ["family_alliance_r", "split_mean", "shared_alliance_mean", "family_dropout"]),
}


@pytest.mark.parametrize("format_name", list(FORMAT_STUDIES))
def test_group_and_family_studies_run_resume_and_give_the_same_bytes_on_1_and_2_workers(format_name, tmp_path):
    """A tiny study in the group or family format: every run is in that format with `clients` members,
    the summary carries the format's figures (each equal to the run simulated alone, to 1e-12), the manifest
    names the format, and one and two workers, and a resumed study, write the same bytes."""
    factor, levels, figures = FORMAT_STUDIES[format_name]
    study_file = tmp_path / f"{format_name}.toml"
    study_file.write_text(
        f'[study]\nformat = "{format_name}"\nreplicates = 2\nclients = 30\nseed = 5\nruns_per_part = 1\n'
        f'outputs = ["summary", "clients"]\n[vary.{factor}]\nlevels = {levels}\n'
    )
    assert main(["sweep", str(study_file), "--out", str(tmp_path / "two"), "--workers", "2"]) == 0
    out = tmp_path / "one"
    assert main(["sweep", str(study_file), "--out", str(out), "--workers", "1"]) == 0
    assert digests(out) == digests(tmp_path / "two")

    assert json.loads((out / "manifest.json").read_text())["format"] == format_name
    undo_parts(out, unmarked=1, deleted=2)
    untouched = out / "parts" / "part-00003.parquet"
    stamp = untouched.stat().st_mtime_ns
    assert main(["sweep", str(study_file), "--out", str(out), "--workers", "1"]) == 0
    assert digests(out) == digests(tmp_path / "two") and untouched.stat().st_mtime_ns == stamp

    study = load_study(study_file)
    summary, clients = pd.read_parquet(out / "summary.parquet"), pd.read_parquet(out / "clients.parquet")
    assert list(summary.columns) == [*summary.columns[: -len(figures)], *figures] and set(FIGURES) <= set(summary)
    assert len(clients) == 4 * 30 and (clients["format"] == format_name).all()
    last = study.runs(study.design(), [3])[0]
    alone = simulate(last.params, last.n_clients, last.seed, format=format_name)
    for name in figures:
        # computed on the pass's arrays: equal to the registry's pandas figure up to the order of sums
        np.testing.assert_allclose(summary[name].iloc[3], FORMAT_FIGURES[format_name][name](alone), rtol=1e-12)


@pytest.mark.parametrize("study_file", sorted(SMOKE.parent.glob("*.toml")), ids=lambda path: path.name)
def test_every_experiment_study_file_is_valid_and_named_after_its_file(study_file):
    """The experiments' study files load (format included), and each is named after its file, as the
    experiment scripts' READMEs say."""
    study = load_study(study_file)
    assert study.name == study_file.stem
    assert study.format == {"group_cohesion": "group", "family_split": "family"}.get(study.name, "individual")


def test_point_summary_takes_mean_sd_and_interval_over_replicates(smoke, smoke_in_memory):
    table = point_summary(smoke, smoke_in_memory.summary, ["dropout"])
    assert len(table) == 4 and (table["n"] == 3).all()
    first = smoke_in_memory.summary.query("point == 0")["dropout"]
    row = table.iloc[0]
    assert row["mean"] == pytest.approx(first.mean()) and row["sd"] == pytest.approx(first.std())
    assert row["high"] - row["mean"] == pytest.approx(4.302653 * first.std() / np.sqrt(3), rel=1e-5)  # t(0.975, 2)


def ishigami(x: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def test_sobol_indices_of_the_ishigami_function_match_the_analytic_values():
    """Known answer (as SALib's own regression tests): S1 = (.314, .442, 0), ST = (.558, .442, .244)."""
    from SALib.sample import sobol

    problem = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-np.pi, np.pi]] * 3}
    design = sobol.sample(problem, 1024, calc_second_order=False, seed=3)
    indices = sobol_table(problem, ishigami(design), seed=3)
    np.testing.assert_allclose(indices["S1"], [0.3139, 0.4424, 0.0], atol=0.05)
    np.testing.assert_allclose(indices["ST"], [0.5576, 0.4424, 0.2437], atol=0.05)
    ax = plot_indices(indices)
    assert ax.get_title() and ax.get_xlabel() and [t.get_text() for t in ax.get_yticklabels()] == ["x1", "x2", "x3"]
    assert {t.get_text() for t in ax.get_legend().get_texts()} == {"S1", "ST"}


def test_the_sensitivity_experiment_is_the_size_its_readme_states():
    """experiments/README.md's row and docs/sweeps.md state the Sobol experiment's size as its study file has
    it, and what docs/sweeps.md's rule asks after the pilot it names."""
    from simulation.sweeps.analysis import sobol_samples_needed

    study = load_study(SMOKE.parent / "sensitivity.toml")
    runs = study.n_runs(study.design())
    assert runs == study.samples * (len(study.factors) + 2)
    row = next(line for line in (SMOKE.parent / "README.md").read_text().splitlines() if "`sensitivity.toml`" in line)
    assert f"| {runs:,} x {study.clients:,} |" in row
    docs = " ".join((SMOKE.parent.parent / "docs" / "sweeps.md").read_text().split())
    assert f"`samples = {study.samples}`, {runs:,} runs of {study.clients:,} clients" in docs
    assert (
        "a pilot of 256 base samples of 1,000 clients had leading half-widths up to 0.14, for which the rule asks 512"
        in docs
    )
    assert sobol_samples_needed(0.14, 256) == 512 and study.samples == 2 * 512


def test_the_sample_size_rule_narrows_the_leading_sobol_intervals_under_the_target():
    """docs/sweeps.md's rule for N: a pilot's largest leading half-width h at N0 base samples asks for
    N0 x (h / 0.1)^2 (a power of 2); on the Ishigami function (noisy: a pilot of 32 has half-widths
    well over 0.1) that N gives SALib half-widths under 0.1 for the leading indices."""
    from SALib.sample import sobol

    from simulation.sweeps.analysis import SOBOL_HALF_WIDTH, leading_half_width, sobol_samples_needed

    problem = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-np.pi, np.pi]] * 3}

    def half_width(samples: int, seed: int) -> float:
        design = sobol.sample(problem, samples, calc_second_order=False, seed=seed)
        return leading_half_width(sobol_table(problem, ishigami(design), seed=seed))

    pilot = half_width(32, 7)
    needed = sobol_samples_needed(pilot, 32)
    assert pilot > SOBOL_HALF_WIDTH and needed > 32 and needed & (needed - 1) == 0
    assert half_width(needed, 8) < SOBOL_HALF_WIDTH


def test_morris_study_gives_elementary_effects_per_parameter():
    """A small Morris study runs end to end: one mu_star per varied parameter, finite and >= 0."""
    from simulation.sweeps.analysis import sensitivity

    study = parse_study(
        """
        [study]
        sampler = "morris"
        samples = 3
        clients = 150
        seed = 9
        [vary.repair_skill_mean]
        range = [0.2, 0.9]
        [vary.motivation_mean]
        range = [0.3, 0.9]
        """
    )
    result = run_study(study, workers=0, progress=False)
    assert len(result.summary) == 3 * (2 + 1)
    indices = sensitivity(study, result.summary, "dropout")
    assert list(indices.index) == ["repair_skill_mean", "motivation_mean"]
    assert np.isfinite(indices["mu_star"]).all() and (indices["mu_star"] >= 0).all()
    assert plot_indices(indices).get_xlabel().startswith("Morris")


def test_outputs_are_kept_in_one_order_whatever_the_study_file_says(tmp_path):
    """outputs = ["clients", "summary"] writes the same parts as the canonical order."""
    study_file = tmp_path / "reversed.toml"
    study_file.write_text(SMOKE.read_text().replace("[study]", '[study]\noutputs = ["clients", "summary"]', 1))
    assert load_study(study_file).outputs == ("summary", "clients")


def test_a_study_file_that_cannot_be_read_is_refused_with_one_line(tmp_path, capsys):
    assert exit_status(["sweep", str(tmp_path), "--out", str(tmp_path / "out")]) == 2
    error = capsys.readouterr().err
    assert "cannot be read" in error and len(error.strip().splitlines()) == 1


def test_the_manifest_text_is_json_with_one_space_indent_after_every_change(smoke):
    """The manifest, rewritten after every part with its design encoded once, reads as
    json.dumps(manifest, indent=1) would write it, before and after a part is marked done."""
    from simulation.sweeps.folder import manifest_text, new_manifest

    manifest = new_manifest(smoke, smoke.design())
    assert manifest_text(manifest) == json.dumps(manifest, indent=1)
    manifest["parts"][0] |= {"done": True, "checksums": {"part-00000.parquet": {"sha256": "0" * 64, "bytes": 1}}}
    assert manifest_text(manifest) == json.dumps(manifest, indent=1)
    assert json.loads(manifest_text(manifest)) == manifest


def _loaded_in_worker() -> tuple[bool, bool]:
    """In a worker: whether the fork server's preload (the package, its kernels warmed up) is there."""
    return "simulation.sweeps.preload" in sys.modules, "simulation.figures.courses" in sys.modules


@pytest.mark.skipif("forkserver" not in multiprocessing.get_all_start_methods(), reason="no fork server here")
def test_local_workers_start_with_the_package_loaded():
    """Local workers are forked from a fork server that imported simulation.sweeps.preload, so a
    worker's first part does not pay the imports (spawned workers would not have the module)."""
    with local_executor(1) as executor:
        assert executor.submit(_loaded_in_worker).result() == (True, True)
