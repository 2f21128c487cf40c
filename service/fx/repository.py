"""Exchange-rate queries: the pairs' feeds and the answers their oracles submitted (from the index)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session

from service.db.models import FxAnswer, FxFeed


def fetch_feed(session: Session, base: str, quote: str) -> FxFeed | None:
    return session.get(FxFeed, (base, quote))


def fetch_feeds(session: Session, after: tuple[str, str] | None, limit: int) -> Sequence[FxFeed]:
    """The configured pairs by (base, quote), after `after`."""
    query = select(FxFeed)
    if after is not None:
        query = query.where(tuple_(FxFeed.base, FxFeed.quote) > tuple_(*after))
    return session.scalars(query.order_by(FxFeed.base, FxFeed.quote).limit(limit)).all()


def fetch_feeds_of_pairs(session: Session, pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], FxFeed]:
    wanted = set(pairs)
    if not wanted:
        return {}
    bases = {base for base, _quote in wanted}
    rows = session.scalars(select(FxFeed).where(FxFeed.base.in_(bases))).all()
    return {(row.base, row.quote): row for row in rows if (row.base, row.quote) in wanted}


def fetch_latest_answers(session: Session, feed_addresses: Iterable[str]) -> dict[str, FxAnswer]:
    """Each feed's latest indexed answer (the last logged: rounds only grow)."""
    addresses = set(feed_addresses)
    if not addresses:
        return {}
    latest = (
        select(func.max(FxAnswer.id).label("id"))
        .where(FxAnswer.feed_address.in_(addresses))
        .group_by(FxAnswer.feed_address)
        .subquery()
    )
    rows = session.scalars(select(FxAnswer).join(latest, latest.c.id == FxAnswer.id)).all()
    return {row.feed_address: row for row in rows}


def fetch_answers(
    session: Session, feed_address: str, before: tuple[int, ...] | None, limit: int
) -> Sequence[FxAnswer]:
    """A feed's answers, newest first (by block and log index), those before `before`."""
    query = select(FxAnswer).where(FxAnswer.feed_address == feed_address)
    if before is not None:
        query = query.where(tuple_(FxAnswer.block_number, FxAnswer.log_index) < tuple_(*before))
    order = (FxAnswer.block_number.desc(), FxAnswer.log_index.desc())
    return session.scalars(query.order_by(*order).limit(limit)).all()
