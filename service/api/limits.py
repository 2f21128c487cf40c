"""Bounds on what a request may make the service read: its body, and what an error about it echoes.

A request body is at most `MAX_BODY_BYTES`: a larger declared `Content-Length` is refused with 413
`body_too_large` before a byte of the body is read, and a body sent without one (chunked) is counted
as it streams in and refused as soon as it passes the limit, so no request makes the service hold more
than the limit in memory. The largest body the API accepts (a voucher with 50 invoice references of
100 characters) is about 6 KB. A body nested deeper than `MAX_JSON_DEPTH` arrays and objects is
refused with 400 `malformed_request` before anything parses it: how deep a parser may recurse is the
interpreter's setting, not the API's (no body the API accepts is nested more than three deep).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.api.asgi import send_error
from service.errors import BodyTooLarge, MalformedRequest

MAX_BODY_BYTES = 64 * 1024
# Routes that take more: a bulk transfer of 1,000 items is about 130 KB.
LARGE_BODY_BYTES = {"/v1/transfer-batches": 256 * 1024}
MAX_JSON_DEPTH = 32
# A validation error reports at most this many problems, and echoes at most this much of any input.
MAX_REPORTED_ERRORS = 10
MAX_ECHOED_CHARACTERS = 64


def body_too_large(max_bytes: int = MAX_BODY_BYTES) -> BodyTooLarge:
    return BodyTooLarge(
        f"the request body exceeds {max_bytes} bytes, the most the ledger reads", max_bytes=max_bytes
    )


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name.lower() == b"content-length":
            return int(value) if value.isdigit() else None
    return None


class BodySizeLimit:
    """ASGI middleware: outside everything that reads a body (the idempotency middleware does)."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = LARGE_BODY_BYTES.get(scope["path"], self.max_bytes)
        declared = _declared_length(scope)
        if declared is not None and declared > limit:
            await send_error(send, 413, body_too_large(limit).to_body(), close=True)
            return
        body = await _read_within(receive, limit)
        if body is None:
            await send_error(send, 413, body_too_large(limit).to_body(), close=True)
            return
        if exceeds_depth(body, MAX_JSON_DEPTH):
            refusal = MalformedRequest(f"the request body is nested deeper than {MAX_JSON_DEPTH} levels")
            await send_error(send, refusal.status_code, refusal.to_body())
            return
        await self.app(scope, replay(body, receive), send)


async def _read_within(receive: Receive, max_bytes: int) -> bytes | None:
    """The whole body as it streams in, or None as soon as it passes `max_bytes` (the rest unread)."""
    chunks: list[bytes] = []
    received = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":  # the client went away: the app will hear it too
            return b"".join(chunks)
        chunk = message.get("body", b"")
        received += len(chunk)
        if received > max_bytes:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


def replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands the app the body already read, then passes on what the server sends."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


def exceeds_depth(body: bytes, max_depth: int) -> bool:
    """Whether JSON text nests arrays and objects deeper than `max_depth` (brackets inside strings do not
    count). Only a body with that many opening brackets at all is scanned."""
    if body.count(b"[") + body.count(b"{") <= max_depth:
        return False
    depth, in_string, escaped = 0, False, False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > max_depth:
                return True
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return False


def echo(value: object) -> str:
    """At most `MAX_ECHOED_CHARACTERS` of a value a client sent, for an error message."""
    text = str(value)
    if len(text) <= MAX_ECHOED_CHARACTERS:
        return text
    return text[:MAX_ECHOED_CHARACTERS] + f"... ({len(text)} characters)"
