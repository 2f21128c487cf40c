"""The outbox: operations the API hands to the chain writer, and how their outcomes are decided.

An API process records what it wants done as operations (`insert_operations`), in the same database
transaction as the request's idempotency record, then waits for their outcome. The chain writer signs
and relays them, and the indexer decides each outcome from the chain itself: `OutcomeProjection` turns
the forwarder's `ExecutedForwardRequest(signer, nonce, success)` into `executed` or `reverted` (with the
events its call emitted), in the same transaction that applies the block, so an operation that reads
`executed` is always already in the index.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import Connection, bindparam, func, insert, or_, select, text, tuple_, update

from service.chain.abi import checksum_address
from service.chain.forwarder import FORWARDED_CALL_GAS
from service.db.models import Operation, OperationAudit, RelayCarriage, RelayTransaction
from service.domain.operations import FINISHED_STATES, OperationState, require_transition
from service.errors import LedgerError, load_error, store_error
from service.index.projection import IndexedEvent, ProjectionBatch, RequestKey

logger = logging.getLogger(__name__)
OPERATIONS_CHANNEL = "cascade_operations"
# A rolled-back operation's place in the original chain: its block, then its position in the block.
REPLAY_RANK_PER_BLOCK = 1_000_000
_OPERATIONS = Operation.__table__


@dataclass(frozen=True)
class Signer:
    """Who signs an operation's forward request: a managed participant, a service role account, or a
    participant's own wallet (then the intent carries its signature)."""

    address: str
    participant_id: int | None = None
    account: str | None = None


@dataclass(frozen=True)
class SignedForward:
    """A forward request the participant signed with its own wallet."""

    nonce: int
    deadline: int
    signature: bytes


@dataclass(frozen=True)
class OperationIntent:
    """What a feature asks the chain to do: one call, by one signer."""

    kind: str
    signer: Signer
    target: str
    calldata: bytes
    gas: int = FORWARDED_CALL_GAS
    payload: dict[str, Any] | None = None
    signed: SignedForward | None = None


@dataclass(frozen=True)
class OperationView:
    """An operation as the API reads it back: its state and what the chain made of it."""

    id: int
    kind: str
    state: OperationState
    participant_id: int | None
    request_key: str | None
    signer_address: str
    payload: dict[str, Any] | None
    block_number: int | None
    transaction_hash: str | None
    result: list[dict[str, Any]]
    error: dict[str, Any] | None

    @property
    def finished(self) -> bool:
        return self.state.finished

    def failure(self) -> LedgerError | None:
        """Why it did not take effect (None if it did, or is undecided)."""
        if self.state is OperationState.EXECUTED or not self.finished:
            return None
        return load_error(self.error or {"code": "chain_rejected", "status": 422, "message": "not run"})

    def events(self, name: str) -> list[dict[str, Any]]:
        """The events its call emitted, by name, each as {"event", "contract", "args", "log_index"}."""
        return [event for event in self.result if event["event"] == name]


def view_of(row: Any) -> OperationView:
    values = row._mapping if hasattr(row, "_mapping") else row
    return OperationView(
        id=values["id"],
        kind=values["kind"],
        state=OperationState(values["state"]),
        participant_id=values["participant_id"],
        request_key=values["request_key"],
        signer_address=values["signer_address"],
        payload=values["payload"],
        block_number=values["block_number"],
        transaction_hash=values["transaction_hash"],
        result=list(values["result"] or []),
        error=values["error"],
    )


# ------------------------------------------------------------------------------------------ the API side


def insert_operations(
    connection: Connection,
    intents: Sequence[OperationIntent],
    *,
    participant_id: int | None,
    request_key: str | None,
    job_id: int | None = None,
) -> list[int]:
    """Records the intents as operations (in the caller's transaction); returns their ids in order.

    An intent the participant signed itself enters as `signed`: its nonce and signature exist, so it
    may run whatever the service does, and only the chain can say whether it did."""
    rows = []
    now = datetime.now(UTC)
    for intent in intents:
        signed = intent.signed
        rows.append(
            {
                "kind": intent.kind,
                "state": OperationState.SIGNED if signed else OperationState.QUEUED,
                "participant_id": participant_id,
                "request_key": request_key,
                "job_id": job_id,
                "signer_address": checksum_address(intent.signer.address),
                "signer_participant_id": intent.signer.participant_id,
                "signer_account": intent.signer.account,
                "target_address": checksum_address(intent.target),
                "calldata": "0x" + intent.calldata.hex(),
                "gas": intent.gas,
                "nonce": signed.nonce if signed else None,
                "deadline": signed.deadline if signed else None,
                "signature": "0x" + signed.signature.hex() if signed else None,
                "payload": intent.payload,
                "relay_count": 0,
                "created_at": now,
                "updated_at": now,
            }
        )
    if not rows:
        return []
    inserted = connection.execute(
        insert(Operation).returning(Operation.id, sort_by_parameter_order=True), rows
    ).scalars()
    ids = list(inserted)
    notify_operations(connection)
    return ids


def notify_operations(connection: Connection) -> None:
    """Wakes whoever listens for operation changes (PostgreSQL delivers it when the transaction commits)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_notify(:channel, '')"), {"channel": OPERATIONS_CHANNEL})


_BY_IDS = select(_OPERATIONS).where(_OPERATIONS.c.id.in_(bindparam("ids", expanding=True)))


def fetch_operations(connection: Connection, ids: Iterable[int]) -> list[OperationView]:
    wanted = sorted(set(ids))
    if not wanted:
        return []
    rows = connection.execute(_BY_IDS, {"ids": wanted}).all()
    return [view_of(row) for row in sorted(rows, key=lambda row: row.id)]


def fetch_operations_of_request(connection: Connection, request_key: str) -> list[OperationView]:
    rows = connection.execute(
        select(_OPERATIONS).where(_OPERATIONS.c.request_key == request_key).order_by(_OPERATIONS.c.id)
    ).all()
    return [view_of(row) for row in rows]


_FINISHED_AMONG = select(_OPERATIONS.c.id).where(
    _OPERATIONS.c.id.in_(bindparam("ids", expanding=True)),
    _OPERATIONS.c.state.in_([str(state) for state in FINISHED_STATES]),
)


def fetch_finished_ids(connection: Connection, ids: Iterable[int]) -> set[int]:
    wanted = sorted(set(ids))
    if not wanted:
        return set()
    return set(connection.execute(_FINISHED_AMONG, {"ids": wanted}).scalars())


def fetch_next_wallet_nonce(connection: Connection, signer: str, chain_nonce: int) -> int:
    """The nonce a participant signing with its own wallet must sign next: after the chain's, and after
    every request of its that the service holds and has not seen run yet."""
    highest = connection.execute(
        select(func.max(Operation.nonce)).where(
            Operation.signer_address == checksum_address(signer), Operation.state == OperationState.SIGNED
        )
    ).scalar()
    return max(chain_nonce, int(highest) + 1 if highest is not None else 0)


# ------------------------------------------------------------------------------------------ the writer side


# SIGNED -> EXECUTED for many operations at once (executemany), each with its own block and events.
_EXECUTED = (
    update(Operation)
    .where(Operation.id == bindparam("op_id"), Operation.state == OperationState.SIGNED)
    .values(
        state=OperationState.EXECUTED,
        updated_at=bindparam("now"),
        error_code=None,
        error=None,
        block_number=bindparam("b_block"),
        transaction_hash=bindparam("b_transaction"),
        log_index=bindparam("b_log"),
        result=bindparam("b_result"),
    )
)
require_transition(OperationState.SIGNED, OperationState.EXECUTED)  # the move _EXECUTED makes


# QUEUED -> SIGNED for many operations at once (executemany), each with its nonce and signature.
_SIGNED = (
    update(Operation)
    .where(Operation.id == bindparam("op_id"), Operation.state == OperationState.QUEUED)
    .values(
        state=OperationState.SIGNED,
        updated_at=bindparam("now"),
        nonce=bindparam("b_nonce"),
        deadline=bindparam("b_deadline"),
        signature=bindparam("b_signature"),
    )
)
require_transition(OperationState.QUEUED, OperationState.SIGNED)  # the move _SIGNED makes


def record_signed(connection: Connection, signed: Sequence[tuple[int, int, int, str]]) -> None:
    """Records (operation id, nonce, deadline, signature) of operations just signed, in one statement."""
    if signed:
        now = datetime.now(UTC)
        connection.execute(
            _SIGNED,
            [
                {
                    "op_id": op_id,
                    "now": now,
                    "b_nonce": nonce,
                    "b_deadline": deadline,
                    "b_signature": signature,
                }
                for op_id, nonce, deadline, signature in signed
            ],
        )


def move(
    connection: Connection,
    operation_ids: Sequence[int],
    current: OperationState,
    target: OperationState,
    **values: Any,
) -> int:
    """Moves operations that are still in `current` to `target` (an allowed move), setting `values`."""
    require_transition(current, target)
    if not operation_ids:
        return 0
    result = connection.execute(
        update(Operation)
        .where(Operation.id.in_(list(operation_ids)), Operation.state == current)
        .values(state=target, updated_at=datetime.now(UTC), **values)
    )
    return int(result.rowcount)


def reject(connection: Connection, operation_id: int, error: LedgerError) -> None:
    move(
        connection,
        [operation_id],
        OperationState.QUEUED,
        OperationState.REJECTED,
        error_code=error.code,
        error=store_error(error),
    )


def audit(connection: Connection, rows: Sequence[tuple[int, str, dict[str, Any] | None]]) -> None:
    if rows:
        connection.execute(
            insert(OperationAudit),
            [
                {"operation_id": op_id, "event": event, "detail": detail, "created_at": datetime.now(UTC)}
                for op_id, event, detail in rows
            ],
        )


def journal_relay(
    connection: Connection,
    *,
    relayer: str,
    nonce: int,
    transaction_hash: str,
    raw: bytes,
    operation_ids: Sequence[int],
    replaces_id: int | None = None,
) -> int:
    """Journals a relay transaction and the operations it carries, before it is sent."""
    now = datetime.now(UTC)
    relay_id = _journal_again(connection, transaction_hash, operation_ids, now)
    if relay_id is not None:
        return relay_id
    relay_id = connection.execute(
        insert(RelayTransaction).returning(RelayTransaction.id),
        {
            "relayer_address": relayer,
            "nonce": nonce,
            "transaction_hash": transaction_hash,
            "raw_transaction": "0x" + raw.hex(),
            "state": "sent",
            "replaces_id": replaces_id,
            "created_at": now,
            "updated_at": now,
        },
    ).scalar_one()
    _carry(connection, relay_id, operation_ids, relays=0 if replaces_id else 1)
    return int(relay_id)


def _carry(
    connection: Connection,
    relay_id: int,
    operation_ids: Sequence[int],
    relays: int,
    carried: frozenset[int] = frozenset(),
) -> None:
    """Records that the relay transaction carries these operations (but those `carried` already), each
    relayed `relays` more times."""
    new = [op_id for op_id in operation_ids if op_id not in carried]
    if new:
        connection.execute(
            insert(RelayCarriage),
            [{"relay_transaction_id": relay_id, "operation_id": op_id} for op_id in new],
        )
    connection.execute(
        update(Operation)
        .where(Operation.id.in_(list(operation_ids)))
        .values(relay_count=Operation.relay_count + relays)
    )


def _journal_again(
    connection: Connection, transaction_hash: str, operation_ids: Sequence[int], now: datetime
) -> int | None:
    """The journalled relay transaction with this hash, sent again, if there is one. Signing is
    deterministic, so the same relayer nonce, fees and operations give the same transaction: after a
    reorganisation lost it, relaying the same operations again at the same nonce signs it anew."""
    relay_id = connection.execute(
        select(RelayTransaction.id).where(RelayTransaction.transaction_hash == transaction_hash)
    ).scalar()
    if relay_id is None:
        return None
    connection.execute(
        update(RelayTransaction)
        .where(RelayTransaction.id == relay_id)
        .values(state="sent", block_number=None, updated_at=now)
    )
    carried = set(
        connection.execute(
            select(RelayCarriage.operation_id).where(RelayCarriage.relay_transaction_id == relay_id)
        ).scalars()
    )
    _carry(connection, relay_id, operation_ids, relays=1, carried=frozenset(carried))
    return int(relay_id)


def mark_relay(
    connection: Connection, relay_ids: Sequence[int], state: str, block_number: int | None = None
) -> None:
    connection.execute(
        update(RelayTransaction)
        .where(RelayTransaction.id.in_(list(relay_ids)))
        .values(state=state, block_number=block_number, updated_at=datetime.now(UTC))
    )


# ------------------------------------------------------------------------------------------ outcomes


@dataclass
class _Ran:
    request: RequestKey
    succeeded: bool
    block_number: int
    transaction_hash: str
    log_index: int
    events: list[dict[str, Any]]


class _Buffer:
    def __init__(self) -> None:
        self.events: dict[tuple[str, RequestKey], list[dict[str, Any]]] = {}
        self.ran: list[_Ran] = []


class OutcomeProjection:
    """Decides operations' outcomes from the forwarder's events (every event passes through here, so
    that an operation keeps the events its call emitted).

    A request that ran is matched to the live (`signed`) operation with its signer and nonce, and the
    operation must have been carried by the very transaction that ran it (or, for a participant's own
    wallet, that transaction must carry the same signed request): otherwise the nonce went to another
    request, and the operation is `superseded`, never run."""

    name: ClassVar[str] = "outcomes"
    subscriptions: ClassVar[frozenset[tuple[str, str]] | None] = None

    def __init__(self, explain: Any = None, carried_elsewhere: Any = None) -> None:
        # explain(signer, target, calldata) -> LedgerError: why a call that ran failed.
        self._explain = explain
        # carried_elsewhere(transaction_hash, signer, nonce, signature) -> bool: whether a transaction
        # the service did not send carries this very signed request.
        self._carried_elsewhere = carried_elsewhere

    def prepare(self, batch: ProjectionBatch, events: Sequence[IndexedEvent]) -> None:
        pass

    def apply(self, batch: ProjectionBatch, event: IndexedEvent) -> None:
        if event.request is None:
            return
        buffer: _Buffer = batch.buffer(self.name, _Buffer)
        key = (event.transaction_hash, event.request)
        if event.contract == "forwarder" and event.name == "ExecutedForwardRequest":
            buffer.ran.append(
                _Ran(
                    event.request,
                    bool(event.args["success"]),
                    event.block_number,
                    event.transaction_hash,
                    event.log_index,
                    buffer.events.pop(key, []),
                )
            )
            return
        buffer.events.setdefault(key, []).append(
            {
                "event": event.name,
                "contract": event.contract,
                "args": _jsonable(event.args),
                "log_index": event.log_index,
            }
        )

    def flush(self, batch: ProjectionBatch) -> None:
        buffer: _Buffer | None = batch.state.get(self.name)
        if buffer is None or not buffer.ran:
            return
        connection = batch.connection
        live = self._live_operations(connection, [ran.request for ran in buffer.ran])
        carriers = self._carriers(connection, {ran.transaction_hash for ran in buffer.ran})
        audits: list[tuple[int, str, dict[str, Any] | None]] = []
        executed: list[dict[str, Any]] = []
        for ran in buffer.ran:
            row = live.get(ran.request)
            if row is None:
                continue  # not one of ours, or already decided (the range applied again)
            ours = row.id in carriers.get(ran.transaction_hash, set()) or self._carries(ran, row)
            if not ours:
                move(
                    connection,
                    [row.id],
                    OperationState.SIGNED,
                    OperationState.SUPERSEDED,
                    error_code="request_superseded",
                    error={
                        "status": 409,
                        "code": "request_superseded",
                        "message": "the signer's nonce went to another request; this one never ran",
                    },
                )
                audits.append((row.id, "superseded", {"transaction_hash": ran.transaction_hash}))
                continue
            values: dict[str, Any] = {
                "block_number": ran.block_number,
                "transaction_hash": ran.transaction_hash,
                "log_index": ran.log_index,
                "result": ran.events,
            }
            if ran.succeeded:
                executed.append(
                    {
                        "op_id": row.id,
                        "b_block": ran.block_number,
                        "b_transaction": ran.transaction_hash,
                        "b_log": ran.log_index,
                        "b_result": ran.events,
                    }
                )
            else:
                failure = self._failure(row)
                move(
                    connection,
                    [row.id],
                    OperationState.SIGNED,
                    OperationState.REVERTED,
                    error_code=failure.code,
                    error=store_error(failure),
                    **values,
                )
            if row.replay_rank is not None:
                audits.append(
                    (
                        row.id,
                        "ran_again",
                        {"transaction_hash": ran.transaction_hash, "succeeded": ran.succeeded},
                    )
                )
        if executed:
            # One statement for the range's executed operations (a bulk transfer's block runs hundreds).
            connection.execute(_EXECUTED, [{**values, "now": datetime.now(UTC)} for values in executed])
        audit(connection, audits)
        notify_operations(connection)

    def _failure(self, row: Any) -> LedgerError:
        from service.errors import ChainRejected

        if self._explain is None:
            return ChainRejected("the call failed on chain")
        return self._explain(row.signer_address, row.target_address, bytes.fromhex(row.calldata[2:]))

    def _carries(self, ran: _Ran, row: Any) -> bool:
        if self._carried_elsewhere is None or row.signature is None:
            return False
        return bool(
            self._carried_elsewhere(ran.transaction_hash, row.signer_address, row.nonce, row.signature)
        )

    @staticmethod
    def _live_operations(connection: Connection, requests: list[RequestKey]) -> dict[RequestKey, Any]:
        pairs = sorted({(checksum_address(signer), nonce) for signer, nonce in requests})
        rows = connection.execute(
            select(_OPERATIONS).where(
                tuple_(_OPERATIONS.c.signer_address, _OPERATIONS.c.nonce).in_(pairs),
                _OPERATIONS.c.state == OperationState.SIGNED,
            )
        ).all()
        return {(row.signer_address, int(row.nonce)): row for row in rows}

    @staticmethod
    def _carriers(connection: Connection, transaction_hashes: set[str]) -> dict[str, set[int]]:
        rows = connection.execute(
            select(RelayTransaction.transaction_hash, RelayCarriage.operation_id)
            .join(RelayCarriage, RelayCarriage.relay_transaction_id == RelayTransaction.id)
            .where(
                func.lower(RelayTransaction.transaction_hash).in_(
                    sorted(h.lower() for h in transaction_hashes)
                )
            )
        ).all()
        found: dict[str, set[int]] = {}
        wanted = {h.lower(): h for h in transaction_hashes}
        for transaction_hash, operation_id in rows:
            found.setdefault(wanted[transaction_hash.lower()], set()).add(operation_id)
        return found

    def roll_back(self, connection: Connection, fork_point: int, chain: Any = None) -> None:
        """Operations whose blocks were lost become signed requests again, ranked by where they ran, so
        the writer sends them again in the original order; their relay transactions are lost too."""
        lost = connection.execute(
            select(
                Operation.id,
                Operation.block_number,
                Operation.log_index,
                Operation.transaction_hash,
                Operation.state,
            ).where(
                Operation.block_number > fork_point,
                Operation.state.in_([OperationState.EXECUTED, OperationState.REVERTED]),
            )
        ).all()
        for row in lost:
            require_transition(row.state, OperationState.SIGNED)
            connection.execute(
                update(Operation)
                .where(Operation.id == row.id)
                .values(
                    state=OperationState.SIGNED,
                    replay_rank=row.block_number * REPLAY_RANK_PER_BLOCK + (row.log_index or 0),
                    block_number=None,
                    transaction_hash=None,
                    log_index=None,
                    result=None,
                    error_code=None,
                    error=None,
                    updated_at=datetime.now(UTC),
                )
            )
        audit(
            connection,
            [
                (
                    row.id,
                    "rolled_back",
                    {
                        "block_number": row.block_number,
                        "transaction_hash": row.transaction_hash,
                        "was": row.state,
                    },
                )
                for row in lost
            ],
        )
        connection.execute(
            update(RelayTransaction)
            .where(or_(RelayTransaction.block_number > fork_point, RelayTransaction.state == "sent"))
            .values(state="dropped", updated_at=datetime.now(UTC))
        )

    def reset(self, connection: Connection) -> None:
        self.roll_back(connection, -1)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 2**53:
        return str(value)  # JSON numbers beyond 2**53 lose digits in most readers
    return value
