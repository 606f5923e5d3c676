"""The session records of a pass laid out client by client (simulation.tables.session_arrays), compiled
by numba: one pass per column that moves each session-major value to its client-major row and converts
it to the table's dtype on the way (numpy's take and astype made two passes, and a third for the
session numbers)."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def client_major_rows(
    positions: np.ndarray, sessions: np.ndarray, sizes: np.ndarray, offsets: np.ndarray, start: np.ndarray
) -> np.ndarray:
    """The client-major table row of each session-major record: records ``sizes[k]`` of session
    ``sessions[k]`` follow one another in ``positions`` (each one's row in the pass), and the row of
    (client c, session s) is ``offsets[c] + s - start[c]``."""
    at = np.empty(positions.shape[0], dtype=np.int64)
    k = 0
    for index in range(sizes.shape[0]):
        session = sessions[index]
        for _ in range(sizes[index]):
            row = positions[k]
            at[k] = offsets[row] + session - start[row]
            k += 1
    return at


@njit(cache=True, nogil=True)
def place(out: np.ndarray, at: np.ndarray, values: np.ndarray) -> None:
    """``out[at[i]] = values[i]`` for every i, converted to ``out``'s dtype as numpy's astype
    converts it."""
    for i in range(values.shape[0]):
        out[at[i]] = values[i]


@njit(cache=True, nogil=True)
def session_numbers(offsets: np.ndarray, lengths: np.ndarray, start: np.ndarray, out: np.ndarray) -> None:
    """Each client-major row's session: a client's rows are sessions start, start + 1, ... in order."""
    for client in range(offsets.shape[0]):
        for j in range(lengths[client]):
            out[offsets[client] + j] = start[client] + j


@njit(cache=True, nogil=True)
def whole_points(values: np.ndarray, points: np.ndarray, missing: np.ndarray) -> None:
    """Instrument totals (whole ORS or SRS points, NaN where missing) as small integers into
    ``points`` (0 where missing) with ``missing`` marking NaN: one pass for what np.isnan, np.where
    and astype did in three."""
    for i in range(values.shape[0]):
        missing[i] = np.isnan(values[i])
        points[i] = 0 if missing[i] else values[i]
