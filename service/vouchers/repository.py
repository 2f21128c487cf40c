"""Voucher queries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import Connection, insert, select
from sqlalchemy.orm import Session

from service.db.models import Note, Voucher, VoucherDocument
from service.db.paging import fetch_after


def fetch_voucher(session: Session, voucher_id: int) -> Voucher | None:
    return session.get(Voucher, voucher_id)


def fetch_vouchers(session: Session, ids: set[int]) -> Sequence[Voucher]:
    return session.scalars(select(Voucher).where(Voucher.id.in_(ids)).order_by(Voucher.id)).all()


def fetch_visible_vouchers(
    session: Session, viewer_address: str | None, after_id: int | None, limit: int
) -> Sequence[Voucher]:
    """Vouchers by id after `after_id`: all (`viewer_address` None), or those whose obligor the viewer
    is or of which it holds or has held a piece."""
    query = select(Voucher)
    if viewer_address is not None:
        held = select(Note.voucher_id).where(Note.holder_address == viewer_address)
        query = query.where(Voucher.id.in_(held) | (Voucher.obligor_address == viewer_address))
    return fetch_after(session, query, Voucher.id, after_id, limit)


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
