"""The ratios of issue 23 and issue 25, each measured side by side in one worker process (so that both
sides of a ratio meet the same machine load), for ``python -m benchmarks``:

- **backends**: the fused kernel (``numba``, the default) and the array-API reference kernel
  (``numpy``) on the same 100,000 clients, every mechanism of the defaults on;
- **monitoring**: the default kernel with ``feedback_enabled`` off, as shipped, against the same kernel
  with the monitoring check taken out (a process-local patch: the fused kernel is then told that no
  clinic of the pass uses feedback, the array kernel that ``feedback.feedback_on`` is false), and with
  feedback on, for scale;
- **formats** (from the ``formats`` measurement): what a group or family client-session costs against
  an individual one, kernel only and with the tables built.

Repeats alternate between the sides, so that a spell of other work hits both.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

BACKEND_NAMES = ("numba", "numpy")
MONITORING_CASES = ("feedback off", "monitoring check taken out", "feedback on")
TARGET_FORMAT_COST = 1.4  # issue 23: a group or family client-session costs at most 1.4 individual ones
TARGET_MONITORING = 0.95  # issue 25: with feedback off, at least 95 % of the throughput without monitoring


def alternate(repeats: int, cases: dict[str, Callable[[], dict[str, float]]], best: Callable) -> dict[str, Any]:
    """The fastest run of each case, the cases run in turn ``repeats`` times (``best`` times one)."""
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in cases}
    for _ in range(repeats):
        for name, measure in cases.items():
            runs[name].append(best(1, measure))
    return {name: min(trials, key=lambda trial: trial["seconds"]) for name, trials in runs.items()}


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


def measure(kind: str, params: Any, n_clients: int, backend: str, repeats: int, kernel_pass: Callable, best: Callable):
    """The cases of a ``backends`` or ``monitoring`` measurement."""
    if kind == "backends":
        for name in BACKEND_NAMES:
            kernel_pass(params, 200, name, False)  # warm-up: compile or load the fused kernel
        cases = {name: (lambda name=name: kernel_pass(params, n_clients, name, False)) for name in BACKEND_NAMES}
        return {"cases": alternate(repeats, cases, best)}
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


def summarise(results: list[dict[str, Any]], reference_rate: float | None) -> dict[str, Any]:
    """Rates and ratios of the three comparisons."""
    rate = lambda case: case["client_sessions"] / case["seconds"]  # noqa: E731
    by_kind = {r["kind"]: r for r in results}
    backends = by_kind["backends"]["cases"]
    monitoring = by_kind["monitoring"]["cases"]
    formats = by_kind["formats"]["cases"]
    cost = {
        f"{name}, {part}": rate(formats[f"individual, {part}"]) / rate(formats[f"{name}, {part}"])
        for name in ("group", "family")
        for part in ("kernel", "whole")
    }
    return {
        "n_clients": by_kind["backends"]["n_clients"],
        "backends": {name: {"seconds": case["seconds"], "rate": rate(case)} for name, case in backends.items()},
        "fused_over_array": rate(backends["numba"]) / rate(backends["numpy"]),
        "fused_over_reference": rate(backends["numba"]) / reference_rate if reference_rate else None,
        "monitoring_backend": by_kind["monitoring"]["backend"],
        "monitoring": {name: {"seconds": case["seconds"], "rate": rate(case)} for name, case in monitoring.items()},
        "monitoring_ratio": rate(monitoring["feedback off"]) / rate(monitoring["monitoring check taken out"]),
        "format_cost": cost,
    }


def markdown(ratios: dict[str, Any], mega: Callable[[float], str]) -> list[str]:
    """The ratios as Markdown (lines)."""
    lines = [
        "",
        f"**Fused kernel against the array-API reference kernel** ({ratios['n_clients']:,} clients, defaults, "
        "measured side by side in one process)",
        "",
        "| kernel | seconds | M/s |",
        "|---|---:|---:|",
    ]
    for name, case in ratios["backends"].items():
        lines.append(f"| {name} | {case['seconds']:.3f} | {mega(case['rate'])} |")
    versus = ratios["fused_over_reference"]
    lines += [
        "",
        f"Fused / array kernel: {ratios['fused_over_array']:.2f}x"
        + (f"; fused / per-agent reference: {versus:.0f}x" if versus else ""),
        "",
        f"**Monitoring when off** ({ratios['n_clients']:,} clients, backend {ratios['monitoring_backend']})",
        "",
        "| case | seconds | M/s |",
        "|---|---:|---:|",
    ]
    for name, case in ratios["monitoring"].items():
        lines.append(f"| {name} | {case['seconds']:.3f} | {mega(case['rate'])} |")
    lines += [
        "",
        f"Feedback off / monitoring check taken out: {ratios['monitoring_ratio']:.3f} (target >= {TARGET_MONITORING})",
        "",
        "**Cost of a group or family client-session** (individual = 1; from the formats table)",
        "",
        "| format, part | cost |",
        "|---|---:|",
    ]
    for name, value in ratios["format_cost"].items():
        lines.append(f"| {name} | {value:.2f} |")
    return lines


def targets(ratios: dict[str, Any]) -> list[str]:
    """The issue 23 and 25 targets, met or not."""
    worst = max(value for name, value in ratios["format_cost"].items() if name.endswith("kernel"))
    return [
        f"- a group or family client-session costs <= {TARGET_FORMAT_COST} individual ones (kernel): "
        f"worst {worst:.2f}: {'met' if worst <= TARGET_FORMAT_COST else 'NOT met'}",
        f"- with feedback off, >= {TARGET_MONITORING:.0%} of the throughput without the monitoring check: "
        f"{ratios['monitoring_ratio']:.1%}: {'met' if ratios['monitoring_ratio'] >= TARGET_MONITORING else 'NOT met'}",
    ]
