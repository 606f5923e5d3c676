"""The ``alliance`` command: parse, call one library function, write.

Bad input gets one line on stderr naming the problem and what is valid, exit status 2, and nothing
written. The options that commands share (``--seed`` and ``--out`` mean the same in every command that
takes them) are built in :mod:`simulation.commands.options`.

Adding a subcommand: write a module in the concern's own package (e.g. ``simulation/fit/command.py``)
with ``add_parser(commands)``, which calls ``commands.add_parser(NAME, ...)`` and adds its options (the
shared ones are in :mod:`simulation.commands.options`), and ``run(args)``, which does the work; then add
the module's dotted name to :data:`SUBCOMMANDS`, one line. A bad value is refused by raising
:class:`simulation.commands.options.UsageError` (or a ParameterError) before anything is written; a
module whose ``run`` imports modules with errors of their own that mean bad input names them in
``USER_ERRORS = (("simulation.fit.data", "DataError"), ...)`` (module, class), and they too get one line
and exit status 2. ``alliance --help`` imports every listed module, so a command module (and its
package's ``__init__``) imports only light modules at the top; pandas, pyarrow, matplotlib, Dask,
Solara and Mesa are imported inside ``run`` (tests/test_api.py checks that ``alliance --help`` and
``alliance presets`` import none of them).
"""

from __future__ import annotations

import argparse
import errno
import os
import sys
from importlib import import_module
from pathlib import Path

from simulation.backend import BackendError
from simulation.commands.options import OneLineParser, UsageError
from simulation.config import ParameterError
from simulation.extras import MissingExtraError
from simulation.memory import keep_freed_memory

SUBCOMMANDS = (  # in the order of `alliance --help`
    "simulation.commands.run",
    "simulation.commands.params",
    "simulation.commands.presets",
    "simulation.commands.calibrate",
    "simulation.commands.generate",
    "simulation.commands.sweep",
    "simulation.commands.figures",
    "simulation.commands.app",
    "simulation.fit.command",
)


def build_parser() -> argparse.ArgumentParser:
    """The ``alliance`` parser with every subcommand of :data:`SUBCOMMANDS`, each bound to its ``run``."""
    parser = OneLineParser(prog="alliance", description="Simulate the therapeutic alliance over courses of therapy.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in SUBCOMMANDS:
        module = import_module(name)
        before = set(commands.choices)
        module.add_parser(commands)
        for added in set(commands.choices) - before:
            commands.choices[added].set_defaults(handler=module.run)
    return parser


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
    import when they run (here, and each command module's ``USER_ERRORS``) are taken from those modules
    if they were imported (only they raise them)."""
    lazy = (
        ("simulation.store", "OutputExistsError"),
        ("simulation.store", "OutputFolderError"),  # a folder another process writes, or one that mixes
        ("simulation.viz.gallery", "RunDirError"),
        ("simulation.readers", "UnreadableFileError"),
        *(error for name in SUBCOMMANDS for error in getattr(sys.modules.get(name), "USER_ERRORS", ())),
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
    keep_freed_memory()  # the command owns its process: its pieces reuse freed memory (simulation.memory)
    try:
        args.handler(args)
    except BrokenPipeError:  # `alliance params | head`: the reader has gone; say nothing more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # Python's advice for SIGPIPE
        return 1
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
