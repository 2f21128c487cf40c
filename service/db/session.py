"""Engine and transactions. SQLite is the embedded default; PostgreSQL via DATABASE_URL.

Two kinds of transaction, so that a request plans from a consistent snapshot and writes in a
transaction that cannot be overtaken halfway:
- `snapshot()`: read-only; every statement sees the database as of the first (SQLite: an explicit
  deferred BEGIN, which its driver would not open for reads; PostgreSQL: REPEATABLE READ).
- `transaction()` / `connection_transaction()`: a write. On SQLite it begins IMMEDIATE, taking the
  database's one write lock up front: a deferred transaction that reads, then writes after another
  process committed, fails at once with SQLITE_BUSY (its snapshot is stale) instead of waiting, while
  an immediate one waits in SQLite's busy handler like any writer. Several processes (API workers and
  the chain writer) share one SQLite file this way with no lock of their own.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from service.private_files import ensure_private_directory, ensure_private_file
from service.settings import PROJECT_ROOT

if TYPE_CHECKING:
    from alembic.config import Config

# More connections than the web server's worker threads (40) plus the writer's threads.
POOL_SIZE = 48
POOL_OVERFLOW = 32
# How long a SQLite writer waits for the write lock before giving up (a 503, never a wrong answer).
SQLITE_BUSY_TIMEOUT_MS = 30_000
_IMMEDIATE = "cascade_sqlite_immediate"


def normalise_database_url(url: str) -> str:
    # psycopg 3 is the installed driver; plain postgresql:// URLs would ask for psycopg2.
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def sqlite_path(url: str) -> Path | None:
    """The database file of a SQLite URL (None for other databases or an in-memory one)."""
    if not url.startswith("sqlite:///") or url == "sqlite:///:memory:":
        return None
    return Path(url.removeprefix("sqlite:///"))


def restrict_sqlite_files(path: Path) -> None:
    """The database readable by the service's user only (0600; SQLite gives its -wal and -shm files
    the same mode), in a directory only it enters (0700)."""
    ensure_private_directory(path.parent)
    ensure_private_file(path)


def create_database_engine(url: str) -> Engine:
    url = normalise_database_url(url)
    if not url.startswith("sqlite"):
        return create_engine(url, pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW, pool_pre_ping=True)
    path = sqlite_path(url)
    if path is not None:
        restrict_sqlite_files(path)
    engine = create_engine(
        url,
        # isolation_level=None: the driver opens no transaction of its own; `_begin` below does.
        connect_args={
            "check_same_thread": False,
            "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000,
            "isolation_level": None,
        },
        pool_size=POOL_SIZE,
        max_overflow=POOL_OVERFLOW,
    )

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(connection: Any, _record: Any) -> None:
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get(_IMMEDIATE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


class Database:
    def __init__(self, url: str) -> None:
        self.url = normalise_database_url(url)
        self.is_sqlite = self.url.startswith("sqlite")
        self.engine = create_database_engine(self.url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    def _write_options(self) -> dict[str, Any]:
        return {_IMMEDIATE: True} if self.is_sqlite else {}

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A unit of work that writes; committed when the block ends, rolled back if it raises."""
        with self.engine.connect() as connection:
            connection = connection.execution_options(**self._write_options())
            with Session(bind=connection, expire_on_commit=False) as session, connection.begin():
                yield session
                session.flush()

    @contextmanager
    def connection_transaction(self) -> Iterator[Connection]:
        """`transaction` without the ORM, for Core statements on the hot path."""
        with self.engine.connect() as connection:
            connection = connection.execution_options(**self._write_options())
            with connection.begin():
                yield connection

    @contextmanager
    def snapshot(self) -> Iterator[Session]:
        """A read-only session whose statements all see the database as of its first one, so that an
        answer assembled from several reads cannot mix in a write committed between them."""
        with self.engine.connect() as connection:
            if not self.is_sqlite:
                connection = connection.execution_options(isolation_level="REPEATABLE READ")
            with connection.begin() as transaction:
                try:
                    with Session(bind=connection) as session:
                        yield session
                finally:
                    transaction.rollback()

    def migrate(self) -> None:
        upgrade_database(self.url)
        path = sqlite_path(self.url)
        if path is not None:
            restrict_sqlite_files(path)

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
