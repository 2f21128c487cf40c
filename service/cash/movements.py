"""Cash movements: every payment for notes (financing, early payment, settlement), one row per event.

The table is shared by the projections of the financing, early-payment and settlement contracts;
each writes and rolls back only its own kinds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, delete, insert

from service.db.models import CashMovement
from service.index.projection import IndexedEvent, ProjectionBatch

_DEFAULTS: dict[str, Any] = {
    "token_id": None,
    "payer_address": None,
    "payee_address": None,
    "cash_minor": 0,
    "value_minor": 0,
    "reference_id": None,
}


def cash_row(batch: ProjectionBatch, event: IndexedEvent, **fields: Any) -> dict[str, Any]:
    """A movement row for `event` (executemany binds every row with the same columns: defaults here)."""
    return {
        **_DEFAULTS,
        "transaction_hash": event.transaction_hash,
        "log_index": event.log_index,
        "block_number": event.block_number,
        "occurred_at": batch.block_time(event.block_number),
        **fields,
    }


def write_cash_rows(connection: Connection, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        connection.execute(insert(CashMovement), list(rows))


def forget_cash_rows(connection: Connection, kinds: Sequence[str], after_block: int) -> None:
    connection.execute(
        delete(CashMovement).where(
            CashMovement.kind.in_(list(kinds)), CashMovement.block_number > after_block
        )
    )
