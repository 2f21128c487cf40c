"""The embedded local chain: an Anvil child process whose state survives restarts."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx

from service.private_files import PRIVATE_UMASK, ensure_private_directory, open_private
from service.processes import die_with_parent
from service.settings import PROJECT_ROOT

ANVIL_BINARY = PROJECT_ROOT / "node_modules" / "@foundry-rs" / "anvil-linux-amd64" / "bin" / "anvil"


def _port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


class AnvilProcess:
    def __init__(
        self,
        port: int,
        state_path: Path | None = None,
        block_time_seconds: float | None = None,
        log_path: Path | None = None,
    ) -> None:
        self.port = port
        self.state_path = state_path
        self.block_time_seconds = block_time_seconds
        self.log_path = log_path
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def rpc_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        command = [str(ANVIL_BINARY), "--port", str(self.port), "--host", "127.0.0.1", "--silent"]
        # A generous gas limit keeps large settlement batches in one block.
        command += ["--gas-limit", "100000000", "--code-size-limit", "49152"]
        # Past 500 blocks Anvil otherwise writes every block's whole state as a JSON file under
        # ~/.foundry/anvil/tmp (serialising it on the block's path) and leaves the files when it stops:
        # 4.7 GB after one benchmark run, 31 GB after a session. The last 500 blocks' states stay in
        # memory, which is all the ledger reads back (reconciliation reads at the index's checkpoint).
        command += ["--max-persisted-states", "0"]
        if self.state_path is not None:
            # Interval dumps bound what an abrupt machine stop can lose; a clean stop dumps on exit.
            command += ["--state", str(self.state_path), "--state-interval", "2"]
        if self.block_time_seconds:
            command += ["--block-time", str(self.block_time_seconds)]
        return command

    def start(self, timeout_seconds: float = 30.0) -> None:
        if not ANVIL_BINARY.exists():
            raise RuntimeError(f"anvil not found at {ANVIL_BINARY}; run `make setup` (npm install)")
        if not _port_is_free(self.port):
            # Otherwise the readiness probe would be answered by whatever already listens there.
            raise RuntimeError(
                f"port {self.port} is in use (another Cascade or Anvil?): stop it, or set ANVIL_PORT, "
                "or attach to that chain with CHAIN_RPC_URL"
            )
        if self.state_path is not None:
            ensure_private_directory(self.state_path.parent)
        log = open_private(self.log_path, os.O_WRONLY | os.O_APPEND) if self.log_path else subprocess.DEVNULL
        restoring = self.state_path is not None and self.state_path.exists()
        try:
            # umask: the state file Anvil writes into the data directory is private too (0600).
            self._process = subprocess.Popen(
                self.command(),
                stdout=log,
                stderr=log,
                preexec_fn=die_with_parent,
                start_new_session=True,
                umask=PRIVATE_UMASK,
            )
        finally:
            if self.log_path:
                os.close(log)
        self._wait_ready(timeout_seconds)
        if restoring:
            self._keep_clock_monotonic()

    def _wait_ready(self, timeout_seconds: float) -> None:
        deadline = time.monotonic() + timeout_seconds
        payload = {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise RuntimeError(f"anvil exited early with code {self._process.returncode}")
            try:
                if httpx.post(self.rpc_url, json=payload, timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"anvil did not answer on {self.rpc_url} within {timeout_seconds}s")

    def stop(self, timeout_seconds: float = 20.0) -> None:
        if self._process is None or self._process.poll() is not None:
            return
        # SIGTERM makes anvil write its state file before it exits.
        self._process.send_signal(signal.SIGTERM)
        try:
            self._process.wait(timeout=timeout_seconds)
        except subprocess.TimeoutExpired:
            os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait()
        self._process = None

    def _keep_clock_monotonic(self) -> None:
        """Anvil restored from its state file stamps new blocks with the wall clock, which may lie before
        its latest block if the chain's clock was ahead (moved on purpose): time would run backwards
        and, say, a matured voucher turn active again. Its clock goes on from the latest block instead."""
        latest = self._call("eth_getBlockByNumber", ["latest", False])
        timestamp = int(latest["timestamp"], 16)
        if timestamp > time.time():
            self._call("anvil_setTime", [timestamp])

    def _call(self, method: str, params: list[Any]) -> Any:
        payload = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
        return httpx.post(self.rpc_url, json=payload, timeout=10.0).json()["result"]

    def wait_for_state_dump(self, timeout_seconds: float) -> None:
        """Waits until Anvil has written its state file after this call (it dumps every 2 s), so that
        what the chain holds now survives a crash of Anvil."""
        if self.state_path is None:
            return
        since = time.time()
        deadline = time.monotonic() + timeout_seconds
        while time.monotonic() < deadline:
            if self.state_path.exists() and self.state_path.stat().st_mtime > since:
                os.chmod(self.state_path, 0o600)
                return
            time.sleep(0.1)
        raise RuntimeError(f"Anvil did not save its state to {self.state_path} within {timeout_seconds}s")

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def exited(self) -> bool:
        """Whether the Anvil this object started is gone (crashed or killed)."""
        return self._process is None or self._process.poll() is not None

    @property
    def exit_code(self) -> int | None:
        """How it ended (negative: killed by that signal); None while it runs or if never started."""
        return self._process.poll() if self._process is not None else None

    def kill(self) -> None:
        """Stops anvil abruptly, as a crash would (for fault tests)."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        self._process = None
