"""How a run's parameters are made, and remade: TOML parameter files (``--config``, ``alliance params
--toml``) and the run recipe (the defaults, then presets, then the config file, then ``--set``) that a
run's manifest records.
"""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from simulation.config import ParameterError, Params, assignments_text, parse_assignments, shown
from simulation.presets import PRESETS, apply_presets, preset

# --- TOML ------------------------------------------------------------------------------------------


@contextmanager
def _naming(path: str) -> Iterator[None]:
    """Prefix a :class:`ParameterError` raised inside with the config file it comes from."""
    try:
        yield
    except ParameterError as error:
        raise ParameterError(f"config file {path}: {error}") from None


@dataclass(frozen=True)
class ConfigFile:
    """A parameter file as read: where it was, its exact text, and what it sets (presets in order,
    then the ``[parameters]`` table)."""

    path: str
    text: str
    presets: tuple[str, ...]
    parameters: dict[str, Any]

    @classmethod
    def parse(cls, text: str, path: str) -> ConfigFile:
        """Check the document's shape and preset names; errors name the file."""
        try:
            document = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise ParameterError(f"config file {path} is not valid TOML: {error}") from None
        unknown_keys = sorted(set(document) - {"parameters", "presets"})
        if unknown_keys:
            raise ParameterError(
                f"config file {path}: unknown top-level key '{unknown_keys[0]}'; "
                "expected 'parameters' (a table) and optionally 'presets' (a list)"
            )
        presets = document.get("presets", [])
        if not isinstance(presets, list) or not all(isinstance(name, str) for name in presets):
            raise ParameterError(
                f"config file {path}: 'presets' must be a list of preset names ({', '.join(PRESETS)}); "
                f"got {shown(presets)}"
            )
        with _naming(path):
            for name in presets:
                preset(name)
        values = document.get("parameters", {})
        if not isinstance(values, dict):
            raise ParameterError(f"config file {path}: 'parameters' must be a table")
        return cls(path, text, tuple(presets), values)

    @property
    def sha256(self) -> str:
        """SHA-256 of the file's bytes (its UTF-8 text), hex."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def apply_parameters(self, params: Params) -> Params:
        """``params`` with the file's ``[parameters]`` table applied; errors name the file."""
        with _naming(self.path):
            return params.replace(**self.parameters)


def read_config(path: str | Path) -> ConfigFile:
    """Read a TOML parameter file: a ``[parameters]`` table and an optional ``presets = [...]`` list."""
    try:
        text = Path(path).read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise ParameterError(f"config file {path} does not exist") from None
    except OSError as error:
        raise ParameterError(f"config file {path} cannot be read: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise ParameterError(f"config file {path} is not UTF-8 text") from None
    return ConfigFile.parse(text, str(path))


def load_toml(path: str | Path, base: Params | None = None) -> Params:
    """Parameters from a TOML file over ``base`` (the defaults): its presets in order, then its
    ``[parameters]`` table. Every error names the file."""
    config = read_config(path)
    return config.apply_parameters(apply_presets(config.presets, base))


def save_toml(params: Params, path: str | Path) -> None:
    """Write every parameter to a TOML file that :func:`load_toml` reads back."""
    Path(path).write_text(to_toml(params), encoding="utf-8")


def to_toml(params: Params) -> str:
    """All parameters as a TOML document."""
    return tomli_w.dumps({"parameters": params.as_dict()})


# --- how a run's parameters were made -------------------------------------------------------------


@dataclass(frozen=True)
class RunRecipe:
    """How a run's parameters were made, enough to remake them: the defaults, then ``presets`` in
    order (the ``--preset`` options, then the config file's ``presets`` list), then the config file's
    ``[parameters]``, then ``assignments`` (``--set``). ``argv`` is the command line that made the run.
    """

    presets: tuple[str, ...] = ()
    config: ConfigFile | None = None
    assignments: dict[str, float | int | bool] = field(default_factory=dict)
    argv: tuple[str, ...] = ()

    @classmethod
    def from_options(
        cls,
        presets: Sequence[str] = (),
        config: str | Path | None = None,
        assignments: Sequence[str] = (),
        argv: Sequence[str] = (),
    ) -> RunRecipe:
        """The recipe of command-line options: ``--preset`` names, ``--config`` path, ``--set KEY=VALUE``."""
        config_file = read_config(config) if config is not None else None
        return cls(
            presets=(*presets, *(config_file.presets if config_file else ())),
            config=config_file,
            assignments=parse_assignments(assignments),
            argv=tuple(argv),
        )

    def params(self) -> Params:
        """The parameters this recipe makes."""
        params = apply_presets(self.presets)
        if self.config is not None:
            params = self.config.apply_parameters(params)
        return params.replace(**self.assignments)

    def describe(self) -> str:
        """What was set, in one phrase: 'default parameters' or the sources in the order applied."""
        parts = []
        if self.presets:
            parts.append(f"preset{'s' if len(self.presets) > 1 else ''} {', '.join(self.presets)}")
        if self.config is not None:
            parts.append(f"config file {self.config.path}")
        if self.assignments:
            parts.append(f"--set {assignments_text(self.assignments)}")
        return f"parameters from {'; '.join(parts)}" if parts else "default parameters"

    def as_dict(self) -> dict[str, Any]:
        """The recipe as JSON-ready data (the manifest's ``recipe``); :meth:`from_dict` reads it back."""
        config = self.config
        return {
            "presets": list(self.presets),
            "config": None if config is None else {"path": config.path, "sha256": config.sha256, "text": config.text},
            "set": dict(self.assignments),
            "argv": list(self.argv),
        }

    @classmethod
    def from_dict(cls, recorded: dict[str, Any]) -> RunRecipe:
        """The recipe recorded by :meth:`as_dict` (e.g. ``json.load(manifest)["recipe"]``)."""
        config = recorded["config"]
        return cls(
            presets=tuple(recorded["presets"]),
            config=None if config is None else ConfigFile.parse(config["text"], config["path"]),
            assignments=dict(recorded["set"]),
            argv=tuple(recorded["argv"]),
        )
