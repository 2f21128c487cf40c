"""Financing terms and quotes."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, update
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


def reserve_budget(session: Session, terms_id: int, amount_minor: int) -> bool:
    """Takes `amount_minor` of the budget if it is still there; atomic under concurrent executions."""
    result = session.execute(
        update(FinancingTerms)
        .where(
            FinancingTerms.id == terms_id,
            FinancingTerms.used_minor + amount_minor <= FinancingTerms.budget_minor,
        )
        .values(used_minor=FinancingTerms.used_minor + amount_minor)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def release_budget(session: Session, terms_id: int, amount_minor: int) -> None:
    session.execute(
        update(FinancingTerms)
        .where(FinancingTerms.id == terms_id)
        .values(used_minor=FinancingTerms.used_minor - amount_minor)
    )


def claim_quote(session: Session, quote_id: int) -> bool:
    """Moves an open quote to `executing`; false if another request got there first."""
    result = session.execute(
        update(FinancingQuote)
        .where(FinancingQuote.id == quote_id, FinancingQuote.state == "open")
        .values(state="executing")
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
