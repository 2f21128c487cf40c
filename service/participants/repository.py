"""Participant and API-key queries."""

from __future__ import annotations

from collections.abc import Sequence

from eth_utils import to_checksum_address
from sqlalchemy import Connection, func, insert, select, tuple_
from sqlalchemy.orm import Session

from service.db.models import ApiKey, IdentityChange, Operation, Participant, utc_now
from service.db.paging import fetch_after


def fetch_participant(session: Session, participant_id: int) -> Participant | None:
    return session.get(Participant, participant_id)


def fetch_participant_by_address(session: Session, address: str) -> Participant | None:
    # Addresses are stored EIP-55 checksummed, so the unique index answers this directly.
    return session.scalars(
        select(Participant).where(Participant.address == to_checksum_address(address))
    ).one_or_none()


def fetch_participant_by_name(session: Session, name: str) -> Participant | None:
    return session.scalars(select(Participant).where(Participant.name == name)).one_or_none()


def fetch_participants(session: Session, after_id: int | None, limit: int) -> Sequence[Participant]:
    return fetch_after(session, select(Participant), Participant.id, after_id, limit)


def fetch_participants_by_addresses(session: Session, addresses: set[str]) -> dict[str, Participant]:
    if not addresses:
        return {}
    rows = session.scalars(select(Participant).where(Participant.address.in_(addresses))).all()
    return {row.address: row for row in rows}


def fetch_participants_by_ids(session: Session, ids: set[int]) -> dict[int, Participant]:
    if not ids:
        return {}
    rows = session.scalars(select(Participant).where(Participant.id.in_(ids))).all()
    return {row.id: row for row in rows}


def count_admins(session: Session) -> int:
    return (
        session.scalar(select(func.count()).select_from(Participant).where(Participant.role == "admin")) or 0
    )


def insert_participant(
    connection: Connection, *, name: str, role: str, address: str, encrypted_private_key: str | None
) -> Participant:
    """A new participant, unverified until the registry's event says otherwise (admins never are)."""
    row = {
        "name": name,
        "role": role,
        "address": address,
        "encrypted_private_key": encrypted_private_key,
        "verified": False,
        "country": None,
        "kyc_expires_at": None,
        "frozen": False,
        "created_at": utc_now(),
    }
    participant_id = connection.execute(insert(Participant).returning(Participant.id), row).scalar_one()
    return Participant(id=participant_id, **row)


def insert_api_key(connection: Connection, participant_id: int, key_hash: str, key_prefix: str) -> None:
    connection.execute(
        insert(ApiKey),
        {
            "participant_id": participant_id,
            "key_hash": key_hash,
            "key_prefix": key_prefix,
            "created_at": utc_now(),
        },
    )


def fetch_participant_by_name_on(connection: Connection, name: str) -> Participant | None:
    row = (
        connection.execute(select(Participant.__table__).where(Participant.name == name))
        .mappings()
        .one_or_none()
    )
    return Participant(**row) if row else None


def count_admins_on(connection: Connection) -> int:
    return int(
        connection.execute(
            select(func.count()).select_from(Participant).where(Participant.role == "admin")
        ).scalar_one()
    )


def fetch_identity_changes(
    session: Session, address: str, after: tuple[int, ...] | None, limit: int
) -> Sequence[tuple[IdentityChange, Operation | None]]:
    """The account's identity changes in chain order after `after` (block, log index), each with the
    operation that asked for it."""
    query = (
        select(IdentityChange, Operation)
        .outerjoin(Operation, Operation.id == IdentityChange.operation_id)
        .where(IdentityChange.account_address == address)
    )
    if after is not None:
        query = query.where(tuple_(IdentityChange.block_number, IdentityChange.log_index) > tuple_(*after))
    query = query.order_by(IdentityChange.block_number, IdentityChange.log_index).limit(limit)
    return [(change, operation) for change, operation in session.execute(query).all()]
