"""Fault injection: `cascade serve` SIGKILLed mid-burst, whichever part dies, and nothing lost or doubled.

For each kill target (an API process, the chain writer, the embedded Anvil, everything at once) and five
seeds, clients send bursts of keyed requests (transfers, financing executions, early payments) and retry
each with its key until it has a definite answer; at a point chosen by progress (a seeded number of
answers) the target is SIGKILLed. `cascade serve` restarts a dead part on its own; after "everything" the
test starts it again. Then: every 2xx was applied exactly once (the recipients' and holders' pieces, the
programme's and financier's totals say so), nothing was applied without its answer, and
`cascade reconcile` finds the database (pieces, vouchers, operations, quotes, budgets, documents) equal
to the chain. Last, a settlement payout job is killed the same way halfway and must pay every piece
exactly once.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from service.chain.rpc import JsonRpc
from tests.harness import ServedLedger, call

pytestmark = pytest.mark.integration
SEEDS = (1, 2, 3, 4, 5)
TARGETS = ("api", "writer", "anvil", "everything")
PIECE = Decimal("10000.00")
ACTIONS = ("transfer",) * 4 + ("early", "finance")


@dataclass
class Ledger:
    served: ServedLedger
    admin: str
    parties: dict[str, dict[str, Any]] = field(default_factory=dict)
    holders: list[dict[str, Any]] = field(default_factory=list)
    pieces: list[int] = field(default_factory=list)
    short_pieces: list[int] = field(default_factory=list)
    short_voucher: int = 0
    terms: int = 0
    programme: int = 0
    # cumulative accepted effects: value moved out of each holder's piece, and by kind
    moved: Counter[int] = field(default_factory=Counter)
    effects: Counter[str] = field(default_factory=Counter)

    @property
    def url(self) -> str:
        return self.served.url

    def post(self, key: str, path: str, body: Any, idempotency_key: str) -> httpx.Response:
        return call(self.url, key, "POST", path, body, idempotency_key)

    def get(self, key: str, path: str) -> Any:
        return call(self.url, key, "GET", path).json()

    def list_all(self, key: str, path: str) -> list[Any]:
        """Every item of a paginated listing, page after page."""
        items: list[Any] = []
        cursor: str | None = None
        while True:
            query = f"?limit=200&cursor={cursor}" if cursor else "?limit=200"
            page = self.get(key, path + query)
            items += page["items"]
            cursor = page["next_cursor"]
            if cursor is None:
                return items


def _created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code in (200, 201, 202), response.text
    result: dict[str, Any] = response.json()
    return result


def set_up(served: ServedLedger, holders: int = 3) -> Ledger:
    ledger = Ledger(served, served.admin_key())
    for name, role in (
        ("Obligor", "obligor"),
        ("Tier1", "supplier"),
        ("Bank", "financier"),
        ("Recipient", "supplier"),
    ):
        ledger.parties[name] = _created(
            ledger.post(
                ledger.admin, "/v1/participants", {"name": name, "role": role, "country": "CN"}, f"reg-{name}"
            )
        )
    ledger.holders = [
        _created(
            ledger.post(
                ledger.admin,
                "/v1/participants",
                {"name": f"H{i}", "role": "supplier", "country": "CN"},
                f"reg-H{i}",
            )
        )
        for i in range(holders)
    ]
    for party in ("Bank", "Obligor"):
        body = {"participant_id": ledger.parties[party]["id"], "currency": "CNY", "amount": "1000000.00"}
        _created(ledger.post(ledger.admin, "/v1/cash/credits", body, f"cash-{party}"))
    today = datetime.now(UTC).date()
    long = _issue(ledger, "long", "1000000.00", "0.01", today + timedelta(days=200))
    short = _issue(ledger, "short", "3000.00", "1.00", today + timedelta(days=1))
    ledger.short_voucher = short["id"]
    tier1 = ledger.parties["Tier1"]["api_key"]
    for holder in ledger.holders:
        ledger.pieces.append(
            _split(ledger, tier1, long["root_token_id"], holder, str(PIECE), f"piece-{holder['id']}")
        )
        for number in range(10):
            ledger.short_pieces.append(
                _split(
                    ledger, tier1, short["root_token_id"], holder, "100.00", f"short-{holder['id']}-{number}"
                )
            )
    terms = {
        "currency": "CNY",
        "rate_bps": 600,
        "min_amount": "0.01",
        "max_amount": "100000.00",
        "budget": "500000.00",
    }
    ledger.terms = _created(
        ledger.post(ledger.parties["Bank"]["api_key"], "/v1/financing/terms", terms, "terms")
    )["id"]
    programme = {
        "rate_bps": 800,
        "budget": "100000.00",
        "cutoff_date": (today + timedelta(days=100)).isoformat(),
    }
    path = f"/v1/vouchers/{long['id']}/early-payment-programmes"
    ledger.programme = _created(
        ledger.post(ledger.parties["Obligor"]["api_key"], path, programme, "programme")
    )["id"]
    return ledger


def _issue(ledger: Ledger, name: str, face: str, unit: str, due: Any) -> dict[str, Any]:
    body = {
        "obligor_participant_id": ledger.parties["Obligor"]["id"],
        "holder_participant_id": ledger.parties["Tier1"]["id"],
        "currency": "CNY",
        "face_value": face,
        "minimum_unit": unit,
        "due_date": due.isoformat(),
        "invoice_references": [f"INV-{name}"],
        "document_hash": "0x" + "11" * 32,
    }
    return _created(ledger.post(ledger.admin, "/v1/vouchers", body, f"voucher-{name}"))


def _split(
    ledger: Ledger, key: str, token: int, holder: dict[str, Any], amount: str, idempotency_key: str
) -> int:
    body = {"to_participant_id": holder["id"], "amount": amount}
    return int(_created(ledger.post(key, f"/v1/notes/{token}/transfers", body, idempotency_key))["token_id"])


# ------------------------------------------------------------------------------------------ bursts


def _act(ledger: Ledger, client: int, action: str, key: str) -> bool:
    """One logical request (a financing is a quote, then its execution); whether it took effect."""
    holder, piece = ledger.holders[client], ledger.pieces[client]
    api_key = holder["api_key"]
    if action == "transfer":
        body = {"to_participant_id": ledger.parties["Recipient"]["id"], "amount": "1.00"}
        response = ledger.post(api_key, f"/v1/notes/{piece}/transfers", body, key)
    elif action == "early":
        body = {"token_id": piece, "amount": "1.00"}
        response = ledger.post(
            api_key, f"/v1/early-payment-programmes/{ledger.programme}/redemptions", body, key
        )
    else:
        quote = _created(
            ledger.post(
                api_key,
                f"/v1/notes/{piece}/financing-quotes",
                {"terms_id": ledger.terms, "amount": "1.00"},
                f"{key}-quote",
            )
        )
        response = ledger.post(api_key, f"/v1/financing-quotes/{quote['id']}/execution", {}, key)
    assert response.status_code in (200, 201), f"{key}: {response.status_code} {response.text}"
    return True


def run_burst(ledger: Ledger, seed: int, kill: Callable[[], None], actions_each: int = 6) -> None:
    rng = random.Random(seed)
    plans = [[rng.choice(ACTIONS) for _ in range(actions_each)] for _ in ledger.holders]
    total = sum(len(plan) for plan in plans)
    kill_after = rng.randint(total // 5, 4 * total // 5)
    answered = Counter[str]()
    guard = threading.Lock()
    failures: list[str] = []

    def client(index: int) -> None:
        try:
            for number, action in enumerate(plans[index]):
                if _act(ledger, index, action, f"s{seed}-c{index}-{number}-{action}"):
                    with guard:
                        answered[action] += 1
                        ledger.moved[ledger.holders[index]["id"]] += 1
                        ledger.effects[action] += 1
        except BaseException as error:
            failures.append(f"client {index}: {error!r}")

    threads = [threading.Thread(target=client, args=(index,), daemon=True) for index in range(len(plans))]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 300
    while sum(answered.values()) < kill_after and any(t.is_alive() for t in threads):
        assert time.monotonic() < deadline, f"seed {seed}: the burst stalled before the kill point"
        time.sleep(0.02)
    kill()
    for thread in threads:
        thread.join(timeout=400)
    assert not failures, f"seed {seed}: {failures}"
    assert sum(answered.values()) == total


def assert_exactly_once(ledger: Ledger, seed: int) -> None:
    recipient = ledger.list_all(ledger.parties["Recipient"]["api_key"], "/v1/notes")
    assert len(recipient) == ledger.effects["transfer"], f"seed {seed}: one piece per accepted transfer"
    assert sum(Decimal(note["value"]) for note in recipient) == ledger.effects["transfer"]
    for holder, piece in zip(ledger.holders, ledger.pieces, strict=True):
        note = ledger.get(holder["api_key"], f"/v1/notes/{piece}")
        assert Decimal(note["value"]) == PIECE - ledger.moved[holder["id"]], (
            f"seed {seed}: holder {holder['id']}"
        )
    programme = ledger.get(
        ledger.parties["Obligor"]["api_key"], f"/v1/early-payment-programmes/{ledger.programme}"
    )
    assert Decimal(programme["redeemed"]) == ledger.effects["early"], f"seed {seed}: early payments"
    financed = [
        n
        for n in ledger.list_all(ledger.parties["Bank"]["api_key"], "/v1/notes")
        if n["voucher_id"] != ledger.short_voucher
    ]
    assert sum(Decimal(note["value"]) for note in financed) == ledger.effects["finance"], (
        f"seed {seed}: financing"
    )
    report = ledger.served.reconcile()
    assert report.returncode == 0, f"seed {seed}: {report.stdout}{report.stderr}"


def killer(ledger: Ledger, target: str, seed: int) -> Callable[[], None]:
    served = ledger.served

    def kill() -> None:
        if target == "everything":
            served.kill_everything()
            served.start()
            return
        if target == "api":
            workers = served.api_workers()
            pid = random.Random(seed).choice(workers) if workers and seed % 2 else served.pids()["api"]
        else:
            pid = served.pids()[target]
        os.kill(pid, signal.SIGKILL)

    return kill


def run_payout_job(ledger: Ledger, kill: Callable[[], None]) -> None:
    """The short voucher matures; the obligor funds it; a payout job pays its 30 pieces in batches of 5,
    and is killed once it has paid some."""
    rpc = JsonRpc(ledger.served.rpc_url)
    try:
        latest = int(rpc.request("eth_getBlockByNumber", ["latest", False])["timestamp"], 16)
        rpc.request("anvil_setTime", [max(latest, int(time.time())) + 3 * 86_400])
        rpc.request("evm_mine")
    finally:
        rpc.close()
    # The clock moved outside the ledger (no operation of it to send again): wait until the embedded
    # Anvil has saved a state holding it, as the service waits after deploying.
    state = ledger.served.data_dir / "anvil-state.json"
    moved_at = time.time()
    while state.stat().st_mtime <= moved_at + 0.1:
        time.sleep(0.1)
    obligor = ledger.parties["Obligor"]["api_key"]
    path = f"/v1/vouchers/{ledger.short_voucher}/settlement"
    _created(ledger.post(obligor, f"{path}/fundings", {"amount": "3000.00"}, "fund-short"))
    job = _created(ledger.post(obligor, f"{path}/payouts", {"batch_size": 5}, "payout-short"))
    deadline = time.monotonic() + 300
    while job["pieces_paid"] < 5 and job["state"] in ("queued", "running"):
        assert time.monotonic() < deadline
        time.sleep(0.05)
        job = ledger.get(obligor, f"/v1/jobs/{job['id']}")
    kill()
    while job["state"] in ("queued", "running"):
        assert time.monotonic() < deadline, f"the payout job did not finish: {job}"
        time.sleep(0.1)
        job = ledger.get(obligor, f"/v1/jobs/{job['id']}")
    assert job["state"] == "completed", json.dumps(job)
    assert job["pieces_paid"] == 30 and job["paid"] == "3000.00", job
    settlement = ledger.get(obligor, path)
    assert settlement["status"] == "settled" and settlement["paid_out"] == "3000.00"
    for holder in ledger.holders:
        mine = [
            n
            for n in ledger.list_all(holder["api_key"], "/v1/notes")
            if n["voucher_id"] == ledger.short_voucher
        ]
        assert mine == []  # every piece paid in full, once
    report = ledger.served.reconcile()
    assert report.returncode == 0, report.stdout + report.stderr


@pytest.mark.parametrize("target", TARGETS)
def test_sigkill_mid_burst_loses_nothing_and_applies_nothing_twice(target: str, tmp_path: Path) -> None:
    served = ServedLedger(tmp_path / "data")
    served.start()
    try:
        ledger = set_up(served)
        for seed in SEEDS:
            run_burst(ledger, seed, killer(ledger, target, seed))
            assert_exactly_once(ledger, seed)
        run_payout_job(ledger, killer(ledger, target, 99))
    except AssertionError as error:
        raise AssertionError(
            f"{error}\n--- cascade serve's log ---\n{served.process.tail(20_000)}"
        ) from error
    finally:
        served.stop()


def _bulk_items_executed(served: ServedLedger) -> int:
    """How many items of bulk transfers the ledger has recorded as executed (read-only)."""
    import sqlite3

    uri = f"file:{served.data_dir / 'cascade.db'}?mode=ro"
    with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=5)) as connection:
        row = connection.execute(
            "SELECT count(*) FROM operations WHERE kind = 'note.bulk_transfer' AND state = 'executed'"
        ).fetchone()
    return int(row[0])


@pytest.mark.parametrize("target", ("writer", "everything"))
def test_sigkill_mid_bulk_transfer_applies_every_item_exactly_once(target: str, tmp_path: Path) -> None:
    served = ServedLedger(tmp_path / "data", MAX_RELAY_GAS="3000000")  # several relay transactions
    served.start()
    try:
        ledger = set_up(served, holders=1)
        tier1 = ledger.parties["Tier1"]["api_key"]
        recipient = ledger.parties["Recipient"]
        root = ledger.get(tier1, "/v1/notes")["items"]
        [long_root] = [note for note in root if Decimal(note["value"]) > 100_000]
        items = [
            {"from_token_id": long_root["token_id"], "to_participant_id": recipient["id"], "amount": "1.00"}
            for _ in range(300)
        ]
        answers: list[httpx.Response] = []
        sender = threading.Thread(
            target=lambda: answers.append(
                ledger.post(tier1, "/v1/transfer-batches", {"items": items}, "month-end")
            ),
            daemon=True,
        )
        sender.start()
        deadline = time.monotonic() + 300
        while _bulk_items_executed(served) == 0 and sender.is_alive():
            assert time.monotonic() < deadline, "the batch made no progress"
            time.sleep(0.02)
        killer(ledger, target, 7)()
        sender.join(timeout=400)
        [answer] = answers
        out = _created(answer)
        assert out["executed"] == 300 and out["failed"] == 0, out
        assert len({item["token_id"] for item in out["items"]}) == 300
        again = _created(ledger.post(tier1, "/v1/transfer-batches", {"items": items}, "month-end"))
        assert again == out, "the key's retry answers the same batch"
        held = ledger.list_all(recipient["api_key"], "/v1/notes")
        assert sorted(note["token_id"] for note in held) == sorted(item["token_id"] for item in out["items"])
        assert sum(Decimal(note["value"]) for note in held) == 300
        after = ledger.get(tier1, f"/v1/notes/{long_root['token_id']}")
        assert Decimal(after["value"]) == Decimal(long_root["value"]) - 300
        report = served.reconcile()
        assert report.returncode == 0, report.stdout + report.stderr
    except AssertionError as error:
        raise AssertionError(
            f"{error}\n--- cascade serve's log ---\n{served.process.tail(20_000)}"
        ) from error
    finally:
        served.stop()
