"""Financing terms and quotes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, func, select, update
from sqlalchemy.orm import Session

from service.db.models import FinancingQuote, FinancingTerms
from service.db.paging import fetch_after


def fetch_terms(session: Session, terms_id: int) -> FinancingTerms | None:
    return session.get(FinancingTerms, terms_id)


def fetch_active_terms(session: Session, after_id: int | None, limit: int) -> Sequence[FinancingTerms]:
    query = select(FinancingTerms).where(FinancingTerms.active.is_(True))
    return fetch_after(session, query, FinancingTerms.id, after_id, limit)


def fetch_quote(session: Session, quote_id: int) -> FinancingQuote | None:
    return session.get(FinancingQuote, quote_id)


def lock_terms(session: Session, terms_id: int) -> FinancingTerms:
    """The terms, locked for the rest of the write transaction (PostgreSQL row lock; a SQLite write
    transaction holds the whole database already), so that budget checks of one terms run one at a time."""
    terms = session.scalars(
        select(FinancingTerms).where(FinancingTerms.id == terms_id).with_for_update()
    ).one()
    session.refresh(terms)
    return terms


def sum_open_quotes(session: Session, terms_id: int, now: datetime) -> int:
    """Cash the terms' open quotes may still take: those neither executed, voided nor expired."""
    total = session.scalar(
        select(func.coalesce(func.sum(FinancingQuote.price_minor), 0)).where(
            FinancingQuote.terms_id == terms_id,
            FinancingQuote.state == "open",
            FinancingQuote.expires_at >= now,
        )
    )
    return int(total or 0)


def fetch_open_quotes(session: Session, terms_id: int) -> Sequence[FinancingQuote]:
    return session.scalars(
        select(FinancingQuote)
        .where(FinancingQuote.terms_id == terms_id, FinancingQuote.state == "open")
        .order_by(FinancingQuote.id)
    ).all()


def deactivate_terms(connection: Connection, terms_id: int) -> None:
    connection.execute(update(FinancingTerms).where(FinancingTerms.id == terms_id).values(active=False))
