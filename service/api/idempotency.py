"""`Idempotency-Key` on every POST: the same key and body replay the first response; another body gets 409.

Done once, as ASGI middleware, so no endpoint can forget it. The key is reserved (per participant)
in its own committed transaction before the request runs, and a lock of the key
(`service.locks.RequestLocks`, shared by the worker processes) is held while it runs, so of
concurrent requests with one key exactly one does the work; the others get 409 while it runs, and
the stored response afterwards. A request refused with a 4xx releases its key: nothing
happened, so a corrected retry with the same key may run. A request that ends in a 5xx (or whose
process dies) may or may not have reached the chain: its key is kept, and the next retry first
settles what it did from the journal (`service.recovery`), then replays or runs it.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from anyio import to_thread
from sqlalchemy import Delete, Update, bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.api.auth import CALLER_STATE_KEY, Caller, resolve_caller
from service.api.limits import replay
from service.db.models import IdempotencyRecord
from service.db.session import Database
from service.errors import IdempotencyKeyReused, IdempotencyRequestInProgress, InvalidRequest, LedgerError
from service.participants.schemas import withhold_api_key
from service.recovery import settle_request
from service.submission import current_request_key, request_key_of

MAX_KEY_LENGTH = 200


def compute_fingerprint(method: str, path: str, query: str, body: bytes) -> str:
    """A JSON body is compared by its content (any key order or spacing), anything else by its text: a
    body that is not JSON, or nested deeper than the JSON parser goes (it raised RecursionError, a 500)."""
    try:
        return _digest(method, path, query, json.loads(body) if body else None)
    except (ValueError, RecursionError):
        return _digest(method, path, query, body.decode(errors="replace"))


def _digest(method: str, path: str, query: str, body: Any) -> str:
    canonical = json.dumps({"method": method, "path": path, "query": query, "body": body}, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


async def _caller_of(scope: Scope, database: Database, authorization: str) -> Caller | None:
    scheme, _, secret = authorization.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return None
    return await resolve_caller(scope["app"].state.api_keys, database, secret.strip())


# Every keyed request runs these two writes, so they are Core statements built once, not ORM units of work.
_OF_KEY = (IdempotencyRecord.participant_id == bindparam("participant")) & (
    IdempotencyRecord.key == bindparam("idempotency_key")
)
_RESERVE = insert(IdempotencyRecord).values(
    participant_id=bindparam("participant"),
    key=bindparam("idempotency_key"),
    request_fingerprint=bindparam("fingerprint"),
    state="in_progress",
)
_FORGET = delete(IdempotencyRecord).where(_OF_KEY)
_COMPLETE = (
    update(IdempotencyRecord)
    .where(_OF_KEY)
    .values(state="completed", response_status=bindparam("status"), response_body=bindparam("body"))
)
_MARK_UNKNOWN = update(IdempotencyRecord).where(_OF_KEY).values(state="unknown")


def _reserve(database: Database, participant_id: int, key: str, fingerprint: str) -> IdempotencyRecord | None:
    """Reserves the key; returns the earlier record instead if the key is taken."""
    parameters = {"participant": participant_id, "idempotency_key": key, "fingerprint": fingerprint}
    while True:
        try:
            with database.connection_transaction() as connection:
                connection.execute(_RESERVE, parameters)
            return None
        except IntegrityError:
            pass
        record = _fetch_record(database, participant_id, key)
        if record is not None:
            return record
        # the first request failed and released the key in between: try to reserve it again


def _fetch_record(database: Database, participant_id: int, key: str) -> IdempotencyRecord | None:
    with database.sessions() as session:
        return session.scalars(
            select(IdempotencyRecord).where(_OF_KEY), {"participant": participant_id, "idempotency_key": key}
        ).one_or_none()


def _refusal_while_running(
    database: Database, participant_id: int, key: str, fingerprint: str
) -> LedgerError:
    """Why a request whose key another request is running cannot run: another body, or just not yet.

    The running request takes the key's lock before it reserves the key, so for a moment there may be
    no reservation to compare with: that is "in progress" too.
    """
    running = _fetch_record(database, participant_id, key)
    if running is not None and running.request_fingerprint != fingerprint:
        return IdempotencyKeyReused("this Idempotency-Key was used with a different request")
    return IdempotencyRequestInProgress("a request with this Idempotency-Key is still running")


def _finish(database: Database, participant_id: int, key: str, status: int | None, body: Any) -> None:
    """Stores a 2xx answer; forgets a 4xx (nothing happened); marks a 5xx or a crash as unknown."""
    parameters: dict[str, Any] = {"participant": participant_id, "idempotency_key": key}
    statement: Delete | Update
    if status is not None and 400 <= status < 500:
        statement = _FORGET
    elif status is None or status >= 500:
        statement = _MARK_UNKNOWN
    else:
        statement = _COMPLETE
        parameters.update(status=status, body=body)
    with database.connection_transaction() as connection:
        connection.execute(statement, parameters)


async def _send_json(
    send: Send, status: int, body: Any, extra_headers: tuple[tuple[bytes, bytes], ...] = ()
) -> None:
    payload = json.dumps(body).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
        *extra_headers,
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


async def _send_error(send: Send, error: LedgerError) -> None:
    await _send_json(send, error.status_code, error.to_body())


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers = {name.lower(): value for name, value in scope["headers"]}
        raw_key = headers.get(b"idempotency-key")
        if raw_key is None:
            await self.app(scope, receive, send)
            return
        key = raw_key.decode(errors="replace")
        if not key or len(key) > MAX_KEY_LENGTH:
            await _send_error(
                send, InvalidRequest(f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters")
            )
            return
        body = await _read_body(receive)
        database: Database = scope["app"].state.runtime.database
        caller = await _caller_of(
            scope, database, headers.get(b"authorization", b"").decode(errors="replace")
        )
        if caller is None:  # unauthenticated: the endpoint answers 401 anyway
            await self.app(scope, replay(body, receive), send)
            return
        # The endpoint's authentication reuses this lookup instead of repeating it.
        scope.setdefault("state", {})[CALLER_STATE_KEY] = caller
        participant_id = caller.participant_id
        fingerprint = compute_fingerprint(
            "POST", scope["path"], scope.get("query_string", b"").decode(), body
        )
        request_key = request_key_of(participant_id, key)
        runtime = scope["app"].state.runtime
        captured: list[Message] = []
        # The key's lock is taken before the reservation and held until the answer is stored, by
        # whichever worker process runs the request: a reservation whose lock is free lost its request.
        with runtime.locks.requests.running(request_key) as ours:
            if not ours:
                refusal = await to_thread.run_sync(
                    _refusal_while_running, database, participant_id, key, fingerprint
                )
                await _send_error(send, refusal)
                return
            while (
                earlier := await to_thread.run_sync(_reserve, database, participant_id, key, fingerprint)
            ) is not None:
                if earlier.request_fingerprint != fingerprint:
                    await _send_error(
                        send, IdempotencyKeyReused("this Idempotency-Key was used with a different request")
                    )
                    return
                if earlier.state == "completed":
                    replayed = ((b"idempotent-replayed", b"true"),)
                    await _send_json(send, earlier.response_status or 200, earlier.response_body, replayed)
                    return
                # Its request died (crash, or an answer that never came): settle what it did, look again.
                try:
                    await to_thread.run_sync(settle_request, runtime, earlier.id, participant_id, key)
                except LedgerError as error:  # e.g. the node is away: the outcome stays unknown for now
                    await _send_error(send, error)
                    return

            async def capture(message: Message) -> None:
                captured.append(message)

            token = current_request_key.set(request_key)
            try:
                await self.app(scope, replay(body, receive), capture)
            except BaseException:
                await to_thread.run_sync(_finish, database, participant_id, key, None, None)
                raise
            finally:
                current_request_key.reset(token)
            status = next(int(m["status"]) for m in captured if m["type"] == "http.response.start")
            response_body = b"".join(
                m.get("body", b"") for m in captured if m["type"] == "http.response.body"
            )
            # Kept without secrets shown once (a new participant's API key): a replay says it is not repeated.
            stored = withhold_api_key(json.loads(response_body)) if status < 400 and response_body else None
            await to_thread.run_sync(_finish, database, participant_id, key, status, stored)
        for message in captured:
            await send(message)


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)
