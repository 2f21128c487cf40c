"""Settlement queries: cash totals of a voucher, and jobs."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.db.models import CashMovement, Job


def fetch_cash_totals(session: Session, voucher_id: int) -> dict[str, int]:
    """Cash moved for the voucher, by kind (funding, payment, withdrawal, early payment...)."""
    rows = session.execute(
        select(CashMovement.kind, func.sum(CashMovement.cash_minor))
        .where(CashMovement.voucher_id == voucher_id)
        .group_by(CashMovement.kind)
    ).all()
    return {kind: int(total or 0) for kind, total in rows}


def fetch_job(session: Session, job_id: int) -> Job | None:
    return session.get(Job, job_id)
