"""Concurrent clients transferring small amounts from their own pieces through the REST API.

Each client speaks HTTP/1.1 over one kept-alive connection of its own, written directly on asyncio
streams: httpx spent about 2.5 ms of CPU per request here, on the same two cores as the service and
the chain, which is the load generator measuring itself. This client spends a tenth of that.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from benchmarks.common import percentile, rounded

WARM_UP_CONCURRENCY = 8


@dataclass(frozen=True)
class Client:
    key: str
    token_id: int


@dataclass
class LoadResult:
    clients: int
    attempted: int = 0
    confirmed: int = 0
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    error_examples: list[str] = field(default_factory=list)
    hit_time_bound: bool = False
    warm_up_statuses: Counter[str] = field(default_factory=Counter)
    warm_up_seconds: float = 0.0

    @property
    def tps(self) -> float:
        return self.confirmed / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> dict[str, Any]:
        return {
            "clients": self.clients,
            "tps": rounded(self.tps, 1),
            "p50_ms": rounded(percentile(self.latencies_ms, 0.50)),
            "p95_ms": rounded(percentile(self.latencies_ms, 0.95)),
            "p99_ms": rounded(percentile(self.latencies_ms, 0.99)),
            "confirmed": self.confirmed,
            "attempted": self.attempted,
            "errors": self.attempted - self.confirmed,
            "statuses": dict(self.statuses),
            "error_examples": self.error_examples[:5],
            "seconds": rounded(self.seconds, 2),
            "hit_time_bound": self.hit_time_bound,
            "warm_up": {"statuses": dict(self.warm_up_statuses), "seconds": rounded(self.warm_up_seconds, 2)},
        }


class HttpError(Exception):
    """The connection failed or the server answered something that is not HTTP/1.1 as expected."""


class KeptAliveConnection:
    """One HTTP/1.1 connection, one request at a time; reconnects after a failure."""

    def __init__(self, base_url: str, timeout_seconds: float) -> None:
        parts = urlsplit(base_url)
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port or 80
        self._timeout = timeout_seconds
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def request(
        self, method: str, path: str, headers: dict[str, str], body: Any = None
    ) -> tuple[int, bytes]:
        try:
            return await asyncio.wait_for(self._exchange(method, path, headers, body), self._timeout)
        except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError) as error:
            await self.close()
            raise HttpError(f"{type(error).__name__}: {error}") from error

    async def _exchange(
        self, method: str, path: str, headers: dict[str, str], body: Any
    ) -> tuple[int, bytes]:
        if self._streams is None:
            self._streams = await asyncio.open_connection(self._host, self._port)
        reader, writer = self._streams
        payload = json.dumps(body).encode() if body is not None else b""
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self._host}:{self._port}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        if body is not None:
            lines += ["Content-Type: application/json", f"Content-Length: {len(payload)}"]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + payload)
        status_line = await reader.readuntil(b"\r\n")
        status = int(status_line.split(b" ", 2)[1])
        length, close = 0, False
        while (line := await reader.readuntil(b"\r\n")) != b"\r\n":
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding":
                raise ValueError("chunked responses are not expected from this API")
            elif name == b"connection" and value.strip().lower() == b"close":
                close = True
        content = await reader.readexactly(length)
        if close:
            await self.close()
        return status, content

    async def close(self) -> None:
        if self._streams is not None:
            writer = self._streams[1]
            self._streams = None
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


async def _client_loop(
    connection: KeptAliveConnection,
    client: Client,
    recipient_id: int,
    amount: str,
    operations: int,
    deadline: float,
    result: LoadResult,
    idempotency_keys: bool,
) -> None:
    headers = {"Authorization": f"Bearer {client.key}"}
    body = {"to_participant_id": recipient_id, "amount": amount}
    for _ in range(operations):
        if time.monotonic() >= deadline:
            result.hit_time_bound = True
            return
        result.attempted += 1
        if idempotency_keys:  # as a careful client sends them: one fresh key per transfer
            headers["Idempotency-Key"] = f"bench-{uuid.uuid4().hex}"
        started = time.perf_counter()
        try:
            status, content = await connection.request(
                "POST", f"/v1/notes/{client.token_id}/transfers", headers, body
            )
        except HttpError as error:
            result.statuses["connection error"] += 1
            if len(result.error_examples) < 5:
                result.error_examples.append(str(error))
            continue
        elapsed_ms = (time.perf_counter() - started) * 1000
        result.statuses[str(status)] += 1
        if status == 201:
            result.confirmed += 1
            result.latencies_ms.append(elapsed_ms)
        elif len(result.error_examples) < 5:
            result.error_examples.append(f"{status} {content[:300].decode(errors='replace')}")


async def _run(
    base_url: str,
    clients: list[Client],
    recipient_id: int,
    amount: str,
    operations: int,
    time_bound_seconds: float,
    idempotency_keys: bool,
) -> LoadResult:
    result = LoadResult(clients=len(clients))
    connections = [KeptAliveConnection(base_url, max(60.0, time_bound_seconds + 30)) for _ in clients]
    try:
        # One cheap authenticated read per client first, so that connections are open before the clock
        # starts; a few at a time, because a burst of 64 requests at once can stall the service for its
        # database pool's 30 s timeout (see the report), which is not what this measures.
        gate = asyncio.Semaphore(WARM_UP_CONCURRENCY)

        async def warm_up(connection: KeptAliveConnection, client: Client) -> None:
            async with gate:
                headers = {"Authorization": f"Bearer {client.key}"}
                try:
                    status, _ = await connection.request("GET", f"/v1/notes/{client.token_id}", headers)
                except HttpError:
                    status = 0
                result.warm_up_statuses[str(status)] += 1

        warm_up_started = time.perf_counter()
        await asyncio.gather(*(warm_up(c, client) for c, client in zip(connections, clients, strict=True)))
        result.warm_up_seconds = time.perf_counter() - warm_up_started
        started = time.perf_counter()
        deadline = time.monotonic() + time_bound_seconds
        await asyncio.gather(
            *(
                _client_loop(
                    connection, client, recipient_id, amount, operations, deadline, result, idempotency_keys
                )
                for connection, client in zip(connections, clients, strict=True)
            )
        )
        result.seconds = time.perf_counter() - started
    finally:
        for connection in connections:
            await connection.close()
    return result


def run_transfers(
    base_url: str,
    clients: list[Client],
    recipient_id: int,
    amount: str,
    operations_per_client: int,
    time_bound_seconds: float,
    idempotency_keys: bool = False,
) -> LoadResult:
    """Each client transfers `amount` from its piece, one request at a time; with `idempotency_keys`,
    every request carries a fresh Idempotency-Key (the service then journals and stores its answer)."""
    return asyncio.run(
        _run(
            base_url,
            clients,
            recipient_id,
            amount,
            operations_per_client,
            time_bound_seconds,
            idempotency_keys,
        )
    )


async def _open_loop(
    base_url: str,
    clients: list[Client],
    recipient_id: int,
    amount: str,
    arrival_per_second: float,
    duration_seconds: float,
    time_bound_seconds: float,
) -> LoadResult:
    """Requests arrive every 1/rate seconds whatever happened to the earlier ones; each is sent on an
    idle client's connection (waiting for one if all are busy) and its latency runs from its scheduled
    arrival, so time spent queued counts, as it does for a real caller."""
    result = LoadResult(clients=len(clients))
    idle: asyncio.Queue[tuple[KeptAliveConnection, Client]] = asyncio.Queue()
    connections = [KeptAliveConnection(base_url, max(60.0, time_bound_seconds + 30)) for _ in clients]
    for pair in zip(connections, clients, strict=True):
        idle.put_nowait(pair)
    body = {"to_participant_id": recipient_id, "amount": amount}

    async def one(arrival: float) -> None:
        connection, client = await idle.get()
        try:
            headers = {"Authorization": f"Bearer {client.key}"}
            status, content = await connection.request(
                "POST", f"/v1/notes/{client.token_id}/transfers", headers, body
            )
        except HttpError as error:
            result.statuses["connection error"] += 1
            if len(result.error_examples) < 5:
                result.error_examples.append(str(error))
            return
        finally:
            idle.put_nowait((connection, client))
        result.statuses[str(status)] += 1
        if status == 201:
            result.confirmed += 1
            result.latencies_ms.append((time.perf_counter() - arrival) * 1000)
        elif len(result.error_examples) < 5:
            result.error_examples.append(f"{status} {content[:300].decode(errors='replace')}")

    total = max(1, int(arrival_per_second * duration_seconds))
    tasks = []
    started = time.perf_counter()
    try:
        for number in range(total):
            arrival = started + number / arrival_per_second
            await asyncio.sleep(max(0.0, arrival - time.perf_counter()))
            result.attempted += 1
            tasks.append(asyncio.create_task(one(arrival)))
        _done, pending = await asyncio.wait(tasks, timeout=time_bound_seconds + 60)
        result.hit_time_bound = bool(pending)
        for task in pending:
            task.cancel()
        result.seconds = time.perf_counter() - started
    finally:
        for connection in connections:
            await connection.close()
    return result


def run_open_loop(
    base_url: str,
    clients: list[Client],
    recipient_id: int,
    amount: str,
    arrival_per_second: float,
    duration_seconds: float,
    time_bound_seconds: float,
) -> LoadResult:
    """Single transfers at a constant arrival rate for `duration_seconds` (open loop)."""
    return asyncio.run(
        _open_loop(
            base_url, clients, recipient_id, amount, arrival_per_second, duration_seconds, time_bound_seconds
        )
    )


async def _timed_gets(
    base_url: str, path: str, key: str, count: int, time_bound_seconds: float
) -> tuple[list[float], Any]:
    latencies: list[float] = []
    deadline = time.monotonic() + time_bound_seconds
    async with httpx.AsyncClient(base_url=base_url, timeout=120) as http:
        headers = {"Authorization": f"Bearer {key}"}
        warm_up = await http.get(path, headers=headers)  # not counted
        warm_up.raise_for_status()
        for _ in range(count):
            if time.monotonic() >= deadline:
                break
            started = time.perf_counter()
            response = await http.get(path, headers=headers)
            response.raise_for_status()
            latencies.append((time.perf_counter() - started) * 1000)
    return latencies, warm_up.json()


def timed_gets(
    base_url: str, path: str, key: str, count: int, time_bound_seconds: float
) -> tuple[list[float], Any]:
    """Sequential GETs from one client (latency without queueing), and the body of the first answer."""
    return asyncio.run(_timed_gets(base_url, path, key, count, time_bound_seconds))
