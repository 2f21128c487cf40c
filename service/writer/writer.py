"""The chain writer: the one process that writes to the chain.

It takes the operations the API processes queued (the outbox), simulates each (a refusal is decided
before anything is signed), signs its forward request (managed participant keys, the service's role
accounts), packs signed requests into `executeBatch` transactions of its relayer accounts (journaled
before they are sent), sends them, waits for their receipts, and indexes their blocks: the indexer
decides every operation's outcome from the forwarder's events in the same database transaction that
applies the block. Everything it does is recovered from the database and the chain after a crash:
queued operations are still queued, signed ones are relayed again (their nonces make that harmless),
and a block the chain lost (a reorganisation, or the embedded Anvil restarted from an older dump) turns
its operations back into signed requests, sent again in their original order.

Threads: one prepares (simulates, signs, batches), one per relayer sends and waits (so each relayer has
one transaction in flight), one sweeps (indexes blocks it did not send, expires what can no longer
run, advances jobs, refreshes answers after a replay).
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, func, select, update

from service.chain.abi import checksum_address
from service.chain.client import ChainClient
from service.chain.forwarder import BatchEncoder, ForwardRequest, relay_batch_gas
from service.chain.revert import decode_revert
from service.chain.rpc import RpcError, RpcReverted
from service.db.models import Operation, RelayTransaction
from service.db.session import Database
from service.domain.operations import OperationState
from service.errors import ChainUnavailable, LedgerError
from service.index.indexer import Indexer
from service.writer import outbox
from service.writer.jobs import JobRunner
from service.writer.keys import SigningKeys
from service.writer.relayer import Relayer, Unmined

logger = logging.getLogger(__name__)
_OPERATIONS = Operation.__table__
_CHOOSING_COLUMNS = tuple(
    _OPERATIONS.c[name] for name in ("id", "signer_address", "gas", "replay_rank", "relay_count", "nonce")
)


@dataclass
class WriterConfig:
    max_batch_operations: int = 100
    # Gas of one relay transaction at most (also bounded by a share of the block's gas limit).
    max_relay_gas: int = 30_000_000
    forward_ttl_seconds: int = 86_400
    # How long a relay transaction may go without a receipt before it is replaced with higher fees.
    replace_after_seconds: float = 10.0
    max_replacements: int = 3
    # How often the outbox is looked at for new operations when nobody wakes the writer.
    poll_seconds: float = 0.003
    sweep_seconds: float = 0.5


@dataclass
class WriterHooks:
    """What the composition root plugs in: who hears of finished operations (waiters in this process),
    and how answers of requests whose operations ran again are refreshed (idempotency)."""

    on_finished: list[Callable[[], None]] = field(default_factory=list)
    refresh_answers: Callable[[list[int]], None] | None = None


@dataclass(frozen=True)
class _Batch:
    rows: list[Any]


class ChainWriter:
    def __init__(
        self,
        database: Database,
        chain: ChainClient,
        indexer: Indexer,
        keys: SigningKeys,
        relayers: Sequence[Relayer],
        jobs: JobRunner,
        config: WriterConfig | None = None,
        hooks: WriterHooks | None = None,
    ) -> None:
        if not relayers:
            raise ValueError("the chain writer needs at least one relayer account")
        self._database = database
        self._chain = chain
        self._indexer = indexer
        self._keys = keys
        self._relayers = list(relayers)
        self._jobs = jobs
        self.config = config or WriterConfig()
        self.hooks = hooks or WriterHooks()
        self._encoder = BatchEncoder(chain.contracts.forwarder.contract.abi)  # type: ignore[arg-type]
        self._nonces: dict[str, int] = {}  # next forwarder nonce per managed signer
        self._nonce_guard = threading.Lock()
        self._in_flight: dict[int, str] = {}  # operation id -> signer, while a relay carries it
        self._flight_guard = threading.Lock()
        self._batches: queue.Queue[_Batch | None] = queue.Queue(maxsize=len(self._relayers))
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        indexer.reorg_listeners.append(self._after_reorganisation)

    # ------------------------------------------------------------------------------------- lifecycle

    def start(self) -> None:
        if self._threads:
            return
        self._stop.clear()
        while not self._batches.empty():  # what a previous run left (its stop sentinels)
            self._batches.get_nowait()
        with self._flight_guard:
            self._in_flight.clear()
        self.recover()
        targets: list[tuple[str, Callable[..., None], tuple[Any, ...]]] = [
            ("writer-prepare", self._prepare_loop, ()),
            ("writer-sweep", self._sweep_loop, ()),
        ]
        targets += [
            (f"writer-relay-{relayer.address[:8]}", self._relay_loop, (relayer,))
            for relayer in self._relayers
        ]
        for name, target, args in targets:
            thread = threading.Thread(target=target, args=args, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        for _ in self._relayers:
            with contextlib.suppress(queue.Full):
                self._batches.put_nowait(None)
        for thread in self._threads:
            thread.join(timeout=30)
        self._threads = []

    @property
    def indexer(self) -> Indexer:
        return self._indexer

    @property
    def running(self) -> bool:
        return bool(self._threads) and not self._stop.is_set()

    def wake(self) -> None:
        """Something was queued (by an API in this process): look at the outbox now."""
        self._wake.set()

    def recover(self) -> None:
        """Brings what a previous writer left to a state this one can continue from: the index caught up
        (rolling back whatever the chain lost), relay transactions without a receipt settled (mined, or
        dropped: their operations are relayed again), every nonce read afresh."""
        self._indexer.sync_to()
        with self._database.engine.connect() as connection:
            unsettled = connection.execute(
                select(RelayTransaction.id, RelayTransaction.transaction_hash).where(
                    RelayTransaction.state == "sent"
                )
            ).all()
        mined_blocks: list[tuple[int, str]] = []
        settled: dict[str, list[int]] = {"mined": [], "dropped": []}
        for relay_id, transaction_hash in unsettled:
            receipt = self._chain.fetch_receipt(transaction_hash)
            if receipt is None:
                settled["dropped"].append(relay_id)
            else:
                settled["mined"].append(relay_id)
                mined_blocks.append((receipt.block_number, receipt.block_hash))
        with self._database.connection_transaction() as connection:
            for state, ids in settled.items():
                if ids:
                    outbox.mark_relay(connection, ids, state)
        for block_number, block_hash in sorted(mined_blocks):
            self._indexer.sync_to(block_number, block_hash)
        self._forget_nonces()
        logger.info("writer recovered: %s relay transaction(s) settled", len(unsettled))

    def _after_reorganisation(self, _fork_point: int | None) -> None:
        self._forget_nonces()

    def _forget_nonces(self) -> None:
        with self._nonce_guard:
            self._nonces.clear()
        for relayer in self._relayers:
            relayer.reset_nonce()

    # ------------------------------------------------------------------------------------- preparing

    def _prepare_loop(self) -> None:
        while not self._stop.is_set():
            try:
                busy = self.prepare_once()
            except (ChainUnavailable, RpcError) as error:
                logger.warning("writer: the chain is not answering (%s); trying again", error)
                self._stop.wait(0.5)
                continue
            except Exception:  # the loop must outlive any single failure; the outbox keeps the work
                logger.exception("writer: preparing a batch failed")
                self._stop.wait(0.5)
                continue
            if not busy:
                self._wake.wait(self.config.poll_seconds)
                self._wake.clear()

    def prepare_once(self) -> bool:
        """Signs what is queued and hands one batch of signed operations to a relayer; False if there
        was nothing to do."""
        signed = self.sign_queued()
        batch = self._next_batch()
        if batch is None:
            return signed > 0
        self._batches.put(batch)
        return True

    @contextmanager
    def _claiming(self) -> Iterator[Connection]:
        """On PostgreSQL the queued rows are claimed for the whole signing step (FOR UPDATE SKIP
        LOCKED), so a second writer that briefly overlaps a failover skips them; SQLite has one writer."""
        if self._database.is_sqlite:
            with self._database.engine.connect() as connection:
                yield connection
        else:
            with self._database.connection_transaction() as connection:
                yield connection

    def sign_queued(self) -> int:
        """Simulates and signs the next queued operations. Not while operations of blocks the chain lost
        wait to run again: a new operation simulated before them would be judged against a chain that
        lacks what it depends on (an early-payment programme opened just before a restarted node lost
        it), and refused for that."""
        if self._replays_pending():
            return 0
        limit = self.config.max_batch_operations
        reorganisations = self._indexer.reorgs_detected
        with self._claiming() as connection:
            query = (
                select(_OPERATIONS)
                .where(_OPERATIONS.c.state == OperationState.QUEUED)
                .order_by(_OPERATIONS.c.id)
                .limit(limit)
            )
            if not self._database.is_sqlite:
                query = query.with_for_update(skip_locked=True)
            rows = connection.execute(query).all()
            if not rows:
                return 0
            refused, passed = self._simulate(list(rows))
            if refused and self._lost_blocks_since(reorganisations):
                return 0  # decided again once what the chain lost has run again
            signed = self._sign(passed)
            try:
                if self._database.is_sqlite:
                    connection.rollback()
                    with self._database.connection_transaction() as writing:
                        self._record_signing(writing, refused, signed)
                else:
                    self._record_signing(connection, refused, signed)
            except BaseException:
                # The nonces handed out were not recorded: the next signing reads them afresh.
                self._forget_nonces()
                raise
        if refused:
            self._notify()
        return len(rows)

    def _replays_pending(self) -> bool:
        with self._database.engine.connect() as connection:
            found = connection.execute(
                select(_OPERATIONS.c.id)
                .where(_OPERATIONS.c.state == OperationState.SIGNED, _OPERATIONS.c.replay_rank.is_not(None))
                .limit(1)
            ).first()
        return found is not None

    def _lost_blocks_since(self, reorganisations: int) -> bool:
        """Whether the chain lost blocks the index had (checked now, against the head): a refusal seen
        meanwhile may be the lost blocks' doing rather than the operation's."""
        self._indexer.sync_to()
        return self._indexer.reorgs_detected != reorganisations or self._replays_pending()

    def _simulate(self, rows: list[Any]) -> tuple[list[tuple[Any, LedgerError]], list[Any]]:
        """Runs each call as the forwarder would, in one round trip: a revert is the operation's refusal
        (nothing signed, no nonce used); anything else the node says stops the step (tried again)."""
        calls = [
            self._chain.simulation_call(
                row.signer_address, row.target_address, bytes.fromhex(row.calldata[2:])
            )
            for row in rows
        ]
        outcomes = self._chain.rpc.batch_outcomes(calls)
        refused: list[tuple[Any, LedgerError]] = []
        passed: list[Any] = []
        for row, outcome in zip(rows, outcomes, strict=True):
            if isinstance(outcome, RpcReverted):
                refused.append((row, decode_revert(self._chain.errors, outcome.revert_data)))
            elif isinstance(outcome, RpcError):
                raise ChainUnavailable(
                    f"the chain node could not simulate operation {row.id}: {outcome.message}"
                )
            else:
                passed.append(row)
        return refused, passed

    def _sign(self, rows: list[Any]) -> list[tuple[Any, int, int, bytes]]:
        """(row, nonce, deadline, signature) for each row, nonces in row order per signer."""
        if not rows:
            return []
        self._load_nonces({row.signer_address for row in rows})
        deadline = self.ledger_time() + self.config.forward_ttl_seconds
        chain_id, forwarder = self._chain.chain_id, self._chain.deployment.forwarder
        signed = []
        with self._nonce_guard:
            for row in rows:
                nonce = self._nonces[row.signer_address]
                self._nonces[row.signer_address] = nonce + 1
                request = _forward_request(row, nonce, deadline)
                signed.append((row, nonce, deadline, request.sign(self._key_of(row), chain_id, forwarder)))
        return signed

    def _key_of(self, row: Any) -> bytes:
        if row.signer_participant_id is not None:
            return self._keys.participant_key(row.signer_participant_id)
        if row.signer_account is not None:
            return self._keys.account_key(row.signer_account)
        raise LookupError(f"operation {row.id} has neither a managed signer nor a signature")

    def _load_nonces(self, signers: set[str]) -> None:
        """Each signer's next nonce: after the chain's, and after every live signed request of its."""
        with self._nonce_guard:
            missing = sorted(signer for signer in signers if signer not in self._nonces)
        if not missing:
            return
        on_chain = self._chain.fetch_forwarder_nonces(missing)
        with self._database.engine.connect() as connection:
            highest = dict(
                connection.execute(
                    select(Operation.signer_address, func.max(Operation.nonce))
                    .where(Operation.signer_address.in_(missing), Operation.state == OperationState.SIGNED)
                    .group_by(Operation.signer_address)
                ).all()
            )
        with self._nonce_guard:
            for signer in missing:
                highest_nonce = highest.get(signer)
                after_ours = int(highest_nonce) + 1 if highest_nonce is not None else 0
                self._nonces.setdefault(signer, max(on_chain[checksum_address(signer)], after_ours))

    def _record_signing(
        self,
        connection: Connection,
        refused: list[tuple[Any, LedgerError]],
        signed: list[tuple[Any, int, int, bytes]],
    ) -> None:
        for row, error in refused:
            outbox.reject(connection, row.id, error)
        outbox.record_signed(
            connection,
            [(row.id, nonce, deadline, "0x" + signature.hex()) for row, nonce, deadline, signature in signed],
        )
        if refused:
            outbox.notify_operations(connection)

    def ledger_time(self) -> int:
        """The ledger's clock (`ChainClient.fetch_time`), read afresh for every batch signed: a chain whose
        clock jumped (a test moving it) must not get requests that expired on arrival."""
        return self._chain.fetch_time()

    # ------------------------------------------------------------------------------------- batching

    def _next_batch(self) -> _Batch | None:
        """Signed operations no relay carries now, in order, within one transaction's gas.

        An operation whose signer has one in flight waits (a signer's requests run in nonce order, and
        a later nonce that arrives first is skipped). After a reorganisation the operations to run again
        go first, alone and one batch at a time, in the order they originally ran, so that the chain
        comes back as it was (new pieces get the same ids)."""
        with self._flight_guard:
            busy_ids = set(self._in_flight)
            busy_signers = set(self._in_flight.values())
        with self._database.engine.connect() as connection:
            # What choosing needs only: the full rows (calldata, signatures) are read for those picked.
            rows = connection.execute(
                select(*_CHOOSING_COLUMNS)
                .where(_OPERATIONS.c.state == OperationState.SIGNED)
                .order_by(_OPERATIONS.c.replay_rank.asc().nulls_last(), _OPERATIONS.c.id)
                .limit(self.config.max_batch_operations * 4)
            ).all()
        candidates = [
            row for row in rows if row.id not in busy_ids and row.signer_address not in busy_signers
        ]
        if not candidates:
            return None
        if any(row.replay_rank is not None for row in rows):
            if busy_ids:
                return None  # replays go one batch at a time, nothing else in flight
            candidates = [row for row in candidates if row.replay_rank is not None]
        chosen = self._checked(candidates)
        picked: list[Any] = []
        gas: list[int] = []
        limit = self._relay_gas_limit()
        for row in chosen:
            if len(picked) >= self.config.max_batch_operations or relay_batch_gas([*gas, row.gas]) > limit:
                break
            picked.append(row)
            gas.append(row.gas)
        if not picked:
            return None
        with self._flight_guard:
            for row in picked:
                self._in_flight[row.id] = row.signer_address
        with self._database.engine.connect() as connection:
            full = {
                row.id: row
                for row in connection.execute(
                    select(_OPERATIONS).where(_OPERATIONS.c.id.in_([row.id for row in picked]))
                ).all()
            }
        return _Batch([full[row.id] for row in picked])

    def _checked(self, rows: list[Any]) -> list[Any]:
        """Drops operations that should not be relayed now. One never relayed goes as it is; one relayed
        before without an outcome is checked against its signer's nonce on the chain: already used
        (by another request) means superseded; a gap before it means waiting for the request before."""
        again = [row for row in rows if row.relay_count > 0]
        if not again:
            return rows
        on_chain = self._chain.fetch_forwarder_nonces(sorted({row.signer_address for row in again}))
        expected = {checksum_address(signer): nonce for signer, nonce in on_chain.items()}
        kept: list[Any] = []
        stale: list[Any] = []
        for row in rows:
            signer = checksum_address(row.signer_address)
            if row.relay_count == 0:
                kept.append(row)
                continue
            next_nonce = expected.get(signer)
            if next_nonce is None or row.nonce == next_nonce:
                kept.append(row)
                if next_nonce is not None:
                    expected[signer] = next_nonce + 1
            elif row.nonce < next_nonce:
                stale.append(row)
        if stale:
            self._settle_stale(stale)
        return kept

    def _settle_stale(self, rows: list[Any]) -> None:
        """Signed operations whose nonce the chain used, with no outcome of theirs indexed: after the
        index catches up, those still signed lost their nonce to another request."""
        self._indexer.sync_to()
        with self._database.connection_transaction() as connection:
            moved = outbox.move(
                connection,
                [row.id for row in rows],
                OperationState.SIGNED,
                OperationState.SUPERSEDED,
                error_code="request_superseded",
                error={
                    "status": 409,
                    "code": "request_superseded",
                    "message": "the signer's nonce went to another request; this one never ran",
                },
            )
            if moved:
                outbox.notify_operations(connection)
        if moved:
            logger.warning("operations %s lost their nonces to other requests", [row.id for row in rows])
            self._notify()

    def _relay_gas_limit(self) -> int:
        return self.config.max_relay_gas

    # ------------------------------------------------------------------------------------- relaying

    def _relay_loop(self, relayer: Relayer) -> None:
        while True:
            batch = self._batches.get()
            if batch is None or self._stop.is_set():
                return
            try:
                self.relay(relayer, batch.rows)
            except Exception:  # whatever happened, the operations are still signed: relayed again later
                logger.exception("writer: relaying %s operation(s) failed", len(batch.rows))
                relayer.reset_nonce()
                self._stop.wait(0.2)
            finally:
                with self._flight_guard:
                    for row in batch.rows:
                        self._in_flight.pop(row.id, None)
                self._wake.set()

    def relay(self, relayer: Relayer, rows: list[Any]) -> None:
        """Sends one relay transaction carrying `rows` and indexes its block; its operations' outcomes
        are then in the database (or they are still signed, to be relayed again)."""
        requests = [
            (_forward_request(row, row.nonce, row.deadline), bytes.fromhex(row.signature[2:])) for row in rows
        ]
        data = self._encoder.encode(requests, relayer.address)
        transaction = relayer.sign(
            self._chain.deployment.forwarder, data, relay_batch_gas([row.gas for row in rows])
        )
        operation_ids = [row.id for row in rows]
        with self._database.connection_transaction() as connection:
            relay_id = outbox.journal_relay(
                connection,
                relayer=relayer.address,
                nonce=transaction.nonce,
                transaction_hash=transaction.hash,
                raw=transaction.raw,
                operation_ids=operation_ids,
            )
        versions, relay_ids = [transaction], [relay_id]
        refusal = relayer.send(transaction)
        if refusal is not None and relayer.unmined(versions) is Unmined.DROPPED:
            self._drop(relay_ids, f"refused: {refusal}")
            return
        relayed = None
        while relayed is None:
            relayed = relayer.await_receipt(versions, self.config.replace_after_seconds)
            if relayed is not None:
                break
            if relayer.unmined(versions) is Unmined.DROPPED:
                relayed = relayer.fetch_receipts(versions)  # mined just now?
                if relayed is None:
                    self._drop(relay_ids, "its nonce went to another transaction")
                    return
                break
            if len(versions) > self.config.max_replacements:
                self._drop(relay_ids, "no receipt after every replacement; its operations are relayed again")
                return
            replacement = relayer.replace(versions[-1])
            with self._database.connection_transaction() as connection:
                relay_ids.append(
                    outbox.journal_relay(
                        connection,
                        relayer=relayer.address,
                        nonce=replacement.nonce,
                        transaction_hash=replacement.hash,
                        raw=replacement.raw,
                        operation_ids=operation_ids,
                        replaces_id=relay_ids[-1],
                    )
                )
            logger.warning("relay %s is stuck: replacing it with %s", versions[-1].hash, replacement.hash)
            versions.append(replacement)
            relayer.send(replacement)
        receipt = self._chain.to_receipt(relayed.receipt)
        with self._database.connection_transaction() as connection:
            outbox.mark_relay(connection, relay_ids, "mined", receipt.block_number)
        self._indexer.sync_to(receipt.block_number, receipt.block_hash)
        self._notify()

    def _drop(self, relay_ids: list[int], why: str) -> None:
        logger.warning("relay transaction(s) %s dropped (%s)", relay_ids, why)
        with self._database.connection_transaction() as connection:
            outbox.mark_relay(connection, relay_ids, "dropped")

    def _notify(self) -> None:
        for listener in self.hooks.on_finished:
            listener()

    # ------------------------------------------------------------------------------------- sweeping

    def _sweep_loop(self) -> None:
        while not self._stop.wait(self.config.sweep_seconds):
            try:
                self.sweep()
            except (ChainUnavailable, RpcError) as error:
                logger.warning("writer sweep: the chain is not answering (%s)", error)
            except Exception:
                logger.exception("writer sweep failed")

    def sweep(self) -> None:
        """Indexes blocks the writer did not send itself, expires what can no longer run, advances jobs,
        and refreshes the answers of requests whose operations ran again after a reorganisation."""
        self._indexer.sync_to()
        self.expire()
        if self._jobs.advance():
            self.wake()
        self._refresh_replayed()
        self._notify()

    def expire(self) -> int:
        """Signed operations past their deadline whose nonce the chain has not used can never run: they
        expire. A managed signer's later requests are then signed again with the nonces now free."""
        head = self._chain.fetch_block("latest")
        if head is None:
            return 0
        head_time = int(head["timestamp"], 16)
        with self._flight_guard:
            busy = set(self._in_flight)
        with self._database.engine.connect() as connection:
            rows = connection.execute(
                select(_OPERATIONS).where(
                    _OPERATIONS.c.state == OperationState.SIGNED, _OPERATIONS.c.deadline < head_time
                )
            ).all()
        rows = [row for row in rows if row.id not in busy]
        if not rows:
            return 0
        on_chain = self._chain.fetch_forwarder_nonces(sorted({row.signer_address for row in rows}))
        unused = [row for row in rows if on_chain[checksum_address(row.signer_address)] <= row.nonce]
        used = [row for row in rows if row not in unused]
        with self._database.connection_transaction() as connection:
            outbox.move(
                connection,
                [row.id for row in unused],
                OperationState.SIGNED,
                OperationState.EXPIRED,
                error_code="request_expired",
                error={
                    "status": 422,
                    "code": "request_expired",
                    "message": "the request's signature expired before it could run; nothing happened",
                },
            )
            outbox.audit(connection, [(row.id, "expired", {"deadline": row.deadline}) for row in unused])
            outbox.notify_operations(connection)
        if used:
            self._settle_stale(used)
        first_expired: dict[str, int] = {}
        for row in unused:
            first_expired[row.signer_address] = min(
                row.nonce, first_expired.get(row.signer_address, row.nonce)
            )
        self._resign_after(first_expired)
        self._notify()
        return len(unused)

    def _resign_after(self, expired_nonces: dict[str, int]) -> None:
        """A managed signer's signed requests after an expired nonce can never run (the forwarder takes
        nonces in order): they are signed again with the nonces that are free now."""
        managed = dict(expired_nonces)
        if not managed:
            return
        with self._nonce_guard:
            for signer in managed:
                self._nonces.pop(signer, None)
        with self._database.engine.connect() as connection:
            later = connection.execute(
                select(_OPERATIONS)
                .where(
                    _OPERATIONS.c.state == OperationState.SIGNED,
                    _OPERATIONS.c.signer_address.in_(sorted(managed)),
                    (_OPERATIONS.c.signer_participant_id.is_not(None))
                    | (_OPERATIONS.c.signer_account.is_not(None)),
                )
                .order_by(_OPERATIONS.c.id)
            ).all()
        later = [row for row in later if row.nonce > managed[row.signer_address]]
        if not later:
            return
        on_chain = self._chain.fetch_forwarder_nonces(sorted({row.signer_address for row in later}))
        deadline = self.ledger_time() + self.config.forward_ttl_seconds
        chain_id, forwarder = self._chain.chain_id, self._chain.deployment.forwarder
        next_nonce = {checksum_address(signer): nonce for signer, nonce in on_chain.items()}
        with self._database.connection_transaction() as connection:
            for row in later:
                signer = checksum_address(row.signer_address)
                nonce = next_nonce[signer]
                next_nonce[signer] = nonce + 1
                signature = _forward_request(row, nonce, deadline).sign(
                    self._key_of(row), chain_id, forwarder
                )
                outbox.move(
                    connection,
                    [row.id],
                    OperationState.SIGNED,
                    OperationState.SIGNED,
                    nonce=nonce,
                    deadline=deadline,
                    signature="0x" + signature.hex(),
                    relay_count=0,
                )
            outbox.audit(connection, [(row.id, "re_signed", {"old_nonce": row.nonce}) for row in later])
        logger.warning("re-signed %s request(s) after an expired nonce", len(later))

    def _refresh_replayed(self) -> None:
        with self._database.engine.connect() as connection:
            ids = list(
                connection.execute(
                    select(Operation.id).where(
                        Operation.replay_rank.is_not(None),
                        Operation.state.in_([str(state) for state in OperationState if state.finished]),
                    )
                ).scalars()
            )
        if not ids:
            return
        if self.hooks.refresh_answers is not None:
            self.hooks.refresh_answers(ids)
        with self._database.connection_transaction() as connection:
            connection.execute(update(Operation).where(Operation.id.in_(ids)).values(replay_rank=None))


def _forward_request(row: Any, nonce: int, deadline: int) -> ForwardRequest:
    return ForwardRequest(
        sender=checksum_address(row.signer_address),
        target=checksum_address(row.target_address),
        gas=int(row.gas),
        nonce=int(nonce),
        deadline=int(deadline),
        data=bytes.fromhex(row.calldata[2:]),
    )
