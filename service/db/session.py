"""Engine and sessions. SQLite is the embedded default; PostgreSQL via DATABASE_URL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from service.locks import LockDirectory
from service.private_files import ensure_private_file
from service.settings import PROJECT_ROOT

if TYPE_CHECKING:
    from alembic.config import Config

# More connections than the web server's worker threads (40) plus the relayers and the indexer, so
# that no request ever waits for a connection another waiting request holds.
POOL_SIZE = 48
POOL_OVERFLOW = 32


def normalise_database_url(url: str) -> str:
    # psycopg 3 is the installed driver; plain postgresql:// URLs would ask for psycopg2.
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def create_database_engine(url: str) -> Engine:
    url = normalise_database_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=POOL_SIZE,
            max_overflow=POOL_OVERFLOW,
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(connection: Any, _record: Any) -> None:
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    return create_engine(url, pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW, pool_pre_ping=True)


class Database:
    def __init__(self, url: str) -> None:
        self.url = normalise_database_url(url)
        # SQLite has one writer at a time, and a writer that finds the file locked sleeps in SQLite's
        # busy handler (1, 2, 5, 10... ms) before it looks again. The service's own writers (journal,
        # indexer), in all its worker processes, queue on a file lock beside the database instead,
        # which hands over the moment it is released. PostgreSQL locks rows: nothing to queue for.
        self._writer: Callable[[], AbstractContextManager[object]] = nullcontext
        if self.url.startswith("sqlite:///"):
            database_file = Path(self.url.removeprefix("sqlite:///"))
            locks = LockDirectory(database_file.parent / "locks")  # creates the database's directory too
            if database_file.name != ":memory:":
                # SQLite gives its -wal and -shm files the database file's mode: 0600 makes all three private.
                ensure_private_file(database_file)
            self._writer = locks.shared(f"sqlite-writer-{database_file.name}").hold
        self.engine = create_database_engine(self.url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A unit of work for code that owns its own transaction (indexer, journal, CLI).

        Never nest it, nor open it while the same thread has written in another, uncommitted session.
        """
        with self._writer(), self.sessions() as session, session.begin():
            yield session

    @contextmanager
    def connection_transaction(self) -> Iterator[Connection]:
        """`transaction` without the ORM, for Core statements on the hot path."""
        with self._writer(), self.engine.begin() as connection:
            yield connection

    @contextmanager
    def snapshot(self) -> Iterator[Session]:
        """A read-only session whose statements all see the database as of its first one, so that an
        answer assembled from several reads cannot mix in a write committed between them."""
        with self.engine.connect() as connection:
            if self.url.startswith("sqlite"):
                # pysqlite opens a transaction only before a write: each SELECT alone would see the latest.
                connection.exec_driver_sql("BEGIN")
            else:
                connection.execution_options(isolation_level="REPEATABLE READ")
            try:
                with Session(bind=connection) as session:
                    yield session
            finally:
                connection.rollback()

    def migrate(self) -> None:
        upgrade_database(self.url)

    def dispose(self) -> None:
        self.engine.dispose()


def alembic_config(url: str) -> Config:
    from alembic.config import Config  # only the process that migrates pays Alembic's import

    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.set_main_option("sqlalchemy.url", normalise_database_url(url).replace("%", "%%"))
    return config


def upgrade_database(url: str) -> None:
    from alembic import command

    command.upgrade(alembic_config(url), "head")
