"""The notes' projection of the note contract's token events: pieces, their lineage and every movement.

A range's events are applied to rows held in memory, then written with a handful of Core statements:
ORM objects would cost more than the rest of a relayed batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from sqlalchemy import Connection, bindparam, delete, insert, select, update

from service.db.models import Note, ValueMovement
from service.index.projection import IndexedEvent, ProjectionBatch

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
Row = dict[str, Any]
_TOKEN_ARGUMENTS = frozenset({"_tokenId", "_fromTokenId", "_toTokenId", "tokenId"})
_MUTABLE = ("voucher_id", "holder_address", "value_minor", "parent_token_id", "root_token_id", "depth")
_NOTES_BY_IDS = select(Note.__table__).where(Note.token_id.in_(bindparam("token_ids", expanding=True)))
_UPDATE_NOTE = (
    update(Note)
    .where(Note.token_id == bindparam("row_key"))
    .values({column: bindparam(column) for column in _MUTABLE})
)


class _Buffer:
    def __init__(self) -> None:
        self.notes: dict[int, Row] = {}
        self.created: set[int] = set()
        self.changed: set[int] = set()
        self.movements: list[Row] = []
        self.split_children: set[int] = set()


class NotesProjection:
    name: ClassVar[str] = "notes"
    subscriptions: ClassVar[frozenset[tuple[str, str]] | None] = frozenset(
        {("note", "Transfer"), ("note", "SlotChanged"), ("note", "NoteSplit"), ("note", "TransferValue")}
    )

    def prepare(self, batch: ProjectionBatch, events: Sequence[IndexedEvent]) -> None:
        """Loads every existing note the range touches in one query rather than one query per note."""
        buffer = self._buffer(batch)
        token_ids = {
            int(value)
            for event in events
            for key, value in event.args.items()
            if key in _TOKEN_ARGUMENTS and value
        }
        wanted = sorted(token_ids - set(buffer.notes))
        if wanted:
            for row in batch.connection.execute(_NOTES_BY_IDS, {"token_ids": wanted}).mappings():
                buffer.notes[row["token_id"]] = dict(row)

    def _buffer(self, batch: ProjectionBatch) -> _Buffer:
        buffer: _Buffer = batch.buffer(self.name, _Buffer)
        return buffer

    def apply(self, batch: ProjectionBatch, event: IndexedEvent) -> None:
        getattr(self, f"_on_{event.name}")(self._buffer(batch), batch, event)

    @staticmethod
    def _note(buffer: _Buffer, batch: ProjectionBatch, token_id: int) -> Row:
        if token_id not in buffer.notes:
            found = (
                batch.connection.execute(_NOTES_BY_IDS, {"token_ids": [token_id]}).mappings().one_or_none()
            )
            if found is None:
                raise RuntimeError(f"an event names token {token_id}, which was never minted in the index")
            buffer.notes[token_id] = dict(found)
        return buffer.notes[token_id]

    def _change(self, buffer: _Buffer, batch: ProjectionBatch, token_id: int, **values: Any) -> Row:
        note = self._note(buffer, batch, token_id)
        note.update(values)
        buffer.changed.add(token_id)
        return note

    @staticmethod
    def _movement(buffer: _Buffer, event: IndexedEvent, **fields: Any) -> None:
        buffer.movements.append(
            {
                "transaction_hash": event.transaction_hash,
                "log_index": event.log_index,
                "block_number": event.block_number,
                **fields,
            }
        )

    def _on_Transfer(self, buffer: _Buffer, batch: ProjectionBatch, event: IndexedEvent) -> None:
        token_id = int(event.args["_tokenId"])
        sender, receiver = event.args["_from"], event.args["_to"]
        if sender == ZERO_ADDRESS:
            buffer.notes[token_id] = {
                "token_id": token_id,
                "voucher_id": 0,
                "holder_address": receiver,
                "value_minor": 0,
                "parent_token_id": None,
                "root_token_id": token_id,
                "depth": 0,
                "created_transaction_hash": event.transaction_hash,
                "created_block_number": event.block_number,
            }
            buffer.created.add(token_id)
            return
        note = self._change(buffer, batch, token_id, holder_address=receiver)
        self._movement(
            buffer,
            event,
            voucher_id=note["voucher_id"],
            kind="token_transfer",
            from_token_id=token_id,
            to_token_id=token_id,
            from_address=sender,
            to_address=receiver,
            value_minor=note["value_minor"],
        )

    def _on_SlotChanged(self, buffer: _Buffer, batch: ProjectionBatch, event: IndexedEvent) -> None:
        self._change(buffer, batch, int(event.args["_tokenId"]), voucher_id=int(event.args["_newSlot"]))

    def _on_NoteSplit(self, buffer: _Buffer, batch: ProjectionBatch, event: IndexedEvent) -> None:
        token_id = int(event.args["tokenId"])
        self._change(
            buffer,
            batch,
            token_id,
            parent_token_id=int(event.args["parentTokenId"]),
            root_token_id=int(event.args["rootTokenId"]),
            depth=int(event.args["depth"]),
        )
        buffer.split_children.add(token_id)

    def _on_TransferValue(self, buffer: _Buffer, batch: ProjectionBatch, event: IndexedEvent) -> None:
        from_id, to_id = int(event.args["_fromTokenId"]), int(event.args["_toTokenId"])
        value = int(event.args["_value"])
        source = self._change(buffer, batch, from_id) if from_id else None
        target = self._change(buffer, batch, to_id) if to_id else None
        if source is not None:
            source["value_minor"] -= value
        if target is not None:
            target["value_minor"] += value
        if source is None:
            kind = "issue"
        elif target is None:
            kind = "redeem"
        else:
            kind = "split" if to_id in buffer.split_children else "merge"
        anchor = target if target is not None else source
        assert anchor is not None
        self._movement(
            buffer,
            event,
            voucher_id=anchor["voucher_id"],
            kind=kind,
            from_token_id=from_id or None,
            to_token_id=to_id or None,
            from_address=source["holder_address"] if source else None,
            to_address=target["holder_address"] if target else None,
            value_minor=value,
        )

    def flush(self, batch: ProjectionBatch) -> None:
        buffer: _Buffer | None = batch.state.get(self.name)
        if buffer is None:
            return
        connection = batch.connection
        if buffer.created:
            connection.execute(insert(Note), [buffer.notes[token_id] for token_id in sorted(buffer.created)])
        updated = sorted(buffer.changed - buffer.created)
        if updated:
            connection.execute(
                _UPDATE_NOTE,
                [
                    {"row_key": token_id, **{column: buffer.notes[token_id][column] for column in _MUTABLE}}
                    for token_id in updated
                ],
            )
        if buffer.movements:
            connection.execute(insert(ValueMovement), buffer.movements)

    def roll_back(self, connection: Connection, fork_point: int, chain: Any = None) -> None:
        """Lineage, slots and issuance never change after a token's creation, so only the mutable part
        (holder and value) is replayed, from the movements kept."""
        connection.execute(delete(ValueMovement).where(ValueMovement.block_number > fork_point))
        connection.execute(delete(Note).where(Note.created_block_number > fork_point))
        replay_movements(connection)

    def reset(self, connection: Connection) -> None:
        connection.execute(delete(ValueMovement))
        connection.execute(delete(Note))


def replay_movements(connection: Connection) -> None:
    """Every note's holder and value, recomputed from the movements in chain order."""
    notes = {
        row.token_id: {"holder_address": row.holder_address, "value_minor": 0}
        for row in connection.execute(select(Note.token_id, Note.holder_address))
    }
    movements = connection.execute(
        select(ValueMovement).order_by(ValueMovement.block_number, ValueMovement.log_index)
    ).all()
    for movement in movements:
        if movement.kind == "token_transfer":
            notes[movement.to_token_id]["holder_address"] = movement.to_address or ZERO_ADDRESS
            continue
        if movement.from_token_id is not None:
            notes[movement.from_token_id]["value_minor"] -= movement.value_minor
        if movement.to_token_id is not None:
            notes[movement.to_token_id]["value_minor"] += movement.value_minor
            if movement.kind in ("issue", "split"):
                notes[movement.to_token_id]["holder_address"] = movement.to_address or ZERO_ADDRESS
    if notes:
        connection.execute(
            update(Note)
            .where(Note.token_id == bindparam("row_key"))
            .values(holder_address=bindparam("holder_address"), value_minor=bindparam("value_minor")),
            [{"row_key": token_id, **values} for token_id, values in notes.items()],
        )
