"""Early-payment programme queries (the programmes as opened on chain, indexed)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import EarlyPaymentProgrammeRecord
from service.db.paging import fetch_after


def fetch_programmes_of_voucher(
    session: Session, voucher_id: int, after_id: int | None, limit: int
) -> Sequence[EarlyPaymentProgrammeRecord]:
    query = select(EarlyPaymentProgrammeRecord).where(EarlyPaymentProgrammeRecord.voucher_id == voucher_id)
    return fetch_after(session, query, EarlyPaymentProgrammeRecord.id, after_id, limit)
