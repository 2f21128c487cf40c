"""Several hosts: two API replicas and two chain writers (a leader and a standby), each with its own data
directory and no shared file, on one PostgreSQL and one chain reached through CHAIN_RPC_URL. Clients
spread their keyed requests over both replicas; mid-run one replica and the leading writer are
SIGKILLed. Every 2xx must be applied exactly once, the standby must take over, and reconciliation must
find the database equal to the chain."""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from cryptography.fernet import Fernet

from service.chain.anvil import AnvilProcess
from tests.conftest import POSTGRES_ADMIN_URL, free_port
from tests.harness import CascadeProcess, base_env, call, wait_until_serving

pytestmark = [pytest.mark.integration, pytest.mark.postgres]
CLIENTS = 4
REQUESTS_EACH = 10


@pytest.fixture
def shared(tmp_path: Path) -> Iterator[dict[str, str]]:
    """What the hosts share: a database, a chain, and the master key (nothing on a disk)."""
    name = f"cascade_replicas_{uuid.uuid4().hex[:10]}"
    admin = psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    chain = AnvilProcess(free_port(), log_path=tmp_path / "anvil.log")
    chain.start()
    try:
        yield {
            "DATABASE_URL": POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}",
            "CHAIN_RPC_URL": chain.rpc_url,
            "CASCADE_MASTER_KEY": Fernet.generate_key().decode(),
            "RELAYER_COUNT": "1",
        }
    finally:
        chain.stop()
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def _host(tmp_path: Path, name: str, shared: dict[str, str], *command: str) -> CascadeProcess:
    return CascadeProcess(
        list(command), base_env(tmp_path / name / "data", **shared), tmp_path / name / "log"
    )


def _wait_for_line(process: CascadeProcess, text: str, timeout_seconds: float = 120) -> None:
    deadline = time.monotonic() + timeout_seconds
    while text not in process.tail(100_000):
        assert process.alive(), process.tail()
        assert time.monotonic() < deadline, f"{process.command} never said {text!r}: {process.tail()}"
        time.sleep(0.1)


def test_two_replicas_and_a_standby_writer_survive_the_loss_of_a_replica_and_the_leader(
    tmp_path: Path, shared: dict[str, str]
) -> None:
    deploy = _host(tmp_path, "deployer", shared, "deploy")
    deploy.start()
    assert deploy.process is not None and deploy.process.wait(timeout=300) == 0, deploy.tail()
    admin_key = _host(tmp_path, "deployer", shared, "admin-key")
    admin_key.start()
    assert admin_key.process is not None and admin_key.process.wait(timeout=120) == 0
    admin = admin_key.log.read_text().strip().splitlines()[-1]

    leader = _host(tmp_path, "writer-1", shared, "writer")
    leader.start()
    _wait_for_line(leader, "writer: running")
    standby = _host(tmp_path, "writer-2", shared, "writer")
    standby.start()
    _wait_for_line(standby, "standing by")
    replicas, urls = [], []
    for number in (1, 2):
        port = free_port()
        replica = _host(tmp_path, f"api-{number}", {**shared, "WORKERS": "1"}, "api", "--port", str(port))
        replica.start()
        urls.append(f"http://127.0.0.1:{port}")
        replicas.append(replica)
    for url, replica in zip(urls, replicas, strict=True):
        wait_until_serving(url, replica)
    try:
        _run(urls, admin, replicas[0], leader, standby)
    finally:
        for process in (*replicas, leader, standby):
            process.stop()
    report = _host(tmp_path, "deployer", shared, "reconcile")
    report.start()
    assert report.process is not None and report.process.wait(timeout=300) == 0, report.tail()


def _run(
    urls: list[str],
    admin: str,
    doomed_replica: CascadeProcess,
    leader: CascadeProcess,
    standby: CascadeProcess,
) -> None:
    def post(key: str, path: str, body: object, idempotency_key: str) -> dict[str, object]:
        response = call(urls[0], key, "POST", path, body, idempotency_key, urls=urls[1:])
        assert response.status_code in (200, 201), response.text
        result: dict[str, object] = response.json()
        return result

    obligor = post(
        admin, "/v1/participants", {"name": "Obligor", "role": "obligor", "country": "CN"}, "reg-o"
    )
    tier1 = post(admin, "/v1/participants", {"name": "Tier1", "role": "supplier", "country": "CN"}, "reg-t")
    recipient = post(
        admin, "/v1/participants", {"name": "Recipient", "role": "supplier", "country": "CN"}, "reg-r"
    )
    holders = [
        post(admin, "/v1/participants", {"name": f"H{i}", "role": "supplier", "country": "CN"}, f"reg-{i}")
        for i in range(CLIENTS)
    ]
    due = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 200 * 86_400))
    voucher = post(
        admin,
        "/v1/vouchers",
        {
            "obligor_participant_id": obligor["id"],
            "holder_participant_id": tier1["id"],
            "currency": "CNY",
            "face_value": "100000.00",
            "minimum_unit": "0.01",
            "due_date": due,
            "invoice_references": ["INV-R"],
            "document_hash": "0x" + "22" * 32,
        },
        "voucher",
    )
    pieces = [
        post(
            str(tier1["api_key"]),
            f"/v1/notes/{voucher['root_token_id']}/transfers",
            {"to_participant_id": h["id"], "amount": "1000.00"},
            f"p-{h['id']}",
        )["token_id"]
        for h in holders
    ]
    accepted = Counter[int]()
    guard = threading.Lock()
    failures: list[str] = []

    def client(index: int) -> None:
        holder, piece = holders[index], pieces[index]
        for number in range(REQUESTS_EACH):
            try:
                body = {"to_participant_id": recipient["id"], "amount": "1.00"}
                post(str(holder["api_key"]), f"/v1/notes/{piece}/transfers", body, f"c{index}-{number}")
                with guard:
                    accepted[index] += 1
            except BaseException as error:
                failures.append(repr(error))

    threads = [threading.Thread(target=client, args=(index,), daemon=True) for index in range(CLIENTS)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 300
    while sum(accepted.values()) < CLIENTS * REQUESTS_EACH // 3:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    for process in (doomed_replica, leader):
        assert process.process is not None
        os.kill(process.process.pid, signal.SIGKILL)
    _wait_for_line(standby, "writer: running")
    for thread in threads:
        thread.join(timeout=400)
    assert not failures, failures
    assert sum(accepted.values()) == CLIENTS * REQUESTS_EACH
    received = call(urls[1], str(recipient["api_key"]), "GET", "/v1/notes").json()["items"]
    assert (
        len(received) == CLIENTS * REQUESTS_EACH
        and sum(Decimal(n["value"]) for n in received) == CLIENTS * REQUESTS_EACH
    )
    for holder, piece in zip(holders, pieces, strict=True):
        note = call(urls[1], str(holder["api_key"]), "GET", f"/v1/notes/{piece}").json()
        assert Decimal(note["value"]) == Decimal("1000.00") - REQUESTS_EACH
