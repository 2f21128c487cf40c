"""Note (piece) and movement queries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, func, select, union
from sqlalchemy.orm import Session, aliased

from service.db.models import Note, Participant, ValueMovement, Voucher
from service.db.paging import fetch_after
from service.domain.notes import Piece


def fetch_note(session: Session, token_id: int) -> Note | None:
    return session.get(Note, token_id)


# Statements on every transfer are built once, with bound parameters: building one and computing its
# cache key costs more than running it on SQLite.
_NOTE_WITH_VOUCHER = (
    select(Note, Voucher)
    .join(Voucher, Voucher.id == Note.voucher_id)
    .where(Note.token_id == bindparam("token_id"))
)


_NOTES, _MOVEMENTS = Note.__table__, ValueMovement.__table__
_VOUCHERS, _PARTICIPANTS = Voucher.__table__, Participant.__table__


@dataclass(frozen=True)
class Account:
    """A participant as a transfer needs it: who it is, whether it may hold notes, how it signs."""

    id: int
    address: str
    role: str
    verified: bool
    encrypted_private_key: str | None


@dataclass(frozen=True)
class TransferContext:
    """What planning a transfer reads, in one statement: the piece, its voucher's terms, both parties
    (None where no participant has the id)."""

    piece: Piece
    currency: str
    unit_minor: int
    voucher_status: str
    sender: Account | None
    recipient: Account | None


_SENDERS, _RECIPIENTS = _PARTICIPANTS.alias("sender"), _PARTICIPANTS.alias("recipient")
_ACCOUNT_COLUMNS = ("id", "address", "role", "verified", "encrypted_private_key")
_PIECE_COLUMNS = (
    "token_id",
    "voucher_id",
    "holder_address",
    "value_minor",
    "parent_token_id",
    "root_token_id",
    "depth",
)
# Plain Core over the tables: a transfer's reads in one round trip and without ORM objects, which cost
# the hot path about a tenth of the service's CPU as two ORM queries. The parties are outer joined by
# id so that an unknown one comes back as nulls rather than losing the row.
_TRANSFER_CONTEXT = (
    select(
        *(_NOTES.c[name] for name in _PIECE_COLUMNS),
        _VOUCHERS.c.currency,
        _VOUCHERS.c.unit_minor,
        _VOUCHERS.c.status,
        *(_SENDERS.c[name].label(f"sender_{name}") for name in _ACCOUNT_COLUMNS),
        *(_RECIPIENTS.c[name].label(f"recipient_{name}") for name in _ACCOUNT_COLUMNS),
    )
    .select_from(
        _NOTES.join(_VOUCHERS, _VOUCHERS.c.id == _NOTES.c.voucher_id)
        .outerjoin(_SENDERS, _SENDERS.c.id == bindparam("sender_id"))
        .outerjoin(_RECIPIENTS, _RECIPIENTS.c.id == bindparam("recipient_id"))
    )
    .where(_NOTES.c.token_id == bindparam("token_id"))
)


def fetch_transfer_context(
    session: Session, token_id: int, sender_id: int, recipient_id: int
) -> TransferContext | None:
    """None when the piece does not exist."""
    parameters = {"token_id": token_id, "sender_id": sender_id, "recipient_id": recipient_id}
    row = session.connection().execute(_TRANSFER_CONTEXT, parameters).one_or_none()
    if row is None:
        return None
    values = row._mapping
    return TransferContext(
        piece=Piece(*(values[name] for name in _PIECE_COLUMNS)),
        currency=values["currency"],
        unit_minor=values["unit_minor"],
        voucher_status=values["status"],
        sender=_account(values, "sender_"),
        recipient=_account(values, "recipient_"),
    )


def _account(values: Any, prefix: str) -> Account | None:
    if values[prefix + "id"] is None:
        return None
    return Account(*(values[prefix + name] for name in _ACCOUNT_COLUMNS))


def _moved_after(token_column: Any) -> Any:
    """Value moved into or out of (by `token_column`) a note after a block, whole-token moves aside."""
    return (
        select(func.coalesce(func.sum(_MOVEMENTS.c.value_minor), 0))
        .where(
            token_column == bindparam("token_id"),
            _MOVEMENTS.c.block_number > bindparam("block_number"),
            _MOVEMENTS.c.kind != "token_transfer",
        )
        .scalar_subquery()
    )


# Two index range scans (token, then block), one for each direction. Plain Core (table columns, run on
# the session's connection): it reads no ORM objects, and the ORM execution path would double its cost.
_VALUE_AFTER_BLOCK = select(
    _NOTES.c.value_minor - _moved_after(_MOVEMENTS.c.to_token_id) + _moved_after(_MOVEMENTS.c.from_token_id)
).where(_NOTES.c.token_id == bindparam("token_id"))


def fetch_note_with_voucher(session: Session, token_id: int) -> tuple[Note, Voucher] | None:
    """A note and its voucher in one round trip."""
    row = session.execute(_NOTE_WITH_VOUCHER, {"token_id": token_id}).one_or_none()
    return (row[0], row[1]) if row else None


def fetch_notes_of_holder(
    session: Session, address: str, include_empty: bool, after_token_id: int | None, limit: int
) -> Sequence[Note]:
    query = select(Note).where(Note.holder_address == address)
    if not include_empty:
        query = query.where(Note.value_minor > 0)
    return fetch_after(session, query, Note.token_id, after_token_id, limit)


def fetch_notes_of_voucher(
    session: Session, voucher_id: int, viewer_address: str | None, after_token_id: int | None, limit: int
) -> Sequence[Note]:
    """The voucher's pieces by token id: all of them (`viewer_address` None), or those a holder may see."""
    query = select(Note).where(Note.voucher_id == voucher_id)
    if viewer_address is not None:
        query = query.where(Note.token_id.in_(_seen_by_holder(voucher_id, viewer_address)))
    return fetch_after(session, query, Note.token_id, after_token_id, limit)


def _seen_by_holder(voucher_id: int, viewer_address: str) -> Any:
    """The token ids of the voucher a holder sees (`PieceView`): its own pieces, their ancestors (up the
    parents, a recursive query) and the pieces split off them, one level down."""
    own = select(Note.token_id).where(Note.voucher_id == voucher_id, Note.holder_address == viewer_address)
    ancestors = (
        select(Note.parent_token_id.label("token_id"))
        .where(Note.voucher_id == voucher_id, Note.holder_address == viewer_address)
        .cte("ancestors", recursive=True)
    )
    parent = aliased(Note)
    ancestors = ancestors.union(
        select(parent.parent_token_id).join(ancestors, parent.token_id == ancestors.c.token_id)
    )
    children = select(Note.token_id).where(Note.voucher_id == voucher_id, Note.parent_token_id.in_(own))
    return union(own, children, select(ancestors.c.token_id).where(ancestors.c.token_id.is_not(None)))


def is_seen_by_holder(session: Session, note: Note, viewer_address: str) -> bool:
    """Whether a holder sees this piece: one of its own, an ancestor of one, or split off one."""
    seen = _seen_by_holder(note.voucher_id, viewer_address).subquery()
    return (
        session.scalar(select(seen.c.token_id).where(seen.c.token_id == note.token_id).limit(1)) is not None
    )


def fetch_voucher_totals(session: Session, voucher_id: int) -> tuple[int, int]:
    """What the voucher's pieces hold together, and how many of them hold anything."""
    query = select(
        func.coalesce(func.sum(Note.value_minor), 0), func.count().filter(Note.value_minor > 0)
    ).where(Note.voucher_id == voucher_id)
    total, count = session.execute(query).one()
    return int(total), int(count)


@dataclass(frozen=True)
class Creation:
    """What a piece was created with: the value it received and whom it was created for."""

    value_minor: int
    holder_address: str


def fetch_creations(session: Session, token_ids: set[int]) -> dict[int, Creation]:
    """How each piece was issued or split off."""
    if not token_ids:
        return {}
    query = select(ValueMovement.to_token_id, ValueMovement.value_minor, ValueMovement.to_address).where(
        ValueMovement.to_token_id.in_(token_ids), ValueMovement.kind.in_(("issue", "split"))
    )
    return {
        int(token_id or 0): Creation(int(value), str(address))
        for token_id, value, address in session.execute(query)
    }


def fetch_merges_into(
    session: Session, token_ids: set[int], first: int
) -> dict[int, tuple[list[ValueMovement], int]]:
    """For each piece, its first `first` merges of value in (in chain order) and how many there were."""
    if not token_ids:
        return {}
    into = ValueMovement.to_token_id
    ranked = (
        select(
            ValueMovement.id,
            func.row_number()
            .over(partition_by=into, order_by=(ValueMovement.block_number, ValueMovement.log_index))
            .label("rank"),
            func.count().over(partition_by=into).label("total"),
        )
        .where(into.in_(token_ids), ValueMovement.kind == "merge")
        .subquery()
    )
    rows = session.execute(
        select(ValueMovement, ranked.c.total)
        .join(ranked, ranked.c.id == ValueMovement.id)
        .where(ranked.c.rank <= first)
        .order_by(ValueMovement.block_number, ValueMovement.log_index)
    ).all()
    found: dict[int, tuple[list[ValueMovement], int]] = {}
    for movement, total in rows:
        found.setdefault(movement.to_token_id or 0, ([], int(total)))[0].append(movement)
    return found


def compute_value_after_block(session: Session, token_id: int, block_number: int) -> int:
    """A note's value right after `block_number`, which the index has reached: its indexed value less
    what moved in later blocks. Exact even after later transfers moved it, and independent of the
    node keeping old state; one statement, so one snapshot of the index. A whole-token transfer
    (`token_transfer`) moves the holder, not value, so it does not count.
    """
    parameters = {"token_id": token_id, "block_number": block_number}
    value = session.connection().execute(_VALUE_AFTER_BLOCK, parameters).scalar()
    return int(value or 0)


def holds_piece_of(session: Session, address: str, voucher_id: int) -> bool:
    """Whether `address` holds (or has held) any piece of the voucher: one indexed lookup."""
    query = (
        select(Note.token_id).where(Note.voucher_id == voucher_id, Note.holder_address == address).limit(1)
    )
    return session.scalar(query) is not None


def fetch_token_ids_with_value(session: Session, voucher_id: int) -> list[int]:
    query = (
        select(Note.token_id)
        .where(Note.voucher_id == voucher_id, Note.value_minor > 0)
        .order_by(Note.token_id)
    )
    return list(session.scalars(query).all())


def count_pieces_with_value(connection: Connection, voucher_id: int) -> int:
    query = select(func.count()).where(Note.voucher_id == voucher_id, Note.value_minor > 0)
    return int(connection.execute(query).scalar_one())


def fetch_token_ids_with_value_after(
    connection: Connection, voucher_id: int, after_token_id: int, limit: int
) -> list[int]:
    """The next `limit` pieces of the voucher that hold value, by token id after `after_token_id`."""
    query = (
        select(Note.token_id)
        .where(Note.voucher_id == voucher_id, Note.value_minor > 0, Note.token_id > after_token_id)
        .order_by(Note.token_id)
        .limit(limit)
    )
    return [int(token_id) for token_id in connection.execute(query).scalars()]


def to_piece(note: Note) -> Piece:
    return Piece(
        token_id=note.token_id,
        voucher_id=note.voucher_id,
        holder_address=note.holder_address,
        value_minor=note.value_minor,
        parent_token_id=note.parent_token_id,
        root_token_id=note.root_token_id,
        depth=note.depth,
    )
