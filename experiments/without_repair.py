"""Experiment 2: without repair. The same clients (common random numbers) with repair on and off.

    python experiments/without_repair.py [--workers N] [--overwrite]

Writes results/without_repair/: paired_differences.csv, paired.png, README.md.
"""

from __future__ import annotations

from _experiment import paired_report, run_experiment

FIGURES = ["dropout", "recovered", "mean_change", "alliance_early_mean"]


def main() -> None:
    study, result, folder, seconds = run_experiment("without_repair.toml", __doc__.splitlines()[0])
    summary = result.summary.assign(repair=lambda t: t["repair_enabled"].map({True: "repair on", False: "repair off"}))
    paired_report(
        study,
        summary,
        folder,
        seconds,
        factor="repair",
        reference="repair on",
        figures=FIGURES,
        title="Experiment 2: repair on vs off",
        intro=f"""
Each replicate simulates the same {study.clients} clients and therapists twice, with repair on and off
(`paired = true`: both runs of a replicate share one seed, and every random process has its own
stream, so switching repair off changes nothing but repair).
""",
    )


if __name__ == "__main__":
    main()
