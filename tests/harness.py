"""The service as an operator runs it (`cascade serve`, `cascade api`, `cascade writer`), and a client
that retries every request with its Idempotency-Key until it has a definite answer, as a careful client
does. Shared by the fault, replica and real-network tests."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

from service.settings import PROJECT_ROOT
from tests.conftest import free_port

CASCADE = str(PROJECT_ROOT / ".venv" / "bin" / "cascade")
# Answers that say nothing definite yet: the service restarting, the outcome on its way.
RETRYABLE = {500, 502, 503, 504}


class CascadeProcess:
    """One `cascade` command as a child process, with its own environment and log."""

    def __init__(self, command: Sequence[str], env: dict[str, str], log: Path) -> None:
        self.command = [CASCADE, *command]
        self.env = env
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(self.command, env=self.env, stdout=log, stderr=log)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def tail(self, characters: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-characters:] if self.log.exists() else ""


def base_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("CHAIN_RPC_URL", "DATABASE_URL", "CASCADE_EMBEDDED_CHAIN", "PORT")
    }
    env.update({"CASCADE_DATA_DIR": str(data_dir), "INDEXER_POLL_SECONDS": "0.2", **extra})
    return env


def wait_until_serving(url: str, process: CascadeProcess, timeout_seconds: float = 120) -> None:
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        assert process.alive(), f"{process.command} exited: {process.tail()}"
        try:
            if httpx.get(f"{url}/v1/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} did not start: {process.tail()}")


class ServedLedger:
    """`cascade serve`: the embedded Anvil (unless CHAIN_RPC_URL), the chain writer and the API."""

    def __init__(self, data_dir: Path, workers: int = 2, **env: str) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = base_env(data_dir, ANVIL_PORT=str(free_port()), WORKERS=str(workers), **env)
        self.process = CascadeProcess(
            ["serve", "--port", str(self.port)], self.env, data_dir.parent / "serve.log"
        )
        self.starts = 0

    @property
    def rpc_url(self) -> str:
        """The embedded Anvil's JSON-RPC URL."""
        return f"http://127.0.0.1:{self.env['ANVIL_PORT']}"

    def start(self) -> None:
        self.process.start()
        wait_until_serving(self.url, self.process)
        self.starts += 1

    def pids(self) -> dict[str, int]:
        """The supervisor's children as it last wrote them (`data/processes`)."""
        found: dict[str, int] = {}
        for line in (self.data_dir / "processes").read_text().splitlines():
            name, pid = line.split()
            found[name] = int(pid)
        return found

    def api_workers(self) -> list[int]:
        api = self.pids()["api"]
        children = Path(f"/proc/{api}/task/{api}/children")
        return [int(pid) for pid in children.read_text().split()] if children.exists() else []

    def kill_everything(self) -> None:
        """Every process of the ledger at once, as a power cut would: nothing gets to clean up."""
        pids = [*self.pids().values(), *self.api_workers()]
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        assert self.process.process is not None
        self.process.process.wait(timeout=30)
        for pid in pids:  # the children may take a moment to be reaped by nobody
            _wait_gone(pid)

    def stop(self) -> None:
        self.process.stop()

    def admin_key(self) -> str:
        return (self.data_dir / "admin-api-key").read_text().strip()

    def reconcile(self) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [CASCADE, "reconcile"], env=self.env, capture_output=True, text=True, timeout=300
        )


def _wait_gone(pid: int, timeout_seconds: float = 10) -> None:
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/status") as status:
                if "State:\tZ" in status.read():
                    return
        except FileNotFoundError:
            return
        time.sleep(0.05)


def call(
    url: str,
    key: str,
    method: str,
    path: str,
    body: Any = None,
    idempotency_key: str | None = None,
    timeout_seconds: float = 300,
    urls: Sequence[str] = (),
) -> httpx.Response:
    """One logical request, retried with the same key (through restarts, and across `urls` if given,
    as a client behind a load balancer) until it has a definite answer."""
    headers = {"Authorization": f"Bearer {key}"}
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    targets = [url, *urls]
    deadline = time.monotonic() + timeout_seconds
    attempt = 0
    while True:
        target = targets[attempt % len(targets)]
        attempt += 1
        try:
            response = httpx.request(method, f"{target}{path}", json=body, headers=headers, timeout=60)
            in_progress = (
                response.status_code == 409
                and response.json().get("code") == "idempotency_request_in_progress"
            )
            if response.status_code not in RETRYABLE and not in_progress:
                return response
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, f"{method} {path} ({idempotency_key}) never got a definite answer"
        time.sleep(0.1)
