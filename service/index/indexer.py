"""Keeps the database in step with the chain, from a checkpoint (block number and hash).

The chain is the source of truth: every projection is rebuilt from contract events. A range of
blocks is applied together with the checkpoint that covers it, in one database transaction, so a crash
re-applies nothing and skips nothing. Only the chain writer's process indexes (one at a time: the
writer holds leadership), so the API processes only read what it wrote.

A reorganisation (or the embedded chain coming back behind the index after a crash) is found by the
checkpoint's hash: the index rolls back to the fork point, each projection forgets what the lost blocks
did (the outbox's projection turns their operations back into signed requests to send again), and the
blocks of the new chain are applied from there.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select, update

from service.chain.abi import DecodedEvent
from service.chain.client import ChainClient
from service.db.models import ChainCheckpoint, IndexedBlock
from service.db.session import Database
from service.errors import ChainUnavailable
from service.index.projection import IndexedEvent, Projection, ProjectionBatch, RequestKey, subscribed

logger = logging.getLogger(__name__)
LOG_RANGE_BLOCKS = 2_000
FORK_SEARCH_PAGE = 64
EXECUTED_FORWARD_REQUEST = "ExecutedForwardRequest"

_CHECKPOINT = select(ChainCheckpoint.block_number, ChainCheckpoint.block_hash).where(
    ChainCheckpoint.chain_id == bindparam("chain_id")
)
_INDEXED_HASH = select(IndexedBlock.block_hash).where(
    IndexedBlock.chain_id == bindparam("chain_id"), IndexedBlock.block_number == bindparam("block_number")
)
_MOVE_CHECKPOINT = update(ChainCheckpoint).where(ChainCheckpoint.chain_id == bindparam("checkpoint_chain_id"))


def attribute_events(chain: ChainClient, events: Sequence[DecodedEvent]) -> list[IndexedEvent]:
    """Names each event's contract and the forward request that emitted it: the forwarder logs
    `ExecutedForwardRequest(signer, nonce, success)` right after each relayed call, so the events of a
    transaction since its previous one belong to that request; any left over came from a direct call."""
    names = [chain.contract_name_of(event.address) or event.address for event in events]
    requests: list[RequestKey | None] = [None] * len(events)
    waiting: dict[str, list[int]] = {}
    for index, event in enumerate(events):
        if names[index] == "forwarder" and event.name == EXECUTED_FORWARD_REQUEST:
            key = (str(event.args["signer"]), int(event.args["nonce"]))
            for earlier in waiting.pop(event.transaction_hash, []):
                requests[earlier] = key
            requests[index] = key
        else:
            waiting.setdefault(event.transaction_hash, []).append(index)
    return [
        IndexedEvent(event, name, request)
        for event, name, request in zip(events, names, requests, strict=True)
    ]


class Indexer:
    def __init__(self, database: Database, chain: ChainClient, projections: Sequence[Projection]) -> None:
        self._database = database
        self._chain = chain
        self._projections = list(projections)
        self._lock = threading.RLock()
        self.reorgs_detected = 0
        # Whether the contracts the projections learnt of (created after the deployment) are watched.
        self._watching = False
        # Called after a reorganisation was rolled back (e.g. to drop caches of chain state).
        self.reorg_listeners: list[Callable[[int | None], None]] = []

    @property
    def chain_id(self) -> int:
        return self._chain.chain_id

    @staticmethod
    def read_checkpoint(
        database: Database, chain_id: int, connection: Connection | None = None
    ) -> tuple[int, str] | None:
        """The last indexed block of a chain (for readers that run no indexer: API processes)."""
        if connection is None:
            with database.engine.connect() as own:
                return Indexer.read_checkpoint(database, chain_id, own)
        row = connection.execute(_CHECKPOINT, {"chain_id": chain_id}).one_or_none()
        return (row.block_number, row.block_hash) if row else None

    def fetch_checkpoint(self, connection: Connection | None = None) -> tuple[int, str] | None:
        """The last indexed block (number, hash); read on `connection` when given (a snapshot, say)."""
        if connection is None:
            with self._database.engine.connect() as own:
                return self.fetch_checkpoint(own)
        row = connection.execute(_CHECKPOINT, {"chain_id": self.chain_id}).one_or_none()
        return (row.block_number, row.block_hash) if row else None

    def sync_to(self, target_block: int | None = None, target_hash: str | None = None) -> int:
        """Indexes up to `target_block` (default: the chain head); returns the indexed block.

        With `target_hash` (a receipt's block), a block already indexed under that very hash needs no
        round trip to the node.
        """
        with self._lock:
            self._watch_known_contracts()
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
                events, end_block = self._chain.fetch_logs_and_block(start, end)
                self._write_range(events, start, end, end_block)
                indexed, start = end, end + 1
            return indexed

    def _apply_next_range(self, checkpoint: tuple[int, str], target_block: int) -> tuple[int, str]:
        """Towards a block known to exist (a receipt's), the reorganisation check and the next range's
        logs in one round trip; returns the new checkpoint, or the old one if the chain moved under it
        (a reorganisation, or the target gone), which the general path then deals with."""
        number, block_hash = checkpoint
        end = min(number + LOG_RANGE_BLOCKS, target_block)
        at_checkpoint, events, end_block = self._chain.fetch_block_then_logs(number, number + 1, end)
        if at_checkpoint is None or at_checkpoint["hash"] != block_hash or end_block is None:
            return checkpoint
        self._write_range(events, number + 1, end, end_block)
        return end, end_block["hash"]

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
        fork_point = self._find_fork_point()
        logger.warning("chain reorganised below block %s: rolling back to block %s", number, fork_point)
        if fork_point is None:
            self._reset()
            start = self._chain.deployment.block_number
        else:
            self._roll_back_to(fork_point)
            start = fork_point + 1
        for listener in self.reorg_listeners:
            listener(fork_point)
        # Counted once handled: whoever reads the count then sees the index already rolled back.
        self.reorgs_detected += 1
        return start

    def _find_fork_point(self) -> int | None:
        """Highest indexed block whose hash the chain still has; its ancestors are unchanged too."""
        below: int | None = None
        while True:
            with self._database.engine.connect() as connection:
                query = select(IndexedBlock.block_number, IndexedBlock.block_hash).where(
                    IndexedBlock.chain_id == self.chain_id
                )
                if below is not None:
                    query = query.where(IndexedBlock.block_number < below)
                rows = connection.execute(
                    query.order_by(IndexedBlock.block_number.desc()).limit(FORK_SEARCH_PAGE)
                ).all()
            if not rows:
                return None
            blocks = self._chain.rpc.batch(
                [("eth_getBlockByNumber", [hex(row.block_number), False]) for row in rows]
            )
            for row, block in zip(rows, blocks, strict=True):
                if block is not None and block["hash"] == row.block_hash:
                    return int(row.block_number)
            below = rows[-1].block_number

    def _reset(self) -> None:
        with self._database.connection_transaction() as connection:
            for projection in reversed(self._projections):
                projection.reset(connection)
            connection.execute(delete(IndexedBlock).where(IndexedBlock.chain_id == self.chain_id))
            connection.execute(delete(ChainCheckpoint).where(ChainCheckpoint.chain_id == self.chain_id))

    def _roll_back_to(self, fork_point: int) -> None:
        fork_block = self._chain.fetch_block(fork_point)
        if fork_block is None:
            raise ChainUnavailable(f"block {fork_point} vanished while rolling back to it")
        with self._database.connection_transaction() as connection:
            for projection in reversed(self._projections):
                projection.roll_back(connection, fork_point, self._chain)
            connection.execute(
                delete(IndexedBlock).where(
                    IndexedBlock.chain_id == self.chain_id, IndexedBlock.block_number > fork_point
                )
            )
            connection.execute(
                _MOVE_CHECKPOINT,
                {
                    "checkpoint_chain_id": self.chain_id,
                    "block_number": fork_point,
                    "block_hash": fork_block["hash"],
                    "updated_at": datetime.now(UTC),
                },
            )

    def _block_timestamp(self, block_number: int) -> int:
        block = self._chain.fetch_block(block_number)
        if block is None:
            raise ChainUnavailable(f"block {block_number} is not on the chain (any more)")
        return int(block["timestamp"], 16)

    def _watch_known_contracts(self) -> None:
        """Once per process: the contracts the projections already learnt of (e.g. every offering's
        yield token, a clone the market created) are read with the deployment's."""
        if self._watching:
            return
        with self._database.engine.connect() as connection:
            for projection in self._projections:
                watched = getattr(projection, "watched_contracts", None)
                if watched is not None:
                    self._chain.watch(watched(connection))
        self._watching = True

    def _with_new_contracts(self, events: list[DecodedEvent], start: int, end: int) -> list[DecodedEvent]:
        """A range's events, with those of contracts created within it: a projection that learns of a new
        contract from an event (`discover_contracts`) has it watched, and its events of the same range are
        fetched and merged in chain order."""
        found: dict[str, str] = {}
        for projection in self._projections:
            discover = getattr(projection, "discover_contracts", None)
            if discover is not None:
                found.update(discover(self._chain, events))
        added = self._chain.watch(found) if found else []
        if not added:
            return events
        merged = events + self._chain.fetch_logs_of(added, start, end)
        return sorted(merged, key=lambda event: (event.block_number, event.log_index))

    def _write_range(
        self, events: list[DecodedEvent], start: int, end: int, end_block: dict[str, Any]
    ) -> None:
        events = self._with_new_contracts(events, start, end)
        hashes = {event.block_number: event.block_hash for event in events}
        hashes[end] = end_block["hash"]
        indexed = attribute_events(self._chain, events)
        with self._database.connection_transaction() as connection:
            batch = ProjectionBatch(connection, self._block_timestamp, self._chain)
            for projection in self._projections:
                mine = [event for event in indexed if subscribed(projection, event)]
                if mine:
                    projection.prepare(batch, mine)
            for event in indexed:
                for projection in self._projections:
                    if subscribed(projection, event):
                        projection.apply(batch, event)
            for projection in self._projections:
                projection.flush(batch)
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
