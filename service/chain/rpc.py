"""A thin JSON-RPC client: one kept-alive HTTP connection per thread, failures typed by their error code.

web3.py's HTTPProvider costs 1-2 ms a call here, against about 0.2 ms for a plain kept-alive
`http.client` connection (../shared/TOOLCHAIN.md). The chain writer makes several calls per batch on
its hot path (simulations, sends, receipts, logs), so they go through this; deployment, reads and admin
work go through web3.py contract objects (`service.chain.contracts`).

Failures are typed by the JSON-RPC error code the node answers with, as web3.py types them, never by
the words of the message: a node's wording changes between versions and vendors, its codes do not
(EIP-1474, plus geth's code 3 for a revert carrying data). The codes alone cannot tell every refusal
apart (Anvil answers -32003 both for "nonce too low" and "already imported"), so nothing decides the
outcome of a transaction from an `RpcError`: the writer asks the chain (nonces, receipts, events).
"""

from __future__ import annotations

import http.client
import itertools
import json
import threading
from typing import Any, ClassVar
from urllib.parse import urlsplit

from service.errors import ChainUnavailable


class RpcTimeout(ChainUnavailable):
    """A call given its own time limit (`request(..., timeout_seconds=)`) was not answered within it."""


class RpcError(Exception):
    """The node answered a call with a JSON-RPC error object."""

    codes: ClassVar[frozenset[int]] = frozenset()

    def __init__(self, method: str, code: int, message: str, data: Any = None) -> None:
        super().__init__(f"{method} failed ({code}): {message}")
        self.method = method
        self.code = code
        self.message = message
        self.data = data


class RpcReverted(RpcError):
    """The call or transaction reverted; `revert_data` is the ABI-encoded reason (empty if none)."""

    codes = frozenset({3})

    @property
    def revert_data(self) -> bytes:
        data = self.data.get("data") if isinstance(self.data, dict) else self.data
        if isinstance(data, str) and data.startswith("0x"):
            try:
                return bytes.fromhex(data[2:])
            except ValueError:
                return b""
        return b""


class RpcRejected(RpcError):
    """A transaction the node refused to take (EIP-1474 -32003 "transaction rejected", -32000 "invalid
    input"): a nonce already used, a transaction it has, a fee too low, funds too short..."""

    codes = frozenset({-32003, -32000})


class RpcMethodNotFound(RpcError):
    """The node does not offer the method (-32601), or not to us (-32004): e.g. an `anvil_*` method on a
    permissioned network."""

    codes = frozenset({-32601, -32004})


class RpcInvalidParams(RpcError):
    codes = frozenset({-32602, -32600})


class RpcLimitExceeded(RpcError):
    """Too many requests, or a range too large (-32005)."""

    codes = frozenset({-32005})


class RpcInternalError(RpcError):
    """Anything else the node reports about itself (-32603 and unknown codes)."""


_BY_CODE: dict[int, type[RpcError]] = {
    code: kind
    for kind in (RpcReverted, RpcRejected, RpcMethodNotFound, RpcInvalidParams, RpcLimitExceeded)
    for code in kind.codes
}


def to_rpc_error(error: dict[str, Any], method: str) -> RpcError:
    """The typed error of a JSON-RPC error object: a revert whenever the node hands back revert data
    (geth and Anvil use code 3, Besu -32000 with data), else by code."""
    code = int(error.get("code", -32603))
    message = str(error.get("message", ""))
    data = error.get("data")
    nested = data.get("data") if isinstance(data, dict) else data
    if isinstance(nested, str) and nested.startswith("0x"):
        return RpcReverted(method, code, message, nested)
    return _BY_CODE.get(code, RpcInternalError)(method, code, message, data)


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
                if isinstance(error, TimeoutError):
                    limit = timeout_seconds if timeout_seconds is not None else self._timeout
                    raise RpcTimeout(f"{self.url} did not answer within {limit:.2f}s") from error
                # A kept-alive connection the node closed fails once; a node that is gone fails twice.
                if attempt == 2:
                    raise ChainUnavailable(f"chain node at {self.url} is unreachable: {error}") from error
                continue
            if response.status >= 400 and not data.strip().startswith((b"{", b"[")):
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
        if not isinstance(body, dict):
            raise ChainUnavailable(f"chain node at {self.url} answered {method} with no JSON-RPC object")
        if "error" in body:
            raise to_rpc_error(body["error"], method)
        return body.get("result")

    def batch(self, calls: list[tuple[str, list[Any]]]) -> list[Any]:
        """Sends several requests in one round trip; results come back in call order. The first error
        among them is raised (typed); `batch_outcomes` keeps every answer instead."""
        results = []
        for outcome in self.batch_outcomes(calls):
            if isinstance(outcome, RpcError):
                raise outcome
            results.append(outcome)
        return results

    def batch_outcomes(self, calls: list[tuple[str, list[Any]]]) -> list[Any]:
        """Like `batch`, but an answer that is an error comes back as its `RpcError` in its place."""
        if not calls:
            return []
        ids = [next(self._ids) for _ in calls]
        payload = [
            {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}
            for request_id, (method, params) in zip(ids, calls, strict=True)
        ]
        answer = self._post(payload)
        if not isinstance(answer, list):
            # A node that refuses batches (or the whole batch) answers with one error object.
            error = answer.get("error", {}) if isinstance(answer, dict) else {}
            raise to_rpc_error(error or {"code": -32603, "message": "batch refused"}, "batch")
        by_id = {item.get("id"): item for item in answer}
        outcomes: list[Any] = []
        for request_id, (method, _params) in zip(ids, calls, strict=True):
            item = by_id.get(request_id)
            if item is None:
                raise ChainUnavailable(f"chain node at {self.url} left {method} out of a batch answer")
            outcomes.append(to_rpc_error(item["error"], method) if "error" in item else item.get("result"))
        return outcomes


def _set_timeout(connection: http.client.HTTPConnection, timeout_seconds: float) -> None:
    connection.timeout = timeout_seconds  # for a connection still to be opened
    if connection.sock is not None:
        connection.sock.settimeout(timeout_seconds)
