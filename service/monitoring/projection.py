"""The history of each voucher's transfer cap (its issuance, then every TransferCapSet), so that the
cross-border export shows the cap in force when each payment ran, not the one set since."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from sqlalchemy import Connection, delete, insert

from service.db.models import VoucherTransferCap
from service.index.projection import IndexedEvent, ProjectionBatch


class TransferCapHistoryProjection:
    name: ClassVar[str] = "transfer_cap_history"
    subscriptions: ClassVar[frozenset[tuple[str, str]] | None] = frozenset(
        {("note", "VoucherIssued"), ("note", "TransferCapSet")}
    )

    def prepare(self, batch: ProjectionBatch, events: Sequence[IndexedEvent]) -> None:
        pass

    def apply(self, batch: ProjectionBatch, event: IndexedEvent) -> None:
        rows: list[dict[str, Any]] = batch.buffer(self.name, list)
        args = event.args
        rows.append(
            {
                "voucher_id": int(args["slot"]),
                "cap_minor": int(args["transferCap"] if event.name == "VoucherIssued" else args["cap"]),
                "transaction_hash": event.transaction_hash,
                "log_index": event.log_index,
                "block_number": event.block_number,
            }
        )

    def flush(self, batch: ProjectionBatch) -> None:
        rows: list[dict[str, Any]] = batch.state.get(self.name, [])
        if rows:
            batch.connection.execute(insert(VoucherTransferCap), rows)

    def roll_back(self, connection: Connection, fork_point: int, chain: Any = None) -> None:
        connection.execute(delete(VoucherTransferCap).where(VoucherTransferCap.block_number > fork_point))

    def reset(self, connection: Connection) -> None:
        connection.execute(delete(VoucherTransferCap))
