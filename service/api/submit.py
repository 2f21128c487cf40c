"""How an API request hands its chain writes to the chain writer and learns their outcome.

A request plans from what it read, then `submit` records its operations in the outbox in one write
transaction together with its idempotency record (when it carries an Idempotency-Key), so a request
either exists with all its operations or not at all. It then waits for their outcome
(`await_outcome`), decided by the chain, and answers from the index.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.api.reverts import render_failure
from service.db.models import IdempotencyRecord
from service.errors import IdempotencyKeyReused, IdempotencyRequestInProgress, OperationPending
from service.runtime import Runtime
from service.writer.outbox import OperationIntent, OperationView, fetch_operations, insert_operations


@dataclass
class RequestContext:
    """The Idempotency-Key of the request being served (set by the idempotency middleware)."""

    participant_id: int
    key: str
    fingerprint: str
    # Whether this request recorded the key (then the middleware stores its answer).
    created: bool = False

    @property
    def request_key(self) -> str:
        return request_key_of(self.participant_id, self.key)


current_request: ContextVar[RequestContext | None] = ContextVar("current_request", default=None)


def request_key_of(participant_id: int, key: str) -> str:
    """How a request is named on its operations: keys are per participant."""
    return f"{participant_id}:{key}"


IntentSource = Sequence[OperationIntent] | Callable[[Connection], Sequence[OperationIntent]]


def submit(
    runtime: Runtime,
    intents: IntentSource,
    *,
    participant_id: int,
    session: Session | None = None,
    also: Callable[[Connection, list[int]], None] | None = None,
) -> list[int]:
    """Records the operations (and the request's key) in one write transaction; returns their ids.

    `intents` may be a function of the transaction's connection, for a request that writes rows of its
    own before them (a new participant and its key); `also` writes rows that name the operations (a
    voucher's documents), in the same transaction. `session`, the request's reading session, ends its
    read transaction first: the write is a transaction of its own."""
    if session is not None:
        session.rollback()
    context = current_request.get()
    try:
        with runtime.database.connection_transaction() as connection:
            if context is not None:
                _reserve(connection, context)
            planned = intents(connection) if callable(intents) else intents
            ids = insert_operations(
                connection,
                planned,
                participant_id=participant_id,
                request_key=context.request_key if context is not None else None,
            )
            if also is not None:
                also(connection, ids)
    except IntegrityError:
        if context is None:
            raise
        raise _duplicate(runtime, context) from None
    if context is not None:
        context.created = True
    runtime.wake_writer()
    return ids


def record_answer(connection: Connection, status: int, body: Any) -> None:
    """For a request whose effect is a database write only (no chain operation): its key and answer,
    in the caller's write transaction."""
    context = current_request.get()
    if context is None:
        return
    _reserve(connection, context, status=status, body=body)
    context.created = True


def _reserve(
    connection: Connection, context: RequestContext, *, status: int | None = None, body: Any = None
) -> None:
    connection.execute(
        insert(IdempotencyRecord),
        {
            "participant_id": context.participant_id,
            "key": context.key,
            "request_fingerprint": context.fingerprint,
            "state": "pending" if status is None else "completed",
            "response_status": status,
            "response_body": body,
        },
    )


def _duplicate(runtime: Runtime, context: RequestContext) -> Exception:
    """Another request with this key recorded it first: a different request, or the same still running."""
    with runtime.database.engine.connect() as connection:
        fingerprint = connection.execute(
            select(IdempotencyRecord.request_fingerprint).where(
                IdempotencyRecord.participant_id == context.participant_id,
                IdempotencyRecord.key == context.key,
            )
        ).scalar()
    if fingerprint is not None and fingerprint != context.fingerprint:
        return IdempotencyKeyReused("this Idempotency-Key was used with a different request")
    return IdempotencyRequestInProgress("a request with this Idempotency-Key is still running")


def await_outcome(runtime: Runtime, operation_ids: Sequence[int]) -> list[OperationView]:
    """The operations once the chain decided them all; 503 `operation_pending` if that takes longer
    than OPERATION_WAIT_SECONDS (the request stays recorded: a retry with its key learns the outcome)."""
    decided = runtime.waiter.wait(operation_ids, runtime.settings.operation_wait_seconds)
    with runtime.database.engine.connect() as connection:
        operations = fetch_operations(connection, operation_ids)
    if not decided:
        raise OperationPending(
            "the request was accepted and is being carried out; retry with the same Idempotency-Key to "
            "learn its outcome",
            operation_ids=list(operation_ids),
        )
    return operations


def require_effect(runtime: Runtime, operations: Sequence[OperationView]) -> None:
    """Raises why the first operation that did not take effect failed (decoded from the chain, in the
    request's terms)."""
    for operation in operations:
        failure = render_failure(runtime, operation)
        if failure is not None:
            raise failure


def carry_out(
    runtime: Runtime, intents: IntentSource, *, participant_id: int, session: Session | None = None
) -> list[OperationView]:
    """`submit`, `await_outcome` and `require_effect` in one: the usual path of a write request."""
    operations = await_outcome(
        runtime, submit(runtime, intents, participant_id=participant_id, session=session)
    )
    require_effect(runtime, operations)
    return operations
