"""Small ASGI helpers the middleware share: answering with a JSON error, and running the app so that a
middleware can still answer for an exception it raised."""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send


async def send_error(send: Send, status: int, body: dict[str, Any], *, close: bool = False) -> None:
    """A JSON error answer; `close` asks the client to drop the connection (its unread body with it)."""
    payload = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


async def call_catching(
    app: ASGIApp, scope: Scope, receive: Receive, send: Send, caught: type[Exception]
) -> Exception | None:
    """Runs `app`; an exception of type `caught` is returned if no answer had started (the caller can
    still give one), and raised again if one had (the connection then has to go)."""
    started = False

    async def watched(message: Message) -> None:
        nonlocal started
        started = started or message["type"] == "http.response.start"
        await send(message)

    try:
        await app(scope, receive, watched)
    except caught as error:
        if started:
            raise
        return error
    return None
