"""After a crash: settle every request that was running when the process died.

A request reserves its Idempotency-Key before it starts, and every transaction it causes is
journaled under that key. On start-up (after the journal's unfinished transactions are completed),
each reservation left `in_progress` by the dead process is resolved:

- nothing it caused reached the chain: the reservation is dropped, so a retry runs afresh;
- a transfer reached the chain: its response is rebuilt from the receipt and stored, so a retry
  gets what the first call would have answered, and nothing is applied twice;
- anything else reached the chain: the retry gets 409 `idempotency_request_recovered` naming the
  transactions, rather than a second execution.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select

from service.db.models import IdempotencyRecord, Operation, Participant
from service.errors import IdempotencyRequestRecovered
from service.notes.service import rebuild_transfer_response
from service.runtime import Runtime
from service.submission import request_key_of

logger = logging.getLogger(__name__)
APPLIED_STATES = ("mined", "indexed")


def _recovered_response(
    runtime: Runtime, participant: Participant | None, applied: list[Operation]
) -> tuple[int, dict[str, Any]]:
    if len(applied) == 1 and applied[0].kind == "note.transfer" and participant is not None:
        receipt = runtime.chain.fetch_receipt(applied[0].transaction_hash or "")
        with runtime.database.sessions() as session:
            return 201, rebuild_transfer_response(session, participant, receipt).model_dump(mode="json")
    error = IdempotencyRequestRecovered(
        "the request was interrupted after reaching the chain; it is not run again",
        transaction_hashes=[op.transaction_hash for op in applied],
        operations=[op.kind for op in applied],
    )
    return error.status_code, error.to_body()


def resolve_request(runtime: Runtime, participant_id: int, key: str) -> tuple[int, dict[str, Any]] | None:
    """The outcome of a request that stopped without an answer: its response, or None if nothing happened.

    Transactions it left with an unknown outcome are first finished (found mined, or re-sent), so
    the answer is definite: a retry either replays the effect or runs afresh, never both.
    """
    request_key = request_key_of(participant_id, key)
    runtime.submitter.finish_operations(runtime.submitter.fetch_operations_of_request(request_key))
    operations = runtime.submitter.fetch_operations_of_request(request_key)
    applied = [op for op in operations if op.state in APPLIED_STATES and op.error_code is None]
    if not applied:
        return None
    with runtime.database.sessions() as session:
        participant = session.get(Participant, participant_id)
    return _recovered_response(runtime, participant, applied)


def settle_request(runtime: Runtime, record_id: int, participant_id: int, key: str) -> None:
    """Stores the resolved outcome on the idempotency record (or drops the record if nothing happened)."""
    outcome = resolve_request(runtime, participant_id, key)
    with runtime.database.transaction() as session:
        stored = session.get(IdempotencyRecord, record_id)
        if stored is None or stored.state == "completed":  # answered meanwhile, by its own request
            return
        if outcome is None:
            session.delete(stored)
            return
        stored.state = "completed"
        stored.response_status, stored.response_body = outcome
    logger.info("settled interrupted request %s:%s", participant_id, key)


def recover_interrupted_requests(runtime: Runtime) -> int:
    """At start-up: every reservation a dead process left unanswered is settled."""
    with runtime.database.sessions() as session:
        interrupted = session.scalars(
            select(IdempotencyRecord).where(IdempotencyRecord.state.in_(("in_progress", "unknown")))
        ).all()
    settled = 0
    for record in interrupted:
        # Still running in another worker process: not interrupted.
        if not runtime.locks.requests.is_running(request_key_of(record.participant_id, record.key)):
            settle_request(runtime, record.id, record.participant_id, record.key)
            settled += 1
    return settled
