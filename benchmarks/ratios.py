"""The ratios of issue 23 and issue 25, each measured side by side in one worker process (so that both
sides of a ratio meet the same machine load), for ``python -m benchmarks``:

- **backends**: the fused kernel (``numba``, the default), the array-API reference kernel (``numpy``)
  and the per-agent Mesa reference (benchmarks/reference.py, run once) on the same 100,000 clients,
  every mechanism of the defaults on;
- **monitoring**: the default kernel with ``feedback_enabled`` off, as shipped, against the same kernel
  with the monitoring check taken out (a process-local patch: the fused kernel is then told that no
  clinic of the pass uses feedback, the array kernel that ``feedback.feedback_on`` is false), and with
  feedback on, for scale;
- **formats** (from the ``formats`` measurement): what a group or family client-session costs against
  an individual one, kernel only and with the tables built.

Repeats alternate between the sides, so that a spell of other work hits both. Ratios are taken on
CPU seconds (``time.process_time``) as well as wall seconds: on a shared machine whose cores are taken
by other work, a process's own CPU time is the steadier measure of what it costs (the wall figures
are reported beside them).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable
from typing import Any

BACKEND_NAMES = ("numba", "numpy")
MONITORING_CASES = ("feedback off", "monitoring check taken out", "feedback on")
TARGET_FORMAT_COST = 1.4  # issue 23: a group or family client-session costs at most 1.4 individual ones
TARGET_MONITORING = 0.95  # issue 25: with feedback off, at least 95 % of the throughput without monitoring


MIN_SECONDS, MAX_REPEATS = 2.0, 30  # a short measurement is repeated until it has run this long


def alternate(repeats: int, cases: dict[str, Callable[[], dict[str, float]]], best: Callable) -> dict[str, Any]:
    """The fastest run of each case, the cases run in turn (``best`` times one run): ``repeats``
    rounds, and more (at most MAX_REPEATS) until every case has run MIN_SECONDS in all, so that a
    ratio of two short passes is not decided by a few samples on a machine whose speed drifts.
    Each case also keeps its kernel CPU seconds round by round (``round_cpu_s``), for ratios taken
    within a round (:func:`paired_ratio`)."""
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in cases}

    def short() -> bool:
        return min(sum(trial["seconds"] for trial in trials) for trials in runs.values()) < MIN_SECONDS

    rounds = 0
    while rounds < repeats or (repeats > 1 and rounds < MAX_REPEATS and short()):
        for name, measure in cases.items():
            runs[name].append(best(1, measure))
        rounds += 1
    fastest = {name: min(trials, key=lambda trial: trial["seconds"]) for name, trials in runs.items()}
    return {
        name: {**trial, "rounds": rounds, "round_cpu_s": [run.get("kernel_cpu_s") for run in runs[name]]}
        for name, trial in fastest.items()
    }


def without_monitoring_check() -> Callable[[], None]:
    """Patch the monitoring check out of both kernels (this process only); returns the undo."""
    from simulation.dynamics import feedback
    from simulation.jit.stepper import FusedStepper

    original = feedback.feedback_on, FusedStepper._any_monitored
    feedback.feedback_on = lambda xp, p: False
    FusedStepper._any_monitored = lambda self: False

    def undo() -> None:
        feedback.feedback_on, FusedStepper._any_monitored = original

    return undo


def measure(kind: str, params: Any, n_clients: int, backend: str, repeats: int, passes: tuple, best: Callable):
    """The cases of a ``backends`` or ``monitoring`` measurement (``passes``: the kernel's and the
    per-agent reference's measuring functions)."""
    kernel_pass, reference_pass = passes
    if kind == "backends":
        for name in BACKEND_NAMES:
            kernel_pass(params, 200, name, False)  # warm-up: compile or load the fused kernel
        cases = {name: (lambda name=name: kernel_pass(params, n_clients, name, False)) for name in BACKEND_NAMES}
        measured = alternate(repeats, cases, best)
        return {"cases": {**measured, "per-agent reference": best(1, lambda: reference_pass(params, n_clients, False))}}
    on = params.replace(feedback_enabled=True)
    kernel_pass(on, 200, backend, False)

    def patched() -> dict[str, float]:
        undo = without_monitoring_check()
        try:
            return kernel_pass(params, n_clients, backend, False)
        finally:
            undo()

    cases = {
        "feedback off": lambda: kernel_pass(params, n_clients, backend, False),
        "monitoring check taken out": patched,
        "feedback on": lambda: kernel_pass(on, n_clients, backend, False),
    }
    return {"cases": alternate(repeats, cases, best)}


def summarise(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Rates and ratios of the three comparisons (``cpu``: on CPU seconds)."""
    rate = lambda case: case["client_sessions"] / case["seconds"]  # noqa: E731
    cpu = lambda case: case["client_sessions"] / case["kernel_cpu_s"]  # noqa: E731
    by_kind = {r["kind"]: r for r in results}
    backends = by_kind["backends"]["cases"]
    monitoring = by_kind["monitoring"]["cases"]
    formats = by_kind["formats"]["cases"]
    cost = {
        f"{name}, {part}": rate(formats[f"individual, {part}"]) / rate(formats[f"{name}, {part}"])
        for name in ("group", "family")
        for part in ("kernel", "whole")
    }
    cost |= {
        f"{name}, kernel CPU": cpu(formats["individual, kernel"]) / cpu(formats[f"{name}, kernel"])
        for name in ("group", "family")
    }
    cost |= {
        f"{name}, kernel CPU, median of rounds": paired_ratio(formats[f"{name}, kernel"], formats["individual, kernel"])
        for name in ("group", "family")
    }
    return {
        "n_clients": by_kind["backends"]["n_clients"],
        "backends": {name: _rates(case, rate, cpu) for name, case in backends.items()},
        "fused_over_array": {
            "wall": rate(backends["numba"]) / rate(backends["numpy"]),
            "cpu": cpu(backends["numba"]) / cpu(backends["numpy"]),
            "cpu_median_of_rounds": paired_ratio(backends["numpy"], backends["numba"]),
        },
        "fused_over_reference": {
            "wall": rate(backends["numba"]) / rate(backends["per-agent reference"]),
            "cpu": cpu(backends["numba"]) / cpu(backends["per-agent reference"]),
        },
        "monitoring_backend": by_kind["monitoring"]["backend"],
        "monitoring": {name: _rates(case, rate, cpu) for name, case in monitoring.items()},
        "monitoring_ratio": {
            "wall": rate(monitoring["feedback off"]) / rate(monitoring["monitoring check taken out"]),
            "cpu": cpu(monitoring["feedback off"]) / cpu(monitoring["monitoring check taken out"]),
            "cpu_median_of_rounds": paired_ratio(monitoring["monitoring check taken out"], monitoring["feedback off"]),
        },
        "format_cost": cost,
    }


def paired_ratio(case: dict[str, Any], baseline: dict[str, Any]) -> float:
    """The median over the rounds of :func:`alternate` of what a client-session of ``case`` costs
    against one of ``baseline`` in CPU time, each round's ratio taken from its two neighbouring runs:
    a drift of the machine's speed from one minute to the next, which can make the fastest runs of two
    cases come from different minutes, cancels within a round."""
    sessions = case["client_sessions"] / baseline["client_sessions"]
    return median_ratio(case["round_cpu_s"], baseline["round_cpu_s"]) / sessions


def median_ratio(tops: Iterable[float], bottoms: Iterable[float]) -> float:
    """The median of the ratios of paired values (a round's two measures, round by round)."""
    return statistics.median(top / bottom for top, bottom in zip(tops, bottoms, strict=True))


def _rates(case: dict[str, Any], rate: Callable, cpu: Callable) -> dict[str, float]:
    return {"seconds": case["seconds"], "cpu_seconds": case["kernel_cpu_s"], "rate": rate(case), "cpu_rate": cpu(case)}


def markdown(ratios: dict[str, Any], mega: Callable[[float], str]) -> list[str]:
    """The ratios as Markdown (lines)."""
    lines = [
        "",
        f"**The kernels side by side** ({ratios['n_clients']:,} clients, defaults, in one process; the per-agent "
        "reference runs once; M/s on wall and on CPU seconds)",
        "",
        "| kernel | wall s | CPU s | M/s wall | M/s CPU |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, case in ratios["backends"].items():
        lines.append(
            f"| {name} | {case['seconds']:.3f} | {case['cpu_seconds']:.3f} | {mega(case['rate'])} "
            f"| {mega(case['cpu_rate'])} |"
        )
    array, versus = ratios["fused_over_array"], ratios["fused_over_reference"]
    lines += [
        "",
        f"Fused / array kernel: {array['cpu']:.2f}x on CPU time ({array['wall']:.2f}x wall, "
        f"{array['cpu_median_of_rounds']:.2f}x median of rounds); "
        f"fused / per-agent reference: {versus['cpu']:.0f}x on CPU time ({versus['wall']:.0f}x wall)",
        "",
        f"**Monitoring when off** ({ratios['n_clients']:,} clients, backend {ratios['monitoring_backend']})",
        "",
        "| case | wall s | CPU s | M/s wall | M/s CPU |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, case in ratios["monitoring"].items():
        lines.append(
            f"| {name} | {case['seconds']:.3f} | {case['cpu_seconds']:.3f} | {mega(case['rate'])} "
            f"| {mega(case['cpu_rate'])} |"
        )
    monitoring = ratios["monitoring_ratio"]
    lines += [
        "",
        f"Feedback off / monitoring check taken out: {monitoring['cpu']:.3f} on CPU time ({monitoring['wall']:.3f} "
        f"wall, {monitoring['cpu_median_of_rounds']:.3f} median of rounds; target >= {TARGET_MONITORING})",
        "",
        "**Cost of a group or family client-session** (individual = 1; from the formats table, and its CPU time; "
        "the median of rounds takes each round's ratio of neighbouring runs, then the median over the rounds)",
        "",
        "| format, part | cost |",
        "|---|---:|",
    ]
    for name, value in ratios["format_cost"].items():
        lines.append(f"| {name} | {value:.2f} |")
    return lines


def targets(ratios: dict[str, Any], target_ratio: float) -> list[str]:
    """The issue 23 and 25 targets, met or not, on CPU time."""
    worst = max(value for name, value in ratios["format_cost"].items() if name.endswith("kernel CPU"))
    worst_paired = max(value for name, value in ratios["format_cost"].items() if name.endswith("median of rounds"))
    versus, monitoring = ratios["fused_over_reference"]["cpu"], ratios["monitoring_ratio"]["cpu"]
    paired_monitoring = ratios["monitoring_ratio"]["cpu_median_of_rounds"]
    return [
        f"- fused kernel >= {target_ratio:.0f}x the per-agent reference, side by side on CPU time: {versus:.0f}x: "
        f"{'met' if versus >= target_ratio else 'NOT met'}",
        f"- a group or family client-session costs <= {TARGET_FORMAT_COST} individual ones (kernel, CPU time): "
        f"worst {worst:.2f} (median of rounds: worst {worst_paired:.2f}): "
        f"{'met' if worst <= TARGET_FORMAT_COST else 'NOT met'}",
        f"- with feedback off, >= {TARGET_MONITORING:.0%} of the throughput without the monitoring check (CPU "
        f"time): {monitoring:.1%} (median of rounds: {paired_monitoring:.1%}): "
        f"{'met' if monitoring >= TARGET_MONITORING else 'NOT met'}",
    ]
