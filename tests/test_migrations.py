"""Migrations that move data: the journal's transaction bytes, from each operation to one row per
transaction (0007) and back, on SQLite and on PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text

from service.db.models import Base
from service.db.session import alembic_config, normalise_database_url
from tests.conftest import POSTGRES_ADMIN_URL

RELAYER, OPERATOR = "0x" + "11" * 20, "0x" + "22" * 20
BATCH_RAW, OPERATOR_RAW, STUCK_RAW = "0x02f8aa" + "ab" * 40, "0x02f8bb" + "cd" * 40, "0x02f8cc" + "ef" * 40
SUPERSEDED_RAW = "0x02f8dd" + "12" * 40
# (kind, sender, nonce, transaction hash, raw, replaced): a transaction that lost its nonce to the
# next one (superseded), three requests relayed in that one batch, an operator call that replaced a
# stuck version, and a row that never got as far as signing.
OPERATIONS_AT_0006 = [
    ("note.transfer", RELAYER, 7, "0x" + "c3" * 32, SUPERSEDED_RAW, None),
    ("note.transfer", RELAYER, 7, "0x" + "a1" * 32, BATCH_RAW, None),
    ("note.transfer", RELAYER, 7, "0x" + "a1" * 32, BATCH_RAW, None),
    ("settlement.claim", RELAYER, 7, "0x" + "a1" * 32, BATCH_RAW, None),
    ("voucher.issue", OPERATOR, 3, "0x" + "b2" * 32, OPERATOR_RAW, STUCK_RAW),
    ("registry.verify", None, None, None, None, None),
]


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'cascade.db'}"
        return
    name = f"cascade_migration_{uuid.uuid4().hex[:10]}"
    admin = psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def _rows(url: str, query: str) -> list[Any]:
    engine = create_engine(normalise_database_url(url))
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(query))]
    finally:
        engine.dispose()


def _execute(url: str, statement: str, rows: list[dict[str, Any]]) -> None:
    engine = create_engine(normalise_database_url(url))
    try:
        with engine.begin() as connection:
            connection.execute(text(statement), rows)
    finally:
        engine.dispose()


def test_journaled_bytes_move_to_one_row_per_transaction_and_back(empty_database_url: str) -> None:
    url = empty_database_url
    config = alembic_config(url)
    command.upgrade(config, "0006")
    _execute(
        url,
        "INSERT INTO operations (kind, state, sender_address, nonce, transaction_hash, raw_transaction, "
        "replaced_transactions, created_at, updated_at) VALUES (:kind, 'signed', :sender, :nonce, :hash, "
        ":raw, :replaced, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
        [
            {"kind": kind, "sender": sender, "nonce": nonce, "hash": hash_, "raw": raw, "replaced": replaced}
            for kind, sender, nonce, hash_, raw, replaced in OPERATIONS_AT_0006
        ],
    )

    command.upgrade(config, "0007")
    journaled = _rows(
        url,
        "SELECT sender_address, nonce, raw_transaction, replaced_transactions FROM journaled_transactions "
        "ORDER BY nonce, raw_transaction",
    )
    assert journaled == [
        (OPERATOR, 3, OPERATOR_RAW, STUCK_RAW),
        (RELAYER, 7, BATCH_RAW, None),
        (RELAYER, 7, SUPERSEDED_RAW, None),
    ]
    carried = _rows(
        url,
        "SELECT operations.kind, journaled_transactions.raw_transaction FROM operations "
        "LEFT JOIN journaled_transactions ON journaled_transactions.id = operations.journaled_transaction_id "
        "ORDER BY operations.id",
    )
    assert carried == [(kind, raw) for kind, _sender, _nonce, _hash, raw, _replaced in OPERATIONS_AT_0006]

    command.downgrade(config, "0006")
    restored = _rows(
        url,
        "SELECT kind, sender_address, nonce, transaction_hash, raw_transaction, replaced_transactions "
        "FROM operations ORDER BY id",
    )
    assert restored == OPERATIONS_AT_0006
    command.upgrade(config, "head")


def test_the_migrations_build_the_tables_the_models_declare(empty_database_url: str) -> None:
    command.upgrade(alembic_config(empty_database_url), "head")
    engine = create_engine(normalise_database_url(empty_database_url))
    try:
        with engine.connect() as connection:
            assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    finally:
        engine.dispose()
