"""The FastAPI application: routers, one error handler, and the runtime's lifecycle."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from service import composition
from service.api.asgi import call_catching, send_error
from service.api.auth import ApiKeyCache
from service.api.common import ErrorBody
from service.api.idempotency import MAX_KEY_LENGTH, IdempotencyMiddleware
from service.api.limits import MAX_BODY_BYTES, MAX_REPORTED_ERRORS, BodySizeLimit, body_too_large, echo
from service.api.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from service.api.reverts import in_request_terms
from service.errors import (
    BodyTooLarge,
    HttpError,
    InternalError,
    InvalidAmount,
    InvalidRequest,
    LedgerError,
    MalformedRequest,
    MethodNotAllowed,
    NotFound,
)
from service.runtime import Runtime, start_runtime
from service.settings import Settings
from service.workers import tune_garbage_collector

logger = logging.getLogger(__name__)

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {
        "model": ErrorBody,
        "description": description,
        "content": {"application/json": {"example": {"code": code, "message": "..."}}},
    }
    for status, description, code in (
        (400, "Malformed request", "malformed_request"),
        (401, "Missing or invalid API key", "unauthenticated"),
        (403, "Not allowed for this key", "forbidden"),
        (404, "Unknown resource", "note_not_found"),
        (409, "Conflicts with the ledger's state", "idempotency_key_reused"),
        (413, "Request body too large", "body_too_large"),
        (422, "Invalid input", "amount_not_unit_multiple"),
        (423, "Ledger paused", "ledger_paused"),
        (500, "Unexpected error (a bug); the connection stays usable", "internal_error"),
        (503, "The chain cannot be reached, or the outcome is not decided yet", "operation_pending"),
    )
}

API_DESCRIPTION = f"""
Amounts are decimal strings in major units (ASCII digits, optionally `.` and at most the currency's
decimals); ids and rates are JSON integers; dates are `YYYY-MM-DD`; times ISO-8601 in UTC.

Limits: a request body is at most {MAX_BODY_BYTES} bytes (413 `body_too_large`, before the body is
read); every string and list has a maximum length (see each schema); a validation error lists at
most {MAX_REPORTED_ERRORS} problems. Every listing is paginated: `limit` (1 to {MAX_PAGE_SIZE},
default {DEFAULT_PAGE_SIZE}) and `cursor` (the previous page's `next_cursor`, null on the last page),
in a stable order (by id, token id, or chain order).

Every error is JSON with a machine-readable `code` and a `message` (codes: docs/errors.md).
"""

IDEMPOTENCY_KEY_PARAMETER: dict[str, Any] = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "The same key with the same body replays the first answer; with another body: 409.",
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
}


async def _ledger_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, LedgerError)
    answered = await in_request_terms(request, error)  # a revert: in the request's currency and parties
    return JSONResponse(answered.to_body(), status_code=answered.status_code)


def _problem(item: Any) -> dict[str, Any]:
    """One validation problem, echoing at most a few characters of what the client sent."""
    location = [part if isinstance(part, int) else echo(part) for part in item.get("loc", ())]
    return {"location": location, "message": echo(item.get("msg", "")), "type": str(item.get("type", ""))}


def _not_a_json_object(item: Any) -> bool:
    """The body is not a JSON object: not JSON at all, not sent as application/json (FastAPI then hands
    the model the raw bytes), or another JSON value (an array, a string); a missing body is not this."""
    if item.get("type") == "json_invalid":
        return True
    return tuple(item.get("loc", ())) == ("body",) and item.get("type") != "missing"


def _validation_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    found = error.errors()
    problems = [_problem(item) for item in found[:MAX_REPORTED_ERRORS]]
    counted = {"errors": problems, "error_count": len(found)}
    if any(_not_a_json_object(item) for item in found):
        malformed = MalformedRequest(
            "the request body is not a JSON object (sent as application/json)", **counted
        )
        return JSONResponse(malformed.to_body(), status_code=malformed.status_code)
    first = problems[0] if problems else {"location": [], "message": "invalid request", "type": ""}
    where = ".".join(str(part) for part in first["location"] if part != "body")
    message = f"{where}: {first['message']}" if where else str(first["message"])
    # An amount spelt wrongly is the same error whether the schema or the ledger's parser finds it.
    kind = InvalidAmount if first["type"] == InvalidAmount.code else InvalidRequest
    return JSONResponse(kind(message, **counted).to_body(), status_code=kind.status_code)


# What an HTTP-level refusal (routing, body parsing) is in the ledger's tree.
HTTP_ERRORS: dict[int, type[LedgerError]] = {
    400: MalformedRequest,  # FastAPI could not parse the body (e.g. it is not UTF-8)
    404: NotFound,
    405: MethodNotAllowed,
    413: BodyTooLarge,
}


def _http_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    if error.status_code == 413:
        return JSONResponse(body_too_large().to_body(), status_code=413, headers={"connection": "close"})
    answer = HTTP_ERRORS.get(error.status_code, HttpError)(str(error.detail))
    return JSONResponse(
        answer.to_body(), status_code=error.status_code, headers=getattr(error, "headers", None)
    )


class AnswerUnexpectedErrors:
    """ASGI middleware, outside every other of ours: an exception nothing else handled is logged and
    answered 500 `internal_error`, and goes no further. Starlette's own last-resort middleware answers
    too but then raises the exception again, and uvicorn closes the connection when it sees one, so a
    client's kept-alive connection failed on its next request as well."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        error = await call_catching(self.app, scope, receive, send, Exception)
        if error is not None:
            logger.exception("unhandled error", exc_info=error)
            answer = InternalError("the ledger hit an unexpected error")
            await send_error(send, answer.status_code, answer.to_body())


def _restore_integer_bounds(node: Any) -> None:
    """FastAPI writes every bound as a float; an integer's bounds are integers (2**63, not 9.2e+18)."""
    if isinstance(node, dict):
        if node.get("type") == "integer":
            for keyword in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
                if isinstance(node.get(keyword), float):
                    node[keyword] = int(node[keyword])
        for child in node.values():
            _restore_integer_bounds(child)
    elif isinstance(node, list):
        for child in node:
            _restore_integer_bounds(child)


def _complete_openapi(app: FastAPI) -> None:
    """Adds what FastAPI cannot see: the `Idempotency-Key` header the middleware reads on every POST."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = generate()
        for operations in schema["paths"].values():
            if "post" in operations:
                operations["post"].setdefault("parameters", []).append(IDEMPOTENCY_KEY_PARAMETER)
        _restore_integer_bounds(schema)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def create_app(runtime: Runtime | None = None, settings: Settings | None = None) -> FastAPI:
    """With a runtime the caller owns it (tests); without one the app starts and stops its own: an API
    process, stateless, that hands writes to the chain writer through the outbox."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if runtime is not None:
            app.state.runtime = runtime
            yield
            return
        owned = start_runtime(settings or Settings())
        app.state.runtime = owned
        tune_garbage_collector()
        try:
            yield
        finally:
            owned.close()

    app = FastAPI(
        title="Cascade",
        version="1.0.0",
        summary="Tokenised receivables: issue, split and transfer e-debt vouchers as ERC-3525 notes.",
        description=API_DESCRIPTION,
        lifespan=lifespan,
        responses=ERROR_RESPONSES,
    )
    if runtime is not None:
        app.state.runtime = runtime
    app.state.api_keys = ApiKeyCache()
    app.add_exception_handler(LedgerError, _ledger_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    composition.register_answers()
    for router in composition.routers():
        app.include_router(router)
    app.add_middleware(IdempotencyMiddleware)
    app.add_middleware(BodySizeLimit)  # outside: the idempotency middleware reads the body
    app.add_middleware(AnswerUnexpectedErrors)
    _complete_openapi(app)
    return app
