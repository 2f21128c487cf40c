"""Compliance queries: pieces of a holder, rolling limits, the audit trail of actions."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import ComplianceAction, Note, Operation, TransferLimit, Voucher


def fetch_all_pieces_of(session: Session, address: str) -> Sequence[tuple[Note, Voucher]]:
    """Every piece the address holds, emptied ones too (the chain counts them all), by token id."""
    rows = session.execute(
        select(Note, Voucher)
        .join(Voucher, Voucher.id == Note.voucher_id)
        .where(Note.holder_address == address)
        .order_by(Note.token_id)
    ).all()
    return [(note, voucher) for note, voucher in rows]


def count_pieces_of(session: Session, address: str) -> int:
    return len(session.scalars(select(Note.token_id).where(Note.holder_address == address).limit(1)).all())


def fetch_transfer_limit(session: Session, address: str, currency: str) -> TransferLimit | None:
    return session.get(TransferLimit, (address, currency))


def has_transfer_limits(session: Session, address: str) -> bool:
    found = session.scalars(
        select(TransferLimit.currency).where(TransferLimit.account_address == address).limit(1)
    ).first()
    return found is not None


def fetch_actions(
    session: Session,
    *,
    after_id: int | None,
    limit: int,
    address: str | None = None,
    voucher_id: int | None = None,
    kind: str | None = None,
    token_id: int | None = None,
) -> Sequence[tuple[ComplianceAction, Operation | None]]:
    """Recorded actions by id (chain order), each with the operation that asked for it."""
    query = select(ComplianceAction, Operation).outerjoin(
        Operation, Operation.id == ComplianceAction.operation_id
    )
    if after_id is not None:
        query = query.where(ComplianceAction.id > after_id)
    if address is not None:
        query = query.where(ComplianceAction.account_address == address)
    if voucher_id is not None:
        query = query.where(ComplianceAction.voucher_id == voucher_id)
    if kind is not None:
        query = query.where(ComplianceAction.kind == kind)
    if token_id is not None:
        query = query.where(ComplianceAction.token_id == token_id)
    rows = session.execute(query.order_by(ComplianceAction.id).limit(limit)).all()
    return [(action, operation) for action, operation in rows]
