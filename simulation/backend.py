"""Array backends and random numbers: the one place where the kernel meets numpy, CuPy or the RNG.

Random numbers are *counter-based*: a draw is a hash of (row key, stream, session), where a row's key
comes from the run's seed and the row's index within its run (Salmon et al. 2011, "Parallel random
numbers: as easy as 1, 2, 3"; JAX's PRNG is built the same way). The hash is the SplitMix64 finaliser
(Steele, Lea & Flood 2014), a bijection on 64-bit words with full avalanche.

Why not one ``numpy.random.Generator`` per run, as DESIGN.md first sketched? Because a counter-based
draw depends on nothing but its coordinates, so the same client gets the same numbers however runs are
stacked, however a cohort is cut into chunks, whichever worker runs it, and on any array library. It
also gives *common random numbers* for free: with ``repair_enabled`` false the same clients meet the
same rupture draws, so a comparison of repair on vs off is paired. Seeds still come from
``numpy.random.SeedSequence`` (study seed, run index), as DESIGN.md asks.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

Array = Any  # an array of whichever namespace the kernel runs on

BACKENDS = ("numpy", "cupy")

_GOLDEN = 0x9E3779B97F4A7C15
_MIX1 = 0xBF58476D1CE4E5B9
_MIX2 = 0x94D049BB133111EB
_MASK64 = (1 << 64) - 1


def namespace(backend: str) -> Any:
    """The array namespace for ``backend``: numpy itself (numpy >= 2.1 follows the array API
    standard, and its own functions skip array-api-compat's Python-level wrappers, which cost a
    third of the kernel's time at 1,000 clients), or CuPy through array-api-compat."""
    if backend == "numpy":
        return np
    if backend == "cupy":
        try:
            import array_api_compat.cupy as xp
        except ImportError:
            raise BackendError("backend 'cupy' needs CuPy and a GPU: pip install -e '.[gpu]'") from None
        return xp
    raise BackendError(f"unknown backend '{backend}'; choose one of: {', '.join(BACKENDS)}")


class BackendError(ValueError):
    """The asked-for array backend is unknown or not installed."""


def to_numpy(array: Array) -> np.ndarray:
    """Copy an array of any namespace to host numpy (a no-op view for numpy itself)."""
    if isinstance(array, np.ndarray):
        return array
    if hasattr(array, "get"):  # CuPy
        return array.get()
    return np.asarray(array)


class Stream(enum.IntEnum):
    """Named random streams: one per random process, so that switching one off shifts no other.

    Each hash gives two uniforms (or two normals), so one stream can serve two processes of the
    same session: the comment names both halves.
    """

    ATTACHMENT = 1  # attachment style | culture
    MODALITY = 3
    INTAKE = 4
    CLIENT_TRAITS = 5  # normals for motivation, resistance, transference, expectancy, openness
    STYLE = 6  # interpersonal style (client: counter 0, therapist: counter 1)
    THERAPIST_TRAITS = 7  # normals for the therapist's traits
    THERAPIST_CULTURE = 8
    ATTENDANCE = 20  # attendance | dropout
    RUPTURE = 21  # onset | kind
    SEVERITY = 22  # severity | SRS used this session
    SRS = 23  # SRS noise | therapist's view noise
    DETECTION = 24  # detection | repair
    SYMPTOMS = 26  # symptom noise | ORS measurement error


def _mix_scalar(value: int) -> int:
    """SplitMix64 finaliser on a Python int (used for keys and counters)."""
    value &= _MASK64
    value = ((value ^ (value >> 30)) * _MIX1) & _MASK64
    value = ((value ^ (value >> 27)) * _MIX2) & _MASK64
    return value ^ (value >> 31)


def run_key(seed: int | np.random.SeedSequence) -> int:
    """A run's 64-bit key from its seed (an int or a SeedSequence, e.g. spawned for one run)."""
    sequence = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    return int(sequence.generate_state(1, dtype=np.uint64)[0])


def run_seeds(study_seed: int, n_runs: int) -> list[np.random.SeedSequence]:
    """One independent seed per run, derived from the study seed and the run index."""
    return np.random.SeedSequence(study_seed).spawn(n_runs)


class Domain(enum.IntEnum):
    """What a row key identifies, so that client 3 and therapist 3 of a run draw apart."""

    CLIENT = 1
    THERAPIST = 2


@dataclass(frozen=True)
class Draws:
    """Counter-based random numbers for a set of rows (clients or therapists of one or more runs).

    ``keys`` holds one uint64 key per row. Every draw is a pure function of (key, stream, counter):
    two uniforms per hash (the high and low 32 bits), so a pair of normals costs one hash.
    """

    xp: Any
    keys: Array

    @classmethod
    def for_rows(cls, xp: Any, run_keys: np.ndarray, indices: np.ndarray, domain: Domain) -> Draws:
        """Keys for rows given each row's run key and its index within that run."""
        salt = _mix_scalar(int(domain) * _GOLDEN)
        counters = np.asarray(indices, dtype=np.uint64) * np.uint64(_GOLDEN) + np.uint64(salt)
        keys = _mix_numpy(np.asarray(run_keys, dtype=np.uint64) ^ _mix_numpy(counters))
        return cls(xp, xp.asarray(keys))

    def take(self, rows: Array) -> Draws:
        """The draws of a subset of rows (integer indices)."""
        return Draws(self.xp, self.xp.take(self.keys, rows))

    def _bits(self, stream: Stream, counter: int) -> Array:
        xp = self.xp
        offset = _mix_scalar((int(stream) << 40) ^ (counter * _GOLDEN))
        value = self.keys ^ xp.asarray(offset, dtype=xp.uint64)
        value = value ^ (value >> 30)
        value *= xp.asarray(_MIX1, dtype=xp.uint64)  # typed: a Python int above 2**63 is not portable
        value ^= value >> 27
        value *= xp.asarray(_MIX2, dtype=xp.uint64)
        value ^= value >> 31
        return value

    def uniforms(self, stream: Stream, counter: int) -> tuple[Array, Array]:
        """Two independent uniform arrays on (0, 1), resolution 2**-32, never exactly 0 or 1."""
        xp = self.xp
        bits = self._bits(stream, counter)
        high = xp.astype(bits >> 32, xp.float64)
        low = xp.astype(bits & 0xFFFFFFFF, xp.float64)
        return (high + 0.5) * 2.0**-32, (low + 0.5) * 2.0**-32

    def uniform(self, stream: Stream, counter: int) -> Array:
        """One uniform array on (0, 1)."""
        return self.uniforms(stream, counter)[0]

    def normals(self, stream: Stream, counter: int) -> tuple[Array, Array]:
        """Two independent standard normal arrays (Box-Muller on one hash).

        The angle's cosine and sine are taken in float32: numpy's float64 trigonometry is not
        vectorised and cost 30 ns a pair (over half of all random-number time), float32's costs 1 ns,
        and a relative error of 1e-7 in a noise term is far below anything the model can show.
        """
        xp = self.xp
        first, second = self.uniforms(stream, counter)
        radius = xp.sqrt(-2.0 * xp.log(first))
        angle = xp.astype(second, xp.float32) * (2.0 * math.pi)
        cosine, sine = xp.astype(xp.cos(angle), xp.float64), xp.astype(xp.sin(angle), xp.float64)
        return radius * cosine, radius * sine

    def normal(self, stream: Stream, counter: int) -> Array:
        """One standard normal array."""
        return self.normals(stream, counter)[0]


def _mix_numpy(values: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser over a numpy uint64 array (wrapping arithmetic)."""
    values = values ^ (values >> np.uint64(30))
    values = values * np.uint64(_MIX1)
    values = values ^ (values >> np.uint64(27))
    values = values * np.uint64(_MIX2)
    return values ^ (values >> np.uint64(31))
