"""The real service under test: `cascade serve` as a child process, and a small synchronous API client."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg

from benchmarks.common import BenchAnvil, BenchError, Rpc, free_port, stop_child
from service.processes import die_with_parent
from service.settings import PROJECT_ROOT

POSTGRES_ADMIN_URL = os.environ.get("CASCADE_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
CASCADE_CLI = Path(sys.executable).parent / "cascade"


class ServiceProcess:
    """`cascade serve` on a free port, attached to the harness's Anvil, with its own data directory."""

    def __init__(self, data_dir: Path, database_url: str | None, rpc_url: str, log_path: Path) -> None:
        self.data_dir = data_dir
        self.database_url = database_url
        self.rpc_url = rpc_url
        self.log_path = log_path
        self.port = free_port()
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def start(self, timeout_seconds: float = 180.0) -> str:
        """Starts the service; returns the bootstrap admin's API key."""
        env = {
            **os.environ,
            "CASCADE_DATA_DIR": str(self.data_dir),
            "CHAIN_RPC_URL": self.rpc_url,
            # The harness's own Anvil, as `cascade serve` runs its embedded one: the writer may mine a
            # block to free a stalled automine.
            "CASCADE_EMBEDDED_CHAIN": "1",
            "PYTHONUNBUFFERED": "1",
        }
        env.pop("DATABASE_URL", None)
        if self.database_url:
            env["DATABASE_URL"] = self.database_url
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child process
        self._process = subprocess.Popen(
            [str(CASCADE_CLI), "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=log,
            preexec_fn=die_with_parent,
        )
        log.close()
        deadline = time.monotonic() + timeout_seconds
        key_path = self.data_dir / "admin-api-key"
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise BenchError(f"the service exited with {self._process.returncode}:\n{self.log_tail()}")
            try:
                health = httpx.get(f"{self.url}/v1/health", timeout=5)
                if health.status_code == 200 and key_path.exists():
                    return key_path.read_text().strip()
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise BenchError(f"the service did not come up within {timeout_seconds:.0f}s:\n{self.log_tail()}")

    def stop(self, timeout_seconds: float = 30.0) -> None:
        stop_child(self._process, signal.SIGINT, timeout_seconds)

    def log_tail(self, lines: int = 30) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def log_problems(self) -> dict[str, Any]:
        """Tracebacks and error lines the service wrote: counted, with the distinct last lines."""
        if not self.log_path.exists():
            return {"tracebacks": 0, "error_lines": 0, "examples": []}
        text = self.log_path.read_text(errors="replace")
        lines = text.splitlines()
        tracebacks = text.count("Traceback (most recent call last)")
        errors = [line for line in lines if re.search(r"\b(ERROR|CRITICAL|Exception|Error:)", line)]
        examples: list[str] = []
        for line in errors:
            short = line.strip()[:240]
            if short not in examples:
                examples.append(short)
        return {"tracebacks": tracebacks, "error_lines": len(errors), "examples": examples[:8]}


@contextmanager
def postgres_database() -> Iterator[str]:
    """A database of its own on the local server, dropped afterwards."""
    name = f"cascade_bench_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as error:
        raise BenchError(f"PostgreSQL is needed at {POSTGRES_ADMIN_URL}: {error}") from error
    try:
        admin.execute(f'CREATE DATABASE "{name}"')
        yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@dataclass(frozen=True)
class Participant:
    id: int
    key: str
    address: str


# 32 registrations took 1.14 s one at a time and 0.70 s with 8 in flight (4: 0.84 s, 16: 0.79 s).
REGISTRATION_CONCURRENCY = 8


class Api:
    """Synchronous set-up calls; anything but the expected status is an error naming the answer."""

    def __init__(self, base_url: str, admin_key: str) -> None:
        self.admin_key = admin_key
        self.http = httpx.Client(base_url=base_url, timeout=120)

    def close(self) -> None:
        self.http.close()

    def request(self, method: str, path: str, key: str, body: Any = None, expect: int = 200) -> Any:
        response = self.http.request(method, path, json=body, headers={"Authorization": f"Bearer {key}"})
        if response.status_code != expect:
            raise BenchError(f"{method} {path} -> {response.status_code}: {response.text[:500]}")
        return response.json()

    def health(self) -> dict[str, Any]:
        result: dict[str, Any] = self.http.get("/v1/health").json()
        return result

    def register(self, name: str, role: str, address: str | None = None) -> Participant:
        body: dict[str, Any] = {"name": name, "role": role, "country": "CN"}
        if address is not None:
            body["address"] = address
        created = self.request("POST", "/v1/participants", self.admin_key, body, expect=201)
        return Participant(created["id"], created["api_key"], created["address"])

    def register_many(self, names: list[str], role: str) -> list[Participant]:
        """Managed-key participants, in the order of `names`, a few registrations in flight at once: each
        waits for its registry transaction to be mined, and those waits overlap."""
        with ThreadPoolExecutor(REGISTRATION_CONCURRENCY) as pool:
            return list(pool.map(lambda name: self.register(name, role), names))

    def issue(self, obligor: Participant, holder: Participant, face_value: str, unit: str) -> dict[str, Any]:
        due = (datetime.now(UTC) + timedelta(days=365)).date().isoformat()
        body = {
            "obligor_participant_id": obligor.id,
            "holder_participant_id": holder.id,
            "currency": "CNY",
            "face_value": face_value,
            "minimum_unit": unit,
            "due_date": due,
            "invoice_references": ["BENCH-1"],
            "document_hash": "0x" + "cd" * 32,
        }
        result: dict[str, Any] = self.request("POST", "/v1/vouchers", self.admin_key, body, expect=201)
        return result

    def transfer(
        self, sender: Participant, token_id: int, recipient: Participant, amount: str
    ) -> dict[str, Any]:
        body = {"to_participant_id": recipient.id, "amount": amount}
        result: dict[str, Any] = self.request(
            "POST", f"/v1/notes/{token_id}/transfers", sender.key, body, expect=201
        )
        return result

    def wait_indexed(self, timeout_seconds: float) -> float:
        """Waits until the service's index has caught up with the chain head seen now."""
        started = time.monotonic()
        target = self.health()["chain_head"]
        while True:
            health = self.health()
            if health.get("indexed_head") is not None and health["indexed_head"] >= target:
                return time.monotonic() - started
            if time.monotonic() - started > timeout_seconds:
                raise BenchError(
                    f"the index reached block {health.get('indexed_head')} of {target} "
                    f"within {timeout_seconds:.0f}s"
                )
            time.sleep(0.25)


@dataclass
class Stack:
    """A fresh Anvil (automine, as the service runs it) and the service attached to it."""

    anvil: BenchAnvil
    service: ServiceProcess
    api: Api
    rpc: Rpc
    start_seconds: float

    @property
    def note(self) -> str:
        return str(self.api.health()["contracts"]["note"])


@contextmanager
def service_stack(
    name: str, database_url: str | None, work_dir: Path, info: dict[str, Any]
) -> Iterator[Stack]:
    """Starts both; on the way out stops both and records what the service logged in `info`."""
    anvil = BenchAnvil(free_port(), log_path=work_dir / f"anvil-{name}.log")
    anvil.start()
    service = ServiceProcess(
        work_dir / f"service-{name}", database_url, anvil.rpc_url, work_dir / f"service-{name}.log"
    )
    rpc = Rpc(anvil.rpc_url)
    api: Api | None = None
    try:
        started = time.perf_counter()
        api = Api(service.url, service.start())
        yield Stack(anvil, service, api, rpc, time.perf_counter() - started)
    finally:
        if api is not None:
            api.close()
        service.stop()
        rpc.close()
        anvil.stop()
        info["service_log"] = service.log_problems()
