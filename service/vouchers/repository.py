"""Voucher queries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import Connection, insert, select
from sqlalchemy.orm import Session

from service.db.models import Voucher, VoucherDocument


def fetch_voucher(session: Session, voucher_id: int) -> Voucher | None:
    return session.get(Voucher, voucher_id)


def fetch_vouchers(
    session: Session, ids: set[int] | None = None, obligor_address: str | None = None
) -> Sequence[Voucher]:
    query = select(Voucher)
    if ids is not None and obligor_address is not None:
        query = query.where((Voucher.id.in_(ids)) | (Voucher.obligor_address == obligor_address))
    elif ids is not None:
        query = query.where(Voucher.id.in_(ids))
    return session.scalars(query.order_by(Voucher.id)).all()


def fetch_documents(session: Session, voucher_ids: set[int]) -> dict[int, VoucherDocument]:
    if not voucher_ids:
        return {}
    query = select(VoucherDocument).where(VoucherDocument.voucher_id.in_(voucher_ids))
    return {
        document.voucher_id: document
        for document in session.scalars(query)
        if document.voucher_id is not None
    }


def add_document(
    connection: Connection, operation_id: int, invoice_references: list[str], issued_by: int
) -> None:
    """The documents of a voucher being issued, keyed by its issuing operation (the projection of the
    issuance links them to the voucher)."""
    connection.execute(
        insert(VoucherDocument),
        {
            "operation_id": operation_id,
            "invoice_references": invoice_references,
            "issued_by_participant_id": issued_by,
            "created_at": datetime.now(UTC),
        },
    )
