"""A thin JSON-RPC client: one kept-alive HTTP connection per thread, raw revert data on failure.

web3.py's HTTPProvider costs 1-2 ms a call here, and even httpx spends most of a local call in its
own layers, against about 0.2 ms for a plain kept-alive `http.client` connection
(../shared/TOOLCHAIN.md). A transfer makes several calls, so they go through this (signing and
EIP-712 hashing are in `transactions` and `forwarder`, on libsecp256k1 directly).
"""

from __future__ import annotations

import http.client
import itertools
import json
import threading
from typing import Any
from urllib.parse import urlsplit

from service.errors import ChainUnavailable


class RpcTimeout(Exception):
    """A call given its own time limit (`request(..., timeout_seconds=)`) was not answered within it."""


class RevertError(Exception):
    """A call or transaction reverted; `data` holds the ABI-encoded revert reason."""

    def __init__(self, data: bytes, message: str) -> None:
        super().__init__(message)
        self.data = data


class JsonRpc:
    def __init__(self, url: str, timeout_seconds: float = 30.0) -> None:
        self.url = url
        parts = urlsplit(url)
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port or (443 if parts.scheme == "https" else 80)
        self._https = parts.scheme == "https"
        self._path = parts.path or "/"
        self._timeout = timeout_seconds
        self._ids = itertools.count(1)
        self._local = threading.local()
        self._connections: list[http.client.HTTPConnection] = []
        self._guard = threading.Lock()

    def _connection(self) -> http.client.HTTPConnection:
        connection: http.client.HTTPConnection | None = getattr(self._local, "connection", None)
        if connection is None:
            factory = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
            connection = factory(self._host, self._port, timeout=self._timeout)
            self._local.connection = connection
            with self._guard:
                self._connections.append(connection)
        return connection

    def _post(self, payload: Any, timeout_seconds: float | None = None) -> Any:
        body = json.dumps(payload).encode()
        headers = {"Content-Type": "application/json", "Connection": "keep-alive"}
        for attempt in (1, 2):
            connection = self._connection()
            try:
                if timeout_seconds is not None:
                    _set_timeout(connection, timeout_seconds)
                connection.request("POST", self._path, body, headers)
                response = connection.getresponse()
                data = response.read()
                if timeout_seconds is not None:
                    _set_timeout(connection, self._timeout)
            except (OSError, http.client.HTTPException) as error:
                # A late answer could no longer be told from the next call's: the connection goes.
                connection.close()
                self._local.connection = None
                if timeout_seconds is not None and isinstance(error, TimeoutError):
                    raise RpcTimeout(f"{self.url} did not answer within {timeout_seconds:.2f}s") from error
                # A kept-alive connection the node closed fails once; a node that is gone fails twice.
                if attempt == 2:
                    raise ChainUnavailable(f"chain node at {self.url} is unreachable: {error}") from error
                continue
            if response.status >= 500 and not data:
                raise ChainUnavailable(f"chain node at {self.url} answered HTTP {response.status}")
            return json.loads(data)
        raise AssertionError("unreachable")

    def close(self) -> None:
        with self._guard:
            for connection in self._connections:
                connection.close()
            self._connections.clear()

    def request(
        self, method: str, params: list[Any] | None = None, timeout_seconds: float | None = None
    ) -> Any:
        """With `timeout_seconds`, raises `RpcTimeout` (and never re-sends) when unanswered within it."""
        payload = {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": params or []}
        body = self._post(payload, timeout_seconds)
        if "error" in body:
            raise _to_exception(body["error"], method)
        return body["result"]

    def batch(self, calls: list[tuple[str, list[Any]]]) -> list[Any]:
        """Sends several requests in one round trip; results come back in call order."""
        ids = [next(self._ids) for _ in calls]
        payload = [
            {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}
            for request_id, (method, params) in zip(ids, calls, strict=True)
        ]
        by_id = {item["id"]: item for item in self._post(payload)}
        results = []
        for request_id, (method, _params) in zip(ids, calls, strict=True):
            item = by_id[request_id]
            if "error" in item:
                raise _to_exception(item["error"], method)
            results.append(item["result"])
        return results


def _set_timeout(connection: http.client.HTTPConnection, timeout_seconds: float) -> None:
    connection.timeout = timeout_seconds  # for a connection still to be opened
    if connection.sock is not None:
        connection.sock.settimeout(timeout_seconds)


def _to_exception(error: dict[str, Any], method: str) -> Exception:
    data = error.get("data")
    if isinstance(data, dict):
        data = data.get("data")
    if isinstance(data, str) and data.startswith("0x"):
        return RevertError(bytes.fromhex(data[2:]), error.get("message", "execution reverted"))
    message = str(error.get("message", error))
    if "revert" in message.lower():
        return RevertError(b"", message)
    return RuntimeError(f"{method} failed: {message}")
