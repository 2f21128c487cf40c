"""One page of a query ordered by an integer key, for the repositories' listings (service.api.pagination)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute, Session

Row = TypeVar("Row")


def fetch_after(
    session: Session,
    query: Select[Row],
    key: InstrumentedAttribute[Any],
    after: int | None,
    limit: int,
) -> Sequence[Row]:
    """At most `limit` rows of `query` by `key`, from the first after `after` (None: from the start)."""
    if after is not None:
        query = query.where(key > after)
    return session.scalars(query.order_by(key).limit(limit)).all()
