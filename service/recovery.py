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

logger = logging.getLogger(__name__)
APPLIED_STATES = ("mined", "indexed")


def _recovered_response(
    runtime: Runtime, participant: Participant | None, applied: list[Operation]
) -> tuple[int, dict[str, Any]]:
    if len(applied) == 1 and applied[0].kind == "note.transfer" and participant is not None:
        receipt = runtime.chain.fetch_receipt(applied[0].transaction_hash or "")
        with runtime.database.sessions() as session:
            return 201, rebuild_transfer_response(session, runtime, participant, receipt).model_dump(
                mode="json"
            )
    error = IdempotencyRequestRecovered(
        "the request was interrupted after reaching the chain; it is not run again",
        transaction_hashes=[op.transaction_hash for op in applied],
        operations=[op.kind for op in applied],
    )
    return error.status_code, error.to_body()


def recover_interrupted_requests(runtime: Runtime) -> int:
    database = runtime.database
    with database.sessions() as session:
        interrupted = session.scalars(
            select(IdempotencyRecord).where(IdempotencyRecord.state == "in_progress")
        ).all()
    for record in interrupted:
        request_key = f"{record.participant_id}:{record.key}"
        with database.sessions() as session:
            operations = session.scalars(
                select(Operation).where(Operation.idempotency_key == request_key).order_by(Operation.id)
            ).all()
            participant = session.get(Participant, record.participant_id)
        applied = [op for op in operations if op.state in APPLIED_STATES and op.error_code is None]
        status, body = (None, None) if not applied else _recovered_response(runtime, participant, applied)
        with database.transaction() as session:
            stored = session.get(IdempotencyRecord, record.id)
            if stored is None:
                continue
            if status is None:
                session.delete(stored)
                continue
            stored.state = "completed"
            stored.response_status = status
            stored.response_body = body
        logger.info("recovered interrupted request %s (%s operations applied)", request_key, len(applied))
    return len(interrupted)
