"""`cascade serve --workers N`: the API in N processes, one Python interpreter (and GIL) each.

The parent prepares everything once (database, its own Anvil, contracts, journal, bootstrap admin),
then uvicorn runs N workers on the one listening socket and restarts any that dies. Each worker
takes a slot (a lock held for its life), relays through its share of the relayer accounts, and
coordinates with the others through lock files in the data directory (`service.locks`): an account
is sent from by one process at a time, the indexer runs in one process at a time, a participant has
one request in flight across all of them, and an Idempotency-Key's request runs in one place.
"""

from __future__ import annotations

import gc
import signal

from fastapi import FastAPI

from service.locks import LockDirectory
from service.processes import die_with_parent
from service.runtime import claim_worker_slot
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


def create_worker_app() -> FastAPI:
    """uvicorn's app factory in each worker process (settings from the environment the parent set)."""
    from service.main import create_app

    die_with_parent(signal.SIGKILL)  # killed with `cascade serve`; the journal has its unfinished work
    settings = Settings()
    slot = claim_worker_slot(LockDirectory(settings.locks_dir), settings.workers)
    return create_app(settings=settings, worker_slot=slot)
