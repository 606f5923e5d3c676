"""``python -m benchmarks``: the quick run end to end (in-process driver, fresh worker processes)."""

from __future__ import annotations

import importlib.util
import json

import pytest

from benchmarks.__main__ import main


def test_quick_run_writes_json_and_markdown(tmp_path, capsys):
    out = tmp_path / "bench"
    assert main(["--quick", "--repeats", "1", "--out", str(out)]) == 0
    summary = json.loads((out / "results.json").read_text())
    table = (out / "results.md").read_text()
    assert table in capsys.readouterr().out
    assert [row["n_clients"] for row in summary["cohort"]] == [1_000, 10_000]
    for row in summary["cohort"]:
        assert row["client_sessions"] >= row["n_clients"]  # every client attends the intake session
        assert row["kernel_rate"] > 0 and row["whole_rate"] > 0  # (their order is up to timing noise)
    versus = summary["versus_reference"][0]
    assert versus["n_clients"] == 1_000 and versus["ratio"] > 1  # the kernel beats the per-agent loop
    assert set(summary["sessions"]["cases"]) == {"6", "12", "24", "48"}
    assert len(summary["stacked"]["cases"]) == 4
    assert set(summary["formats"]["cases"]) == {
        f"{name}, {part}" for name in ("individual", "group", "family") for part in ("kernel", "whole")
    }
    assert all(case["rate"] > 0 for case in summary["formats"]["cases"].values())
    assert [row["malloc"] for row in summary["allocator"]] == ["glibc's default", "keep freed memory"]
    assert set(summary["targets"]) == {"kernel_rate", "ratio"}
    (whole,), study = summary["end_to_end"]["whole_run"], summary["end_to_end"]["study"]
    assert whole["n_clients"] == 20_000 and whole["client_sessions"] >= 20_000 and 0 < whole["ratio"] < 2
    # the ceiling on these cores: the run's CPU time spread over them, the kernel's a floor
    assert whole["cores"] >= 1 and whole["whole_cpu_s"] > whole["kernel_cpu_s"] > 0
    assert "ceiling on these cores" in table
    # the simulating thread's share of the run's CPU time: the kernel's, beside the writer threads
    assert 0 < whole["kernel_in_run_cpu_s"] < whole["whole_cpu_s"]
    assert [len(whole["rounds"][case]) for case in ("kernel", "whole")] == [1, 1]
    assert "kernel slowed beside the writing" in table and "run / kernel, median of rounds" in table
    # the kernel beside another process on the second core (where there is one): the machine's share
    neighbours = summary["end_to_end"]["neighbours"]
    if neighbours["cores"] >= 2:
        cases = neighbours["cases"]
        assert list(cases) == ["alone", "a loop that only computes", "a 256 MB memory stream"]
        assert cases["alone"]["slowdown"] == 1.0 and all(case["slowdown"] > 0 for case in cases.values())
        assert "Sharing the machine" in table
    assert study["n_runs"] == 40 and 0 < study["ratio"] < 2 and study["speed_up"] > 0
    for heading in (
        "Cohort size",
        "Against the per-agent Mesa reference",
        "Stacked runs",
        "Course length",
        "Formats",
        "Allocator",
        "Targets",
        "Whole run",
        "Study",
    ):
        assert heading in table


def test_bad_repeats_exits_2_and_writes_nothing(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--quick", "--repeats", "0", "--out", str(tmp_path / "new")])
    assert exit_info.value.code == 2 and "--repeats" in capsys.readouterr().err
    assert not (tmp_path / "new").exists()


def test_out_that_is_a_file_exits_2_and_keeps_it(tmp_path, capsys):
    existing = tmp_path / "a_file"
    existing.write_text("keep")
    with pytest.raises(SystemExit) as exit_info:
        main(["--quick", "--out", str(existing)])
    assert exit_info.value.code == 2 and "--out" in capsys.readouterr().err
    assert existing.read_text() == "keep"


@pytest.mark.skipif(importlib.util.find_spec("cupy") is not None, reason="CuPy is installed here")
def test_gpu_backend_without_cupy_exits_2(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--quick", "--backend", "cupy", "--out", str(tmp_path / "new")])
    assert exit_info.value.code == 2 and "cupy" in capsys.readouterr().err
    assert not (tmp_path / "new").exists()


def test_the_median_of_rounds_is_not_decided_by_one_fast_spell():
    """A group client-session costs 1.5 individual ones (the group's 200 client-sessions take three
    times the individual's 100), but the individual pass of round 2 met a faster minute of the
    machine: the fastest runs give 3.0 / 200 against 0.8 / 100, 1.875; the median of the rounds'
    own ratios (1.5, 1.875, 1.5) gives 1.5."""
    from benchmarks.ratios import paired_ratio

    individual = {"client_sessions": 100, "round_cpu_s": [1.0, 0.8, 1.0]}
    group = {"client_sessions": 200, "round_cpu_s": [3.0, 3.0, 3.0]}
    fastest = (min(group["round_cpu_s"]) / 200) / (min(individual["round_cpu_s"]) / 100)
    assert fastest == pytest.approx(1.875)
    assert paired_ratio(group, individual) == pytest.approx(1.5)
