"""One `cascade serve` per database.

Two services on one database would send from the same operator and relayer accounts, each with its own
view of their nonces and its own lock directory: every transaction a race. `cascade serve` therefore
holds, for its whole life, the right to serve its database: a PostgreSQL session advisory lock, or a
file lock next to the SQLite file. The database server or the kernel releases it when the process
dies, however it dies. One-off commands (`reconcile`, `deploy`) and the scripts take no such lock.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.pool import NullPool

from service.db.session import normalise_database_url
from service.locks import try_lock

# A lock a killed predecessor held may take a moment to be released (PostgreSQL notices the closed
# connection, the kernel closes the file): a restart waits this long before giving up.
WAIT_SECONDS = 10.0
# The advisory lock's key: any fixed 64-bit number no other application on the server uses.
ADVISORY_LOCK_KEY = int.from_bytes(hashlib.sha256(b"cascade serve").digest()[:8], "big", signed=True)


class DatabaseServedElsewhere(RuntimeError):
    """Another `cascade serve` holds this database."""


@contextmanager
def serving_database(database_url: str, wait_seconds: float = WAIT_SECONDS) -> Iterator[None]:
    """Holds the right to serve `database_url` while the block runs; raises if another service has it."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        with _sqlite_lock(Path(url.database or ""), wait_seconds):
            yield
    else:
        with _advisory_lock(database_url, wait_seconds):
            yield


def _refusal(where: str) -> DatabaseServedElsewhere:
    return DatabaseServedElsewhere(
        f"another `cascade serve` is serving this database ({where}): stop it first, or give this one "
        "its own database (DATABASE_URL or CASCADE_DATA_DIR)"
    )


@contextmanager
def _sqlite_lock(database_path: Path, wait_seconds: float) -> Iterator[None]:
    lock_path = database_path.with_name(database_path.name + ".serving.lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        _retry_until(lambda: try_lock(descriptor), wait_seconds, lambda: _refusal(str(lock_path)))
        yield
    finally:
        os.close(descriptor)  # releases the lock


@contextmanager
def _advisory_lock(database_url: str, wait_seconds: float) -> Iterator[None]:
    # A connection of its own, outside any pool and any transaction, open for the whole service life.
    engine = create_engine(normalise_database_url(database_url), poolclass=NullPool)
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            _retry_until(
                lambda: _try_advisory_lock(connection),
                wait_seconds,
                lambda: _refusal(f"advisory lock {ADVISORY_LOCK_KEY}"),
            )
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK_KEY})
    finally:
        engine.dispose()


def _try_advisory_lock(connection: Connection) -> bool:
    query = text("SELECT pg_try_advisory_lock(:key)")
    return bool(connection.execute(query, {"key": ADVISORY_LOCK_KEY}).scalar_one())


def _retry_until(
    attempt: Callable[[], bool], wait_seconds: float, refusal: Callable[[], DatabaseServedElsewhere]
) -> None:
    deadline = time.monotonic() + wait_seconds
    while not attempt():
        if time.monotonic() >= deadline:
            raise refusal()
        time.sleep(0.2)
