"""A pyabc sampler whose result depends on the seed alone, not on how many workers run it or in which
order they finish: particles are simulated in numbered batches, batch k of generation t from its own
seed (seed, t, k), and a generation takes the batches in number order up to its n-th accepted particle,
exactly as pyabc's SingleCoreSampler would take them one by one. Batches run in this process, on local
worker processes, or on a Dask cluster (any concurrent.futures executor)."""

from __future__ import annotations

import concurrent.futures as cf
import threading
from collections.abc import Callable, Iterator

import cloudpickle
import numpy as np
from pyabc.sampler import Sampler

BATCH = 8
"""Particles per batch: fixed, so that the particles do not depend on the number of workers."""
RANDOM_LOCK = threading.Lock()
"""pyabc draws from NumPy's global generator: batches that share a process (threads of a Dask worker)
take turns, each from its own seed."""


def run_batch(simulate_one: bytes | Callable, seed: int, count: int) -> list:
    """``count`` particles from ``simulate_one`` (cloudpickled for another process), drawing from
    NumPy's global generator seeded with ``seed``."""
    function = cloudpickle.loads(simulate_one) if isinstance(simulate_one, bytes) else simulate_one
    with RANDOM_LOCK:
        saved = np.random.get_state()
        np.random.seed(seed)
        try:
            particles = [function() for _ in range(count)]
        finally:
            np.random.set_state(saved)
    return particles


def batch_seed(seed: int, generation: int, batch: int) -> int:
    """The seed of one batch: SeedSequence entropy (seed, generation + 1, batch; pyabc numbers its
    calibration sample -1), so batches never share draws."""
    return int(np.random.SeedSequence([seed, generation + 1, batch]).generate_state(1)[0])


class OrderedSampler(Sampler):
    """Deterministic parallel sampling for pyabc.ABCSMC (see the module docstring). ``executor`` is
    None (this process) or an executor with ``slots`` batches in flight at once."""

    def __init__(self, seed: int, executor: cf.Executor | None = None, slots: int = 1) -> None:
        super().__init__()
        self.seed, self.executor, self.slots = seed, executor, max(slots, 1)
        self.evaluations = 0  # over the whole fit

    def sample_until_n_accepted(self, n, simulate_one, t, *, max_eval=np.inf, all_accepted=False, ana_vars=None):
        batches = self._in_order(simulate_one, t)
        sample = self._create_empty_sample()
        accepted = evaluated = 0
        for particles in batches:
            for particle in particles:
                if accepted >= n:
                    break
                sample.append(particle)
                evaluated += 1
                accepted += bool(particle.accepted)
            if accepted >= n:
                break
        self.nr_evaluations_ = evaluated
        self.evaluations += evaluated
        if sample.n_accepted < n:
            sample.ok = False
        return sample

    def _in_order(self, simulate_one: Callable, t: int) -> Iterator[list]:
        """Batches 0, 1, ... in number order, run ``slots`` at a time; stops when the consumer has enough."""
        if self.executor is None:
            k = 0
            while True:
                yield run_batch(simulate_one, batch_seed(self.seed, t, k), BATCH)
                k += 1
        shipped = cloudpickle.dumps(simulate_one)
        flying: dict[int, cf.Future] = {}
        done: dict[int, list] = {}
        next_batch = next_yield = 0
        try:
            while True:
                while len(flying) < 2 * self.slots:
                    flying[next_batch] = self.executor.submit(
                        run_batch, shipped, batch_seed(self.seed, t, next_batch), BATCH
                    )
                    next_batch += 1
                finished, _ = cf.wait(flying.values(), return_when=cf.FIRST_COMPLETED)
                for k in [k for k, future in flying.items() if future in finished]:
                    done[k] = flying.pop(k).result()
                while next_yield in done:
                    yield done.pop(next_yield)
                    next_yield += 1
        finally:
            for future in flying.values():
                future.cancel()
