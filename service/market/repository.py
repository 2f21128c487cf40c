"""Market queries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from service.db.models import ListingRecord, OfferingRecord, OfferingTrade, TokenHolding


def fetch_offering(session: Session, offering_id: int) -> OfferingRecord | None:
    return session.get(OfferingRecord, offering_id)


def fetch_offerings(
    session: Session, voucher_id: int | None, after_id: int | None, limit: int
) -> Sequence[OfferingRecord]:
    query = select(OfferingRecord).order_by(OfferingRecord.id).limit(limit)
    if voucher_id is not None:
        query = query.where(OfferingRecord.voucher_id == voucher_id)
    if after_id is not None:
        query = query.where(OfferingRecord.id > after_id)
    return session.scalars(query).all()


def fetch_listing(session: Session, listing_id: int) -> ListingRecord | None:
    return session.get(ListingRecord, listing_id)


def fetch_listings(
    session: Session, offering_id: int, after_id: int | None, limit: int
) -> Sequence[ListingRecord]:
    query = select(ListingRecord).where(ListingRecord.offering_id == offering_id)
    if after_id is not None:
        query = query.where(ListingRecord.id > after_id)
    return session.scalars(query.order_by(ListingRecord.id).limit(limit)).all()


def fetch_holding(session: Session, offering_id: int, address: str) -> TokenHolding | None:
    return session.scalars(
        select(TokenHolding).where(TokenHolding.offering_id == offering_id, TokenHolding.address == address)
    ).first()


def fetch_holdings_of(
    session: Session, address: str, after_offering_id: int | None, limit: int
) -> Sequence[TokenHolding]:
    query = select(TokenHolding).where(TokenHolding.address == address)
    if after_offering_id is not None:
        query = query.where(TokenHolding.offering_id > after_offering_id)
    return session.scalars(query.order_by(TokenHolding.offering_id).limit(limit)).all()


def fetch_holder_addresses_after(
    connection: Connection, offering_id: int, after: str, limit: int
) -> list[str]:
    """Addresses holding tokens of the offering, in address order after `after`."""
    return [
        str(address)
        for address in connection.execute(
            select(TokenHolding.address)
            .where(
                TokenHolding.offering_id == offering_id,
                TokenHolding.tokens_minor > 0,
                TokenHolding.address > after,
            )
            .order_by(TokenHolding.address)
            .limit(limit)
        ).scalars()
    ]


def count_holders(connection: Connection, offering_id: int) -> int:
    return int(
        connection.execute(
            select(func.count())
            .select_from(TokenHolding)
            .where(TokenHolding.offering_id == offering_id, TokenHolding.tokens_minor > 0)
        ).scalar_one()
    )


def fetch_trades(
    session: Session, since: datetime, until: datetime, offering_id: int | None
) -> Sequence[OfferingTrade]:
    query = select(OfferingTrade).where(OfferingTrade.traded_at >= since, OfferingTrade.traded_at < until)
    if offering_id is not None:
        query = query.where(OfferingTrade.offering_id == offering_id)
    return session.scalars(query.order_by(OfferingTrade.block_number, OfferingTrade.log_index)).all()
