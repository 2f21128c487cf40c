"""Shared fixtures: one Anvil and one deployment per session, a fresh ledger database per test.

Each test starts from the chain state right after deployment (`evm_snapshot`/`evm_revert`) and an
empty, migrated database (SQLite by default; PostgreSQL where a test asks for it), so tests are
independent without redeploying anything.
"""

from __future__ import annotations

import os
import shutil
import socket
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import event, text

from service.chain.anvil import AnvilProcess
from service.chain.client import Deployment
from service.chain.compiler import Artifact, compile_cascade
from service.chain.deploy import ServiceRoles, deploy_cascade
from service.chain.keys import KeyVault
from service.chain.rpc import JsonRpc
from service.chain.transactions import AccountKey
from service.db.models import Base
from service.db.session import Database, upgrade_database
from service.main import create_app
from service.participants.service import create_admin
from service.runtime import Runtime, create_service_accounts, record_deployment, start_runtime
from service.settings import ANVIL_CHAIN_ID, ANVIL_DEV_KEYS, Settings

POSTGRES_ADMIN_URL = os.environ.get("CASCADE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def artifacts() -> dict[str, Artifact]:
    return compile_cascade(Settings().artifacts_dir)


@pytest.fixture(scope="session")
def anvil(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnvilProcess]:
    process = AnvilProcess(free_port(), log_path=tmp_path_factory.mktemp("anvil") / "anvil.log")
    process.start()
    yield process
    process.stop()


# One master key for the test run: the service accounts the session's deployment created are encrypted
# with it, and every test's runtime decrypts them.
MASTER_KEY = Fernet.generate_key().decode()


@pytest.fixture(scope="session")
def service_accounts() -> dict[str, tuple[str, str]]:
    return create_service_accounts(KeyVault(MASTER_KEY.encode()))


@pytest.fixture(scope="session")
def deployment(
    anvil: AnvilProcess, artifacts: dict[str, Artifact], service_accounts: dict[str, tuple[str, str]]
) -> Deployment:
    rpc = JsonRpc(anvil.rpc_url)
    try:
        roles = ServiceRoles(**{name: address for name, (address, _key) in service_accounts.items()})
        compliance_address, compliance_encrypted = service_accounts["compliance"]
        compliance_key = KeyVault(MASTER_KEY.encode()).signing_key(compliance_encrypted, compliance_address)
        return deploy_cascade(
            rpc,
            ANVIL_CHAIN_ID,
            AccountKey(ANVIL_DEV_KEYS[0], ANVIL_CHAIN_ID),
            artifacts,
            roles,
            compliance_key=compliance_key,
        )
    finally:
        rpc.close()


@pytest.fixture(scope="session")
def chain_baseline(anvil: AnvilProcess, deployment: Deployment) -> dict[str, str]:
    """Holds the id of a snapshot taken right after deployment; each test reverts to it."""
    rpc = JsonRpc(anvil.rpc_url)
    snapshot = {"id": rpc.request("evm_snapshot")}
    rpc.close()
    return snapshot


@pytest.fixture
def fresh_chain(anvil: AnvilProcess, chain_baseline: dict[str, str]) -> Iterator[None]:
    yield
    rpc = JsonRpc(anvil.rpc_url)
    try:
        assert rpc.request("evm_revert", [chain_baseline["id"]]) is True
        # A snapshot is consumed by reverting to it: take the next test's baseline now.
        chain_baseline["id"] = rpc.request("evm_snapshot")
    finally:
        rpc.close()


# ---------------------------------------------------------------------------------------- databases


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for every test: Alembic runs once per session."""
    path = tmp_path_factory.mktemp("template") / "cascade.db"
    upgrade_database(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A database of its own on the local PostgreSQL server, created and dropped by the test run."""
    name = f"cascade_test_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True)
    except psycopg.OperationalError as error:
        pytest.fail(f"PostgreSQL is required at {POSTGRES_ADMIN_URL} for this test: {error}")
    admin.execute(f'CREATE DATABASE "{name}"')
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    upgrade_database(url)
    yield url
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def _truncate_postgres(url: str) -> None:
    database = Database(url)
    tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    with database.engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    database.dispose()


@pytest.fixture(params=["sqlite"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """SQLite by default; tests parametrised with "postgresql" run on the local server too."""
    if request.param == "postgresql":
        url: str = request.getfixturevalue("postgres_url")
        _truncate_postgres(url)
        return url
    path = tmp_path / "cascade.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


# ---------------------------------------------------------------------------------------- the ledger


def ledger_settings(anvil: AnvilProcess, database_url: str, data_dir: Path, **extra: Any) -> Settings:
    """Settings of a ledger attached to the session's Anvil (automine: one relayer, so that one
    transaction at a time is in flight, which Anvil's automine needs; ../shared/TOOLCHAIN.md)."""
    return Settings(
        CASCADE_DATA_DIR=data_dir,
        DATABASE_URL=database_url,
        CHAIN_RPC_URL=anvil.rpc_url,
        CASCADE_MASTER_KEY=SecretStr(MASTER_KEY),
        INDEXER_POLL_SECONDS=0.2,
        RELAYER_COUNT=1,
        OPERATION_WAIT_SECONDS=30,
        **extra,
    )


def record_session_deployment(
    database_url: str, deployment: Deployment, service_accounts: dict[str, tuple[str, str]]
) -> None:
    database = Database(database_url)
    record_deployment(database, deployment, service_accounts)
    database.dispose()


@pytest.fixture
def runtime(
    anvil: AnvilProcess,
    deployment: Deployment,
    service_accounts: dict[str, tuple[str, str]],
    database_url: str,
    tmp_path: Path,
    fresh_chain: None,
) -> Iterator[Runtime]:
    """The API and the chain writer in this process, on the session's chain and a fresh database."""
    record_session_deployment(database_url, deployment, service_accounts)
    started = start_runtime(ledger_settings(anvil, database_url, tmp_path / "data"), writer=True)
    yield started
    started.close()


@dataclass
class ApiUser:
    client: TestClient
    key: str
    participant_id: int
    address: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.client.get(path, headers=self.headers, **kwargs)

    def post(self, path: str, json: Any = None, headers: dict[str, str] | None = None, **kwargs: Any) -> Any:
        return self.client.post(path, json=json, headers={**self.headers, **(headers or {})}, **kwargs)


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def admin(runtime: Runtime, client: TestClient) -> ApiUser:
    address, _ = runtime.key_vault.create_account()
    with runtime.database.connection_transaction() as connection:
        participant, secret = create_admin(connection, "Test admin", address)
        participant_id = participant.id
    return ApiUser(client, secret, participant_id, address)


STAFF = ("admin", "compliance_agent", "oracle")


def register(admin: ApiUser, name: str, role: str, **extra: Any) -> ApiUser:
    """Registers a participant; a ledger role gets a country (CN unless `extra` says otherwise)."""
    identity = {} if role in STAFF else {"country": "CN"}
    response = admin.post("/v1/participants", json={"name": name, "role": role, **identity, **extra})
    assert response.status_code == 201, response.text
    body = response.json()
    return ApiUser(admin.client, body["api_key"], body["id"], body["address"])


@contextmanager
def watching_statements(runtime: Runtime, watch: Callable[[str], None]) -> Iterator[None]:
    """Calls `watch` with the SQL of every statement the service's engine runs meanwhile (any thread),
    just before the database gets it."""

    def before(_connection: Any, _cursor: Any, statement: str, *_arguments: Any) -> None:
        watch(statement)

    event.listen(runtime.database.engine, "before_cursor_execute", before)
    try:
        yield
    finally:
        event.remove(runtime.database.engine, "before_cursor_execute", before)


def six_months_ahead() -> date:
    return (datetime.now(UTC) + timedelta(days=182)).date()


def issue_voucher(issuer: ApiUser, obligor: ApiUser, holder: ApiUser, **overrides: Any) -> dict[str, Any]:
    body = {
        "obligor_participant_id": obligor.participant_id,
        "holder_participant_id": holder.participant_id,
        "currency": "CNY",
        "face_value": "100000000.00",
        "minimum_unit": "1000000.00",
        "due_date": six_months_ahead().isoformat(),
        "invoice_references": ["INV-2026-0001", "INV-2026-0002"],
        "document_hash": "0x" + "ab" * 32,
        **overrides,
    }
    response = issuer.post("/v1/vouchers", json=body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def transfer(holder: ApiUser, token_id: int, recipient: ApiUser, amount: str, **extra: Any) -> dict[str, Any]:
    response = holder.post(
        f"/v1/notes/{token_id}/transfers",
        json={"to_participant_id": recipient.participant_id, "amount": amount, **extra},
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


@dataclass
class SeedLedger:
    admin: ApiUser
    carmaker: ApiUser
    t1: ApiUser
    a: ApiUser
    b: ApiUser
    c: ApiUser
    bank: ApiUser
    voucher: dict[str, Any]
    compliance: ApiUser


@pytest.fixture
def seed(admin: ApiUser) -> SeedLedger:
    """Model 1's participants and its CNY 100,000,000 voucher held whole by T1, and a compliance agent."""
    compliance = register(admin, "Compliance", "compliance_agent")
    carmaker = register(admin, "Carmaker", "obligor")
    t1 = register(admin, "T1", "supplier")
    a = register(admin, "A", "supplier")
    b = register(admin, "B", "supplier")
    c = register(admin, "C", "supplier")
    bank = register(admin, "Bank", "financier")
    voucher = issue_voucher(admin, carmaker, t1)
    return SeedLedger(admin, carmaker, t1, a, b, c, bank, voucher, compliance)


def run_payouts(user: ApiUser, voucher_id: int, timeout_seconds: float = 60.0, **body: Any) -> dict[str, Any]:
    """Starts a settlement payout job and follows it to its end; returns the finished job."""
    import time

    response = user.post(f"/v1/vouchers/{voucher_id}/settlement/payouts", json=body or None)
    assert response.status_code == 202, response.text
    job: dict[str, Any] = response.json()
    deadline = time.monotonic() + timeout_seconds
    while job["state"] in ("queued", "running"):
        assert time.monotonic() < deadline, f"payout job {job['id']} did not finish: {job}"
        time.sleep(0.05)
        job = user.get(f"/v1/jobs/{job['id']}").json()
    return job
