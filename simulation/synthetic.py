"""Synthetic data sets with known truth, for testing analysis methods (DESIGN.md sections 1 and 3).

:func:`generate` returns the tables as pandas DataFrames; :func:`generate_to_directory` (``alliance
generate``) streams them, chunk by chunk, to a folder: the observed tables (a long table of one row per
client and scheduled session with every item score, a client table, a therapist table), ``truth/``
(the latent states per session, the kernel's client and therapist tables, and parameters.json with
every parameter, the measurement model, the missingness mechanisms and the true effects an analyst
tries to recover), codebook.json, codebook.md, README.md and, published last, manifest.json (every other
file's checksum; simulation.store).

Random draws are keyed by run, client and session (simulation.backend), and every reported figure is
computed from exact integer moments or exactly rounded sums, so the bytes do not depend on the chunk
size. See docs/instruments.md.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

from simulation import measures
from simulation.backend import Domain, run_key
from simulation.config import PARAMETERS, ParameterError, Params, shown
from simulation.defaults import DEFAULT_CHUNK, FILE_FORMATS
from simulation.dynamics import DROPOUT_CAUSES
from simulation.formats import get_format
from simulation.instruments import codebook
from simulation.instruments.administration import administer
from simulation.instruments.items import (
    ORS_ITEMS,
    ORS_OFFSETS,
    SRS_ITEMS,
    SRS_OFFSETS,
    WAI_ITEMS,
    WAI_LOADINGS,
    WAI_OFFSETS,
    WAI_SUBSCALE_OF_ITEM,
    WAI_THRESHOLDS,
    WaiSchedule,
    intake_draw,
)
from simulation.instruments.scores import (
    InstrumentFigures,
    clinically_significant,
    reliable_change,
)
from simulation.recipe import RunRecipe
from simulation.runs import Rows, Run, simulate_rows
from simulation.store import (
    MANIFEST,
    ParquetStream,
    atomic_outputs,
    check_free,
    versions,
    write_json,
    write_manifest,
)
from simulation.tables import build_tables, therapist_table

TABLES = ("sessions", "clients", "therapists", "truth/sessions", "truth/clients", "truth/therapists")
DOCUMENTS = ("truth/parameters.json", "codebook.json", "codebook.md", "README.md", MANIFEST)  # manifest last
UNIT_TRUTH_COLUMNS = ("cohesion", "member_rupture", "shared_alliance", "split")  # latent unit figures, per session
WAI_POINTS_PER_UNIT = 4 * WAI_ITEMS * float(np.mean(WAI_LOADINGS))  # WAI-SR total points per alliance unit
TRUTH_SESSION_COLUMNS = ("stage", "bond", "goal", "task", "alliance", "alliance_therapist", "wellbeing")


def file_names(file_format: str) -> tuple[str, ...]:
    """Every file a data set of ``file_format`` writes."""
    return (*(f"{table}.{file_format}" for table in TABLES), *DOCUMENTS)


@dataclass(frozen=True)
class Design:
    """What to generate: parameters (and how they were made), therapists, seed, WAI-SR schedule and
    format. Each therapist's caseload is the parameter ``clients_per_therapist`` members' worth of whole
    units (clients, groups or families; simulation.formats)."""

    recipe: RunRecipe
    params: Params
    therapists: int
    seed: int
    schedule: WaiSchedule
    format: str = "individual"

    @property
    def n_clients(self) -> int:
        """People in therapy (members, in every format): every therapist's whole units."""
        therapy = get_format(self.format)
        return self.therapists * therapy.units_per_therapist(self.params) * therapy.unit_size(self.params)

    def run(self) -> Run:
        return Run(self.params, self.n_clients, self.seed, self.format)

    def command(self, file_format: str) -> str:
        """The command line that remakes the data set (into a folder DATASET)."""
        parts = ["alliance generate --out DATASET", f"--seed {self.seed}", f"--therapists {self.therapists}"]
        parts += [f"--format {self.format}"] if self.format != "individual" else []
        parts.append(f"--clients-per-therapist {self.params.clients_per_therapist}")
        parts += [f"--wai-schedule {self.schedule.describe()}", f"--file-format {file_format}"]
        config = self.recipe.config
        parts += [
            f"--preset {name}"
            for name in self.recipe.presets[: len(self.recipe.presets) - len(config.presets if config else ())]
        ]
        parts += [f"--config {config.path}"] if config is not None else []
        parts += [
            f"--set {name}={value}"
            for name, value in self.recipe.assignments.items()
            if name != "clients_per_therapist"
        ]
        return " ".join(parts)


def make_design(
    recipe: RunRecipe | Params | None = None,
    therapists: int = 20,
    clients_per_therapist: int | None = None,
    seed: int = 1,
    wai_schedule: str | WaiSchedule | None = None,
    format: str = "individual",
) -> Design:
    """A :class:`Design` from the arguments of :func:`generate` (a Params is taken as it is)."""
    get_format(format)  # an unknown format is refused before any work
    if therapists < 1:
        raise ValueError(f"therapists must be 1 or more; got {therapists}")
    if isinstance(recipe, Params):
        changed = {name: value for name, value in recipe.as_dict().items() if value != PARAMETERS[name].default}
        recipe = RunRecipe(assignments=changed)
    recipe = recipe or RunRecipe()
    params = recipe.params()
    if clients_per_therapist is not None:
        params = params.replace(clients_per_therapist=clients_per_therapist)
    return Design(recipe, params, therapists, seed, _checked_schedule(wai_schedule, params), format)


def _checked_schedule(wai_schedule: str | WaiSchedule | None, params: Params) -> WaiSchedule:
    """The WAI-SR schedule: the default (3,5,8,last) without the sessions past the course, or the one
    given, refused in one line when it lists a session past the course (it would never be given).
    Sessions are each client's own, so the course's last is course_length in every format."""
    last = params.course_length
    if wai_schedule is None:
        default = WaiSchedule()
        return replace(default, sessions=tuple(session for session in default.sessions if session <= last))
    schedule = wai_schedule if isinstance(wai_schedule, WaiSchedule) else WaiSchedule.parse(wai_schedule)
    past = [session for session in schedule.sessions if session > last]
    if past:
        raise ParameterError(f"--wai-schedule sessions must be from 1 to {last} (course_length); got {shown(past[0])}")
    return schedule


@dataclass
class Truths:
    """What the true effects are computed from, gathered chunk by chunk: a slim client table and the
    within-client sums of the lagged alliance -> next ORS regression, one value per client."""

    clients: list[pd.DataFrame] = field(default_factory=list)
    cross: list[np.ndarray] = field(default_factory=list)
    square: list[np.ndarray] = field(default_factory=list)

    def add(self, truth_sessions: pd.DataFrame, truth_clients: pd.DataFrame) -> None:
        self.clients.append(
            truth_clients[
                [
                    "therapist_id",
                    "alliance_early",
                    "change",
                    "dropped_out",
                    "dropout_cause",
                    "ruptures",
                    "ruptures_resolved",
                ]
            ]
        )
        seen = truth_sessions[truth_sessions["attended"]]
        pairs = pd.DataFrame(
            {
                "client_id": seen["client_id"].to_numpy(),
                "alliance": seen["alliance"].to_numpy(float),
                "next_ors": seen.groupby("client_id")["ors_kernel"].shift(-1).to_numpy(float),
            }
        ).dropna()
        centred = pairs[["alliance", "next_ors"]] - pairs.groupby("client_id")[["alliance", "next_ors"]].transform(
            "mean"
        )
        by_client = (centred["alliance"] * centred["next_ors"]).groupby(pairs["client_id"]).sum()
        self.cross.append(by_client.to_numpy())
        self.square.append((centred["alliance"] ** 2).groupby(pairs["client_id"]).sum().to_numpy())

    def merge(self, other: Truths) -> None:
        """Take in the sums of another chunk."""
        self.clients += other.clients
        self.cross += other.cross
        self.square += other.square

    def estimands(self, params: Params) -> dict[str, dict[str, float | str]]:
        clients = pd.concat(self.clients, ignore_index=True)
        spread = math.fsum(np.concatenate(self.square))  # 0 when no client has two attended sessions to pair
        slope = math.fsum(np.concatenate(self.cross)) / spread if spread > 0 else math.nan
        return {
            "therapist_share_of_alliance_variance": {
                "value": measures.therapist_share(clients, "alliance_early"),
                "meaning": "therapist-level share (ICC) of the variance of the latent early alliance "
                "(alliance_early), random-intercept ANOVA estimator over this data set's clients",
            },
            "therapist_share_of_change_variance": {
                "value": measures.therapist_share(clients, "change"),
                "meaning": "therapist-level share (ICC) of the variance of change (the kernel's ORS totals)",
            },
            "within_client_alliance_to_next_ors": {
                "value": slope,
                "per_wai_total_point": slope / WAI_POINTS_PER_UNIT,
                "meaning": "within-client (client fixed effects) least-squares slope of the next attended "
                "session's ORS total on this session's latent alliance (client's view), in ORS points per "
                "alliance unit; per_wai_total_point divides by the 48 WAI-SR total points of one alliance unit. "
                "It is what a lagged model recovers with the alliance measured without error.",
            },
            "alliance_effect_on_change_rate": {
                "value": params.alliance_effect,
                "meaning": "the kernel's structural effect: an attended session closes a share of the gap to the "
                "level within reach that is multiplied by 1 + alliance_effect * (alliance - 0.5) (docs/ODD.md)",
            },
            "dropout_rate": {"value": measures.dropout_rate(clients), "meaning": "share of clients who dropped out"},
            **{
                f"dropout_{name}": {
                    "value": float((clients["dropout_cause"] == name).mean()),
                    "meaning": f"share of clients whose course ended by {name} dropout"
                    + (
                        " (the hazard rises as the latent alliance falls: missing not at random)"
                        if name == "disengaged"
                        else ""
                    ),
                }
                for name in DROPOUT_CAUSES[1:]
            },
            "alliance_dropout_d": {
                "value": measures.alliance_dropout_d(clients),
                "meaning": "Cohen's d of the latent early alliance, completers minus dropouts",
            },
            "ruptures_per_client": {"value": float(clients["ruptures"].mean()), "meaning": "mean ruptures per client"},
            "ruptures_resolved_share": {
                "value": float(clients["ruptures_resolved"].sum() / max(clients["ruptures"].sum(), 1)),
                "meaning": "share of ruptures that were resolved",
            },
        }


def _chunk_tables(design: Design, start: int, stop: int) -> tuple[dict[str, pd.DataFrame], Truths]:
    """The tables of clients ``start:stop`` (the therapist tables are made once, by :func:`_therapist_tables`)."""
    runs = [design.run()]
    kernel = build_tables(runs, simulate_rows(runs, Rows.of_runs(runs, start, stop)), with_therapists=False)
    sessions, clients = kernel.sessions, kernel.clients
    long, latent = administer(sessions, design.params, design.seed, design.schedule)

    firsts = long.groupby("client_id", sort=False).head(1)
    lasts = long[long["attended"]].groupby("client_id", sort=False).tail(1)
    ors_intake = firsts["ors_total"].reset_index(drop=True)
    ors_final = lasts["ors_total"].reset_index(drop=True)
    observed_clients = pd.DataFrame(
        {
            "client_id": clients["client_id"],
            "therapist_id": clients["therapist_id"],
            "unit_id": firsts["unit_id"].to_numpy(),
            **{name: clients[name] for name in ("format", "role") if name in clients.columns},
            "modality": clients["modality"],
            "culture": clients["culture"],
            "sessions_scheduled": clients["sessions_scheduled"],
            "sessions_attended": clients["sessions_attended"],
            "dropped_out": clients["dropped_out"],
            "ors_intake": ors_intake,
            "ors_final": ors_final,
            "change": (ors_final - ors_intake).astype("Int8"),
            "reliable_change": reliable_change(ors_intake, ors_final),
            "clinically_significant": clinically_significant(ors_intake, ors_final),
        }
    )
    truth_sessions = pd.DataFrame(
        {
            "client_id": sessions["client_id"],
            "therapist_id": sessions["therapist_id"],
            "session": sessions["session"],
            "attended": sessions["attended"],
            **{name: sessions[name] for name in TRUTH_SESSION_COLUMNS},
            **{name: sessions[name] for name in UNIT_TRUTH_COLUMNS if name in sessions.columns},
            **{
                name: values.astype(np.float32) for name, values in latent.items() if name.startswith("therapist_view_")
            },
            "rupture": sessions["rupture"],
            "rupture_kind": sessions["rupture_kind"],
            "rupture_resolved": sessions["rupture_resolved"],
            "ors_kernel": sessions["ors"],
            "srs_kernel": sessions["srs"],
        }
    )
    truth_clients = clients.assign(
        wai_therapist_dyad=intake_draw(
            np.full(len(clients), run_key(design.seed), dtype=np.uint64),
            clients["client_id"].to_numpy(np.int64) - 1,
            Domain.CLIENT,
            "wai_therapist_dyad",
        )
    )
    truths = Truths()
    truths.add(truth_sessions, truth_clients)
    tables = {
        "sessions": long,
        "clients": observed_clients,
        "truth/sessions": truth_sessions,
        "truth/clients": truth_clients,
    }
    return tables, truths


def _therapist_tables(design: Design) -> dict[str, pd.DataFrame]:
    """The observed and the true therapist tables."""
    truth = therapist_table([design.run()])
    truth["wai_therapist_style"] = intake_draw(
        np.full(len(truth), run_key(design.seed), dtype=np.uint64),
        truth["therapist_id"].to_numpy(np.int64) - 1,
        Domain.THERAPIST,
        "wai_therapist_style",
    )
    observed = truth[["therapist_id", "clients", "minority"]]
    return {"therapists": observed, "truth/therapists": truth}


def _stream(
    design: Design, chunk_clients: int, write: Callable[[str, pd.DataFrame], None]
) -> tuple[Truths, InstrumentFigures]:
    """Make the data set chunk by chunk, handing every piece of every table to ``write(name, piece)``;
    return what the truth and the figures are computed from."""
    truths, figures = Truths(), InstrumentFigures()
    chunk_clients = get_format(design.format).aligned_chunk(design.params, chunk_clients)  # whole units
    for start in range(0, design.n_clients, chunk_clients):
        tables, chunk_truths = _chunk_tables(design, start, min(start + chunk_clients, design.n_clients))
        for name, table in tables.items():
            write(name, table)
        figures.add(tables["sessions"])
        truths.merge(chunk_truths)
    for name, table in _therapist_tables(design).items():
        write(name, table)
    return truths, figures


def measurement_model() -> dict:
    """The fixed item parameters of the measurement model (the scalar ones are parameters)."""
    return {
        "wai_sr": {
            "items": [
                {"item": index + 1, "subscale": subscale, "loading": loading, "offset": offset}
                for index, (subscale, loading, offset) in enumerate(
                    zip(WAI_SUBSCALE_OF_ITEM, WAI_LOADINGS, WAI_OFFSETS, strict=True)
                )
            ],
            "thresholds": list(WAI_THRESHOLDS),
            "model": "x = loading * (view - 0.5) + 0.5 + leniency + offset + N(0, wai_<form>_item_error_sd); "
            "score = 1 + number of thresholds below x (ordinal probit / graded response, alliance units)",
        },
        "srs": {"items": list(SRS_ITEMS), "log_weight_offsets": list(SRS_OFFSETS)},
        "ors": {"items": list(ORS_ITEMS), "log_weight_offsets": list(ORS_OFFSETS)},
        "srs_ors_model": "items sum to the kernel's total; the shortfall from 40 is split in proportion to "
        "exp(offset + spread * N(0, 1)) by largest remainders, each item 0-10",
    }


MISSINGNESS = {
    "missed_sessions": "a scheduled session is missed with a chance that rises as the latent alliance and "
    "motivation fall and during an open withdrawal rupture (parameters miss_*); a missed session leaves "
    "every item of that row missing (attended false)",
    "dropout": "the course ends early by competing hazards: disengaged (rises as the latent alliance falls, "
    "with open or unresolved ruptures, after a missed session and early on: missing not at random), "
    "practical (constant) and improved (after a latent gain of 5 ORS points); no rows after the end",
    "wai_schedule": "the WAI-SR is given only at the end of scheduled sessions that are attended",
    "item_nonresponse": "each item of an administered questionnaire is blank with chance item_nonresponse_rate, "
    "independently of everything (missing completely at random); scale scores are missing if any item is",
}


def truth_document(design: Design, truths: Truths, figures: InstrumentFigures) -> dict:
    """truth/parameters.json: everything that made the data and the true effects."""
    return {
        "made_by": "simulation.synthetic",
        "command": design.command("FORMAT"),
        "seed": design.seed,
        "format": design.format,
        "therapists": design.therapists,
        "clients_per_therapist": design.params.clients_per_therapist,
        "clients": design.n_clients,
        "wai_schedule": design.schedule.describe(),
        "recipe": design.recipe.as_dict() | {"argv": []},
        "parameters": {
            name: {
                "value": getattr(design.params, name),
                "unit": spec.unit,
                "range": spec.format_range(),
                "group": spec.group,
                "meaning": spec.meaning,
            }
            for name, spec in PARAMETERS.items()
        },
        "measurement_model": measurement_model(),
        "missingness": MISSINGNESS,
        "estimands": _defined(truths.estimands(design.params)),
        "instrument_figures": _defined(figures.values()),
        "versions": versions(),
    }


@dataclass(frozen=True)
class DataSet:
    """A synthetic data set in memory: the observed tables, the truth tables and documents."""

    sessions: pd.DataFrame
    clients: pd.DataFrame
    therapists: pd.DataFrame
    truth: dict[str, pd.DataFrame]  # sessions, clients, therapists
    parameters: dict
    figures: InstrumentFigures

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table by its name in :data:`TABLES`."""
        own = {"sessions": self.sessions, "clients": self.clients, "therapists": self.therapists}
        return own | {f"truth/{name}": table for name, table in self.truth.items()}


def generate(
    recipe: RunRecipe | Params | None = None,
    therapists: int = 20,
    clients_per_therapist: int | None = None,
    seed: int = 1,
    wai_schedule: str | WaiSchedule | None = None,
    format: str = "individual",
) -> DataSet:
    """A synthetic data set in memory: ``therapists`` x ``clients_per_therapist`` clients (default:
    the parameter ``clients_per_therapist``; in the group and family formats whole groups or families
    of members) simulated with the parameters that ``recipe`` makes (or the Params given), the WAI-SR
    given on ``wai_schedule`` (e.g. '3,5,8,last' or 'all'; default: 3,5,8,last within the course), in
    ``format`` (individual, group, family)."""
    design = make_design(recipe, therapists, clients_per_therapist, seed, wai_schedule, format)
    pieces: dict[str, list[pd.DataFrame]] = {name: [] for name in TABLES}
    truths, figures = _stream(design, DEFAULT_CHUNK, lambda name, table: pieces[name].append(table))
    tables = {name: pd.concat(parts, ignore_index=True) for name, parts in pieces.items()}
    return DataSet(
        tables["sessions"],
        tables["clients"],
        tables["therapists"],
        {name.split("/")[1]: tables[name] for name in TABLES if name.startswith("truth/")},
        truth_document(design, truths, figures),
        figures,
    )


class CsvStream:
    """A CSV file written piece by piece: the header once, then the rows of each piece, so that its
    bytes do not depend on how the rows arrived."""

    def __init__(self, path: Path) -> None:
        self.handle = path.open("w", encoding="utf-8", newline="")
        self.header = True

    def write(self, table: pd.DataFrame) -> None:
        table.to_csv(self.handle, index=False, header=self.header, lineterminator="\n")
        self.header = False

    def close(self) -> None:
        self.handle.close()


def readme(design: Design, file_format: str, parameters: dict, figures: InstrumentFigures) -> str:
    """README.md of a data set: what it is, how it was made, how to remake it."""
    estimands = "\n".join(
        f"| `{name}` | {_number(entry['value'])} | {entry['meaning']} |"
        for name, entry in parameters["estimands"].items()
    )
    files = "\n".join(f"- `{name}`" for name in file_names(file_format))
    return f"""# Synthetic alliance data set

Made by the alliance dynamics simulator (package alliance-dynamics {_version()}): {design.n_clients} clients,
{design.therapists} therapists with {design.n_clients // design.therapists} clients each, {design.format} therapy,
seed {design.seed}, {design.recipe.describe()}, WAI-SR given at sessions {design.schedule.describe()}.
Every latent quantity and every parameter that made the data is in `truth/`; `codebook.md` describes
every column of every table.

Remake it, to the byte, with the same package version:

    {design.command(file_format)}

## Files

{files}

`manifest.json`, written last, holds every other file's SHA-256 and size and the version of the
simulator's code: a folder without it is incomplete, and a file whose checksum differs is not part of
this data set.

The long table `sessions` has one row per client and scheduled session up to the end of the course
(none after a dropout or planned ending). Items of a missed session, of a session off the WAI-SR
schedule, or left blank are missing. `truth/parameters.json` holds the parameters with their units and
ranges, the measurement model, the missingness mechanisms and the true effects below.

## True effects (truth/parameters.json, "estimands")

| estimand | value | meaning |
|---|---|---|
{estimands}

## Instrument figures of this data set

{figures.to_markdown()}
"""


def _number(value: float | None) -> str:
    return "undefined" if value is None else f"{value:.4g}"


def _defined(value: object) -> object:
    """NaN (an undefined figure, e.g. d without dropouts) as None, so the JSON stays standard."""
    if isinstance(value, dict):
        return {key: _defined(item) for key, item in value.items()}
    return None if isinstance(value, float) and math.isnan(value) else value


def _version() -> str:
    try:
        return metadata.version("alliance-dynamics")
    except metadata.PackageNotFoundError:
        return "(not installed)"


def generate_to_directory(
    out: Path,
    recipe: RunRecipe | None = None,
    therapists: int = 20,
    clients_per_therapist: int | None = None,
    seed: int = 1,
    wai_schedule: str | WaiSchedule | None = None,
    file_format: str = "parquet",
    overwrite: bool = False,
    chunk_clients: int = DEFAULT_CHUNK,
    format: str = "individual",
) -> tuple[InstrumentFigures, dict]:
    """Write a synthetic data set to ``out`` (see the module docstring), chunk by chunk, atomically:
    nothing is written if anything fails, nothing overwritten without ``overwrite``; manifest.json
    (every file's checksum, the model's code version) is published last. Returns the
    instrument figures and the truth document."""
    if file_format not in FILE_FORMATS:
        raise ValueError(f"--file-format must be one of {', '.join(FILE_FORMATS)}; got {file_format!r}")
    design = make_design(recipe, therapists, clients_per_therapist, seed, wai_schedule, format)
    names = file_names(file_format)
    check_free(out, names, overwrite)
    with atomic_outputs(out, names, overwrite) as paths:
        streams: dict[str, ParquetStream | CsvStream] = {}
        heads: dict[str, pd.DataFrame] = {}

        def write(name: str, table: pd.DataFrame) -> None:
            if name not in streams:
                path = paths[f"{name}.{file_format}"]
                streams[name] = ParquetStream(path) if file_format == "parquet" else CsvStream(path)
                heads[name] = table.head(0)
            streams[name].write(table)

        try:
            truths, figures = _stream(design, chunk_clients, write)
        finally:
            for stream in streams.values():
                stream.close()
        parameters = truth_document(design, truths, figures)
        parameters["command"] = design.command(file_format)
        write_json(paths["truth/parameters.json"], parameters)
        book = codebook.describe({f"{name}.{file_format}": heads[name] for name in TABLES})
        write_json(paths["codebook.json"], book)
        paths["codebook.md"].write_text(codebook.to_markdown(book), encoding="utf-8")
        paths["README.md"].write_text(readme(design, file_format, parameters, figures), encoding="utf-8")
        write_manifest(paths, {"command": "generate", "format": design.format, "file_format": file_format})
    return figures, parameters
