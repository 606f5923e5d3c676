"""Study files: which parameters a sweep varies and how it samples them, replicates, cohort size and
seed, and the checks that refuse a bad study before any run starts.

A study file is TOML::

    [study]
    name = "smoke"             # names the results; default: the file's stem
    sampler = "grid"           # grid | lhs | sobol | morris
    samples = 64               # lhs: points; sobol: base samples N (a power of 2); morris: trajectories
    replicates = 2             # runs per point (1 or more)
    format = "individual"      # individual | group | family (simulation.formats): every run's format
    clients = 200              # clients per run (members, in every format)
    seed = 1                   # study seed: run i's seed is SeedSequence(seed).spawn(n_runs)[i]
    paired = false             # true: replicate r of every point gets seed r (common random numbers)
    presets = ["working"]      # base presets, applied in order
    outputs = ["summary"]      # "summary" (one row per run), and "clients" (one row per client)
    max_runs = 1000            # refuse a sweep of more runs than this (1 to 1,000,000)
    max_memory_gib = 8         # refuse a sweep estimated to need more memory than this (per worker)
    runs_per_part = 8          # runs simulated, stored and resumed together (default: from the sizes)

    [parameters]               # fixed overrides of the base, like an `alliance run --config` file
    course_length = 12

    [vary.repair_skill_mean]   # one table per varied parameter
    levels = [0.3, 0.55, 0.8]  # grid: the levels; or range = [low, high] with steps = n
    [vary.attunement_mean]
    range = [0.3, 0.8]         # lhs, sobol, morris: the range sampled
    steps = 3

Ranges and levels must lie inside the parameter's valid range (simulation.config.PARAMETERS). A
study's size is bounded before any sampling: its number of runs (from the design's arithmetic) by
``max_runs``, and the memory it is estimated to need (:func:`memory_estimate`: one run's sessions, and
with the "clients" output every client row, which the study reads back at the end) by ``max_memory_gib``.
"""

from __future__ import annotations

import itertools
import math
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulation.config import PARAMETERS, ParameterError, Params, shown
from simulation.formats import FORMATS, get_format
from simulation.presets import apply_presets
from simulation.runs import Run
from simulation.sweeps.checks import (
    Factor,
    StudyError,
    checked_factor,
    real,
    string_list,
    study_name,
    switch,
    table,
    typed,
    whole,
)

SAMPLERS = ("grid", "lhs", "sobol", "morris")
OUTPUTS = ("summary", "clients")
DEFAULT_MAX_RUNS = 100_000
MAX_RUNS = 1_000_000  # the hard limit of max_runs: the design and the manifest list every run
MAX_CLIENTS = 10_000_000
DEFAULT_MAX_MEMORY_GIB = 8
MAX_MEMORY_GIB = 1024
SESSION_ROW_BYTES = 320  # memory of one (client, session) row while a run is simulated (measured: 220-280)
CLIENT_ROW_BYTES = 400  # memory of one client row of the "clients" output when it is read back
PART_CLIENTS = 50_000  # default packing: about this many clients per part (one stacked pass)
MIN_PARTS = 8  # ... but at least this many parts where the study has that many runs (spread, resume)
STUDY_KEYS = (
    "name",
    "sampler",
    "samples",
    "replicates",
    "format",
    "clients",
    "seed",
    "paired",
    "presets",
    "outputs",
    "max_runs",
    "max_memory_gib",
    "runs_per_part",
    "second_order",
    "morris_levels",
)


@dataclass(frozen=True)
class Study:
    """A checked study: build it with :func:`load_study` or :func:`parse_study`."""

    name: str
    text: str  # the study file as written (stored in the manifest)
    base: Params
    presets: tuple[str, ...]
    factors: tuple[Factor, ...]
    sampler: str
    samples: int
    replicates: int
    format: str  # every run's format (simulation.formats)
    clients: int  # members per run, in every format
    seed: int
    paired: bool
    outputs: tuple[str, ...]
    max_runs: int
    max_memory_gib: float
    runs_per_part: int
    second_order: bool
    morris_levels: int

    @property
    def people(self) -> str:
        """What ``clients`` counts, in words: clients, or group or family members."""
        return get_format(self.format).people

    @property
    def names(self) -> list[str]:
        return [factor.name for factor in self.factors]

    def problem(self) -> dict[str, Any]:
        """The SALib problem: the varied parameters and their ranges."""
        return {
            "num_vars": len(self.factors),
            "names": self.names,
            "bounds": [[factor.low, factor.high] for factor in self.factors],
        }

    def design(self) -> pd.DataFrame:
        """One row per point (in SALib's order for sobol and morris), one column per varied
        parameter, values of the parameter's type (integers rounded). The study seed seeds the sampler."""
        return pd.DataFrame(_sample(self), columns=self.names).astype(
            {factor.name: PARAMETERS[factor.name].kind for factor in self.factors}
        )

    def point_params(self, design: pd.DataFrame) -> list[Params]:
        """Each point's parameters: the base with the point's values (checked like any Params)."""
        columns = {name: design[name].tolist() for name in self.names}
        return [
            self.base.replace(**{name: typed(name, values[point]) for name, values in columns.items()})
            for point in range(len(design))
        ]

    def runs(self, design: pd.DataFrame, indices: list[int]) -> list[Run]:
        """Runs ``indices``: run i is point ``i // replicates`` (a row of ``design``), replicate
        ``i % replicates``, with seed :meth:`seed_of` (i)."""
        points = sorted({index // self.replicates for index in indices})
        params = dict(zip(points, self.point_params(design.iloc[points]), strict=True))
        return [
            Run(params[index // self.replicates], self.clients, self.seed_of(index), self.format) for index in indices
        ]

    def n_runs(self, design: pd.DataFrame) -> int:
        return len(design) * self.replicates

    def seed_of(self, run: int) -> np.random.SeedSequence:
        """Run ``run``'s seed: child ``run`` of the study seed (``backend.run_seeds``), or with
        ``paired`` child ``replicate``, so that every point meets the same clients."""
        child = run % self.replicates if self.paired else run
        return np.random.SeedSequence(self.seed, spawn_key=(child,))

    def parts(self, design: pd.DataFrame) -> list[range]:
        """The study's runs cut into parts of ``runs_per_part`` consecutive runs."""
        total = self.n_runs(design)
        return [range(start, min(start + self.runs_per_part, total)) for start in range(0, total, self.runs_per_part)]


def load_study(path: str | Path) -> Study:
    """Read and check a study file (see the module docstring); a :class:`StudyError` says what is wrong."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise StudyError(f"study file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as error:  # a folder, no permission, not text
        raise StudyError(f"study file {path} cannot be read: {getattr(error, 'strerror', None) or error}") from None
    return parse_study(text, default_name=path.stem, where=f"study file {path}")


def parse_study(text: str, default_name: str = "study", where: str = "study") -> Study:
    """Check a study given as TOML text; every problem is refused before any run starts."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise StudyError(f"{where} is not valid TOML: {error}") from None
    unknown = sorted(set(document) - {"study", "parameters", "vary"})
    if unknown:
        raise StudyError(f"{where}: unknown top-level key '{unknown[0]}'; expected study, parameters and vary")
    settings = table(document, "study", where)
    unknown = sorted(set(settings) - set(STUDY_KEYS))
    if unknown:
        raise StudyError(f"{where}: unknown key study.{unknown[0]}; expected one of: {', '.join(STUDY_KEYS)}")

    sampler = settings.get("sampler", "grid")
    if sampler not in SAMPLERS:
        raise StudyError(f"{where}: unknown study.sampler {shown(sampler)}; choose one of: {', '.join(SAMPLERS)}")
    format_name = settings.get("format", "individual")
    if not isinstance(format_name, str) or format_name not in FORMATS:
        raise StudyError(f"{where}: unknown study.format {shown(format_name)}; choose one of: {', '.join(FORMATS)}")
    presets = string_list(settings, "presets", where)
    outputs = string_list(settings, "outputs", where) or ["summary"]
    bad_outputs = [name for name in outputs if name not in OUTPUTS]
    if bad_outputs or "summary" not in outputs or len(set(outputs)) < len(outputs):
        raise StudyError(
            f"{where}: study.outputs must list 'summary' and optionally 'clients', once each; got {outputs}"
        )
    outputs = [name for name in OUTPUTS if name in outputs]  # the parts are written in this order
    fixed = table(document, "parameters", where)
    try:
        preset_base = apply_presets(presets)
    except ParameterError as error:
        raise StudyError(f"{where}: study.presets: {error}") from None
    try:
        base = preset_base.replace(**fixed)
    except ParameterError as error:
        raise StudyError(f"{where}: {error}") from None

    factors = tuple(checked_factor(name, spec, sampler, where) for name, spec in table(document, "vary", where).items())
    if not factors:
        raise StudyError(f"{where}: no [vary.<parameter>] table; a study varies at least one parameter")
    replicates = whole(settings, "replicates", 1, 1, 1_000_000, where)
    clients = whole(settings, "clients", 1000, 1, MAX_CLIENTS, where)
    samples = whole(settings, "samples", 0 if sampler == "grid" else 64, 0 if sampler == "grid" else 1, 10**7, where)
    morris_levels = whole(settings, "morris_levels", 4, 2, 100, where)
    if morris_levels % 2:  # SALib warns that odd levels bias the Morris sample
        raise StudyError(
            f"{where}: study.morris_levels must be an even whole number from 2 to 100; got {morris_levels}"
        )
    if sampler == "sobol" and samples & (samples - 1):
        raise StudyError(f"{where}: study.samples must be a power of 2 for the sobol sampler; got {samples}")
    study = Study(
        name=study_name(settings.get("name", default_name), where),
        text=text,
        base=base,
        presets=tuple(presets),
        factors=factors,
        sampler=sampler,
        samples=samples,
        replicates=replicates,
        format=format_name,
        clients=clients,
        seed=whole(settings, "seed", 1, 0, 2**63 - 1, where),
        paired=switch(settings, "paired", False, where),
        outputs=tuple(outputs),
        max_runs=whole(settings, "max_runs", DEFAULT_MAX_RUNS, 1, MAX_RUNS, where),
        max_memory_gib=real(settings, "max_memory_gib", DEFAULT_MAX_MEMORY_GIB, 1, MAX_MEMORY_GIB, where),
        runs_per_part=whole(settings, "runs_per_part", 0, 0, 10**9, where),
        second_order=switch(settings, "second_order", False, where),
        morris_levels=morris_levels,
    )
    n_points = _point_count(study)
    n_runs = n_points * replicates
    if n_runs > study.max_runs:
        raise StudyError(
            f"{where}: the sweep has {shown(n_runs)} runs ({shown(n_points)} points x {replicates} replicates), "
            f"over study.max_runs = {study.max_runs}; raise max_runs (up to {MAX_RUNS:,}) or shrink the sweep"
        )
    needed = memory_estimate(study, n_runs)
    if needed > study.max_memory_gib * 2**30:
        raise StudyError(
            f"{where}: the sweep needs about {needed / 2**30:.1f} GiB of memory per worker ({_memory_terms(study)}), "
            f"over study.max_memory_gib = {study.max_memory_gib:g}; raise max_memory_gib (up to {MAX_MEMORY_GIB}) "
            "or use fewer clients"
        )
    design = study.design()
    try:
        study.point_params(design)
    except ParameterError as error:
        raise StudyError(f"{where}: a point of the sweep is not a valid parameter set: {error}") from None
    if study.runs_per_part == 0:
        per_part = max(1, min(PART_CLIENTS // clients, math.ceil(n_runs / MIN_PARTS)))
        study = replace(study, runs_per_part=per_part)
    return study


def _point_count(study: Study) -> int:
    """Points of the design, known before sampling (so that an oversized sweep samples nothing)."""
    dimensions = len(study.factors)
    if study.sampler == "grid":
        return math.prod(factor.level_count for factor in study.factors)
    if study.sampler == "lhs":
        return study.samples
    if study.sampler == "sobol":
        return study.samples * (2 * dimensions + 2 if study.second_order else dimensions + 2)
    return study.samples * (dimensions + 1)  # morris: trajectories of D + 1 points


def longest_course(study: Study) -> int:
    """The most sessions a run of the study schedules: the largest course_length of its design."""
    for factor in study.factors:
        if factor.name == "course_length":
            return int(max(factor.levels) if factor.levels else factor.high)
    return study.base.course_length


def memory_estimate(study: Study, n_runs: int) -> float:
    """Bytes a study needs at most, estimated before any work: the session rows of its largest run
    (clients x sessions; runs are not cut into chunks, smaller runs share passes of a bounded size),
    and with the "clients" output the client rows of every run, which are read back at the end."""
    sessions = study.clients * longest_course(study) * SESSION_ROW_BYTES
    clients = n_runs * study.clients * CLIENT_ROW_BYTES if "clients" in study.outputs else 0
    return max(sessions, clients)


def _memory_terms(study: Study) -> str:
    terms = f"{study.clients:,} clients x {longest_course(study)} sessions per run"
    return terms + (" and every run's client rows (outputs 'clients')" if "clients" in study.outputs else "")


def _sample(study: Study) -> np.ndarray:
    """The design matrix of the study's sampler, seeded with the study seed."""
    if study.sampler == "grid":
        return np.array(list(itertools.product(*(factor.grid_levels() for factor in study.factors))), dtype=object)
    from SALib.sample import latin, morris, sobol

    problem = study.problem()
    if study.sampler == "lhs":
        values = latin.sample(problem, study.samples, seed=study.seed)
    elif study.sampler == "sobol":
        values = sobol.sample(problem, study.samples, calc_second_order=study.second_order, seed=study.seed)
    else:
        values = morris.sample(problem, study.samples, num_levels=study.morris_levels, seed=study.seed)
    integers = [index for index, factor in enumerate(study.factors) if PARAMETERS[factor.name].kind is int]
    values[:, integers] = np.round(values[:, integers])
    return values
