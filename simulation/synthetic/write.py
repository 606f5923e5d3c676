"""A synthetic data set in memory (:func:`generate`) or written to a folder (:func:`generate_to_directory`,
``alliance generate``), atomically, with its truth, codebook, README and manifest; with ``replicates``
above 1, a simulation study: that many data sets (seeds seed, seed + 1, ...) in replicate folders that
share one population truth (``study.json``) and one measurement model."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from simulation.config import Params
from simulation.defaults import DEFAULT_CHUNK
from simulation.instruments import codebook
from simulation.instruments.items import WaiSchedule
from simulation.instruments.scores import InstrumentFigures
from simulation.recipe import RunRecipe
from simulation.store import MANIFEST, ParquetStream, atomic_outputs, check_free, versions, write_json, write_manifest
from simulation.synthetic.chunks import stream
from simulation.synthetic.design import (
    DOCUMENTS,
    TABLES,
    Design,
    check_output_choices,
    file_names,
    make_design,
    replicate_folder,
)
from simulation.synthetic.document import defined, readme, truth_document
from simulation.synthetic.estimands import estimand_entries
from simulation.synthetic.measurement import AdministrationFigures, lavaan_syntax
from simulation.synthetic.population import population_values
from simulation.synthetic.truths import Truths

POPULATION_CLIENTS = 20_000  # the reference simulation's size for parameters other than the defaults
STUDY_FILES = ("study.json", "measurement_model.lavaan", "README.md", MANIFEST)


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


def _document(
    design: Design,
    truths: Truths,
    figures: InstrumentFigures,
    administrations: AdministrationFigures,
    population: dict | None,
) -> dict:
    """truth/parameters.json of one data set, with the population values shared by its study."""
    entries = estimand_entries(truths.values(design.params), population, design.params.alliance_effect)
    source = population["source"] if population else "not computed (population_clients 0)"
    return truth_document(design, entries, figures, administrations.values(), source)


def generate(
    recipe: RunRecipe | Params | None = None,
    therapists: int = 20,
    clients_per_therapist: int | None = None,
    seed: int = 1,
    wai_schedule: str | WaiSchedule | None = None,
    format: str = "individual",
    population_clients: int = POPULATION_CLIENTS,
) -> DataSet:
    """A synthetic data set in memory: ``therapists`` x ``clients_per_therapist`` clients (default:
    the parameter ``clients_per_therapist``; in the group and family formats whole groups or families
    of members) simulated with the parameters that ``recipe`` makes (or the Params given), the WAI-SR
    given on ``wai_schedule`` (e.g. '3,5,8,last' or 'all'; default: 3,5,8,last within the course), in
    ``format`` (individual, group, family). Population values come from the recorded reference for
    the default parameters, else from a reference simulation of ``population_clients`` (0: none)."""
    design = make_design(recipe, therapists, clients_per_therapist, seed, wai_schedule, format)
    pieces: dict[str, list[pd.DataFrame]] = {name: [] for name in TABLES}
    truths, figures, administrations = stream(design, lambda name, table: pieces[name].append(table))
    tables = {name: pd.concat(parts, ignore_index=True) for name, parts in pieces.items()}
    population = population_values(design.params, design.format, population_clients)
    return DataSet(
        tables["sessions"],
        tables["clients"],
        tables["therapists"],
        {name.split("/")[1]: tables[name] for name in TABLES if name.startswith("truth/")},
        _document(design, truths, figures, administrations, population),
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


def _write_one(
    design: Design,
    paths: dict[str, Path],
    folder: str,
    file_format: str,
    chunk_clients: int,
    population: dict | None,
    study: str,
) -> tuple[InstrumentFigures, dict]:
    """Write one data set's files (``folder``/name in ``paths``); return its figures and truth document."""
    streams: dict[str, ParquetStream | CsvStream] = {}
    heads: dict[str, pd.DataFrame] = {}

    def write(name: str, table: pd.DataFrame) -> None:
        if name not in streams:
            path = paths[f"{folder}{name}.{file_format}"]
            streams[name] = ParquetStream(path) if file_format == "parquet" else CsvStream(path)
            heads[name] = table.head(0)
        streams[name].write(table)

    try:
        truths, figures, administrations = stream(design, write, chunk_clients)
    finally:
        for one in streams.values():
            one.close()
    parameters = _document(design, truths, figures, administrations, population)
    parameters["command"] = design.command(file_format)
    write_json(paths[f"{folder}truth/parameters.json"], parameters)
    paths[f"{folder}truth/measurement_model.lavaan"].write_text(lavaan_syntax(), encoding="utf-8")
    book = codebook.describe({f"{name}.{file_format}": heads[name] for name in TABLES})
    write_json(paths[f"{folder}codebook.json"], book)
    paths[f"{folder}codebook.md"].write_text(codebook.to_markdown(book), encoding="utf-8")
    paths[f"{folder}README.md"].write_text(readme(design, file_format, parameters, figures, study), encoding="utf-8")
    return figures, parameters


def study_names(file_format: str, replicates: int) -> tuple[str, ...]:
    """Every file that ``generate_to_directory`` writes."""
    if replicates == 1:
        return file_names(file_format)
    per_replicate = [name for name in file_names(file_format) if name != MANIFEST]
    return (
        *(f"{replicate_folder(r)}/{name}" for r in range(1, replicates + 1) for name in per_replicate),
        *STUDY_FILES,
    )


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
    replicates: int = 1,
    population_clients: int = POPULATION_CLIENTS,
) -> tuple[InstrumentFigures, dict]:
    """Write a synthetic data set (or, with ``replicates`` above 1, a study of that many) to ``out``,
    chunk by chunk, atomically: nothing is written if anything fails, nothing overwritten without
    ``overwrite``; manifest.json (every file's checksum, the model's code version) is published last.
    Returns the instrument figures and the truth document (of the first replicate)."""
    check_output_choices(file_format, replicates)
    design = make_design(recipe, therapists, clients_per_therapist, seed, wai_schedule, format)
    names = study_names(file_format, replicates)
    check_free(out, names, overwrite)
    population = population_values(design.params, design.format, population_clients)
    with atomic_outputs(out, names, overwrite) as paths:
        if replicates == 1:
            figures, parameters = _write_one(design, paths, "", file_format, chunk_clients, population, "")
        else:
            command = design.command(file_format, replicates)
            results = [
                _write_one(
                    design.with_seed(seed + r - 1),
                    paths,
                    f"{replicate_folder(r)}/",
                    file_format,
                    chunk_clients,
                    population,
                    f"\nReplicate {r} of {replicates} of a simulation study (seeds {seed} to {seed + replicates - 1}, "
                    f"made by `{command}`): the study's folder holds study.json with the population values all "
                    "replicates share, the measurement model and the manifest of every file.\n",
                )
                for r in range(1, replicates + 1)
            ]
            figures, parameters = results[0]
            _write_study(paths, design, file_format, replicates, parameters)
        write_manifest(
            paths,
            {"command": "generate", "format": design.format, "file_format": file_format, "replicates": replicates},
        )
    return figures, parameters


def _write_study(paths: dict[str, Path], design: Design, file_format: str, replicates: int, first: dict) -> None:
    """The files a study's replicates share: study.json, the lavaan model and the study's README."""
    shared = {
        name: {key: entry[key] for key in ("unit", "meaning", "population", "mc_error") if key in entry}
        for name, entry in first["estimands"].items()
    }
    write_json(
        paths["study.json"],
        {
            "command": design.command(file_format, replicates),
            "replicates": replicates,
            "seeds": [design.seed + r for r in range(replicates)],
            "folders": [replicate_folder(r) for r in range(1, replicates + 1)],
            "population_source": first["population_source"],
            "estimands": defined(shared),
            "versions": versions(),
        },
    )
    paths["measurement_model.lavaan"].write_text(lavaan_syntax(), encoding="utf-8")
    paths["README.md"].write_text(
        f"# Synthetic simulation study\n\n{replicates} synthetic data sets made by\n\n"
        f"    {design.command(file_format, replicates)}\n\n"
        f"Replicate r (folder `replicate_001` to `{replicate_folder(replicates)}`) has seed {design.seed} + r - 1;"
        " each folder is a whole data set with its own README, codebook and truth (its sample values).\n"
        "`study.json` holds the population value of every estimand with its Monte Carlo error, the same for"
        " every replicate: bias, RMSE and interval coverage over the replicates are computed against it.\n"
        "`measurement_model.lavaan` is the true measurement model of the WAI-SR forms (lavaan syntax).\n"
        "`manifest.json`, written last, holds the checksum of every file of the study.\n",
        encoding="utf-8",
    )


__all__ = ["DOCUMENTS", "DataSet", "generate", "generate_to_directory", "study_names"]
