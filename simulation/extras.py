"""Optional dependencies: the parts that need one import it through ``require``, when used, so that
the rest of the package (and ``alliance --help``) works without it, and a missing one is refused
with one line naming the extra to install (pyproject.toml's [project.optional-dependencies])."""

from __future__ import annotations

import importlib
from types import ModuleType


class MissingExtraError(ImportError):
    """An optional dependency is not installed; the message names the extra that brings it."""


def require(module: str, extra: str, purpose: str) -> ModuleType:
    """Import ``module`` (from the ``extra`` extra, needed for ``purpose``) or raise MissingExtraError."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as error:
        if error.name is None or error.name.split(".")[0] != module.split(".")[0]:
            raise  # the module is there but broken: not a missing extra
        raise MissingExtraError(
            f"{purpose} needs {module}, which is not installed: pip install 'alliance-dynamics[{extra}]'"
            f" (or '.[{extra}]' in a checkout)"
        ) from None
