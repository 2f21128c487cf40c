"""Concurrent clients on a live server: double spending and duplicate keys, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import httpx
import pytest

from service.ledger.reconcile import reconcile
from service.runtime import Runtime
from tests.conftest import SeedLedger, free_port, transfer
from tests.test_service_process import _Server

pytestmark = pytest.mark.integration
BOTH_DATABASES = pytest.mark.parametrize(
    "database_url", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)


@BOTH_DATABASES
def test_64_clients_spending_the_same_piece_never_move_more_than_it_holds(
    seed: SeedLedger, runtime: Runtime
) -> None:
    piece = transfer(seed.t1, seed.voucher["root_token_id"], seed.a, "10000000.00")  # 10 units of 1,000,000
    with _Server(runtime, free_port()) as server:

        def spend(index: int) -> int:
            response = httpx.post(
                f"{server.url}/v1/notes/{piece['token_id']}/transfers",
                json={
                    "to_participant_id": (seed.b, seed.c)[index % 2].participant_id,
                    "amount": "1000000.00",
                },
                headers={"Authorization": f"Bearer {seed.a.key}"},
                timeout=120,
            )
            assert response.status_code < 500, response.text
            if response.status_code != 201:
                assert response.json()["code"] == "insufficient_value", response.text
            return response.status_code

        with ThreadPoolExecutor(max_workers=64) as pool:
            statuses = Counter(pool.map(spend, range(64)))
    assert statuses[201] == 10 and sum(statuses.values()) == 64
    moved = sum(Decimal(n["value"]) for user in (seed.b, seed.c) for n in user.get("/v1/notes").json())
    assert moved == Decimal("10000000.00")
    assert seed.a.get("/v1/notes").json() == []
    assert reconcile(runtime).clean


@BOTH_DATABASES
def test_same_idempotency_key_from_many_clients_has_exactly_one_effect(
    seed: SeedLedger, runtime: Runtime
) -> None:
    path = f"/v1/notes/{seed.voucher['root_token_id']}/transfers"
    body = {"to_participant_id": seed.c.participant_id, "amount": "3000000.00"}
    with _Server(runtime, free_port()) as server:

        def send(_index: int) -> tuple[int, str]:
            response = httpx.post(
                f"{server.url}{path}",
                json=body,
                headers={"Authorization": f"Bearer {seed.t1.key}", "Idempotency-Key": "one-and-only"},
                timeout=120,
            )
            assert response.status_code in (201, 409), response.text
            return response.status_code, response.json().get("transaction_hash") or response.json()["code"]

        with ThreadPoolExecutor(max_workers=24) as pool:
            results = list(pool.map(send, range(24)))
    hashes = {outcome for status, outcome in results if status == 201}
    assert len(hashes) == 1  # every success is the same transfer
    assert {outcome for status, outcome in results if status == 409} <= {"idempotency_request_in_progress"}
    assert [n["value"] for n in seed.c.get("/v1/notes").json()] == ["3000000.00"]


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_postgres_concurrent_writers_from_many_holders(seed: SeedLedger, runtime: Runtime) -> None:
    """Five holders transfer at once: relayer batches, indexer and journal all write concurrently."""
    holders = [seed.t1, seed.a, seed.b, seed.c, seed.bank]
    root = seed.voucher["root_token_id"]
    pieces = {seed.t1.participant_id: root}
    for user in holders[1:]:
        pieces[user.participant_id] = transfer(seed.t1, root, user, "10000000.00")["token_id"]
    with _Server(runtime, free_port()) as server:

        def run(user_index: int) -> int:
            user = holders[user_index]
            target = holders[(user_index + 1) % len(holders)]
            done = 0
            for number in range(8):
                response = httpx.post(
                    f"{server.url}/v1/notes/{pieces[user.participant_id]}/transfers",
                    json={"to_participant_id": target.participant_id, "amount": "1000000.00"},
                    headers={
                        "Authorization": f"Bearer {user.key}",
                        "Idempotency-Key": f"pg-{user_index}-{number}",
                    },
                    timeout=120,
                )
                assert response.status_code == 201, response.text
                done += 1
            return done

        with ThreadPoolExecutor(max_workers=5) as pool:
            assert sum(pool.map(run, range(5))) == 40
    lineage = seed.admin.get(f"/v1/vouchers/{seed.voucher['id']}/lineage").json()
    assert lineage["total_held"] == "100000000.00" and lineage["piece_count"] == 5 + 40
    report = reconcile(runtime)
    assert report.clean, report.differences
