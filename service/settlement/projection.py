"""The settlement projection: the obligor's fundings and every payment (or withheld payment) at maturity."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from sqlalchemy import Connection

from service.cash.movements import cash_row, forget_cash_rows, fx_fields, write_cash_rows
from service.index.projection import IndexedEvent, ProjectionBatch

KINDS = ("settlement_funding", "settlement_payment", "settlement_withheld", "settlement_withdrawal")


class SettlementProjection:
    name: ClassVar[str] = "settlement"
    subscriptions: ClassVar[frozenset[tuple[str, str]] | None] = frozenset(
        {
            ("vault", "SettlementFunded"),
            ("vault", "SettlementPaid"),
            ("vault", "SettlementPaymentWithheld"),
            ("vault", "SettlementExcessWithdrawn"),
        }
    )

    def prepare(self, batch: ProjectionBatch, events: Sequence[IndexedEvent]) -> None:
        pass

    def apply(self, batch: ProjectionBatch, event: IndexedEvent) -> None:
        rows: list[dict[str, Any]] = batch.buffer(self.name, list)
        args = event.args
        slot = int(args["slot"])
        if event.name == "SettlementFunded":
            row = cash_row(
                batch,
                event,
                voucher_id=slot,
                kind="settlement_funding",
                payer_address=args["obligor"],
                cash_minor=int(args["amount"]),
            )
        elif event.name == "SettlementPaid":
            row = cash_row(
                batch,
                event,
                voucher_id=slot,
                kind="settlement_payment",
                token_id=int(args["tokenId"]),
                payee_address=args["holder"],
                cash_minor=int(args["amount"]),
                value_minor=int(args["value"]),
                **fx_fields(args),
            )
        elif event.name == "SettlementPaymentWithheld":
            row = cash_row(
                batch,
                event,
                voucher_id=slot,
                kind="settlement_withheld",
                token_id=int(args["tokenId"]),
                payee_address=args["holder"],
            )
        else:
            row = cash_row(
                batch,
                event,
                voucher_id=slot,
                kind="settlement_withdrawal",
                payee_address=args["obligor"],
                cash_minor=int(args["amount"]),
            )
        rows.append(row)

    def flush(self, batch: ProjectionBatch) -> None:
        write_cash_rows(batch.connection, batch.state.get(self.name, []))

    def roll_back(self, connection: Connection, fork_point: int, chain: Any = None) -> None:
        forget_cash_rows(connection, KINDS, fork_point)

    def reset(self, connection: Connection) -> None:
        forget_cash_rows(connection, KINDS, -1)
