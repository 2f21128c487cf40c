"""Concurrent clients on a live server: double spending and duplicate keys, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import httpx
import pytest

from service.ledger.reconcile import reconcile
from service.runtime import Runtime
from tests.conftest import SeedLedger, free_port, transfer, watching_statements
from tests.test_service_process import _Server
from tests.test_settlement import open_early_payment_programme

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
    moved = sum(
        Decimal(n["value"]) for user in (seed.b, seed.c) for n in user.get("/v1/notes").json()["items"]
    )
    assert moved == Decimal("10000000.00")
    assert seed.a.get("/v1/notes").json()["items"] == []
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
    assert [n["value"] for n in seed.c.get("/v1/notes").json()["items"]] == ["3000000.00"]


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


@contextmanager
def _meanwhile(
    runtime: Runtime, reading: Callable[[str], bool], write: Callable[[], Any]
) -> Iterator[list[Any]]:
    """Runs `write` (in another thread, to its end) right before the first statement `reading` picks,
    as if another request's block were indexed between two reads; yields what `write` returned."""
    done: list[Any] = []

    def interleave(statement: str) -> None:
        if not done and reading(statement):
            done.append(None)  # the write's own statements pass through here too
            with ThreadPoolExecutor(max_workers=1) as pool:
                done[0] = pool.submit(write).result()

    with watching_statements(runtime, interleave):
        yield done
    assert done and done[0] is not None, "the write did not run in between"


@BOTH_DATABASES
def test_reconciliation_compares_one_block_while_later_blocks_are_indexed(
    seed: SeedLedger, runtime: Runtime
) -> None:
    """A block indexed after reconciliation read the index's checkpoint, but before it read the pieces,
    is not a difference: the pieces are read as of the checkpoint, as the chain is."""
    reconciling = threading.get_ident()

    def moves_a_piece() -> dict[str, Any]:
        return transfer(seed.t1, seed.voucher["root_token_id"], seed.b, "1000000.00")

    def reads_the_pieces(statement: str) -> bool:
        return threading.get_ident() == reconciling and "FROM notes" in statement

    with _meanwhile(runtime, reads_the_pieces, moves_a_piece) as moved:
        report = reconcile(runtime)
    assert report.clean, report.differences
    assert report.block_number < moved[0]["block_number"]
    assert reconcile(runtime).clean


def _early_payment(seed: SeedLedger, runtime: Runtime) -> Callable[[], int]:
    """T1 taking 5,000,000.00 of early payment on the root note (an open programme's redemption)."""
    programme = open_early_payment_programme(seed, runtime)
    path = f"/v1/early-payment-programmes/{programme['id']}/redemptions"
    body = {"token_id": seed.voucher["root_token_id"], "amount": "5000000.00"}
    return lambda: seed.t1.post(path, json=body).status_code


@BOTH_DATABASES
@pytest.mark.parametrize(
    ("answer", "second_read", "before", "after"),
    [
        (
            "lineage",
            "FROM notes",
            {"outstanding": "100000000.00", "total_held": "100000000.00"},
            {"outstanding": "95000000.00", "total_held": "95000000.00"},
        ),
        (
            "settlement/report",
            "FROM cash_movements",
            {"outstanding": "100000000.00", "paid_early": "0.00"},
            {"outstanding": "95000000.00"},
        ),
    ],
)
def test_an_answer_built_from_several_reads_is_read_as_of_one_moment(
    seed: SeedLedger,
    runtime: Runtime,
    answer: str,
    second_read: str,
    before: dict[str, str],
    after: dict[str, str],
) -> None:
    """An early payment indexed after the answer read the voucher, but before its second read (the
    pieces, the payments), does not make the voucher's outstanding value disagree with the rest."""
    path = f"/v1/vouchers/{seed.voucher['id']}/{answer}"

    def is_the_second_read(statement: str) -> bool:
        return second_read in statement

    with _meanwhile(runtime, is_the_second_read, _early_payment(seed, runtime)) as paid:
        first = seed.carmaker.get(path).json()
    assert paid == [201]
    assert {key: first[key] for key in before} == before
    assert {key: seed.carmaker.get(path).json()[key] for key in after} == after
