"""Cash movements: every payment for notes (financing, early payment, settlement), one row per event.

The table is shared by the projections of the financing, early-payment and settlement contracts;
each writes and rolls back only its own kinds.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from service.db.models import CashMovement, Voucher
from service.index.projection import IndexedEvent, ProjectionBatch

_DEFAULTS: dict[str, Any] = {
    "token_id": None,
    "payer_address": None,
    "payee_address": None,
    "cash_minor": 0,
    "value_minor": 0,
    "reference_id": None,
    "cash_currency": None,
    "fx_rate": None,
    "fx_rate_decimals": None,
    "fx_round_id": None,
    "fx_updated_at": None,
}


def fx_fields(args: dict[str, Any]) -> dict[str, Any]:
    """The FX rate a payment event recorded; nothing for a domestic payment (the contracts record the
    identity rate then: answer 1, no decimals, round 0)."""
    rate, decimals, round_id = int(args["fxRate"]), int(args["fxRateDecimals"]), int(args["fxRoundId"])
    if (rate, decimals, round_id) == (1, 0, 0):
        return {}
    return {
        "fx_rate": rate,
        "fx_rate_decimals": decimals,
        "fx_round_id": round_id,
        "fx_updated_at": datetime.fromtimestamp(int(args["fxUpdatedAt"]), UTC),
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
    """Writes the rows; cash is in the voucher's settlement currency (found once for all rows)."""
    if not rows:
        return
    voucher_ids = {row["voucher_id"] for row in rows if row["cash_currency"] is None}
    currencies = dict(
        connection.execute(
            select(Voucher.id, Voucher.settlement_currency).where(Voucher.id.in_(voucher_ids))
        ).all()
    )
    connection.execute(
        insert(CashMovement),
        [{**row, "cash_currency": row["cash_currency"] or currencies.get(row["voucher_id"])} for row in rows],
    )


def forget_cash_rows(connection: Connection, kinds: Sequence[str], after_block: int) -> None:
    connection.execute(
        delete(CashMovement).where(
            CashMovement.kind.in_(list(kinds)), CashMovement.block_number > after_block
        )
    )
