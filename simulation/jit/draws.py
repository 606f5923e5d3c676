"""Counter-based draws inside the fused kernel: the hash of :mod:`simulation.backend` (SplitMix64's
finaliser of row key XOR a (stream, counter) offset), one row at a time.

The integers are the backend's to the bit, so the uniforms are too; a normal pair goes through the
same Box-Muller steps (float32 angle) but through the C library's ``log`` and ``cosf``/``sinf``
instead of numpy's vectorised ones, which may differ in the last bit (docs/performance.md).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from simulation.backend import _GOLDEN, PROCESSES, _mix_scalar

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


@njit(cache=True, inline="always")
def normals(key: np.uint64, offset: np.uint64) -> tuple[float, float]:
    """The two standard normals of one hash (Box-Muller, the angle in float32 as in the backend)."""
    first, second = uniforms(key, offset)
    radius = math.sqrt(-2.0 * math.log(first))
    angle = np.float32(second) * _TWO_PI32
    return radius * float(np.cos(angle)), radius * float(np.sin(angle))


@njit(cache=True, nogil=True)
def fill_uniforms(keys: np.ndarray, offset: np.uint64, first: np.ndarray, second: np.ndarray) -> None:
    """The two uniforms of one hash for every row, into ``first`` and ``second``."""
    for i in range(keys.shape[0]):
        first[i], second[i] = uniforms(keys[i], offset)


class NormalPairs:
    """Standard normal pairs for every row, by Box-Muller with numpy's own (vectorised) ``log``,
    ``sqrt``, ``cos`` and ``sin``, operation for operation as :meth:`simulation.backend.Draws._normals`
    computes them, so they are the reference's numbers to the bit; into buffers kept between
    sessions (the fused kernel's scalar ``log`` and ``cosf`` cost ten times as much per row)."""

    def __init__(self) -> None:
        self._buffers: dict[tuple[int, int], tuple[np.ndarray, ...]] = {}

    def _kept(self, slot: int, n: int) -> tuple[np.ndarray, ...]:
        """The buffers of ``slot`` for ``n`` rows (made again when the row count changes)."""
        if (slot, n) not in self._buffers:
            self._buffers = {key: value for key, value in self._buffers.items() if key[0] != slot}
            self._buffers[slot, n] = (np.empty(n), np.empty(n), np.empty(n, np.float32), np.empty(n, np.float32))
        return self._buffers[slot, n]

    def uniform_and_log(self, slot: int, keys: np.ndarray, offset: np.uint64) -> tuple[np.ndarray, np.ndarray]:
        """The first uniform of one hash per row, and numpy's log of the second (the life event's
        size, symptoms.life_event_loss)."""
        first, second, _, _ = self._kept(slot, keys.shape[0])
        fill_uniforms(keys, offset, first, second)
        return first, np.log(second, out=second)

    def pair(self, slot: int, keys: np.ndarray, offset: np.uint64) -> tuple[np.ndarray, np.ndarray]:
        """The two normals of one hash per row; ``slot`` names the buffers (valid until the next
        call with the same slot)."""
        radius, second, angle, cosine = self._kept(slot, keys.shape[0])
        fill_uniforms(keys, offset, radius, second)
        np.log(radius, out=radius)
        np.multiply(-2.0, radius, out=radius)
        np.sqrt(radius, out=radius)
        angle[...] = second
        np.multiply(angle, _TWO_PI32, out=angle)
        np.cos(angle, out=cosine)
        np.sin(angle, out=angle)
        np.multiply(radius, cosine, out=second)
        np.multiply(radius, angle, out=radius)
        return second, radius
