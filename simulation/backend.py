"""Array backends and random numbers: the one place where the kernel meets numpy, CuPy or the RNG.

Random numbers are *counter-based*: a draw is a hash of (row key, stream, session), where a row's key
comes from the run's seed and the row's index within its run (Salmon et al. 2011, "Parallel random
numbers: as easy as 1, 2, 3"; JAX's PRNG is built the same way). The hash is the SplitMix64 finaliser
(Steele, Lea & Flood 2014), a bijection on 64-bit words with full avalanche.

Why not one ``numpy.random.Generator`` per run, as the project's first design sketched? Because a counter-based
draw depends on nothing but its coordinates, so the same client gets the same numbers however runs are
stacked, however a cohort is cut into chunks, whichever worker runs it, and on any array library. It
also gives *common random numbers* for free: with ``repair_enabled`` false the same clients meet the
same rupture draws, so a comparison of repair on vs off is paired. Seeds still come from
``numpy.random.SeedSequence`` (study seed, run index), as the design asks.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

Array = Any  # an array of whichever namespace the kernel runs on

BACKENDS = ("numba", "numpy", "cupy")
DEFAULT_BACKEND = "numba"
"""The fused kernel (numpy arrays, the session update compiled by numba: simulation.jit); "numpy" is the
readable array-API reference it is checked against, "cupy" the same reference on a GPU (docs/performance.md)."""

_GOLDEN = 0x9E3779B97F4A7C15
_MIX1 = 0xBF58476D1CE4E5B9
_MIX2 = 0x94D049BB133111EB
_MASK64 = (1 << 64) - 1


def namespace(backend: str) -> Any:
    """The array namespace for ``backend``: numpy itself (for "numba" too, whose fused kernel runs on
    numpy arrays) (numpy >= 2.1 follows the array API
    standard, and its own functions skip array-api-compat's Python-level wrappers, which cost a
    third of the kernel's time at 1,000 clients), or CuPy through array-api-compat."""
    if backend in ("numpy", "numba"):
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
    UNIT = 3  # a group or a family of one run (simulation.formats), keyed by (run, unit)
    PAIR = 4  # two members of one group, keyed by (run, unit, pair index)


@dataclass(frozen=True)
class Process:
    """One random process of the model, declared once in :data:`PROCESSES`.

    ``distribution`` is "uniform" (on (0, 1)) or "normal" (standard); ``draws`` is how many values
    one row takes (per session when ``per_session``, else once, at intake).
    """

    name: str
    domain: Domain
    distribution: str
    meaning: str
    draws: int = 1
    per_session: bool = True


@dataclass(frozen=True)
class Slot:
    """Where a process's draws come from: hash stream, which half of each hash (or both, for a
    process with several draws), and how many hashes one session (or the intake) uses."""

    stream: int
    half: int | None  # 0 or 1 for a single-draw process sharing its stream; None: the process has it all
    hashes: int  # hashes per session (per_session) or in all


class RegistryError(ValueError):
    """Two random processes are declared so that they could share draws."""


class Registry:
    """The one registry of random processes, and the layout of their draws derived from it.

    Each hash of (row key, stream, counter) gives two 32-bit halves: two uniforms, or two normals by
    Box-Muller. Single-draw processes of the same domain, distribution and timing are paired in
    declaration order onto one stream (half 0 and half 1), so that the kernel pays one hash for two
    processes; a process with several draws has a stream of its own. Streams are numbered in
    declaration order, so a process appended at the end moves no other process's draws. A
    process's counter is its session (times its hashes per session, plus the hash index), or the hash
    index for intake draws. No two processes share a (domain, stream, counter, half):
    :meth:`coordinates` enumerates them, and tests/test_backend.py checks it.
    """

    def __init__(self, processes: list[Process]) -> None:
        names = [process.name for process in processes]
        duplicated = sorted({name for name in names if names.count(name) > 1})
        if duplicated:
            raise RegistryError(f"random process '{duplicated[0]}' is declared twice")
        for process in processes:
            if process.distribution not in ("uniform", "normal") or process.draws < 1:
                raise RegistryError(f"random process '{process.name}': bad distribution or draw count")
        self.processes = {process.name: process for process in processes}
        self.slots: dict[str, Slot] = {}
        waiting: dict[tuple, str] = {}  # a single-draw process waiting for a partner on its stream
        streams = 0
        for process in processes:
            if process.draws > 1:
                streams += 1
                self.slots[process.name] = Slot(streams, None, -(-process.draws // 2))
                continue
            group = (process.domain, process.distribution, process.per_session)
            partner = waiting.pop(group, None)
            if partner is None:
                streams += 1
                self.slots[process.name] = Slot(streams, 0, 1)
                waiting[group] = process.name
            else:
                self.slots[process.name] = Slot(self.slots[partner].stream, 1, 1)

    def coordinates(self, name: str, sessions: int) -> set[tuple[int, int, int, int]]:
        """Every (domain, stream, counter, half) that process ``name`` draws from in sessions
        1..``sessions`` (or at intake)."""
        process, slot = self.processes[name], self.slots[name]
        halves = (0, 1) if slot.half is None else (slot.half,)
        sessions_used = range(1, sessions + 1) if process.per_session else range(1)
        return {
            (int(process.domain), slot.stream, session * slot.hashes + index, half)
            for session in sessions_used
            for index in range(slot.hashes)
            for half in halves
        }

    def check_disjoint(self, sessions: int = 8) -> None:
        """Raise :class:`RegistryError` if two processes draw from one coordinate."""
        owner: dict[tuple[int, int, int, int], str] = {}
        for name in self.processes:
            for coordinate in self.coordinates(name, sessions):
                if coordinate in owner:
                    raise RegistryError(f"random processes '{owner[coordinate]}' and '{name}' share draws")
                owner[coordinate] = name


PROCESSES = Registry(
    [
        # intake draws of a client
        Process("attachment", Domain.CLIENT, "uniform", "attachment style", per_session=False),
        Process("culture", Domain.CLIENT, "uniform", "minority cultural background", per_session=False),
        Process("modality", Domain.CLIENT, "uniform", "seen online or in person", per_session=False),
        Process("client_style", Domain.CLIENT, "uniform", "interpersonal style (fit)", per_session=False),
        Process("intake", Domain.CLIENT, "normal", "latent well-being at intake", per_session=False),
        Process(
            "client_traits", Domain.CLIENT, "normal", "dynamics.CLIENT_TRAITS, in order", draws=5, per_session=False
        ),
        # intake draws of a therapist
        Process(
            "therapist_traits",
            Domain.THERAPIST,
            "normal",
            "dynamics.THERAPIST_TRAITS, in order",
            draws=12,
            per_session=False,
        ),
        Process("therapist_bias", Domain.THERAPIST, "normal", "view bias", per_session=False),
        Process("therapist_style", Domain.THERAPIST, "uniform", "interpersonal style (fit)", per_session=False),
        Process("therapist_culture", Domain.THERAPIST, "uniform", "minority cultural background", per_session=False),
        # each scheduled session of a client
        Process("attendance", Domain.CLIENT, "uniform", "attends or misses"),
        Process("dropout", Domain.CLIENT, "uniform", "disengaged dropout"),
        Process("rupture_onset", Domain.CLIENT, "uniform", "a rupture begins"),
        Process("rupture_kind", Domain.CLIENT, "uniform", "withdrawal or confrontation"),
        Process("rupture_severity", Domain.CLIENT, "uniform", "severity of a new rupture"),
        Process("srs_used", Domain.CLIENT, "uniform", "the therapist looks at the SRS"),
        Process("detection", Domain.CLIENT, "uniform", "the therapist notices an open rupture"),
        Process("repair", Domain.CLIENT, "uniform", "repair steps that succeed"),
        Process("symptom_noise", Domain.CLIENT, "normal", "week-to-week change of latent well-being"),
        Process("ors_error", Domain.CLIENT, "normal", "measurement error of the ORS total"),
        Process("srs_noise", Domain.CLIENT, "normal", "noise of the SRS total"),
        Process("therapist_view_noise", Domain.CLIENT, "normal", "noise of the therapist's view"),
        Process("practical_dropout", Domain.CLIENT, "uniform", "the course ends for reasons outside therapy"),
        Process("improved_exit", Domain.CLIENT, "uniform", "a client who feels better stops"),
        Process("life_event", Domain.CLIENT, "uniform", "a life event happens this week"),
        Process("life_event_size", Domain.CLIENT, "uniform", "how hard a life event hits"),
        # the item-level measurement layer (simulation.instruments), drawn after the kernel's course
        Process("wai_client_items", Domain.CLIENT, "normal", "errors of the client's 12 WAI-SR items", draws=12),
        Process("wai_therapist_items", Domain.CLIENT, "normal", "errors of the therapist's 12 WAI-SR items", draws=12),
        Process("srs_items", Domain.CLIENT, "normal", "log weights splitting the SRS total into 4 items", draws=4),
        Process("ors_items", Domain.CLIENT, "normal", "log weights splitting the ORS total into 4 items", draws=4),
        Process("rupture_reports", Domain.CLIENT, "uniform", "client, therapist, observer reports; marker", draws=4),
        Process("item_nonresponse", Domain.CLIENT, "uniform", "blank items: WAI client, therapist, SRS, ORS", draws=32),
        Process("wai_therapist_dyad", Domain.CLIENT, "normal", "therapist misjudges client", per_session=False),
        Process("wai_therapist_style", Domain.THERAPIST, "normal", "therapist's WAI-SR style", per_session=False),
        # the group and family formats (simulation.formats)
        Process(
            "initial_tie", Domain.PAIR, "normal", "strength of a member-member tie at first meeting", per_session=False
        ),
        Process("member_rupture", Domain.PAIR, "uniform", "a rupture between two group members begins"),
        Process("member_rupture_detection", Domain.PAIR, "uniform", "the leader notices a member-member rupture"),
        Process("member_repair", Domain.PAIR, "uniform", "repair steps on a member-member rupture that succeed"),
        Process(
            "sided_member",
            Domain.UNIT,
            "uniform",
            "the family member a less neutral therapist sides with",
            per_session=False,
        ),
        Process("family_dropout", Domain.UNIT, "uniform", "the family's disengaged dropout"),
        Process("family_practical_dropout", Domain.UNIT, "uniform", "the family stops for reasons outside therapy"),
        Process("family_improved_exit", Domain.UNIT, "uniform", "a family whose members feel better stops"),
        # the perceived-empathy scale (simulation.instruments.empathy)
        Process("empathy_items", Domain.CLIENT, "normal", "errors of the client's 6 empathy items", draws=6),
        Process("empathy_perception", Domain.CLIENT, "normal", "client's way of perceiving empathy", per_session=False),
        # routine outcome monitoring (simulation.monitoring)
        Process("feedback_acted", Domain.CLIENT, "uniform", "the therapist acts on a not-on-track signal"),
        # the WAI-SR forms' rating terms added for the synthetic data sets (simulation.instruments.items)
        Process("wai_client_tendency", Domain.CLIENT, "normal", "client's WAI-SR rating tendency", per_session=False),
        Process(
            "wai_therapist_components",
            Domain.CLIENT,
            "normal",
            "therapist misjudges the client's goal, task and bond, each apart",
            draws=3,
            per_session=False,
        ),
        # the synthetic data sets' imposed dropout (simulation.synthetic.dropout), drawn between sessions
        Process("imposed_dropout", Domain.CLIENT, "uniform", "synthetic dropout imposed after a session"),
        # the therapist's own effect on their clients' change rate (therapist_outcome_sd, ODD 7.1)
        Process("therapist_outcome", Domain.THERAPIST, "normal", "therapist's own effect on change", per_session=False),
    ]
)
"""Every random process of the model (append new ones at the end: earlier draws then stay as they are)."""


@dataclass(frozen=True)
class Draws:
    """Counter-based random numbers for a set of rows of one domain (clients or therapists, of one or
    more runs), for the processes of :data:`PROCESSES`.

    ``keys`` holds one uint64 key per row. Every draw is a pure function of (key, stream, counter):
    a hash gives two uniforms (its high and low 32 bits) or two normals.
    """

    xp: Any
    keys: Array
    domain: Domain

    @classmethod
    def for_rows(cls, xp: Any, run_keys: np.ndarray, indices: np.ndarray, domain: Domain) -> Draws:
        """Keys for rows given each row's run key and its index within that run."""
        salt = _mix_scalar(int(domain) * _GOLDEN)
        counters = np.asarray(indices, dtype=np.uint64) * np.uint64(_GOLDEN) + np.uint64(salt)
        keys = _mix_numpy(np.asarray(run_keys, dtype=np.uint64) ^ _mix_numpy(counters))
        return cls(xp, xp.asarray(keys), domain)

    def take(self, rows: Array) -> Draws:
        """The draws of a subset of rows (integer indices; along the first axis of a key matrix)."""
        return replace(self, keys=self.xp.take(self.keys, rows, axis=0))

    def kept(self) -> Draws:
        """These draws, for numbers used within one session and not kept past it: the fused kernel's
        draws (simulation.jit.draws.FusedDraws) then write them into buffers reused from session to
        session; here they are new arrays anyway."""
        return self

    def sample(self, names: tuple[str, ...], session: int = 0) -> tuple[Array, ...]:
        """One array per named single-draw process, for ``session`` (0: the intake draws). Processes
        that share a stream are served by one hash."""
        hashed: dict[int, tuple[Array, Array]] = {}
        values = []
        for name in names:
            process, slot = self._slot(name)
            if slot.half is None:
                raise RegistryError(f"random process '{name}' has {process.draws} draws: use sample_all")
            if slot.stream not in hashed:
                hashed[slot.stream] = self._pair(slot.stream, session * slot.hashes, process.distribution)
            values.append(hashed[slot.stream][slot.half])
        return tuple(values)

    def sample_all(self, name: str, session: int = 0) -> list[Array]:
        """Every draw of a process with several draws (``Process.draws`` arrays), in order."""
        process, slot = self._slot(name)
        values: list[Array] = []
        for index in range(slot.hashes):
            values.extend(self._pair(slot.stream, session * slot.hashes + index, process.distribution))
        return values[: process.draws]

    def _slot(self, name: str) -> tuple[Process, Slot]:
        try:
            process = PROCESSES.processes[name]
        except KeyError:
            raise RegistryError(f"random process '{name}' is not declared in backend.PROCESSES") from None
        if process.domain != self.domain:
            raise RegistryError(f"random process '{name}' belongs to {process.domain.name}, not {self.domain.name}")
        return process, PROCESSES.slots[name]

    def _pair(self, stream: int, counter: int, distribution: str) -> tuple[Array, Array]:
        return self._normals(stream, counter) if distribution == "normal" else self._uniforms(stream, counter)

    def _bits(self, stream: int, counter: int) -> Array:
        xp = self.xp
        offset = _mix_scalar((int(stream) << 40) ^ (counter * _GOLDEN))
        value = self.keys ^ xp.asarray(offset, dtype=xp.uint64)
        value = value ^ (value >> 30)
        value *= xp.asarray(_MIX1, dtype=xp.uint64)  # typed: a Python int above 2**63 is not portable
        value ^= value >> 27
        value *= xp.asarray(_MIX2, dtype=xp.uint64)
        value ^= value >> 31
        return value

    def _uniforms(self, stream: int, counter: int) -> tuple[Array, Array]:
        """The two uniform arrays on (0, 1) of one hash, resolution 2**-32, never exactly 0 or 1."""
        xp = self.xp
        bits = self._bits(stream, counter)
        high = xp.astype(bits >> 32, xp.float64)
        low = xp.astype(bits & 0xFFFFFFFF, xp.float64)
        return (high + 0.5) * 2.0**-32, (low + 0.5) * 2.0**-32

    def _normals(self, stream: int, counter: int) -> tuple[Array, Array]:
        """The two standard normal arrays of one hash (Box-Muller).

        The angle's cosine and sine are taken in float32: numpy's float64 trigonometry is not
        vectorised and cost 30 ns a pair (over half of all random-number time), float32's costs 1 ns,
        and a relative error of 1e-7 in a noise term is far below anything the model can show.
        """
        xp = self.xp
        first, second = self._uniforms(stream, counter)
        radius = xp.sqrt(-2.0 * xp.log(first))
        angle = xp.astype(second, xp.float32) * (2.0 * math.pi)
        cosine, sine = xp.astype(xp.cos(angle), xp.float64), xp.astype(xp.sin(angle), xp.float64)
        return radius * cosine, radius * sine


def _mix_numpy(values: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser over a numpy uint64 array (wrapping arithmetic)."""
    values = values ^ (values >> np.uint64(30))
    values = values * np.uint64(_MIX1)
    values = values ^ (values >> np.uint64(27))
    values = values * np.uint64(_MIX2)
    return values ^ (values >> np.uint64(31))
