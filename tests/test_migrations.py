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


def _at_0007_with(url: str, operations: list[dict[str, Any]]) -> None:
    """A database of the previous version: a voucher with its documents, an answered request, a
    request cut off after it reached the chain and one cut off before, and the given journal rows."""
    command.upgrade(alembic_config(url), "0007")
    _execute(
        url,
        "INSERT INTO voucher_documents (voucher_id, invoice_references, issued_by_participant_id, "
        "created_at) VALUES (:voucher, :references, 1, CURRENT_TIMESTAMP)",
        [{"voucher": 1, "references": '["INV-1"]'}],
    )
    _execute(
        url,
        "INSERT INTO idempotency_records (participant_id, key, request_fingerprint, state, "
        "response_status, response_body, created_at) "
        "VALUES (:participant, :key, 'f', :state, :status, :body, CURRENT_TIMESTAMP)",
        [
            {
                "participant": 3,
                "key": "answered",
                "state": "completed",
                "status": 201,
                "body": '{"token_id": 2}',
            },
            {"participant": 3, "key": "reached-chain", "state": "unknown", "status": None, "body": None},
            {"participant": 3, "key": "never-sent", "state": "in_progress", "status": None, "body": None},
        ],
    )
    if operations:
        _execute(
            url,
            "INSERT INTO operations (kind, participant_id, idempotency_key, state, created_at, updated_at) "
            "VALUES (:kind, 3, :key, :state, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
            operations,
        )


def test_the_writer_migration_settles_what_the_previous_version_left(empty_database_url: str) -> None:
    url = empty_database_url
    _at_0007_with(url, [{"kind": "note.transfer", "key": "3:reached-chain", "state": "indexed"}])
    command.upgrade(alembic_config(url), "0008")
    records = _rows(url, "SELECT key, state, response_status FROM idempotency_records ORDER BY key")
    # answered: kept; reached the chain: answered 409 as before; never sent: released
    assert records == [("answered", "completed", 201), ("reached-chain", "completed", 409)]
    assert _rows(url, "SELECT voucher_id, operation_id FROM voucher_documents") == [(1, None)]
    assert _rows(url, "SELECT count(*) FROM operations") == [(0,)]
    assert _rows(url, "SELECT count(*) FROM chain_checkpoints") == [(0,)]  # the index is rebuilt


def test_the_writer_migration_refuses_while_transactions_are_in_flight(empty_database_url: str) -> None:
    _at_0007_with(empty_database_url, [{"kind": "note.transfer", "key": None, "state": "signed"}])
    with pytest.raises(RuntimeError, match="still in flight"):
        command.upgrade(alembic_config(empty_database_url), "0008")


def test_the_migrations_build_the_tables_the_models_declare(empty_database_url: str) -> None:
    command.upgrade(alembic_config(empty_database_url), "head")
    engine = create_engine(normalise_database_url(empty_database_url))
    try:
        with engine.connect() as connection:
            assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    finally:
        engine.dispose()
