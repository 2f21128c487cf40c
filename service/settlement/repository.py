"""Settlement queries: a voucher's cash totals and report rows (from the index), and payout jobs."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session

from service.db.models import CashMovement, Job

REPORT_KINDS = ("settlement_funding", "settlement_payment", "settlement_withheld", "early_payment")
_OF_REPORT = (CashMovement.kind.in_(REPORT_KINDS),)


def fetch_cash_totals(session: Session, voucher_id: int) -> dict[str, int]:
    """Cash moved for the voucher, by kind (funding, payment, withdrawal, early payment...)."""
    rows = session.execute(
        select(CashMovement.kind, func.sum(CashMovement.cash_minor))
        .where(CashMovement.voucher_id == voucher_id)
        .group_by(CashMovement.kind)
    ).all()
    return {kind: int(total or 0) for kind, total in rows}


def fetch_report_totals(session: Session, voucher_id: int) -> dict[str, int]:
    """The voucher's report cash by kind of movement."""
    return {
        kind: total for kind, total in fetch_cash_totals(session, voucher_id).items() if kind in REPORT_KINDS
    }


def fetch_report_rows(
    session: Session, voucher_id: int, party: str | None, after: tuple[int, ...] | None, limit: int
) -> Sequence[CashMovement]:
    """The report's movements in chain order (block, then log index), after the `after` one: all of them
    (`party` None), or those that paid `party` or that it paid."""
    query = select(CashMovement).where(CashMovement.voucher_id == voucher_id, *_OF_REPORT)
    if party is not None:
        query = query.where((CashMovement.payee_address == party) | (CashMovement.payer_address == party))
    if after is not None:
        query = query.where(tuple_(CashMovement.block_number, CashMovement.log_index) > tuple_(*after))
    order = (CashMovement.block_number, CashMovement.log_index)
    return session.scalars(query.order_by(*order).limit(limit)).all()


def fetch_job(session: Session, job_id: int) -> Job | None:
    return session.get(Job, job_id)
