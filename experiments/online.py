"""Experiment 3: online vs in person. The same clients seen all in person or all online.

    python experiments/online.py [--workers N] [--overwrite]

Writes results/online/: paired_differences.csv, paired.png, README.md.
"""

from __future__ import annotations

from _experiment import paired_report, run_experiment

FIGURES = [
    "alliance_early_mean",
    "ruptures_per_client",
    "ruptures_resolved_share",
    "dropout",
    "recovered",
    "mean_change",
]


def main() -> None:
    study, result, folder, seconds = run_experiment("online.toml", __doc__.splitlines()[0])
    summary = result.summary.assign(setting=lambda t: t["share_online"].map({0.0: "in person", 1.0: "online"}))
    paired_report(
        study,
        summary,
        folder,
        seconds,
        factor="setting",
        reference="in person",
        figures=FIGURES,
        title="Experiment 3: online vs in person",
        intro=f"""
Each replicate simulates the same {study.clients} clients twice: every client seen in person
(`share_online = 0`) and every client seen online (`share_online = 1`); nothing else changes. In the
model, online sessions make a withdrawal rupture harder to notice (`online_visibility`), so fewer
ruptures are repaired. The tables do not record whether a rupture was *noticed*; the share of ruptures
resolved (resolution needs noticing first) stands in for it.
""",
    )


if __name__ == "__main__":
    main()
