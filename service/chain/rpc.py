"""A thin JSON-RPC client over one kept-alive HTTP connection pool.

web3.py's HTTPProvider costs 1-2 ms a call here against about 0.2 ms for a plain kept-alive client
(../shared/TOOLCHAIN.md), and we need the raw revert data of failed calls, so reads and sends go
through this; web3.py and eth-account still do the signing and typed-data hashing.
"""

from __future__ import annotations

import itertools
import threading
from typing import Any

import httpx

from service.errors import ChainUnavailable


class RevertError(Exception):
    """A call or transaction reverted; `data` holds the ABI-encoded revert reason."""

    def __init__(self, data: bytes, message: str) -> None:
        super().__init__(message)
        self.data = data


class JsonRpc:
    def __init__(self, url: str, timeout_seconds: float = 30.0) -> None:
        self.url = url
        self._client = httpx.Client(
            timeout=timeout_seconds, limits=httpx.Limits(max_keepalive_connections=32)
        )
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def close(self) -> None:
        self._client.close()

    def request(self, method: str, params: list[Any] | None = None) -> Any:
        with self._lock:
            request_id = next(self._ids)
        payload = {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params or []}
        try:
            response = self._client.post(self.url, json=payload)
        except httpx.HTTPError as error:
            raise ChainUnavailable(f"chain node at {self.url} is unreachable: {error}") from error
        body = response.json()
        if "error" in body:
            raise _to_exception(body["error"], method)
        return body["result"]

    def batch(self, calls: list[tuple[str, list[Any]]]) -> list[Any]:
        """Sends several requests in one round trip; results come back in call order."""
        with self._lock:
            ids = [next(self._ids) for _ in calls]
        payload = [
            {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}
            for request_id, (method, params) in zip(ids, calls, strict=True)
        ]
        try:
            response = self._client.post(self.url, json=payload)
        except httpx.HTTPError as error:
            raise ChainUnavailable(f"chain node at {self.url} is unreachable: {error}") from error
        by_id = {item["id"]: item for item in response.json()}
        results = []
        for request_id, (method, _params) in zip(ids, calls, strict=True):
            item = by_id[request_id]
            if "error" in item:
                raise _to_exception(item["error"], method)
            results.append(item["result"])
        return results


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
