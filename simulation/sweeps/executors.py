"""Where a study's parts run: in this process, on local worker processes, or on a Dask cluster (any
concurrent.futures executor: the same code maps parts over each)."""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import threading
import time

from simulation.extras import require
from simulation.memory import keep_freed_memory

CONNECT_SECONDS = 20  # how long to try to reach a Dask scheduler


class InProcessExecutor(cf.Executor):
    """Runs each submitted call at once in this process (``workers=0``: debugging and profiling)."""

    def submit(self, fn, /, *args, **kwargs) -> cf.Future:
        future: cf.Future = cf.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as error:  # handed to the caller through the future, as executors do
            future.set_exception(error)
        return future


def _start_worker() -> None:
    """Worker initializer: keep freed memory for reuse (simulation.memory: the worker owns its
    process and runs pass after pass), and end this worker when its parent has gone, instead of
    waiting forever for work that will not come. The parent is the study's driver (spawned workers)
    or the fork server, which ends with the driver (kill -9 included)."""
    keep_freed_memory()
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


PRELOAD = "simulation.sweeps.preload"


def worker_context() -> multiprocessing.context.BaseContext:
    """How local workers start: forked from a fork server that has imported and warmed up the package
    (:mod:`simulation.sweeps.preload`) where the platform has one, else spawned. Not forked from the
    driver: forking a process with threads (pyarrow, tqdm) may deadlock; the fork server has none. The
    server starts with the first study that uses workers (paying the imports once, 2-3 s) and stays
    for later studies of the same process (a fit's rounds, a benchmark's repeats)."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([PRELOAD])
    return context


def local_executor(workers: int | None = None) -> cf.Executor:
    """Local worker processes (all cores by default; 0: this process), started by :func:`worker_context`."""
    if workers == 0:
        return InProcessExecutor()
    count = workers or len(os.sched_getaffinity(0))
    return cf.ProcessPoolExecutor(count, mp_context=worker_context(), initializer=_start_worker)


def dask_executor(address: str) -> tuple[cf.Executor, object]:
    """An executor on the Dask cluster whose scheduler is at ``address`` (tcp://host:port), and its
    client (close it when done)."""
    distributed = require("distributed", "dask", "--scheduler (a Dask cluster)")
    client = distributed.Client(address, timeout=CONNECT_SECONDS)
    return client.get_executor(pure=False), client


def slots(executor: cf.Executor | None) -> int:
    """How many parts the executor runs at once: its processes, or the threads of a Dask cluster."""
    client = getattr(executor, "_client", None)
    if client is not None:
        return max(sum(client.nthreads().values()), 1)
    return max(getattr(executor, "_max_workers", 1), 1)
