"""The API's edge over real HTTP connections (uvicorn on a free port): bodies it will not read whole."""

from __future__ import annotations

import json
import select
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from service.api.limits import MAX_BODY_BYTES
from service.ledger import service as ledger_service
from service.runtime import Runtime
from tests.conftest import SeedLedger, free_port
from tests.test_edge_sweep import nothing_changes
from tests.test_service_process import _Server

pytestmark = pytest.mark.integration
FIFTY_MB = 50 * 1024 * 1024


@pytest.fixture
def server(runtime: Runtime) -> Iterator[_Server]:
    with _Server(runtime, free_port()) as started:
        yield started


def _connect(server: _Server) -> socket.socket:
    host, port = server.url.removeprefix("http://").split(":")
    connection = socket.create_connection((host, int(port)), timeout=10)
    return connection


def _read_response(connection: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.1 response with a Content-Length from the socket (what uvicorn sends for JSON)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        assert chunk, f"connection closed before a response: {data!r}"
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode().split("\r\n")
    fields = (line.partition(":") for line in header_lines)
    headers = {name.lower(): value.strip() for name, _, value in fields}
    length = int(headers["content-length"])
    while len(rest) < length:
        chunk = connection.recv(65536)
        assert chunk, "connection closed mid-body"
        rest += chunk
    return int(status_line.split()[1]), headers, rest[:length]


def _request_head(method: str, path: str, headers: dict[str, str]) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: cascade", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _error(body: bytes) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(body)
    assert isinstance(parsed["code"], str) and parsed["message"]
    return parsed


@pytest.mark.parametrize("authorised", [True, False])
def test_a_declared_oversized_body_is_refused_before_it_is_sent(
    seed: SeedLedger, runtime: Runtime, server: _Server, authorised: bool
) -> None:
    """50 MB announced, not one byte of it sent: the answer is 413 at once (it was read whole before)."""
    headers = {"Content-Type": "application/json", "Content-Length": str(FIFTY_MB)}
    if authorised:
        headers["Authorization"] = f"Bearer {seed.admin.key}"
    with nothing_changes(runtime), _connect(server) as connection:
        connection.sendall(_request_head("POST", "/v1/participants", headers))
        status, response_headers, body = _read_response(connection)
        assert status == 413 and _error(body)["code"] == "body_too_large"
        assert response_headers.get("connection") == "close"
        assert _error(body)["details"]["max_bytes"] == MAX_BODY_BYTES


@pytest.mark.parametrize("keyed", [True, False])
def test_a_streamed_body_is_refused_once_it_passes_the_limit(
    seed: SeedLedger, runtime: Runtime, server: _Server, keyed: bool
) -> None:
    """Chunked, without a length: the service counts what arrives and answers 413 when it passes the
    limit, long before the client has sent 50 MB (with an Idempotency-Key, whose middleware reads the
    body first, too)."""
    headers = {
        "Content-Type": "application/json",
        "Transfer-Encoding": "chunked",
        "Authorization": f"Bearer {seed.admin.key}",
    }
    if keyed:
        headers["Idempotency-Key"] = "streamed"
    chunk = b"[" + b" " * 16382 + b"]"
    framed = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    sent = 0
    with nothing_changes(runtime), _connect(server) as connection:
        connection.sendall(_request_head("POST", "/v1/participants", headers))
        while sent < FIFTY_MB:
            readable, _, _ = select.select([connection], [], [], 0)
            if readable:
                break
            try:
                connection.sendall(framed)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(chunk)
        status, _headers, body = _read_response(connection)
    assert status == 413 and _error(body)["code"] == "body_too_large"
    # What the kernels' socket buffers on both sides take in (a few MB on loopback) is all the client
    # could send: the service read a little more than the limit and answered.
    assert sent < FIFTY_MB // 4, f"the client could send {sent} bytes before the service refused"


def test_a_connection_stays_usable_after_an_unexpected_error(
    seed: SeedLedger, server: _Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug's 500 carries a code, and the client's kept-alive connection serves its next request (the
    server closed it after every 500, so the next request failed too)."""

    def broken(_runtime: Runtime) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(ledger_service, "read_health", broken)
    with _connect(server) as connection:
        connection.sendall(_request_head("GET", "/v1/health", {}))
        status, headers, body = _read_response(connection)
        assert status == 500 and _error(body)["code"] == "internal_error"
        assert headers.get("connection") != "close"
        auth = {"Authorization": f"Bearer {seed.t1.key}"}
        connection.sendall(_request_head("GET", "/v1/participants/me", auth))
        status, _headers, body = _read_response(connection)
        assert status == 200 and json.loads(body)["name"] == "T1"
