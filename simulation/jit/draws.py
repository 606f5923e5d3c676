"""Counter-based draws for the fused kernel: the hash of :mod:`simulation.backend` (SplitMix64's
finaliser of row key XOR a (stream, counter) offset), one row at a time inside the loops, and
:class:`FusedDraws`, the backend's :class:`~simulation.backend.Draws` with its hashes and Box-Muller
steps in fused loops.

The integers are the backend's to the bit, so the uniforms are too. A normal pair goes through the
same Box-Muller steps (float32 angle) with numpy's own ``log``, ``cos`` and ``sin`` on whole arrays,
since the C library's scalar ``log`` and ``cosf``/``sinf`` may differ from numpy's vectorised ones
in the last bit (docs/performance.md): the loops leave the arguments in arrays, numpy takes the
functions in place, and :func:`box_muller` finishes the pair.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
from numba import njit

from simulation.backend import _GOLDEN, PROCESSES, Draws, _mix_scalar

_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S32 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(32)
_LOW32 = np.uint64(0xFFFFFFFF)
_TWO_PI32 = np.float32(2.0 * math.pi)


def stream_offset(stream: int, counter: int) -> int:
    """The offset that :meth:`simulation.backend.Draws._bits` XORs into a row key."""
    return _mix_scalar((int(stream) << 40) ^ (counter * _GOLDEN))


def session_offsets(names: tuple[str, ...], session: int) -> np.ndarray:
    """One uint64 offset per named single-draw process for ``session`` (processes that share a
    stream get the same offset; the kernel takes half 0 or 1 of the hash as the registry says)."""
    slots = [PROCESSES.slots[name] for name in names]
    return np.asarray([stream_offset(slot.stream, session * slot.hashes) for slot in slots], dtype=np.uint64)


_GOLDEN_U64 = np.uint64(_GOLDEN)


@njit(cache=True, inline="always")
def mixed(value: np.uint64) -> np.uint64:
    """SplitMix64's finaliser (backend._mix_numpy) of one uint64 (wrapping arithmetic)."""
    value = (value ^ (value >> _S30)) * _MIX1
    value = (value ^ (value >> _S27)) * _MIX2
    return value ^ (value >> _S31)


@njit(cache=True, inline="always")
def hashed(key: np.uint64, offset: np.uint64) -> np.uint64:
    """SplitMix64's finaliser of ``key ^ offset`` (wrapping uint64 arithmetic)."""
    value = key ^ offset
    value = (value ^ (value >> _S30)) * _MIX1
    value = (value ^ (value >> _S27)) * _MIX2
    return value ^ (value >> _S31)


@njit(cache=True, inline="always")
def uniforms(key: np.uint64, offset: np.uint64) -> tuple[float, float]:
    """The two uniforms on (0, 1) of one hash (high and low 32 bits)."""
    bits = hashed(key, offset)
    high = float(bits >> _S32)
    low = float(bits & _LOW32)
    return (high + 0.5) * 2.0**-32, (low + 0.5) * 2.0**-32


@njit(cache=True, nogil=True)
def fill_uniforms(keys: np.ndarray, offset: np.uint64, first: np.ndarray, second: np.ndarray) -> None:
    """The two uniforms of one hash for every row, into ``first`` and ``second``."""
    for i in range(keys.shape[0]):
        first[i], second[i] = uniforms(keys[i], offset)


@njit(cache=True, nogil=True)
def hash_angles(keys: np.ndarray, offset: np.uint64, first: np.ndarray, angle: np.ndarray) -> None:
    """Box-Muller's first steps for every row: the first uniform of one hash into ``first`` (for
    numpy's log) and the angle, the second uniform in float32 times 2 pi in float32, into ``angle``
    (for numpy's cos and sin)."""
    for i in range(keys.shape[0]):
        first[i], second = uniforms(keys[i], offset)
        angle[i] = np.float32(second) * _TWO_PI32


@njit(cache=True, nogil=True)
def box_muller(log_first, cosine, sine, first, second):  # fmt: skip
    """Box-Muller's last steps for every row, into ``first`` and ``second``: from numpy's log of the
    first uniform (``log_first``) and the float32 cosine and sine of the angle, the radius
    sqrt(-2 log u) times each, in float64."""
    for i in range(first.shape[0]):
        radius = math.sqrt(-2.0 * log_first[i])
        first[i], second[i] = radius * np.float64(cosine[i]), radius * np.float64(sine[i])


@dataclass(frozen=True)
class FusedDraws(Draws):
    """:class:`simulation.backend.Draws` for the fused kernel (backend "numba"): the same numbers,
    operation for operation (:meth:`simulation.backend.Draws._normals`), each hash by
    :func:`fill_uniforms` or :func:`hash_angles` and each normal pair finished by :func:`box_muller`
    around numpy's ``log``, ``cos`` and ``sin``, with three passes over the rows instead of a dozen of
    numpy's whole-array steps, and with its scratch arrays kept from call to call.

    The draws themselves are new arrays (the intake keeps them as traits), unless ``keep``
    (:meth:`kept`): they then go into ``buffers`` kept for their stream, valid until that stream is
    drawn again, for draws used within one session (the session's noise), which so touch no fresh
    memory."""

    keep: bool = False
    buffers: dict[tuple, np.ndarray] = field(default_factory=dict, compare=False, repr=False)

    def kept(self) -> FusedDraws:
        """These draws, with each stream's draws in buffers kept for it (the buffers shared with
        ``self``)."""
        return replace(self, keep=True)

    def _buffer(self, name: tuple, dtype: type = np.float64) -> np.ndarray:
        """The kept buffer ``name`` for one array of the rows' shape (made again when that changes)."""
        kept = self.buffers.get(name)
        if kept is None or kept.shape != self.keys.shape or kept.dtype != dtype:
            kept = self.buffers[name] = np.empty(self.keys.shape, dtype)
        return kept

    def _outputs(self, stream: int) -> tuple[np.ndarray, np.ndarray]:
        if self.keep:
            return self._buffer(("first", stream)), self._buffer(("second", stream))
        return np.empty(self.keys.shape), np.empty(self.keys.shape)

    def _uniforms(self, stream: int, counter: int) -> tuple[np.ndarray, np.ndarray]:
        first, second = self._outputs(stream)
        offset = np.uint64(stream_offset(stream, counter))
        fill_uniforms(self.keys.reshape(-1), offset, first.reshape(-1), second.reshape(-1))
        return first, second

    def _normals(self, stream: int, counter: int) -> tuple[np.ndarray, np.ndarray]:
        log_first, angle, cosine = (
            self._buffer(("log",)),
            self._buffer(("angle",), np.float32),
            self._buffer(("cosine",), np.float32),
        )
        hash_angles(
            self.keys.reshape(-1), np.uint64(stream_offset(stream, counter)), log_first.reshape(-1), angle.reshape(-1)
        )
        np.log(log_first, out=log_first)
        np.cos(angle, out=cosine)
        np.sin(angle, out=angle)
        first, second = self._outputs(stream)
        box_muller(*(values.reshape(-1) for values in (log_first, cosine, angle, first, second)))
        return first, second
