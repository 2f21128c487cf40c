"""Bounds on what a request may make the service read: its body, and what an error about it echoes.

A request body is at most `MAX_BODY_BYTES`: a larger declared `Content-Length` is refused with 413
`body_too_large` before a byte of the body is read, and a body sent without one (chunked) is counted
as it streams in and refused as soon as it passes the limit, so no request makes the service hold more
than the limit in memory. The largest body the API accepts (a voucher with 50 invoice references of
100 characters) is about 6 KB.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.api.asgi import call_catching, send_error
from service.errors import BodyTooLarge

MAX_BODY_BYTES = 64 * 1024
# A validation error reports at most this many problems, and echoes at most this much of any input.
MAX_REPORTED_ERRORS = 10
MAX_ECHOED_CHARACTERS = 64


class BodyLimitExceeded(HTTPException):
    """Raised from `receive` when the body passes the limit. An HTTPException, so that FastAPI's body
    parsing lets it through (it turns any other exception into a 400) to the handler of 413s."""

    def __init__(self) -> None:
        super().__init__(413, f"the request body exceeds {MAX_BODY_BYTES} bytes")


def body_too_large() -> BodyTooLarge:
    return BodyTooLarge(
        f"the request body exceeds {MAX_BODY_BYTES} bytes, the most the ledger reads",
        max_bytes=MAX_BODY_BYTES,
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
        declared = _declared_length(scope)
        if declared is not None and declared > self.max_bytes:
            await send_error(send, 413, body_too_large().to_body(), close=True)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyLimitExceeded()
            return message

        if await call_catching(self.app, scope, counted, send, BodyLimitExceeded) is not None:
            await send_error(send, 413, body_too_large().to_body(), close=True)


def echo(value: object) -> str:
    """At most `MAX_ECHOED_CHARACTERS` of a value a client sent, for an error message."""
    text = str(value)
    if len(text) <= MAX_ECHOED_CHARACTERS:
        return text
    return text[:MAX_ECHOED_CHARACTERS] + f"... ({len(text)} characters)"
