"""`Idempotency-Key` on every POST: the same key and body replay the first answer; another body gets 409.

Done once, as ASGI middleware, so no endpoint can forget it. The key is recorded by the request itself,
in the same write transaction as its operations (`service.api.submit`), so a request exists with all
it asked for or not at all, and no lock is held anywhere:

- no record: the request runs (a request refused before it wrote anything leaves no record, so a
  corrected retry with the same key runs);
- a record with its answer: the answer is replayed (header `Idempotent-Replayed: true`);
- a record still pending: its operations are looked up; once the chain has decided them the answer is
  rebuilt, stored and replayed (its first process died before answering), else 409
  `idempotency_request_in_progress`;
- a request whose operations all failed to take effect (refused, failed on chain, expired) changed
  nothing: its key is released like that of a request refused before it recorded anything.

A request that answered 5xx keeps its record pending: its operations may still run, and a retry learns
how they ended. Answers are stored without the fields shown only once (a new participant's API key).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from anyio import to_thread
from sqlalchemy import bindparam, select, update
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.api.answers import PENDING, answer_pending_request, nothing_happened, release_key, storable
from service.api.auth import CALLER_STATE_KEY, Caller, resolve_caller
from service.api.limits import replay
from service.api.submit import RequestContext, current_request
from service.db.models import IdempotencyRecord
from service.db.session import Database
from service.errors import IdempotencyKeyReused, IdempotencyRequestInProgress, InvalidRequest, LedgerError
from service.runtime import Runtime
from service.writer.outbox import fetch_operations_of_request

MAX_KEY_LENGTH = 200
REPLAYED_HEADER = (b"idempotent-replayed", b"true")


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


_OF_KEY = (IdempotencyRecord.participant_id == bindparam("participant")) & (
    IdempotencyRecord.key == bindparam("idempotency_key")
)
_RECORD = select(IdempotencyRecord.__table__).where(_OF_KEY)
_COMPLETE = (
    update(IdempotencyRecord)
    .where(_OF_KEY, IdempotencyRecord.state == "pending")
    .values(state="completed", response_status=bindparam("status"), response_body=bindparam("body"))
)


def _earlier_answer(runtime: Runtime, context: RequestContext) -> tuple[int, Any] | LedgerError | None:
    """What an earlier request with this key decides for this one: its answer, a refusal, or None (no
    earlier request: run this one)."""
    parameters = {"participant": context.participant_id, "idempotency_key": context.key}
    with runtime.database.engine.connect() as connection:
        record = connection.execute(_RECORD, parameters).one_or_none()
    if record is None:
        return None
    if record.request_fingerprint != context.fingerprint:
        return IdempotencyKeyReused("this Idempotency-Key was used with a different request")
    if record.state == "completed":
        return record.response_status or 200, record.response_body
    answer = answer_pending_request(runtime, context.participant_id, context.key, context.request_key)
    if answer is PENDING:
        return IdempotencyRequestInProgress("a request with this Idempotency-Key is still being carried out")
    return answer  # type: ignore[return-value]


def _store_answer(runtime: Runtime, context: RequestContext, status: int, body: Any) -> None:
    """Keeps a request's answer; a refusal that changed nothing releases the key instead (a corrected
    retry with the same key runs)."""
    if 400 <= status < 500:
        with runtime.database.engine.connect() as connection:
            operations = fetch_operations_of_request(connection, context.request_key)
        if nothing_happened(operations):
            release_key(runtime, context.participant_id, context.key, context.request_key)
            return
    with runtime.database.connection_transaction() as connection:
        connection.execute(
            _COMPLETE,
            {
                "participant": context.participant_id,
                "idempotency_key": context.key,
                "status": status,
                "body": storable(body),
            },
        )


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
        if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
            error = InvalidRequest(f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} printable characters")
            await _send_json(send, error.status_code, error.to_body())
            return
        body = await _read_body(receive)
        runtime: Runtime = scope["app"].state.runtime
        caller = await _caller_of(
            scope, runtime.database, headers.get(b"authorization", b"").decode(errors="replace")
        )
        if caller is None:  # unauthenticated: the endpoint answers 401 anyway
            await self.app(scope, replay(body, receive), send)
            return
        # The endpoint's authentication reuses this lookup instead of repeating it.
        scope.setdefault("state", {})[CALLER_STATE_KEY] = caller
        context = RequestContext(
            caller.participant_id,
            key,
            compute_fingerprint("POST", scope["path"], scope.get("query_string", b"").decode(), body),
        )
        try:
            earlier = await to_thread.run_sync(_earlier_answer, runtime, context)
        except LedgerError as error:  # e.g. the chain is away while rebuilding an answer
            await _send_json(send, error.status_code, error.to_body())
            return
        if isinstance(earlier, LedgerError):
            await _send_json(send, earlier.status_code, earlier.to_body())
            return
        if earlier is not None:
            await _send_json(send, earlier[0], earlier[1], (REPLAYED_HEADER,))
            return
        await self._run(scope, body, receive, send, runtime, context)

    async def _run(
        self,
        scope: Scope,
        body: bytes,
        receive: Receive,
        send: Send,
        runtime: Runtime,
        context: RequestContext,
    ) -> None:
        captured: list[Message] = []

        async def capture(message: Message) -> None:
            captured.append(message)

        token = current_request.set(context)
        try:
            await self.app(scope, replay(body, receive), capture)
        finally:
            current_request.reset(token)
        status = next(int(m["status"]) for m in captured if m["type"] == "http.response.start")
        if context.created and status < 500:
            raw = b"".join(m.get("body", b"") for m in captured if m["type"] == "http.response.body")
            try:
                answer = json.loads(raw) if raw else None
            except ValueError:
                answer = raw.decode(errors="replace")
            await to_thread.run_sync(_store_answer, runtime, context, status, answer)
        for message in captured:
            await send(message)


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)
