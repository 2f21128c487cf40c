"""Leadership of the chain writer: one writer runs per database, a standby takes over when it dies.

On PostgreSQL it is a session advisory lock held on a connection of its own: the server releases it
the moment the leader's connection closes, however the leader dies, and a standby polling for it
takes over. On SQLite (one host by nature) a second writer simply waits on a lock beside the file.

Leadership is not what makes writing correct (the forwarder's nonces make every operation run at most
once, whoever relays it); it keeps two writers from wasting each other's nonces and gas.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import logging
import os
import time
from collections.abc import Callable

from sqlalchemy import Connection, create_engine, text
from sqlalchemy.pool import NullPool

from service.db.session import normalise_database_url, sqlite_path

logger = logging.getLogger(__name__)
ADVISORY_LOCK_KEY = int.from_bytes(hashlib.sha256(b"cascade chain writer").digest()[:8], "big", signed=True)


class Leadership:
    def __init__(self, database_url: str) -> None:
        self._url = normalise_database_url(database_url)
        self._connection: Connection | None = None
        self._descriptor: int | None = None

    def acquire(self, *, wait: bool = True, on_waiting: Callable[[], None] | None = None) -> bool:
        """Takes leadership; with `wait`, as a standby until the leader is gone. False if not taken."""
        announced = False
        while True:
            if self._try():
                return True
            if not wait:
                return False
            if not announced and on_waiting is not None:
                on_waiting()
                announced = True
            time.sleep(0.5)

    def _try(self) -> bool:
        path = sqlite_path(self._url)
        if path is not None:
            return self._try_file(path.with_name(path.name + ".writer.lock"))
        if self._connection is None:
            engine = create_engine(self._url, poolclass=NullPool)
            self._connection = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        taken = self._connection.execute(
            text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY}
        )
        return bool(taken.scalar_one())

    def _try_file(self, lock_path: os.PathLike[str]) -> bool:
        if self._descriptor is None:
            self._descriptor = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(self._descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            if error.errno in (errno.EWOULDBLOCK, errno.EACCES):
                return False
            raise
        return True

    def still_held(self) -> bool:
        """Whether leadership is still ours: on PostgreSQL, whether the lock's connection is alive."""
        if self._connection is None:
            return self._descriptor is not None
        try:
            self._connection.execute(text("SELECT 1"))
            return True
        except Exception:
            logger.error("lost the connection that holds the writer's leadership")
            return False

    def release(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):  # the connection is gone: so is the lock
                self._connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK_KEY})
            self._connection.close()
            self._connection = None
        if self._descriptor is not None:
            os.close(self._descriptor)
            self._descriptor = None
