"""Keeps the database in step with the chain, from a checkpoint (block number and hash).

The chain is the source of truth: everything in `vouchers`, `notes` and `value_movements` is a
projection of contract events and can be rebuilt. A block is applied together with the checkpoint
that covers it, in one database transaction, so a crash re-applies nothing and skips nothing.
The same transaction moves the journal's operations whose transactions it applied from `signed` to
`indexed`, so a relayer waiting for its block needs no write of its own.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from service.chain.abi import DecodedEvent
from service.chain.client import ChainClient, Receipt
from service.db.models import (
    CashMovement,
    ChainCheckpoint,
    EarlyPaymentProgrammeRecord,
    IndexedBlock,
    Note,
    Operation,
    Participant,
    ValueMovement,
    Voucher,
)
from service.db.session import Database
from service.errors import ChainUnavailable
from service.locks import LockDirectory

logger = logging.getLogger(__name__)
LOG_RANGE_BLOCKS = 2_000
FORK_SEARCH_PAGE = 64
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
# Event arguments naming a note whose row the projection may update.
_TOKEN_ARGUMENTS = frozenset({"_tokenId", "_fromTokenId", "_toTokenId", "tokenId"})


Row = dict[str, Any]
# Columns of a note or voucher that events change after its creation.
_MUTABLE_COLUMNS = {
    "notes": ("voucher_id", "holder_address", "value_minor", "parent_token_id", "root_token_id", "depth"),
    "vouchers": ("redeemed_minor", "status"),
}


def _update_by_key(table: Any, key: Any) -> Any:
    """UPDATE of a table's mutable columns, by key, for executemany: built once per table."""
    columns = _MUTABLE_COLUMNS[table.__tablename__]
    return (
        update(table)
        .where(key == bindparam("row_key"))
        .values({column: bindparam(column) for column in columns})
    )


# Statements run for every relayed batch are built once, with bound parameters: building a statement
# and its cache key costs more than running it on SQLite.
_UPDATES = {"notes": _update_by_key(Note, Note.token_id), "vouchers": _update_by_key(Voucher, Voucher.id)}
_NOTES_BY_IDS = select(Note.__table__).where(Note.token_id.in_(bindparam("token_ids", expanding=True)))
_CHECKPOINT = select(ChainCheckpoint.block_number, ChainCheckpoint.block_hash).where(
    ChainCheckpoint.chain_id == bindparam("chain_id")
)
_INDEXED_HASH = select(IndexedBlock.block_hash).where(
    IndexedBlock.chain_id == bindparam("chain_id"), IndexedBlock.block_number == bindparam("block_number")
)
# Only in-flight operations are `signed`, so the state's index keeps this from scanning the journal.
_MARK_INDEXED = (
    update(Operation)
    .where(
        Operation.state == "signed",
        Operation.transaction_hash.in_(bindparam("transaction_hashes", expanding=True)),
    )
    .values(state="indexed", block_number=bindparam("block_number"), updated_at=bindparam("updated_at"))
)
# SET takes the columns given at execution (block number, hash, time).
_MOVE_CHECKPOINT = update(ChainCheckpoint).where(ChainCheckpoint.chain_id == bindparam("checkpoint_chain_id"))


class _Projection:
    """Applies one range of decoded events, in chain order, to rows held in memory, then writes what
    changed with a handful of Core statements: ORM objects cost more than the rest of a relayed batch.
    """

    def __init__(self, connection: Connection, chain: ChainClient) -> None:
        self._connection = connection
        self._chain = chain
        self._notes: dict[int, Row] = {}
        self._new_notes: set[int] = set()
        self._changed_notes: set[int] = set()
        self._vouchers: dict[int, Row] = {}
        self._new_vouchers: set[int] = set()
        self._changed_vouchers: set[int] = set()
        self._movements: list[Row] = []
        self._cash_movements: list[Row] = []
        self._programmes: list[Row] = []
        self._split_children: set[int] = set()
        self._block_times: dict[int, datetime] = {}

    def preload(self, events: list[DecodedEvent]) -> None:
        """Loads every existing note the events touch in one query rather than one query per note."""
        token_ids = {
            int(value)
            for event in events
            for name, value in event.args.items()
            if name in _TOKEN_ARGUMENTS and value
        }
        if token_ids:
            found = self._connection.execute(_NOTES_BY_IDS, {"token_ids": sorted(token_ids)})
            for row in found.mappings():
                self._notes[row["token_id"]] = dict(row)

    def note(self, token_id: int) -> Row:
        if token_id not in self._notes:
            found = (
                self._connection.execute(_NOTES_BY_IDS, {"token_ids": [token_id]}).mappings().one_or_none()
            )
            if found is None:
                raise RuntimeError(f"event for token {token_id} that was never minted in the index")
            self._notes[token_id] = dict(found)
        return self._notes[token_id]

    def change_note(self, token_id: int, **values: object) -> Row:
        note = self.note(token_id)
        note.update(values)
        self._changed_notes.add(token_id)
        return note

    def voucher(self, slot: int) -> Row | None:
        if slot not in self._vouchers:
            found = (
                self._connection.execute(select(Voucher.__table__).where(Voucher.id == slot))
                .mappings()
                .one_or_none()
            )
            if found is None:
                return None
            self._vouchers[slot] = dict(found)
        return self._vouchers[slot]

    def block_time(self, block_number: int) -> datetime:
        if block_number not in self._block_times:
            block = self._chain.fetch_block(block_number)
            assert block is not None
            self._block_times[block_number] = datetime.fromtimestamp(int(block["timestamp"], 16), UTC)
        return self._block_times[block_number]

    def movement(self, event: DecodedEvent, **fields: object) -> None:
        self._movements.append(
            {
                "transaction_hash": event.transaction_hash,
                "log_index": event.log_index,
                "block_number": event.block_number,
                **fields,
            }
        )

    def apply(self, event: DecodedEvent) -> None:
        handler = getattr(self, f"_on_{event.name}", None)
        if handler is not None:
            handler(event)

    def write(self) -> None:
        """Everything the events changed, in a few statements (executemany where there are several)."""
        self._write_rows(Voucher, self._vouchers, self._new_vouchers, self._changed_vouchers)
        self._write_rows(Note, self._notes, self._new_notes, self._changed_notes)
        for table, rows in (
            (ValueMovement, self._movements),
            (CashMovement, self._cash_movements),
            (EarlyPaymentProgrammeRecord, self._programmes),
        ):
            if rows:
                self._connection.execute(insert(table), rows)

    def _write_rows(self, table: Any, rows: dict[int, Row], created: set[int], changed: set[int]) -> None:
        """Inserts the rows created in this range; updates the mutable columns of the others changed."""
        if created:
            self._connection.execute(insert(table), [rows[row_key] for row_key in sorted(created)])
        updated = sorted(changed - created)
        if not updated:
            return
        columns = _MUTABLE_COLUMNS[table.__tablename__]
        self._connection.execute(
            _UPDATES[table.__tablename__],
            [
                {"row_key": row_key, **{column: rows[row_key][column] for column in columns}}
                for row_key in updated
            ],
        )

    def _on_ParticipantVerified(self, event: DecodedEvent) -> None:
        self._set_verified(event.args["account"], True)

    def _on_ParticipantRevoked(self, event: DecodedEvent) -> None:
        self._set_verified(event.args["account"], False)

    def _set_verified(self, address: str, verified: bool) -> None:
        self._connection.execute(
            update(Participant).where(Participant.address == address).values(verified=verified)
        )

    def _on_Transfer(self, event: DecodedEvent) -> None:
        token_id = event.args["_tokenId"]
        sender, receiver = event.args["_from"], event.args["_to"]
        if sender == ZERO_ADDRESS:
            self._notes[token_id] = {
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
            self._new_notes.add(token_id)
            return
        note = self.change_note(token_id, holder_address=receiver)
        self.movement(
            event,
            voucher_id=note["voucher_id"],
            kind="token_transfer",
            from_token_id=token_id,
            to_token_id=token_id,
            from_address=sender,
            to_address=receiver,
            value_minor=note["value_minor"],
        )

    def _on_SlotChanged(self, event: DecodedEvent) -> None:
        self.change_note(event.args["_tokenId"], voucher_id=event.args["_newSlot"])

    def _on_NoteSplit(self, event: DecodedEvent) -> None:
        token_id = event.args["tokenId"]
        self.change_note(
            token_id,
            parent_token_id=event.args["parentTokenId"],
            root_token_id=event.args["rootTokenId"],
            depth=event.args["depth"],
        )
        self._split_children.add(token_id)

    def _on_TransferValue(self, event: DecodedEvent) -> None:
        from_id, to_id, value = event.args["_fromTokenId"], event.args["_toTokenId"], event.args["_value"]
        source = self.change_note(from_id) if from_id else None
        target = self.change_note(to_id) if to_id else None
        if source is not None:
            source["value_minor"] -= value
        if target is not None:
            target["value_minor"] += value
        if source is None:
            kind = "issue"
        elif target is None:
            kind = "redeem"
        else:
            kind = "split" if to_id in self._split_children else "merge"
        anchor = target if target is not None else source
        assert anchor is not None
        self.movement(
            event,
            voucher_id=anchor["voucher_id"],
            kind=kind,
            from_token_id=from_id or None,
            to_token_id=to_id or None,
            from_address=source["holder_address"] if source else None,
            to_address=target["holder_address"] if target else None,
            value_minor=value,
        )

    def _on_VoucherIssued(self, event: DecodedEvent) -> None:
        args = event.args
        currency = bytes.fromhex(args["currency"][2:]).rstrip(b"\0").decode()
        slot = args["slot"]
        self._vouchers[slot] = {
            "id": slot,
            "obligor_address": args["obligor"],
            "initial_holder_address": args["holder"],
            "currency": currency,
            "face_value_minor": args["faceValue"],
            "unit_minor": args["unit"],
            "redeemed_minor": 0,
            "root_token_id": args["tokenId"],
            "issued_at": self.block_time(event.block_number),
            "due_at": datetime.fromtimestamp(args["maturityAt"], UTC),
            "document_hash": args["documentHash"],
            "status": "active",
            "issue_transaction_hash": event.transaction_hash,
            "issue_block_number": event.block_number,
        }
        self._new_vouchers.add(slot)

    def _on_NoteRedeemed(self, event: DecodedEvent) -> None:
        voucher = self.voucher(event.args["slot"])
        if voucher is not None:
            voucher["redeemed_minor"] += event.args["value"]
            self._changed_vouchers.add(voucher["id"])

    def cash_movement(self, event: DecodedEvent, **fields: object) -> None:
        # executemany binds every row with the same columns: absent ones get their defaults here.
        defaults: Row = {"token_id": None, "payer_address": None, "payee_address": None}
        defaults |= {"cash_minor": 0, "value_minor": 0}
        self._cash_movements.append(
            {
                **defaults,
                "transaction_hash": event.transaction_hash,
                "log_index": event.log_index,
                "block_number": event.block_number,
                "occurred_at": self.block_time(event.block_number),
                **fields,
            }
        )

    def _on_SettlementFunded(self, event: DecodedEvent) -> None:
        args = event.args
        self.cash_movement(
            event,
            voucher_id=args["slot"],
            kind="settlement_funding",
            payer_address=args["obligor"],
            cash_minor=args["amount"],
        )

    def _on_SettlementPaid(self, event: DecodedEvent) -> None:
        args = event.args
        self.cash_movement(
            event,
            voucher_id=args["slot"],
            kind="settlement_payment",
            token_id=args["tokenId"],
            payee_address=args["holder"],
            cash_minor=args["amount"],
            value_minor=args["amount"],
        )

    def _on_SettlementPaymentWithheld(self, event: DecodedEvent) -> None:
        args = event.args
        self.cash_movement(
            event,
            voucher_id=args["slot"],
            kind="settlement_withheld",
            token_id=args["tokenId"],
            payee_address=args["holder"],
        )

    def _on_EarlyPaymentTaken(self, event: DecodedEvent) -> None:
        args = event.args
        self.cash_movement(
            event,
            voucher_id=self.note(args["tokenId"])["voucher_id"],
            kind="early_payment",
            token_id=args["tokenId"],
            payee_address=args["holder"],
            cash_minor=args["price"],
            value_minor=args["value"],
        )

    def _on_QuoteExecuted(self, event: DecodedEvent) -> None:
        args = event.args
        self.cash_movement(
            event,
            voucher_id=self.note(args["tokenId"])["voucher_id"],
            kind="financing",
            token_id=args["financierTokenId"],
            payer_address=args["financier"],
            payee_address=args["seller"],
            cash_minor=args["price"],
            value_minor=args["value"],
        )

    def _on_EarlyPaymentProgrammeOpened(self, event: DecodedEvent) -> None:
        args = event.args
        self._programmes.append(
            {
                "id": args["programmeId"],
                "voucher_id": args["slot"],
                "obligor_address": args["obligor"],
                "rate_bps": args["rateBps"],
                "basis_days": args["basisDays"],
                "quoting": args["quoting"],
                "budget_minor": args["budget"],
                "cutoff_at": datetime.fromtimestamp(args["cutoffAt"], UTC),
                "opened_transaction_hash": event.transaction_hash,
                "opened_block_number": event.block_number,
            }
        )

    def _on_VoucherRedeemed(self, event: DecodedEvent) -> None:
        voucher = self.voucher(event.args["slot"])
        if voucher is not None:
            voucher["status"] = "redeemed"
            self._changed_vouchers.add(voucher["id"])


class Indexer:
    def __init__(self, database: Database, chain: ChainClient, locks: LockDirectory) -> None:
        self._database = database
        self._chain = chain
        # One indexer at a time across the service's worker processes; each reads the checkpoint
        # again once it holds the lock, so a range another worker indexed meanwhile is not applied twice.
        self._lock = locks.shared("indexer")
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.reorgs_detected = 0
        # Called when a reorganisation is detected, e.g. to drop caches of chain state.
        self.reorg_listeners: list[Callable[[], None]] = []

    @property
    def chain_id(self) -> int:
        return self._chain.chain_id

    def fetch_checkpoint(self, connection: Connection | None = None) -> tuple[int, str] | None:
        """The last indexed block (number, hash); read on `connection` when given (a snapshot, say)."""
        if connection is None:
            with self._database.engine.connect() as own:
                return self.fetch_checkpoint(own)
        row = connection.execute(_CHECKPOINT, {"chain_id": self.chain_id}).one_or_none()
        return (row.block_number, row.block_hash) if row else None

    def sync_to(self, target_block: int | None = None, target_hash: str | None = None) -> int:
        """Indexes up to `target_block` (default: the chain head); returns the indexed block.

        With `target_hash` (a receipt's block), a block already indexed under that very hash needs
        no round trip to the node: another writer's sync covered it.
        """
        with self._lock.hold():
            checkpoint = self.fetch_checkpoint()
            if checkpoint is not None and self._covers(checkpoint, target_block, target_hash):
                return checkpoint[0]
            if checkpoint is not None and target_block is not None and checkpoint[0] < target_block:
                checkpoint = self._apply_next_range(checkpoint, target_block)
                if checkpoint[0] >= target_block:
                    return checkpoint[0]
            calls: list[tuple[str, list[object]]] = [("eth_blockNumber", [])]
            if checkpoint is not None:
                calls.append(("eth_getBlockByNumber", [hex(checkpoint[0]), False]))
            answers = self._chain.rpc.batch(calls)
            head = int(answers[0], 16)
            target = head if target_block is None else min(target_block, head)
            start = self._start_block(checkpoint, answers[1] if checkpoint is not None else None)
            indexed = start - 1
            while start <= target:
                end = min(start + LOG_RANGE_BLOCKS - 1, target)
                self._apply_range(start, end)
                indexed, start = end, end + 1
            return indexed

    def _apply_next_range(self, checkpoint: tuple[int, str], target_block: int) -> tuple[int, str]:
        """Towards a block known to exist (a receipt's), the reorganisation check and the next range's
        logs in one round trip; returns the new checkpoint, or the old one if the chain moved under
        it (a reorganisation, or the target gone), which the general path then deals with."""
        number, block_hash = checkpoint
        end = min(number + LOG_RANGE_BLOCKS, target_block)
        at_checkpoint, events, end_block = self._chain.fetch_block_then_logs(number, number + 1, end)
        if at_checkpoint is None or at_checkpoint["hash"] != block_hash or end_block is None:
            return checkpoint
        self._write_range(events, end, end_block)
        return end, end_block["hash"]

    def marks_operations_of(self, receipt: Receipt) -> bool:
        """Whether applying the receipt's block marks the journal's operations of its transaction."""
        indexed = self._chain.indexed_addresses
        return any(event.address in indexed for event in receipt.events)

    def _covers(self, checkpoint: tuple[int, str], target_block: int | None, target_hash: str | None) -> bool:
        if target_block is None or target_hash is None or checkpoint[0] < target_block:
            return False
        return checkpoint == (target_block, target_hash) or self._is_indexed(target_block, target_hash)

    def _is_indexed(self, number: int, block_hash: str) -> bool:
        with self._database.engine.connect() as connection:
            parameters = {"chain_id": self.chain_id, "block_number": number}
            found = connection.execute(_INDEXED_HASH, parameters).scalar_one_or_none()
        return found == block_hash

    def _start_block(self, checkpoint: tuple[int, str] | None, block: dict[str, Any] | None) -> int:
        """The next block to index, after rolling back to the fork point if the chain reorganised.

        `block` is the chain's block at the checkpoint's height, fetched with the head in one round trip.
        """
        if checkpoint is None:
            return self._chain.deployment.block_number
        number, block_hash = checkpoint
        if block is not None and block["hash"] == block_hash:
            return number + 1
        self.reorgs_detected += 1
        for listener in self.reorg_listeners:
            listener()
        fork_point = self._find_fork_point()
        logger.warning("chain reorganised below block %s: rolling back to block %s", number, fork_point)
        if fork_point is None:
            self._reset()
            return self._chain.deployment.block_number
        self._roll_back_to(fork_point)
        return fork_point + 1

    def _find_fork_point(self) -> int | None:
        """Highest indexed block whose hash the chain still has; its ancestors are unchanged too."""
        below: int | None = None
        while True:
            with self._database.sessions() as session:
                query = select(IndexedBlock).where(IndexedBlock.chain_id == self.chain_id)
                if below is not None:
                    query = query.where(IndexedBlock.block_number < below)
                rows = session.scalars(
                    query.order_by(IndexedBlock.block_number.desc()).limit(FORK_SEARCH_PAGE)
                ).all()
            if not rows:
                return None
            blocks = self._chain.rpc.batch(
                [("eth_getBlockByNumber", [hex(row.block_number), False]) for row in rows]
            )
            for row, block in zip(rows, blocks, strict=True):
                if block is not None and block["hash"] == row.block_hash:
                    return row.block_number
            below = rows[-1].block_number

    def _reset(self) -> None:
        with self._database.transaction() as session:
            session.execute(delete(ValueMovement))
            session.execute(delete(CashMovement))
            session.execute(delete(EarlyPaymentProgrammeRecord))
            session.execute(delete(Note))
            session.execute(delete(Voucher))
            session.execute(delete(IndexedBlock).where(IndexedBlock.chain_id == self.chain_id))
            session.execute(update(Participant).values(verified=False))
            session.execute(delete(ChainCheckpoint).where(ChainCheckpoint.chain_id == self.chain_id))

    def _roll_back_to(self, fork_point: int) -> None:
        """Forgets everything after `fork_point` and rebuilds holders and values from the movements kept.

        Lineage, slots and issuance never change after a token's creation, so only the mutable part
        (holder, value, redeemed totals) is replayed, from the database alone.
        """
        fork_block = self._chain.fetch_block(fork_point)
        assert fork_block is not None
        with self._database.transaction() as session:
            session.execute(delete(ValueMovement).where(ValueMovement.block_number > fork_point))
            session.execute(delete(CashMovement).where(CashMovement.block_number > fork_point))
            session.execute(
                delete(EarlyPaymentProgrammeRecord).where(
                    EarlyPaymentProgrammeRecord.opened_block_number > fork_point
                )
            )
            session.execute(delete(Note).where(Note.created_block_number > fork_point))
            session.execute(delete(Voucher).where(Voucher.issue_block_number > fork_point))
            session.execute(
                delete(IndexedBlock).where(
                    IndexedBlock.chain_id == self.chain_id, IndexedBlock.block_number > fork_point
                )
            )
            _replay_movements(session)
            checkpoint = session.get(ChainCheckpoint, self.chain_id)
            assert checkpoint is not None
            checkpoint.block_number = fork_point
            checkpoint.block_hash = fork_block["hash"]
            checkpoint.updated_at = datetime.now(UTC)
        self._refresh_verifications()

    def _refresh_verifications(self) -> None:
        registry = self._chain.deployment.registry
        with self._database.transaction() as session:
            for participant in session.scalars(select(Participant).where(Participant.role != "admin")):
                participant.verified = bool(
                    self._chain.read(registry, "isVerified(address)", [participant.address], ["bool"])
                )

    def _apply_range(self, start: int, end: int) -> None:
        events, end_block = self._chain.fetch_logs_and_block(start, end)
        self._write_range(events, end, end_block)

    def _write_range(self, events: list[DecodedEvent], end: int, end_block: dict[str, Any]) -> None:
        hashes = {event.block_number: event.block_hash for event in events}
        hashes[end] = end_block["hash"]
        with self._database.connection_transaction() as connection:
            projection = _Projection(connection, self._chain)
            projection.preload(events)
            for event in events:
                projection.apply(event)
            projection.write()
            # Blocks past the checkpoint were never indexed (a rollback deletes its rows), so plain inserts.
            connection.execute(
                insert(IndexedBlock),
                [
                    {"chain_id": self.chain_id, "block_number": number, "block_hash": block_hash}
                    for number, block_hash in sorted(hashes.items())
                ],
            )
            checkpoint = {
                "block_number": end,
                "block_hash": end_block["hash"],
                "updated_at": datetime.now(UTC),
            }
            moved = connection.execute(_MOVE_CHECKPOINT, {"checkpoint_chain_id": self.chain_id, **checkpoint})
            if moved.rowcount == 0:
                connection.execute(insert(ChainCheckpoint), {"chain_id": self.chain_id, **checkpoint})
            for block_number, transaction_hashes in _transactions_by_block(events).items():
                connection.execute(
                    _MARK_INDEXED,
                    {
                        "transaction_hashes": sorted(transaction_hashes),
                        "block_number": block_number,
                        "updated_at": checkpoint["updated_at"],
                    },
                )

    # ------------------------------------------------------------------------------- background

    def start(self, poll_seconds: float) -> None:
        if poll_seconds <= 0 or self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, args=(poll_seconds,), name="indexer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def _run(self, poll_seconds: float) -> None:
        while not self._stop.wait(poll_seconds):
            try:
                self.sync_to()
            except ChainUnavailable as error:
                logger.warning("indexer: %s", error.message)
            except Exception:  # the loop must outlive a flaky node; the next poll retries
                logger.exception("indexer poll failed")


def _transactions_by_block(events: list[DecodedEvent]) -> dict[int, set[str]]:
    """The transactions that logged an indexed event, by block: they ran (a reverted one logs
    nothing). One that logged none of them is left `signed` for its relayer to mark."""
    found: dict[int, set[str]] = {}
    for event in events:
        found.setdefault(event.block_number, set()).add(event.transaction_hash.lower())
    return found


def _replay_movements(session: Session) -> None:
    notes = {note.token_id: note for note in session.scalars(select(Note))}
    for note in notes.values():
        note.value_minor = 0
    redeemed: dict[int, int] = {}
    movements = session.scalars(
        select(ValueMovement).order_by(ValueMovement.block_number, ValueMovement.log_index)
    )
    for movement in movements:
        if movement.kind == "token_transfer":
            notes[movement.to_token_id or 0].holder_address = movement.to_address or ZERO_ADDRESS
            continue
        if movement.from_token_id is not None:
            notes[movement.from_token_id].value_minor -= movement.value_minor
        if movement.to_token_id is not None:
            notes[movement.to_token_id].value_minor += movement.value_minor
            if movement.kind in ("issue", "split"):
                notes[movement.to_token_id].holder_address = movement.to_address or ZERO_ADDRESS
        if movement.kind == "redeem":
            redeemed[movement.voucher_id] = redeemed.get(movement.voucher_id, 0) + movement.value_minor
    for voucher in session.scalars(select(Voucher)):
        voucher.redeemed_minor = redeemed.get(voucher.id, 0)
        voucher.status = "redeemed" if voucher.redeemed_minor == voucher.face_value_minor else "active"
