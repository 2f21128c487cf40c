"""The early-payment projection: programmes opened, redemptions taken (with their cash), closures."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import Connection, delete, func, insert, select, update

from service.cash.movements import cash_row, forget_cash_rows, fx_fields, write_cash_rows
from service.db.models import CashMovement, EarlyPaymentProgrammeRecord
from service.index.projection import IndexedEvent, ProjectionBatch

KINDS = ("early_payment",)
_PROGRAMMES = EarlyPaymentProgrammeRecord


class EarlyPaymentProjection:
    name: ClassVar[str] = "early_payment"
    subscriptions: ClassVar[frozenset[tuple[str, str]] | None] = frozenset(
        {
            ("programme", "EarlyPaymentProgrammeOpened"),
            ("programme", "EarlyPaymentTaken"),
            ("programme", "EarlyPaymentProgrammeClosed"),
        }
    )

    def prepare(self, batch: ProjectionBatch, events: Sequence[IndexedEvent]) -> None:
        pass

    def apply(self, batch: ProjectionBatch, event: IndexedEvent) -> None:
        events: list[IndexedEvent] = batch.buffer(self.name, list)
        events.append(event)

    def flush(self, batch: ProjectionBatch) -> None:
        """In chain order: a programme opened in this range is written before what is taken from it."""
        connection = batch.connection
        for event in batch.state.get(self.name, []):
            args = event.args
            programme_id = int(args["programmeId"])
            if event.name == "EarlyPaymentProgrammeOpened":
                connection.execute(
                    insert(_PROGRAMMES),
                    {
                        "id": programme_id,
                        "voucher_id": int(args["slot"]),
                        "obligor_address": args["obligor"],
                        "rate_bps": int(args["rateBps"]),
                        "basis_days": int(args["basisDays"]),
                        "quoting": int(args["quoting"]),
                        "budget_minor": int(args["budget"]),
                        "cutoff_at": datetime.fromtimestamp(int(args["cutoffAt"]), UTC),
                        "opened_transaction_hash": event.transaction_hash,
                        "opened_block_number": event.block_number,
                        "spent_minor": 0,
                        "redeemed_minor": 0,
                        "closed": False,
                        "refund_minor": 0,
                    },
                )
            elif event.name == "EarlyPaymentTaken":
                voucher_id = connection.execute(
                    select(_PROGRAMMES.voucher_id).where(_PROGRAMMES.id == programme_id)
                ).scalar()
                connection.execute(
                    update(_PROGRAMMES)
                    .where(_PROGRAMMES.id == programme_id)
                    .values(
                        spent_minor=_PROGRAMMES.spent_minor + int(args["amount"]),
                        redeemed_minor=_PROGRAMMES.redeemed_minor + int(args["value"]),
                    )
                )
                write_cash_rows(
                    connection,
                    [
                        cash_row(
                            batch,
                            event,
                            voucher_id=voucher_id or 0,
                            kind="early_payment",
                            token_id=int(args["tokenId"]),
                            payee_address=args["holder"],
                            cash_minor=int(args["amount"]),
                            value_minor=int(args["value"]),
                            reference_id=programme_id,
                            **fx_fields(args),
                        )
                    ],
                )
            else:
                connection.execute(
                    update(_PROGRAMMES)
                    .where(_PROGRAMMES.id == programme_id)
                    .values(
                        closed=True, refund_minor=int(args["refund"]), closed_block_number=event.block_number
                    )
                )

    def roll_back(self, connection: Connection, fork_point: int, chain: Any = None) -> None:
        forget_cash_rows(connection, KINDS, fork_point)
        connection.execute(delete(_PROGRAMMES).where(_PROGRAMMES.opened_block_number > fork_point))
        connection.execute(
            update(_PROGRAMMES)
            .where(_PROGRAMMES.closed_block_number > fork_point)
            .values(closed=False, refund_minor=0, closed_block_number=None)
        )
        totals = {
            row.reference_id: (int(row.spent), int(row.redeemed))
            for row in connection.execute(
                select(
                    CashMovement.reference_id,
                    func.sum(CashMovement.cash_minor).label("spent"),
                    func.sum(CashMovement.value_minor).label("redeemed"),
                )
                .where(CashMovement.kind == "early_payment")
                .group_by(CashMovement.reference_id)
            ).all()
        }
        for programme_id in connection.execute(select(_PROGRAMMES.id)).scalars():
            spent, redeemed = totals.get(programme_id, (0, 0))
            connection.execute(
                update(_PROGRAMMES)
                .where(_PROGRAMMES.id == programme_id)
                .values(spent_minor=spent, redeemed_minor=redeemed)
            )

    def reset(self, connection: Connection) -> None:
        forget_cash_rows(connection, KINDS, -1)
        connection.execute(delete(_PROGRAMMES))
