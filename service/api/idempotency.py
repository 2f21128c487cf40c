"""`Idempotency-Key`: the same key and body replay the first response; another body gets 409.

The key is reserved in its own committed transaction before any work starts, so concurrent
requests with one key race on a unique constraint and exactly one of them does the work.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from service.db.models import IdempotencyRecord
from service.db.session import Database
from service.errors import IdempotencyKeyReused, IdempotencyRequestInProgress, InvalidRequest

MAX_KEY_LENGTH = 200


def compute_fingerprint(method: str, path: str, body: Any) -> str:
    canonical = json.dumps({"method": method, "path": path, "body": jsonable_encoder(body)}, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def run_idempotent(
    database: Database,
    participant_id: int,
    key: str | None,
    fingerprint: str,
    handler: Callable[[], tuple[int, Any]],
) -> JSONResponse:
    if key is None:
        status, body = handler()
        return JSONResponse(jsonable_encoder(body), status_code=status)
    if not key or len(key) > MAX_KEY_LENGTH:
        raise InvalidRequest(f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters")
    replay = _reserve(database, participant_id, key, fingerprint)
    if replay is not None:
        return replay
    try:
        status, body = handler()
    except BaseException:
        # Nothing happened, so the key is released: a corrected retry with it may run.
        with database.transaction() as session:
            session.execute(
                delete(IdempotencyRecord).where(
                    IdempotencyRecord.participant_id == participant_id, IdempotencyRecord.key == key
                )
            )
        raise
    encoded = jsonable_encoder(body)
    with database.transaction() as session:
        record = session.scalars(
            select(IdempotencyRecord).where(
                IdempotencyRecord.participant_id == participant_id, IdempotencyRecord.key == key
            )
        ).one()
        record.state = "completed"
        record.response_status = status
        record.response_body = encoded
    return JSONResponse(encoded, status_code=status)


def _reserve(database: Database, participant_id: int, key: str, fingerprint: str) -> JSONResponse | None:
    try:
        with database.transaction() as session:
            session.add(
                IdempotencyRecord(
                    participant_id=participant_id,
                    key=key,
                    request_fingerprint=fingerprint,
                    state="in_progress",
                )
            )
        return None
    except IntegrityError:
        pass
    with database.sessions() as session:
        record = session.scalars(
            select(IdempotencyRecord).where(
                IdempotencyRecord.participant_id == participant_id, IdempotencyRecord.key == key
            )
        ).one_or_none()
    if record is None:  # the first request failed and released the key in between
        return _reserve(database, participant_id, key, fingerprint)
    if record.request_fingerprint != fingerprint:
        raise IdempotencyKeyReused("this Idempotency-Key was used with a different request", key=key)
    if record.state != "completed":
        raise IdempotencyRequestInProgress("a request with this Idempotency-Key is still running", key=key)
    return JSONResponse(
        record.response_body,
        status_code=record.response_status or 200,
        headers={"Idempotent-Replayed": "true"},
    )
