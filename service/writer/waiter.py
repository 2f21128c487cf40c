"""Waiting, in an API process, for the outcome of operations the chain writer is carrying out.

One thread per process looks up every awaited operation in one query, as often as `poll_seconds` while
anyone waits, and sooner when woken: by the chain writer of the same process directly, or on
PostgreSQL by the NOTIFY the writer sends with every commit that decides outcomes. Nothing is held
across processes or hosts: the outcome is read from the shared database.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Iterable

from service.db.session import Database
from service.writer.outbox import OPERATIONS_CHANNEL, fetch_finished_ids

logger = logging.getLogger(__name__)


class OutcomeWaiter:
    def __init__(self, database: Database, poll_seconds: float = 0.005) -> None:
        self._database = database
        self._poll_seconds = poll_seconds
        self._condition = threading.Condition()
        self._waiting: Counter[int] = Counter()
        self._finished: set[int] = set()
        self._poke = threading.Event()
        self._poller: threading.Thread | None = None
        self._listener: threading.Thread | None = None
        self._closed = False

    def wait(self, operation_ids: Iterable[int], timeout_seconds: float) -> bool:
        """Blocks until every operation's outcome is decided (True) or the time is up (False)."""
        ids = set(operation_ids)
        if not ids:
            return True
        deadline = time.monotonic() + timeout_seconds
        with self._condition:
            self._waiting.update(ids)
            self._ensure_threads()
            self._poke.set()
            try:
                while not ids <= self._finished:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0 or self._closed:
                        return False
                    self._condition.wait(remaining)
                return True
            finally:
                self._waiting.subtract(ids)
                for operation_id in ids:
                    if self._waiting[operation_id] <= 0:
                        del self._waiting[operation_id]
                        self._finished.discard(operation_id)

    def notify(self) -> None:
        """Outcomes may have changed (the writer of this process decided some): look now."""
        self._poke.set()

    def close(self) -> None:
        with self._condition:
            self._closed = True
            self._condition.notify_all()
        self._poke.set()

    def _ensure_threads(self) -> None:
        if self._poller is None:
            self._poller = threading.Thread(target=self._poll_loop, name="outcome-waiter", daemon=True)
            self._poller.start()
        if self._listener is None and not self._database.is_sqlite:
            self._listener = threading.Thread(target=self._listen_loop, name="outcome-listener", daemon=True)
            self._listener.start()

    def _poll_loop(self) -> None:
        while not self._closed:
            self._poke.wait(self._poll_seconds)
            self._poke.clear()
            with self._condition:
                wanted = [
                    operation_id for operation_id in self._waiting if operation_id not in self._finished
                ]
            if not wanted:
                continue
            try:
                with self._database.engine.connect() as connection:
                    finished = fetch_finished_ids(connection, wanted)
            except Exception:  # the database may be restarting: keep waiting, the caller's timeout decides
                logger.exception("looking up operation outcomes failed")
                time.sleep(0.1)
                continue
            if finished:
                with self._condition:
                    self._finished |= finished
                    self._condition.notify_all()

    def _listen_loop(self) -> None:
        """PostgreSQL only: LISTEN for the writer's NOTIFY and wake the poller at once."""
        import psycopg

        url = self._database.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        while not self._closed:
            try:
                with psycopg.connect(url, autocommit=True) as connection:
                    connection.execute(f"LISTEN {OPERATIONS_CHANNEL}")
                    while not self._closed:
                        for _notice in connection.notifies(timeout=1.0, stop_after=1):
                            self._poke.set()
            except Exception:  # the database restarting: polling goes on meanwhile
                logger.warning("listening for operation outcomes failed; retrying", exc_info=True)
                time.sleep(1.0)
