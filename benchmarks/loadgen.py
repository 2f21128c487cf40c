"""Concurrent clients transferring small amounts from their own pieces through the REST API."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

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


async def _client_loop(
    http: httpx.AsyncClient,
    client: Client,
    recipient_id: int,
    amount: str,
    operations: int,
    deadline: float,
    result: LoadResult,
) -> None:
    headers = {"Authorization": f"Bearer {client.key}"}
    body = {"to_participant_id": recipient_id, "amount": amount}
    for _ in range(operations):
        if time.monotonic() >= deadline:
            result.hit_time_bound = True
            return
        result.attempted += 1
        started = time.perf_counter()
        try:
            response = await http.post(f"/v1/notes/{client.token_id}/transfers", json=body, headers=headers)
        except httpx.HTTPError as error:
            result.statuses[type(error).__name__] += 1
            if len(result.error_examples) < 5:
                result.error_examples.append(f"{type(error).__name__}: {error}")
            continue
        elapsed_ms = (time.perf_counter() - started) * 1000
        result.statuses[str(response.status_code)] += 1
        if response.status_code == 201:
            result.confirmed += 1
            result.latencies_ms.append(elapsed_ms)
        elif len(result.error_examples) < 5:
            result.error_examples.append(f"{response.status_code} {response.text[:300]}")


async def _run(
    base_url: str,
    clients: list[Client],
    recipient_id: int,
    amount: str,
    operations: int,
    time_bound_seconds: float,
) -> LoadResult:
    result = LoadResult(clients=len(clients))
    limits = httpx.Limits(max_connections=len(clients) + 4, max_keepalive_connections=len(clients) + 4)
    async with httpx.AsyncClient(
        base_url=base_url, limits=limits, timeout=max(60.0, time_bound_seconds + 30)
    ) as http:
        # One cheap authenticated read per client first, so that connections are open before the clock
        # starts; a few at a time, because a burst of 64 requests at once can stall the service for its
        # database pool's 30 s timeout (see the report), which is not what this measures.
        gate = asyncio.Semaphore(WARM_UP_CONCURRENCY)

        async def warm_up(client: Client) -> None:
            async with gate:
                response = await http.get(
                    f"/v1/notes/{client.token_id}", headers={"Authorization": f"Bearer {client.key}"}
                )
                result.warm_up_statuses[str(response.status_code)] += 1

        warm_up_started = time.perf_counter()
        await asyncio.gather(*(warm_up(client) for client in clients))
        result.warm_up_seconds = time.perf_counter() - warm_up_started
        started = time.perf_counter()
        deadline = time.monotonic() + time_bound_seconds
        await asyncio.gather(
            *(
                _client_loop(http, client, recipient_id, amount, operations, deadline, result)
                for client in clients
            )
        )
        result.seconds = time.perf_counter() - started
    return result


def run_transfers(
    base_url: str,
    clients: list[Client],
    recipient_id: int,
    amount: str,
    operations_per_client: int,
    time_bound_seconds: float,
) -> LoadResult:
    return asyncio.run(
        _run(base_url, clients, recipient_id, amount, operations_per_client, time_bound_seconds)
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
