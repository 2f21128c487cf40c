"""The financing projection: quotes executed or cancelled on the desk, the terms' budgets they used, and
the cash each trade paid. A quote is found by its financier and nonce, as the desk knows it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from sqlalchemy import Connection, func, select, update

from service.cash.movements import cash_row, forget_cash_rows, fx_fields, write_cash_rows
from service.db.models import FinancingQuote, FinancingTerms, Note, Participant
from service.index.projection import IndexedEvent, ProjectionBatch

KINDS = ("financing",)


@dataclass
class _Decision:
    event: IndexedEvent
    financier: str
    nonce: int


class FinancingProjection:
    name: ClassVar[str] = "financing"
    subscriptions: ClassVar[frozenset[tuple[str, str]] | None] = frozenset(
        {("desk", "QuoteExecuted"), ("desk", "QuoteNonceCancelled")}
    )

    def prepare(self, batch: ProjectionBatch, events: Sequence[IndexedEvent]) -> None:
        pass

    def apply(self, batch: ProjectionBatch, event: IndexedEvent) -> None:
        decisions: list[_Decision] = batch.buffer(self.name, list)
        decisions.append(_Decision(event, str(event.args["financier"]), int(event.args["nonce"])))

    def flush(self, batch: ProjectionBatch) -> None:
        decisions: list[_Decision] = batch.state.get(self.name, [])
        if not decisions:
            return
        connection = batch.connection
        quotes = self._quotes(connection, decisions)
        rows = []
        for decision in decisions:
            quote = quotes.get((decision.financier, decision.nonce))
            event = decision.event
            if event.name == "QuoteNonceCancelled":
                if quote is not None:
                    self._decide(connection, quote.id, "cancelled", event.block_number)
                continue
            args = event.args
            if quote is not None:
                self._decide(
                    connection,
                    quote.id,
                    "executed",
                    event.block_number,
                    executed_transaction_hash=event.transaction_hash,
                    financier_token_id=int(args["financierTokenId"]),
                )
                connection.execute(
                    update(FinancingTerms)
                    .where(FinancingTerms.id == quote.terms_id)
                    .values(used_minor=FinancingTerms.used_minor + int(args["price"]))
                )
            voucher_id = connection.execute(
                select(Note.voucher_id).where(Note.token_id == int(args["tokenId"]))
            ).scalar()
            rows.append(
                cash_row(
                    batch,
                    event,
                    voucher_id=voucher_id or 0,
                    kind="financing",
                    token_id=int(args["financierTokenId"]),
                    payer_address=args["financier"],
                    payee_address=args["seller"],
                    cash_minor=int(args["amount"]),
                    value_minor=int(args["value"]),
                    reference_id=quote.id if quote is not None else None,
                    **fx_fields(args),
                )
            )
        write_cash_rows(connection, rows)

    @staticmethod
    def _quotes(connection: Connection, decisions: list[_Decision]) -> dict[tuple[str, int], Any]:
        financiers = sorted({decision.financier for decision in decisions})
        rows = connection.execute(
            select(FinancingQuote.id, FinancingQuote.terms_id, FinancingQuote.nonce, Participant.address)
            .join(Participant, Participant.id == FinancingQuote.financier_participant_id)
            .where(
                Participant.address.in_(financiers),
                FinancingQuote.nonce.in_(sorted({str(decision.nonce) for decision in decisions})),
            )
        ).all()
        return {(row.address, int(row.nonce)): row for row in rows}

    @staticmethod
    def _decide(connection: Connection, quote_id: int, state: str, block_number: int, **values: Any) -> None:
        connection.execute(
            update(FinancingQuote)
            .where(FinancingQuote.id == quote_id)
            .values(state=state, decided_block_number=block_number, **values)
        )

    def roll_back(self, connection: Connection, fork_point: int, chain: Any = None) -> None:
        connection.execute(
            update(FinancingQuote)
            .where(FinancingQuote.decided_block_number > fork_point)
            .values(
                state="open",
                decided_block_number=None,
                executed_transaction_hash=None,
                financier_token_id=None,
            )
        )
        forget_cash_rows(connection, KINDS, fork_point)
        self._recompute_used(connection)

    def reset(self, connection: Connection) -> None:
        self.roll_back(connection, -1)

    @staticmethod
    def _recompute_used(connection: Connection) -> None:
        used = dict(
            connection.execute(
                select(FinancingQuote.terms_id, func.sum(FinancingQuote.price_minor))
                .where(FinancingQuote.state == "executed")
                .group_by(FinancingQuote.terms_id)
            ).all()
        )
        connection.execute(update(FinancingTerms).values(used_minor=0))
        for terms_id, total in used.items():
            connection.execute(
                update(FinancingTerms).where(FinancingTerms.id == terms_id).values(used_minor=int(total))
            )
