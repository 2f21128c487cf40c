"""Fault injection: the service killed with SIGKILL mid-run, Anvil restarted, many clients racing.

Every test is bounded in requests and time. Clients retry a request with the same Idempotency-Key
until they get a definite answer, as a real client would; the assertions are that every accepted
request was applied exactly once and that `cascade reconcile` finds the database equal to the chain.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from service.chain.anvil import AnvilProcess
from service.settings import PROJECT_ROOT
from tests.conftest import free_port

pytestmark = pytest.mark.integration
CASCADE = str(PROJECT_ROOT / ".venv" / "bin" / "cascade")
RETRYABLE = {409, 423, 500, 502, 503, 504}


class ServiceProcess:
    """`cascade serve` as a user runs it, attached to a test-owned chain."""

    def __init__(
        self, data_dir: Path, rpc_url: str, database_url: str | None = None, workers: int = 2
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workers = workers
        self.env = {
            **os.environ,
            "CASCADE_DATA_DIR": str(data_dir),
            "CHAIN_RPC_URL": rpc_url,
            "INDEXER_POLL_SECONDS": "0.2",
            "WORKERS": str(workers),
        }
        if database_url:
            self.env["DATABASE_URL"] = database_url
        self.log = data_dir / "service.log"
        data_dir.mkdir(parents=True, exist_ok=True)
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self, timeout_seconds: float = 90) -> None:
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [CASCADE, "serve", "--port", str(self.port)], env=self.env, stdout=log, stderr=log
            )
        deadline = time.monotonic() + timeout_seconds
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"service exited: {self.log.read_text()[-3000:]}"
            try:
                if self.serving_workers() == self.workers:
                    self.starts += 1
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"service did not start: {self.log.read_text()[-3000:]}")

    def serving_workers(self) -> int:
        health = httpx.get(f"{self.url}/v1/health", timeout=1)
        return int(health.json()["workers"]["serving"]) if health.status_code == 200 else 0

    def wait_for_all_workers(self, timeout_seconds: float = 90) -> None:
        """Until every worker (a killed one's replacement too) serves."""
        deadline = time.monotonic() + timeout_seconds
        while len(self.worker_pids()) != self.workers or self.serving_workers() != self.workers:
            assert time.monotonic() < deadline, f"workers {self.worker_pids()} are not all serving"
            time.sleep(0.2)

    def worker_pids(self) -> list[int]:
        assert self.process is not None
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        return [int(pid) for pid in children if _is_worker(int(pid), self.process.pid)]

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def admin_key(self) -> str:
        return (Path(self.env["CASCADE_DATA_DIR"]) / "admin-api-key").read_text().strip()

    def reconcile(self) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [CASCADE, "reconcile"], env=self.env, capture_output=True, text=True, timeout=300
        )


def _is_worker(pid: int, service_pid: int) -> bool:
    """uvicorn's workers are forked from `cascade serve`, so they run its command line (Anvil does not)."""
    try:
        commands = [Path(f"/proc/{each}/cmdline").read_bytes() for each in (pid, service_pid)]
    except OSError:
        return False
    return commands[0] == commands[1]


@pytest.fixture
def chain(tmp_path: Path) -> Iterator[AnvilProcess]:
    anvil = AnvilProcess(
        free_port(), state_path=tmp_path / "chain" / "state.json", log_path=tmp_path / "anvil.log"
    )
    anvil.start()
    yield anvil
    anvil.stop()


def call(
    url: str,
    key: str,
    method: str,
    path: str,
    body: Any = None,
    idempotency_key: str | None = None,
    deadline: float | None = None,
) -> httpx.Response:
    """One logical request, retried (same key) through restarts until it has a definite answer."""
    headers = {"Authorization": f"Bearer {key}"}
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    deadline = deadline or time.monotonic() + 240
    while True:
        try:
            response = httpx.request(method, f"{url}{path}", json=body, headers=headers, timeout=30)
            if response.status_code not in RETRYABLE or (
                response.status_code == 409
                and response.json().get("code") != "idempotency_request_in_progress"
            ):
                return response
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, f"{method} {path} never got a definite answer"
        time.sleep(0.1)


@dataclass
class Ledger:
    url: str
    admin: str
    holders: list[dict[str, Any]] = field(default_factory=list)
    recipient: dict[str, Any] = field(default_factory=dict)
    pieces: list[int] = field(default_factory=list)


def set_up_ledger(service: ServiceProcess, clients: int, piece_amount: str) -> Ledger:
    ledger = Ledger(service.url, service.admin_key())

    def register(name: str, role: str) -> dict[str, Any]:
        response = call(
            ledger.url, ledger.admin, "POST", "/v1/participants", {"name": name, "role": role}, f"reg-{name}"
        )
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    obligor = register("Obligor", "obligor")
    tier1 = register("Tier1", "supplier")
    ledger.recipient = register("Recipient", "supplier")
    ledger.holders = [register(f"Holder{i}", "supplier") for i in range(clients)]
    due = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 200 * 86_400))
    voucher = call(
        ledger.url,
        ledger.admin,
        "POST",
        "/v1/vouchers",
        {
            "obligor_participant_id": obligor["id"],
            "holder_participant_id": tier1["id"],
            "currency": "CNY",
            "face_value": "1000000.00",
            "minimum_unit": "0.01",
            "due_date": due,
            "invoice_references": ["INV-FAULT"],
            "document_hash": "0x" + "11" * 32,
        },
        "voucher",
    ).json()
    for holder in ledger.holders:
        moved = call(
            ledger.url,
            tier1["api_key"],
            "POST",
            f"/v1/notes/{voucher['root_token_id']}/transfers",
            {"to_participant_id": holder["id"], "amount": piece_amount},
            f"piece-{holder['id']}",
        )
        assert moved.status_code == 201, moved.text
        ledger.pieces.append(moved.json()["token_id"])
    return ledger


def run_clients(
    ledger: Ledger, transfers_each: int, seed: int, accepted: list[str], errors: list[str]
) -> list[threading.Thread]:
    def client(index: int) -> None:
        holder, piece = ledger.holders[index], ledger.pieces[index]
        for number in range(transfers_each):
            key = f"s{seed}-c{index}-t{number}"
            response = call(
                ledger.url,
                holder["api_key"],
                "POST",
                f"/v1/notes/{piece}/transfers",
                {"to_participant_id": ledger.recipient["id"], "amount": "1.00"},
                key,
            )
            if response.status_code == 201:
                accepted.append(key)
            else:
                errors.append(f"{key}: {response.status_code} {response.text}")

    threads = [
        threading.Thread(target=client, args=(index,), daemon=True) for index in range(len(ledger.holders))
    ]
    for thread in threads:
        thread.start()
    return threads


def holdings(ledger: Ledger, key: str) -> list[Decimal]:
    values: list[Decimal] = []
    cursor = None
    while True:  # every page of the listing
        path = "/v1/notes?limit=200" + (f"&cursor={cursor}" if cursor else "")
        page = call(ledger.url, key, "GET", path).json()
        values += [Decimal(note["value"]) for note in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return values


def assert_exactly_once(ledger: Ledger, accepted: list[str], total: int, piece_amount: str) -> None:
    assert len(accepted) == len(set(accepted)) == total
    received = holdings(ledger, ledger.recipient["api_key"])
    assert len(received) == total and sum(received) == Decimal(total)  # one 1.00 piece per accepted request
    per_client = total // len(ledger.holders)
    for holder in ledger.holders:
        assert holdings(ledger, holder["api_key"]) == [Decimal(piece_amount) - per_client]


@pytest.mark.parametrize(("seed", "workers"), [(7, 1), (42, 2), (11, 2)])
def test_sigkill_at_random_points_loses_nothing_and_applies_nothing_twice(
    chain: AnvilProcess, tmp_path: Path, seed: int, workers: int
) -> None:
    rng = random.Random(seed)
    service = ServiceProcess(tmp_path / "service", chain.rpc_url, workers=workers)
    service.start()
    try:
        ledger = set_up_ledger(service, clients=4, piece_amount="1000.00")
        accepted: list[str] = []
        errors: list[str] = []
        transfers_each = 50
        threads = run_clients(ledger, transfers_each, seed, accepted, errors)
        for _ in range(3):
            time.sleep(rng.uniform(0.3, 1.5))
            service.kill()
            service.start()
        for thread in threads:
            thread.join(timeout=300)
        assert not errors, errors[:5]
        assert_exactly_once(ledger, accepted, 4 * transfers_each, "1000.00")
    finally:
        service.stop()
    report = service.reconcile()
    assert report.returncode == 0, report.stderr
    assert service.starts == 4


def test_anvil_restart_from_its_state_file_mid_run(chain: AnvilProcess, tmp_path: Path) -> None:
    service = ServiceProcess(tmp_path / "service", chain.rpc_url)
    service.start()
    try:
        ledger = set_up_ledger(service, clients=3, piece_amount="500.00")
        accepted: list[str] = []
        errors: list[str] = []
        threads = run_clients(ledger, 30, 1, accepted, errors)
        time.sleep(0.8)
        chain.stop()  # SIGTERM: Anvil writes its state file
        time.sleep(0.5)
        chain.start()
        for thread in threads:
            thread.join(timeout=300)
        assert not errors, errors[:5]
        assert_exactly_once(ledger, accepted, 90, "500.00")
    finally:
        service.stop()
    report = service.reconcile()
    assert report.returncode == 0, report.stderr


def test_sigkill_of_one_worker_loses_nothing_and_it_is_replaced(chain: AnvilProcess, tmp_path: Path) -> None:
    """One of two workers dies mid-run; uvicorn starts another, which finishes what it left in flight."""
    rng = random.Random(5)
    service = ServiceProcess(tmp_path / "service", chain.rpc_url, workers=2)
    service.start()
    try:
        ledger = set_up_ledger(service, clients=6, piece_amount="1000.00")
        accepted: list[str] = []
        errors: list[str] = []
        threads = run_clients(ledger, 30, 5, accepted, errors)
        killed = []
        for _ in range(2):
            time.sleep(rng.uniform(0.3, 1.0))
            service.wait_for_all_workers()
            victim = rng.choice(service.worker_pids())
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)
        for thread in threads:
            thread.join(timeout=300)
        assert not errors, errors[:5]
        assert_exactly_once(ledger, accepted, 6 * 30, "1000.00")
        service.wait_for_all_workers()
        assert not set(killed) & set(service.worker_pids())
    finally:
        service.stop()
    report = service.reconcile()
    assert report.returncode == 0, report.stderr


def test_workers_share_one_idempotency_key_and_one_piece(chain: AnvilProcess, tmp_path: Path) -> None:
    """Across worker processes: one key sent from many connections has one effect, and many spends
    of one piece never move more than it holds; the losers get 409 or 422, never a 5xx."""
    service = ServiceProcess(tmp_path / "service", chain.rpc_url, workers=2)
    service.start()
    try:
        ledger = set_up_ledger(service, clients=2, piece_amount="10.00")
        spender, piece = ledger.holders[0], ledger.pieces[0]
        path = f"/v1/notes/{piece}/transfers"

        def post(body: dict[str, Any], idempotency_key: str | None) -> httpx.Response:
            headers = {"Authorization": f"Bearer {spender['api_key']}"}
            if idempotency_key:
                headers["Idempotency-Key"] = idempotency_key
            with httpx.Client(timeout=120) as client:  # a connection of its own: any worker may take it
                return client.post(f"{service.url}{path}", json=body, headers=headers)

        body = {"to_participant_id": ledger.recipient["id"], "amount": "1.00"}
        with ThreadPoolExecutor(max_workers=24) as pool:
            same_key = list(pool.map(lambda _: post(body, "one-key"), range(24)))
        statuses = Counter(response.status_code for response in same_key)
        assert set(statuses) <= {201, 409}, same_key[0].text
        effects = {response.json()["token_id"] for response in same_key if response.status_code == 201}
        assert len(effects) == 1
        assert holdings(ledger, ledger.recipient["api_key"]) == [Decimal("1.00")]

        spend = {"to_participant_id": ledger.recipient["id"], "amount": "3.00"}
        with ThreadPoolExecutor(max_workers=16) as pool:
            spends = list(pool.map(lambda _: post(spend, None), range(16)))
        assert all(response.status_code < 500 for response in spends), [r.text for r in spends][:3]
        won = [response for response in spends if response.status_code == 201]
        assert len(won) == 3  # 9.00 left: three spends of 3.00
        assert all(r.status_code in (409, 422) for r in spends if r.status_code != 201)
        assert holdings(ledger, spender["api_key"]) == []
    finally:
        service.stop()
    report = service.reconcile()
    assert report.returncode == 0, report.stderr
