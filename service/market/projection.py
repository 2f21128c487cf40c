"""The market projection: the OfferingVault's events as rows, and the totals folded from them.

Event rows (trades, redemptions, the offerings' own changes, listings) are written as logged. The
figures that depend on them (an offering's sold, unsold, withdrawn, cash received and redeemed; a
listing's remainder; every holder's tokens and cost) are folded again from those rows for each offering
a range touched, in chain order, so a reorganisation only has to delete the rows of the lost blocks and
fold again: nothing is adjusted by difference.

Every offering's yield token is a clone the vault creates: the projection names each to the indexer
(`discover_contracts` from `OfferingOpened`, `watched_contracts` on start-up), so the tokens' own
`Transfer` events are indexed too. A token movement the vault makes (minting, a subscription, a listing
fill, a burn at withdrawal or redemption) is already told by the vault's own event of the same forward
request, so only the others are kept: transfers on the token itself (a holder's own `transfer`, the
compliance agent's forced transfer or recovery), which move tokens and their share of the cost.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import Connection, delete, insert, select, update

from service.chain.abi import DecodedEvent
from service.db.models import (
    ListingRecord,
    OfferingEventRecord,
    OfferingRecord,
    OfferingTrade,
    RedemptionRecord,
    TokenHolding,
)
from service.index.projection import IndexedEvent, ProjectionBatch

VAULT = "market"
# The name every offering's yield token (a clone) goes by in the index.
TOKEN = "yield_token"
ZERO_ADDRESS = "0x" + "0" * 40
EVENTS = (
    "OfferingOpened",
    "Subscribed",
    "OfferingWithdrawn",
    "OfferingClosed",
    "ListingCreated",
    "ListingFilled",
    "ListingCancelled",
    "OfferingCashReceived",
    "Redeemed",
    "RedemptionWithheld",
    "ResidualSwept",
)
# The offering's own changes, by event.
_CHANGES = {
    "OfferingWithdrawn": "withdrawn",
    "OfferingClosed": "closed",
    "OfferingCashReceived": "cash_received",
    "RedemptionWithheld": "withheld",
    "ResidualSwept": "swept",
}


def _time(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


class MarketProjection:
    name: ClassVar[str] = "market"
    subscriptions: ClassVar[frozenset[tuple[str, str]] | None] = frozenset(
        {*((VAULT, event) for event in EVENTS), (TOKEN, "Transfer")}
    )

    def discover_contracts(self, chain: Any, events: Sequence[DecodedEvent]) -> dict[str, str]:
        """The yield tokens the range's offerings created."""
        vault = chain.deployment.addresses.get(VAULT)
        return {
            str(event.args["token"]): TOKEN
            for event in events
            if event.name == "OfferingOpened" and vault is not None and event.address == vault
        }

    def watched_contracts(self, connection: Connection) -> dict[str, str]:
        return {
            str(address): TOKEN
            for address in connection.execute(select(OfferingRecord.token_address)).scalars()
        }

    def prepare(self, batch: ProjectionBatch, events: Sequence[IndexedEvent]) -> None:
        pass

    def apply(self, batch: ProjectionBatch, event: IndexedEvent) -> None:
        events: list[IndexedEvent] = batch.buffer(self.name, list)
        events.append(event)

    def flush(self, batch: ProjectionBatch) -> None:
        connection = batch.connection
        touched: set[int] = set()
        offerings: dict[int, tuple[str, int]] = {}  # id -> (seller, rate) for trades in this range

        def seller_and_rate(offering_id: int) -> tuple[str, int]:
            if offering_id not in offerings:
                row = connection.execute(
                    select(OfferingRecord.seller_address, OfferingRecord.rate_bps).where(
                        OfferingRecord.id == offering_id
                    )
                ).one()
                offerings[offering_id] = (str(row[0]), int(row[1]))
            return offerings[offering_id]

        listing_rates: dict[int, int] = {}

        def listing_rate(listing_id: int) -> int:
            if listing_id not in listing_rates:
                listing_rates[listing_id] = int(
                    connection.execute(
                        select(ListingRecord.rate_bps).where(ListingRecord.id == listing_id)
                    ).scalar_one()
                )
            return listing_rates[listing_id]

        events: list[IndexedEvent] = batch.state.get(self.name, [])
        # The forward requests (or, for direct calls, the transactions) in which the vault moved tokens.
        by_vault = {_request_of(event) for event in events if event.contract == VAULT}
        for event in events:
            args = event.args
            if event.contract == TOKEN:
                if _request_of(event) not in by_vault:
                    touched.update(_record_transfer(connection, batch, event))
                continue
            offering_id = int(args["offeringId"])
            touched.add(offering_id)
            at = batch.block_time(event.block_number)
            where = {
                "transaction_hash": event.transaction_hash,
                "log_index": event.log_index,
                "block_number": event.block_number,
            }
            if event.name == "OfferingOpened":
                value = int(args["value"])
                connection.execute(
                    insert(OfferingRecord),
                    {
                        "id": offering_id,
                        "voucher_id": int(args["slot"]),
                        "seller_address": args["seller"],
                        "token_address": args["token"],
                        "vault_token_id": int(args["vaultTokenId"]),
                        "value_minor": value,
                        "rate_bps": int(args["rateBps"]),
                        "basis_days": int(args["dayCount"]),
                        "min_subscription_minor": int(args["minSubscription"]),
                        "closes_at": _time(int(args["closesAt"])),
                        "opened_at": at,
                        "opened_transaction_hash": event.transaction_hash,
                        "opened_block_number": event.block_number,
                        "sold_minor": 0,
                        "cash_raised_minor": 0,
                        "withdrawn_minor": 0,
                        "unsold_minor": value,
                        "closed": False,
                        "cash_received_minor": 0,
                        "cash_redeemed_minor": 0,
                        "tokens_redeemed_minor": 0,
                    },
                )
                offerings[offering_id] = (str(args["seller"]), int(args["rateBps"]))
            elif event.name == "Subscribed":
                seller, _rate = seller_and_rate(offering_id)
                connection.execute(
                    insert(OfferingTrade),
                    {
                        "offering_id": offering_id,
                        "market": "primary",
                        "listing_id": None,
                        "buyer_address": args["investor"],
                        "seller_address": seller,
                        "amount_minor": int(args["amount"]),
                        "cash_minor": int(args["cash"]),
                        "rate_bps": int(args["rateBps"]),
                        "days_to_maturity": int(args["daysToMaturity"]),
                        "traded_at": at,
                        **where,
                    },
                )
            elif event.name == "ListingCreated":
                listing_id = int(args["listingId"])
                connection.execute(
                    insert(ListingRecord),
                    {
                        "id": listing_id,
                        "offering_id": offering_id,
                        "seller_address": args["seller"],
                        "amount_minor": int(args["amount"]),
                        "rate_bps": int(args["rateBps"]),
                        "listed_at": at,
                        "transaction_hash": event.transaction_hash,
                        "block_number": event.block_number,
                        "remaining_minor": int(args["amount"]),
                        "cancelled": False,
                        "cancelled_block_number": None,
                    },
                )
                listing_rates[listing_id] = int(args["rateBps"])
            elif event.name == "ListingFilled":
                listing_id = int(args["listingId"])
                connection.execute(
                    insert(OfferingTrade),
                    {
                        "offering_id": offering_id,
                        "market": "secondary",
                        "listing_id": listing_id,
                        "buyer_address": args["buyer"],
                        "seller_address": args["seller"],
                        "amount_minor": int(args["amount"]),
                        "cash_minor": int(args["cash"]),
                        "rate_bps": listing_rate(listing_id),
                        "days_to_maturity": int(args["daysToMaturity"]),
                        "traded_at": at,
                        **where,
                    },
                )
            elif event.name == "ListingCancelled":
                connection.execute(
                    update(ListingRecord)
                    .where(ListingRecord.id == int(args["listingId"]))
                    .values(cancelled=True, cancelled_block_number=event.block_number)
                )
            elif event.name == "Redeemed":
                connection.execute(
                    insert(RedemptionRecord),
                    {
                        "offering_id": offering_id,
                        "holder_address": args["holder"],
                        "tokens_minor": int(args["tokens"]),
                        "cash_minor": int(args["cash"]),
                        "redeemed_at": at,
                        **where,
                    },
                )
            else:
                amount = {
                    "OfferingWithdrawn": "amount",
                    "OfferingClosed": "unsold",
                    "OfferingCashReceived": "amount",
                    "ResidualSwept": "amount",
                }.get(event.name)
                address = args.get("seller", args.get("holder"))
                connection.execute(
                    insert(OfferingEventRecord),
                    {
                        "offering_id": offering_id,
                        "kind": _CHANGES[event.name],
                        "amount_minor": int(args[amount]) if amount else 0,
                        "address": address,
                        "to_address": None,
                        "token_id": int(args["tokenId"]) if "tokenId" in args else None,
                        "occurred_at": at,
                        **where,
                    },
                )
        fold_offerings(connection, touched)

    def roll_back(self, connection: Connection, fork_point: int, chain: Any = None) -> None:
        touched = set(connection.execute(select(OfferingRecord.id)).scalars())
        for table in (OfferingTrade, RedemptionRecord, OfferingEventRecord, ListingRecord):
            connection.execute(delete(table).where(table.block_number > fork_point))
        connection.execute(
            update(ListingRecord)
            .where(ListingRecord.cancelled_block_number > fork_point)
            .values(cancelled=False, cancelled_block_number=None)
        )
        connection.execute(delete(OfferingRecord).where(OfferingRecord.opened_block_number > fork_point))
        gone = touched - set(connection.execute(select(OfferingRecord.id)).scalars())
        if gone:
            connection.execute(delete(TokenHolding).where(TokenHolding.offering_id.in_(gone)))
        fold_offerings(connection, touched - gone)

    def reset(self, connection: Connection) -> None:
        for table in (
            TokenHolding,
            OfferingTrade,
            RedemptionRecord,
            OfferingEventRecord,
            ListingRecord,
            OfferingRecord,
        ):
            connection.execute(delete(table))


def _request_of(event: IndexedEvent) -> Any:
    return event.request or event.transaction_hash


def _record_transfer(connection: Connection, batch: ProjectionBatch, event: IndexedEvent) -> set[int]:
    """A transfer made on the token itself, as an offering event; the offering it belongs to."""
    sender, recipient = str(event.args["from"]), str(event.args["to"])
    offering_id = connection.execute(
        select(OfferingRecord.id).where(OfferingRecord.token_address == event.event.address)
    ).scalar()
    if offering_id is None or ZERO_ADDRESS in (sender.lower(), recipient.lower()):
        return set()
    connection.execute(
        insert(OfferingEventRecord),
        {
            "offering_id": offering_id,
            "kind": "transfer",
            "amount_minor": int(event.args["value"]),
            "address": sender,
            "to_address": recipient,
            "token_id": None,
            "occurred_at": batch.block_time(event.block_number),
            "transaction_hash": event.transaction_hash,
            "log_index": event.log_index,
            "block_number": event.block_number,
        },
    )
    return {int(offering_id)}


@dataclass
class _Holding:
    tokens: int = 0
    paid: int = 0
    day_tokens: int = 0
    redeemed_tokens: int = 0
    redeemed_cash: int = 0
    first_bought_at: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def fold_offerings(connection: Connection, offering_ids: Iterable[int]) -> None:
    for offering_id in sorted(offering_ids):
        fold_offering(connection, offering_id)


def fold_offering(connection: Connection, offering_id: int) -> None:
    """Folds an offering's totals, its listings' remainders and its holdings from its event rows."""
    offering = connection.execute(select(OfferingRecord).where(OfferingRecord.id == offering_id)).one()
    seller = offering.seller_address
    trades = connection.execute(
        select(OfferingTrade)
        .where(OfferingTrade.offering_id == offering_id)
        .order_by(OfferingTrade.block_number, OfferingTrade.log_index)
    ).all()
    redemptions = connection.execute(
        select(RedemptionRecord)
        .where(RedemptionRecord.offering_id == offering_id)
        .order_by(RedemptionRecord.block_number, RedemptionRecord.log_index)
    ).all()
    changes = connection.execute(
        select(OfferingEventRecord)
        .where(OfferingEventRecord.offering_id == offering_id)
        .order_by(OfferingEventRecord.block_number, OfferingEventRecord.log_index)
    ).all()
    ordered: list[tuple[int, int, str, Any]] = [
        *((row.block_number, row.log_index, "trade", row) for row in trades),
        *((row.block_number, row.log_index, "redeemed", row) for row in redemptions),
        *((row.block_number, row.log_index, row.kind, row) for row in changes),
    ]
    ordered.sort(key=lambda item: (item[0], item[1]))

    unsold, sold, raised, withdrawn, closed = offering.value_minor, 0, 0, 0, False
    received, redeemed_cash, redeemed_tokens = 0, 0, 0
    holdings: dict[str, _Holding] = {}
    filled: dict[int, int] = {}

    def holding(address: str) -> _Holding:
        return holdings.setdefault(address, _Holding())

    for _block, _index, kind, row in ordered:
        if kind == "trade":
            amount, cash = int(row.amount_minor), int(row.cash_minor)
            buyer = holding(row.buyer_address)
            if buyer.first_bought_at is None:
                buyer.first_bought_at = row.traded_at
            buyer.tokens += amount
            buyer.paid += cash
            buyer.day_tokens += amount * int(row.days_to_maturity)
            if row.market == "primary":
                unsold -= amount
                sold += amount
                raised += cash
            else:
                filled[int(row.listing_id)] = filled.get(int(row.listing_id), 0) + amount
                lister = holding(row.seller_address)
                # The cost of what is sold leaves at average cost (rounded down: the remaining tokens
                # keep the rest of the cost).
                if lister.tokens > 0:
                    share_paid = lister.paid * amount // lister.tokens
                    share_days = lister.day_tokens * amount // lister.tokens
                    lister.paid -= share_paid
                    lister.day_tokens -= share_days
                lister.tokens -= amount
        elif kind == "redeemed":
            tokens, cash = int(row.tokens_minor), int(row.cash_minor)
            redeemed_cash += cash
            redeemed_tokens += tokens
            own = tokens
            if row.holder_address == seller:
                own -= unsold
                unsold = 0
            owner = holding(row.holder_address)
            owner.redeemed_tokens += tokens
            owner.redeemed_cash += cash
            if owner.tokens > 0 and own > 0:
                part = min(own, owner.tokens)
                owner.paid -= owner.paid * part // owner.tokens
                owner.day_tokens -= owner.day_tokens * part // owner.tokens
                owner.tokens -= part
        elif kind == "withdrawn":
            unsold -= int(row.amount_minor)
            withdrawn += int(row.amount_minor)
        elif kind == "closed":
            closed = True
        elif kind == "cash_received":
            received += int(row.amount_minor)
        elif kind == "swept":
            redeemed_cash += int(row.amount_minor)
        elif kind == "transfer":
            # Tokens moved outside the market carry their share of the sender's cost (a recovery moves
            # all of it to the new wallet).
            amount = int(row.amount_minor)
            sender, recipient = holding(str(row.address)), holding(str(row.to_address))
            if sender.tokens > 0:
                part = min(amount, sender.tokens)
                share_paid = sender.paid * part // sender.tokens
                share_days = sender.day_tokens * part // sender.tokens
                sender.paid -= share_paid
                sender.day_tokens -= share_days
                recipient.paid += share_paid
                recipient.day_tokens += share_days
            sender.tokens -= amount
            recipient.tokens += amount
            if recipient.first_bought_at is None:
                recipient.first_bought_at = row.occurred_at

    connection.execute(
        update(OfferingRecord)
        .where(OfferingRecord.id == offering_id)
        .values(
            sold_minor=sold,
            cash_raised_minor=raised,
            withdrawn_minor=withdrawn,
            unsold_minor=unsold,
            closed=closed,
            cash_received_minor=received,
            cash_redeemed_minor=redeemed_cash,
            tokens_redeemed_minor=redeemed_tokens,
        )
    )
    for listing in connection.execute(
        select(ListingRecord.id, ListingRecord.amount_minor, ListingRecord.cancelled).where(
            ListingRecord.offering_id == offering_id
        )
    ).all():
        remaining = 0 if listing.cancelled else int(listing.amount_minor) - filled.get(int(listing.id), 0)
        connection.execute(
            update(ListingRecord).where(ListingRecord.id == listing.id).values(remaining_minor=remaining)
        )
    connection.execute(delete(TokenHolding).where(TokenHolding.offering_id == offering_id))
    rows = [
        {
            "offering_id": offering_id,
            "address": address,
            "tokens_minor": held.tokens,
            "paid_minor": held.paid,
            "day_tokens": held.day_tokens,
            "redeemed_tokens_minor": held.redeemed_tokens,
            "redeemed_cash_minor": held.redeemed_cash,
            "first_bought_at": held.first_bought_at,
        }
        for address, held in sorted(holdings.items())
    ]
    if rows:
        connection.execute(insert(TokenHolding), rows)
