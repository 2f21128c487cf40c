"""The answer of a request, rebuilt from its operations: for a retry whose first attempt was cut off
before it answered, and after a reorganisation ran its operations again.

Each feature registers, per kind of operation, the function that builds its request's answer from the
decided operations and the index; the endpoint builds its live answer with the same function, so a
stored answer and a rebuilt one are the same document.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from service.api.reverts import render_failure
from service.db.models import IdempotencyRecord, Operation
from service.runtime import Runtime
from service.writer.outbox import OperationView, audit, fetch_operations, fetch_operations_of_request

logger = logging.getLogger(__name__)
Answer = tuple[int, Any]
Responder = Callable[[Runtime, Session, Sequence[OperationView]], Answer]
_RESPONDERS: dict[str, tuple[Responder, bool]] = {}
# Fields of an answer that are shown once and never stored (a new participant's API key): field ->
# (the field that says why it is missing, what it says). Features register theirs (`withhold`).
_WITHHELD: dict[str, tuple[str, str]] = {}


def withhold(field: str, note_field: str, note: str) -> None:
    """Keeps `field` of every answer out of storage (and so out of every replay), saying why in
    `note_field`."""
    _WITHHELD[field] = (note_field, note)


def responds_to(*kinds: str, failures_answered: bool = False) -> Callable[[Responder], Responder]:
    """Registers the answer builder of requests whose first operation is one of `kinds`. Normally the
    first operation that did not take effect is the answer (its error); with `failures_answered` the
    builder answers whatever the outcomes (e.g. voiding quotes, some of which ran meanwhile)."""

    def register(responder: Responder) -> Responder:
        for kind in kinds:
            _RESPONDERS[kind] = (responder, failures_answered)
        return responder

    return register


def rebuild_answer(runtime: Runtime, operations: Sequence[OperationView]) -> Answer | None:
    """The request's answer, if every operation is decided (None while any is still on its way)."""
    if not operations or not all(operation.finished for operation in operations):
        return None
    registered = _RESPONDERS.get(operations[0].kind)
    if registered is None:
        raise LookupError(f"no answer is registered for operations of kind {operations[0].kind}")
    responder, failures_answered = registered
    for operation in operations if not failures_answered else ():
        failure = render_failure(runtime, operation)
        if failure is not None:
            return failure.status_code, failure.to_body()
    with runtime.database.snapshot() as session:
        return responder(runtime, session, operations)


def storable(body: Any) -> Any:
    """The answer as it is kept: without the fields shown only once."""
    if not isinstance(body, dict):
        return body
    kept = dict(body)
    for field, (note_field, note) in _WITHHELD.items():
        if kept.get(field) is not None:
            kept[field], kept[note_field] = None, note
    return kept


def nothing_happened(operations: Sequence[OperationView]) -> bool:
    """Every operation is decided and none took effect (refused, failed on chain, expired)."""
    return bool(operations) and all(op.finished and not op.state.took_effect for op in operations)


def release_key(runtime: Runtime, participant_id: int, key: str, request_key: str) -> None:
    """Forgets a request that changed nothing, so that a corrected retry with the same key runs: its
    record goes, and its operations keep their outcome but no longer answer for the key."""
    with runtime.database.connection_transaction() as connection:
        connection.execute(
            delete(IdempotencyRecord).where(
                IdempotencyRecord.participant_id == participant_id, IdempotencyRecord.key == key
            )
        )
        connection.execute(
            update(Operation).where(Operation.request_key == request_key).values(request_key=None)
        )


PENDING = object()


def answer_pending_request(
    runtime: Runtime, participant_id: int, key: str, request_key: str
) -> Answer | object | None:
    """For a request recorded but never answered (its process died): its answer, stored now, if its
    operations are decided; `PENDING` while they are on their way; None if it changed nothing (its
    key is released: the retry runs)."""
    with runtime.database.engine.connect() as connection:
        operations = fetch_operations_of_request(connection, request_key)
    if nothing_happened(operations):
        release_key(runtime, participant_id, key, request_key)
        return None
    answer = rebuild_answer(runtime, operations)
    if answer is None:
        return PENDING
    status, body = answer
    stored = storable(body)
    with runtime.database.connection_transaction() as connection:
        connection.execute(
            update(IdempotencyRecord)
            .where(
                IdempotencyRecord.participant_id == participant_id,
                IdempotencyRecord.key == key,
                IdempotencyRecord.state == "pending",
            )
            .values(state="completed", response_status=status, response_body=stored)
        )
    return status, stored


def refresh_answers(runtime: Runtime, operation_ids: Sequence[int]) -> None:
    """After operations ran again (a reorganisation undid their blocks), the stored answers of their
    requests are rebuilt; one that changed is replaced, with an audit row saying so."""
    with runtime.database.engine.connect() as connection:
        keys = sorted(
            {op.request_key for op in fetch_operations(connection, operation_ids) if op.request_key}
        )
    for request_key in keys:
        participant_text, _, key = request_key.partition(":")
        with runtime.database.engine.connect() as connection:
            record = connection.execute(
                select(IdempotencyRecord).where(
                    IdempotencyRecord.participant_id == int(participant_text), IdempotencyRecord.key == key
                )
            ).one_or_none()
            operations = fetch_operations_of_request(connection, request_key)
        if record is None or record.state != "completed":
            continue
        answer = rebuild_answer(runtime, operations)
        if answer is None:
            continue
        status, body = answer[0], storable(answer[1])
        if (status, body) == (record.response_status, record.response_body):
            continue
        with runtime.database.connection_transaction() as connection:
            connection.execute(
                update(IdempotencyRecord)
                .where(IdempotencyRecord.id == record.id)
                .values(response_status=status, response_body=body)
            )
            audit(
                connection,
                [
                    (
                        operations[0].id,
                        "answer_changed",
                        {
                            "before": {"status": record.response_status, "body": record.response_body},
                            "after": {"status": status, "body": body},
                        },
                    )
                ],
            )
        logger.warning("the answer to request %s changed after its operations ran again", request_key)
