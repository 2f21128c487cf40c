"""The API's worker processes (`cascade serve`, `cascade api`): one Python interpreter (and GIL) each.

uvicorn runs them on one listening socket and restarts any that dies. They are stateless: each reads
the database and the chain and hands writes to the chain writer through the outbox, so nothing is
coordinated between them.
"""

from __future__ import annotations

import gc
import multiprocessing
import signal
import threading

from fastapi import FastAPI

from service.processes import die_with_parent
from service.settings import Settings

# Collections of the youngest generation after this many net allocations (CPython's default: 700), and
# of each older one after this many of the one below (default: 10, 10).
GC_THRESHOLDS = (50_000, 50, 100)


def tune_garbage_collector() -> None:
    """Fewer, cheaper collections for a long-running server.

    Everything start-up built (compiled ABIs, SQLAlchemy's mappers and caches, FastAPI's routes) lives
    as long as the process, so it is moved out of the collector's view (`gc.freeze`), and young
    collections run every 50,000 allocations rather than every 700: a request allocates thousands of
    short-lived objects, and under load the default collections' pauses were a large part of the latency
    tail (p99 at 16 clients about 190 ms with the defaults, about 135 ms with these; `make bench`).
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def fork_workers() -> bool:
    """Has uvicorn fork its worker processes from this one instead of spawning fresh interpreters.

    uvicorn starts workers with multiprocessing's "spawn": each re-imports the whole service (about 2.5 s
    of CPU here), on every start and every restart after a crash. A forked worker inherits the imported
    modules. Forking is safe only from a process that runs no other thread (a lock held elsewhere would
    stay held in the child), which this checks. Returns whether workers will be forked.
    """
    import uvicorn._subprocess as uvicorn_subprocess

    if (
        "fork" not in multiprocessing.get_all_start_methods()
        or not hasattr(uvicorn_subprocess, "spawn")
        or threading.active_count() > 1
    ):
        return False
    uvicorn_subprocess.spawn = multiprocessing.get_context("fork")  # type: ignore[assignment]
    gc.collect()
    gc.freeze()
    return True


def create_worker_app() -> FastAPI:
    """uvicorn's app factory in each worker process (settings from the environment the parent set)."""
    from service.main import create_app

    die_with_parent(signal.SIGKILL)  # killed with its parent; its requests' operations are in the outbox
    return create_app(settings=Settings())
