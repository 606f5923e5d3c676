"""The ``alliance`` command: parse, call one library function, write.

``--seed`` and ``--out`` mean the same in every command that takes them. Bad input gets one line on
stderr naming the problem and what is valid, exit status 2, and nothing written.
"""

from __future__ import annotations

import argparse
import errno
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

from simulation.backend import BACKENDS, BackendError
from simulation.config import PARAMETERS, ParameterError, Params, declared_in, markdown_table, shown
from simulation.defaults import CALIBRATION_CLIENTS, CALIBRATION_SEED, DEFAULT_CHUNK, FILE_FORMATS
from simulation.extras import MissingExtraError
from simulation.fit import command as fit_command
from simulation.formats import FORMATS, get_format
from simulation.presets import PRESETS
from simulation.recipe import RunRecipe, to_toml

# pandas, pyarrow, matplotlib, Dask, Solara and Mesa are imported inside the commands that need them,
# so that `alliance --help` and `alliance presets` stay fast (tests/test_api.py)

DEFAULT_CLIENTS = 2000
DEFAULT_SEED = 1
MAX_CLIENTS = 100_000_000
DEFAULT_PORT = 8765


class UsageError(ValueError):
    """A bad command-line value (the message names the option and its valid range)."""


class OneLineParser(argparse.ArgumentParser):
    """argparse, refusing in one line: 'alliance run: error: --clients must be from 1 to ...; see
    alliance run --help' (argparse prints its usage first and names the option twice)."""

    def error(self, message: str) -> NoReturn:
        option = re.match(r"argument ([^:]+): (?=\1 )", message)  # 'argument --chunk: --chunk must be ...'
        text = message[option.end() :] if option else message
        self.exit(2, f"{self.prog}: error: {text}; see {self.prog} --help\n")


def _count(option: str, low: int, high: int):
    """An argparse type: a whole number in [low, high], with a message naming the option."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{option} must be a whole number from {low} to {high}; got {shown(text)}"
            ) from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{option} must be from {low} to {high}; got {shown(value)}")
        return value

    return parse


def _nonempty[T](option: str, kind: Callable[[str], T], valid: str) -> Callable[[str], T]:
    """An argparse type: ``kind`` of a text that is not empty or blank (an empty --out would mean the
    current folder; an empty --scheduler, no cluster), with a message naming the option and ``valid``."""

    def parse(text: str) -> T:
        if not text.strip():
            raise argparse.ArgumentTypeError(f"{option} must be {valid}; got an empty value")
        return kind(text)

    return parse


def _add_parameter_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--preset",
        action="append",
        default=[],
        metavar="NAME",
        help=f"apply a named preset (repeatable, in order): {', '.join(PRESETS)}",
    )
    parser.add_argument("--config", type=Path, metavar="FILE", help="TOML file with a [parameters] table")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        dest="assignments",
        help="override one parameter, e.g. --set repair_skill_mean=0.7 (repeatable)",
    )
    parser.set_defaults(command_line=[])  # main() fills in the command line it was given


def _add_clients_option(parser: argparse.ArgumentParser, low: int, default: int, meaning: str) -> None:
    parser.add_argument(
        "--clients", type=_count("--clients", low, MAX_CLIENTS), default=default, help=f"{meaning} (default {default})"
    )


OUT_DIR = _nonempty("--out", Path, "a folder path")


def _add_output_options(parser: argparse.ArgumentParser, seed: int, out_help: str) -> None:
    parser.add_argument(
        "--seed",
        type=_count("--seed", 0, 2**63 - 1),
        default=seed,
        help=f"random seed (same seed, same bytes; default {seed})",
    )
    parser.add_argument("--out", type=OUT_DIR, metavar="DIR", help=out_help)
    parser.add_argument("--overwrite", action="store_true", help="replace existing output files")


def _add_chunk_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--chunk",
        type=_count("--chunk", 1, MAX_CLIENTS),
        default=DEFAULT_CHUNK,
        help=f"clients per chunk, bounds memory; does not change results (default {DEFAULT_CHUNK})",
    )


def _add_format_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format",
        default="individual",
        metavar="NAME",
        help=f"therapy format: {', '.join(FORMATS)} (default individual; sizes count members, people in "
        "therapy; set group_size or family_size with --set; --chunk is rounded down to whole units)",
    )


def resolve_recipe(args: argparse.Namespace) -> RunRecipe:
    """How the parameters are made: defaults, then --preset in order, then --config (its presets,
    then its parameters), then --set; with the command line."""
    return RunRecipe.from_options(args.preset, args.config, args.assignments, args.command_line)


def resolve_params(args: argparse.Namespace) -> Params:
    """The parameters that the options make (see :func:`resolve_recipe`)."""
    return resolve_recipe(args).params()


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="alliance", description="Simulate the therapeutic alliance over courses of therapy.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser(
        "run",
        help="simulate a cohort and write its tables",
        description="Simulate a cohort (clients, or members of groups or families with --format) and write "
        "sessions, clients, therapists (Parquet), the unit table (groups.parquet or families.parquet) in "
        "the group and family formats, and manifest.json to --out.",
    )
    _add_parameter_options(run)
    _add_clients_option(run, 1, DEFAULT_CLIENTS, "cohort size")
    _add_output_options(run, DEFAULT_SEED, "output directory (required)")
    _add_format_option(run)
    run.add_argument("--backend", choices=BACKENDS, default="numpy", help="array library for the kernel")
    _add_chunk_option(run)

    params = commands.add_parser("params", help="list every parameter (name, default, range, unit, meaning)")
    _add_parameter_options(params)
    params.add_argument("--toml", action="store_true", help="print the (resolved) parameters as TOML instead")
    params.add_argument("--markdown", action="store_true", help="print the defaults as a Markdown table")
    params.add_argument("--out", type=OUT_DIR, metavar="DIR", help="also write DIR/parameters.toml")
    params.add_argument("--overwrite", action="store_true", help="replace an existing parameters.toml")

    commands.add_parser("presets", help="list the presets, one line each")

    calibration = commands.add_parser("calibrate", help="simulated vs published figures, side by side")
    _add_parameter_options(calibration)
    _add_clients_option(calibration, 100, CALIBRATION_CLIENTS, "calibration cohort size")
    _add_output_options(calibration, CALIBRATION_SEED, "also write DIR/calibration.md and DIR/calibration.json")
    _add_format_option(calibration)

    generate = commands.add_parser(
        "generate",
        help="write a synthetic data set with known truth (item scores, truth, codebook)",
        description="Simulate therapists x clients-per-therapist clients and write a synthetic data set to "
        "--out: the long table of item scores (sessions), clients, therapists, truth/ (latent states, "
        "parameters, true effects), codebook.json, codebook.md and README.md.",
    )
    _add_parameter_options(generate)
    _add_output_options(generate, DEFAULT_SEED, "output directory (required)")
    _add_format_option(generate)
    generate.add_argument(
        "--therapists", type=_count("--therapists", 1, MAX_CLIENTS), default=20, help="therapists (default 20)"
    )
    generate.add_argument(
        "--clients-per-therapist",
        type=_count("--clients-per-therapist", 1, 1000),
        help="caseload (default: the parameter clients_per_therapist)",
    )
    generate.add_argument(
        "--wai-schedule",
        metavar="SESSIONS",
        help="sessions at whose end the WAI-SR is given (1 to the course's last), e.g. 3,5,8,last, or all "
        "(default 3,5,8,last, without the sessions past a shorter course)",
    )
    generate.add_argument("--file-format", choices=FILE_FORMATS, default="parquet", help="table files (parquet)")
    _add_chunk_option(generate)

    sweep = commands.add_parser(
        "sweep",
        help="run a parameter sweep from a study file (resumes a killed one)",
        description="Run every run of a study file (experiments/smoke.toml shows the format) and write "
        "summary.parquet (one row per run), parts and manifest.json to --out. Run it again on the same "
        "--out to resume a study that was stopped.",
    )
    sweep.add_argument("study", type=Path, metavar="STUDY.toml", help="the study file")
    sweep.add_argument("--out", type=OUT_DIR, metavar="DIR", help="output directory (required)")
    sweep.add_argument(
        "--workers",
        type=_count("--workers", 0, 4096),
        help="local worker processes (default: all cores; 0: in this process)",
    )
    sweep.add_argument(
        "--scheduler",
        type=_nonempty("--scheduler", str, "a Dask scheduler address tcp://HOST:PORT"),
        metavar="tcp://HOST:PORT",
        help="run on this Dask cluster instead",
    )
    sweep.add_argument("--overwrite", action="store_true", help="replace a different study's results in --out")

    figures = commands.add_parser(
        "figures",
        help="draw the figure gallery of a run (PNG and SVG)",
        description="Draw the teaching figures (trajectories, V shape, outcomes by therapist repair skill "
        "and attunement, dropout curves, dose-response; a group run adds cohesion over the course, a family "
        "run dropout by the family's split) from the tables that 'alliance run' wrote.",
    )
    figures.add_argument("run_dir", type=Path, metavar="RUN_DIR", help="a directory written by 'alliance run --out'")
    figures.add_argument("--out", type=OUT_DIR, metavar="DIR", help="where to write the figures (required)")
    figures.add_argument("--overwrite", action="store_true", help="replace existing figure files")

    app = commands.add_parser(
        "app",
        help="serve the teaching page on 127.0.0.1",
        description="Serve the teaching page (Mesa's SolaraViz over AllianceModel) on 127.0.0.1 until interrupted.",
    )
    app.add_argument(
        "--port", type=_count("--port", 1024, 65535), default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})"
    )
    fit_command.add_parser(commands)
    return parser


def command_run(args: argparse.Namespace) -> None:
    from simulation.store import run_files, run_to_directory

    if args.out is None:
        raise UsageError("run needs --out DIR (where to write the tables)")
    get_format(args.format)  # an unknown format is refused before anything is written
    summary = run_to_directory(
        resolve_recipe(args),
        args.clients,
        args.seed,
        args.out,
        args.overwrite,
        args.chunk,
        args.backend,
        format_name=args.format,
    )
    print(summary.to_text())
    print(f"Wrote {args.out}/ ({', '.join(run_files(args.format))})")


def parameter_table(params: Params) -> str:
    """Every parameter: name, value, range, unit and meaning, by concern and group, with the files that
    declare each concern's parameters."""
    lines, concern, group = [], None, None
    for name, spec in PARAMETERS.items():
        if spec.concern != concern:
            concern = spec.concern
            lines.append(f"\n# {concern} ({', '.join(declared_in(concern))})")
        if spec.group != group:
            group = spec.group
            lines.append(f"\n[{group}]")
        value = getattr(params, name)
        marker = "" if value == spec.default else f" (default {spec.default})"
        lines.append(f"  {name} = {value}{marker}   range {spec.format_range()}, {spec.unit}: {spec.meaning}")
    return "\n".join(lines).lstrip("\n")


def command_params(args: argparse.Namespace) -> None:
    params = resolve_params(args)
    if args.out is not None:
        from simulation.store import atomic_outputs

        with atomic_outputs(args.out, ("parameters.toml",), args.overwrite) as paths:
            paths["parameters.toml"].write_text(to_toml(params), encoding="utf-8")
    print(to_toml(params) if args.toml else markdown_table() if args.markdown else parameter_table(params))


def command_presets(args: argparse.Namespace) -> None:
    width = max(len(name) for name in PRESETS)
    for preset in PRESETS.values():
        print(f"{preset.name:<{width}}  {preset.kind:<11}  {preset.summary}")


def command_calibrate(args: argparse.Namespace) -> None:
    from simulation.calibration import calibrate, calibrate_format, format_target
    from simulation.store import atomic_outputs, check_free, write_json

    recipe = resolve_recipe(args)
    params = recipe.params()
    format_ = get_format(args.format)
    names = ("calibration.md", "calibration.json")
    if args.out is not None:
        check_free(args.out, names, args.overwrite)
    if not format_.has_units:
        report = calibrate(params, args.clients, args.seed, recipe.describe())
        values = report.values | report.directiveness
        values |= {f"instruments.{name}": value for name, value in report.instruments.values().items()}
    else:
        report = calibrate_format(args.format, params, args.clients, args.seed, recipe.describe())
        values = {format_target(args.format).name: report.value, **report.figures}
    text = report.to_markdown()
    print(text)
    if args.out is not None:
        with atomic_outputs(args.out, names, args.overwrite) as paths:
            paths["calibration.md"].write_text(
                f"# Calibration\n\nOutput of `alliance calibrate`.\n\n{text}\n", encoding="utf-8"
            )
            write_json(
                paths["calibration.json"],
                {
                    "format": args.format,
                    "values": values,
                    "seed": args.seed,
                    "clients": args.clients,
                    "recipe": recipe.as_dict(),
                    "parameters": params.as_dict(),
                },
            )


def command_generate(args: argparse.Namespace) -> None:
    from simulation.instruments.items import WaiSchedule
    from simulation.synthetic import generate_to_directory

    if args.out is None:
        raise UsageError("generate needs --out DIR (where to write the data set)")
    try:
        schedule = None if args.wai_schedule is None else WaiSchedule.parse(args.wai_schedule)
    except ValueError as error:
        raise UsageError(str(error)) from None
    figures, truth = generate_to_directory(
        args.out,
        resolve_recipe(args),
        args.therapists,
        args.clients_per_therapist,
        args.seed,
        schedule,
        args.file_format,
        args.overwrite,
        args.chunk,
        args.format,
    )
    print(f"Synthetic data set of {truth['clients']} clients, {truth['therapists']} therapists ({args.format})")
    print(figures.to_markdown())
    print(f"Wrote {args.out}/ (sessions, clients, therapists, truth/, codebook.json, codebook.md, README.md, manifest)")


def command_sweep(args: argparse.Namespace) -> None:
    from simulation.sweeps import dask_executor, load_study, run_study

    if args.out is None:
        raise UsageError("sweep needs --out DIR (where to write the results)")
    if args.scheduler is not None and args.workers is not None:
        raise UsageError("--workers and --scheduler exclude each other (the cluster decides its workers)")
    study = load_study(args.study)
    try:
        executor, client = dask_executor(args.scheduler) if args.scheduler else (None, None)
    except (OSError, ValueError) as error:  # unreachable (TimeoutError is an OSError) or malformed address
        raise UsageError(f"--scheduler: could not reach a Dask scheduler at {args.scheduler}: {error}") from None
    try:
        result = run_study(study, args.out, workers=args.workers, executor=executor, overwrite=args.overwrite)
    finally:
        if client is not None:
            client.close()
    print(f"Study {study.name}: {len(result.summary)} runs of {study.clients} {study.people} ({study.sampler} sampler)")
    print(f"Wrote {args.out}/ ({', '.join(f'{name}.parquet' for name in study.outputs)}, parts/, manifest.json)")


def command_figures(args: argparse.Namespace) -> None:
    from simulation.viz.gallery import write_gallery

    if args.out is None:
        raise UsageError("figures needs --out DIR (where to write the figures)")
    names = write_gallery(args.run_dir, args.out, args.overwrite)
    print(f"Wrote {args.out}/ ({len(names)} files: {', '.join(names)})")


def command_app(args: argparse.Namespace) -> None:
    from simulation.app_server import PortInUseError, serve  # Solara (the app extra) only when serving

    try:
        serve(args.port)
    except PortInUseError as error:
        raise UsageError(str(error)) from None


COMMANDS = {
    "run": command_run,
    "params": command_params,
    "presets": command_presets,
    "calibrate": command_calibrate,
    "sweep": command_sweep,
    "figures": command_figures,
    "app": command_app,
    "generate": command_generate,
    fit_command.NAME: fit_command.run,
}


def os_error_behind(error: BaseException) -> OSError | None:
    """The OS error that caused ``error``, if any: the error itself, or one it was raised from or while
    handling (a full disk makes pyarrow's writer fail, and closing it then raises 'Operation on closed
    file', which would hide 'No space left on device')."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, OSError) and (seen.errno is not None or seen.strerror is not None):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def os_error_message(error: OSError, out: Path | None) -> str:
    """An OS error in plain words, naming the file, or the output folder for a file in a temporary
    staging folder (which is removed)."""
    where = str(error.filename) if error.filename else None
    if where is None or (out is not None and ".partial-" in where):
        where = str(out) if out is not None else "the output"
    if error.errno == errno.ENOSPC:
        return f"no space left on device while writing {where}"
    return f"{where}: {error.strerror or error}"


def user_errors() -> tuple[type[Exception], ...]:
    """The errors that mean bad input (one line, exit status 2). Those of the modules that commands
    import when they run are taken from those modules if they were imported (only they raise them)."""
    lazy = (
        ("simulation.store", "OutputExistsError"),
        ("simulation.store", "OutputFolderError"),  # a folder another process writes, or one that mixes
        ("simulation.viz.gallery", "RunDirError"),
        ("simulation.readers", "UnreadableFileError"),
        ("simulation.fit.data", "DataError"),
    )
    loaded = tuple(getattr(sys.modules[module], name) for module, name in lazy if module in sys.modules)
    return (ParameterError, UsageError, BackendError, MissingExtraError, *loaded)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``alliance`` command; returns the exit status: 0, or 2 for bad input, for
    errors of the operating system (no space left, no permission, a file where a folder should be) and
    for running out of memory, each said in one line on stderr."""
    arguments = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(arguments)
    args.command_line = ["alliance", *arguments]  # recorded with the outputs
    try:
        COMMANDS[args.command](args)
    except user_errors() as error:
        print(f"alliance {args.command}: error: {error}", file=sys.stderr)
        return 2
    except MemoryError as error:  # numpy: 'Unable to allocate 22.9 GiB for an array with shape ...'
        reason = str(error).split(" for an array")[0] or "out of memory"
        print(
            f"alliance {args.command}: error: not enough memory ({reason}); a smaller --chunk or fewer clients "
            "needs less",
            file=sys.stderr,
        )
        return 2
    except Exception as error:
        cause = os_error_behind(error)
        if cause is None:
            raise  # a bug: the traceback is wanted
        print(f"alliance {args.command}: error: {os_error_message(cause, getattr(args, 'out', None))}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
