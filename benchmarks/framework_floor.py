"""The web stack's own floor: what uvicorn and FastAPI cost per transfer request before the ledger works.

The two apps of `benchmarks.floor_app` (the transfer route answering at once: `bare`, an async endpoint;
`ledger_shape`, the service's router and dependency shape with nothing behind them) served as `cascade
serve` serves the API (uvicorn, the same number of forked workers, the same garbage-collector tuning),
loaded by the end to end runs' load generator and clients. Per app: requests/s, p50/p99, and the CPU
milliseconds per request of the server and of the load generator.

With the note ceiling's budget (`budget_at_half_ceiling`: the CPU per transfer the machine leaves at half
the plain ceiling once the chain's own share is taken out), `cpu_ms_left_for_the_ledger` is what remains
per transfer for the ledger's own work (plan, simulation, signing, journal, relay, index) once the web
stack and the load generator have had theirs: the room the 50% target leaves on this machine.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.common import BenchError, CpuMeter, free_port, process_tree, rounded, stop_child
from benchmarks.floor_app import FACTORIES, READY_DIR_VARIABLE
from benchmarks.loadgen import Client, run_transfers
from service.processes import die_with_parent
from service.settings import PROJECT_ROOT, Settings

START_TIMEOUT_SECONDS = 60.0


@dataclass(frozen=True)
class FloorConfig:
    requests_per_client: int
    time_bound_seconds: float
    clients: int = 64  # the end to end runs' largest count, in every mode


def compute_ledger_room(budget_ms: float | None, floor: dict[str, Any] | None) -> float | None:
    """CPU ms per transfer left for the ledger's own work: the budget minus the web stack's floor and the
    load generator's share (never below zero: a floor above the budget leaves nothing)."""
    if budget_ms is None or not floor:
        return None
    server, load_generator = (
        floor.get("server_cpu_ms_per_request"),
        floor.get("load_generator_cpu_ms_per_request"),
    )
    if server is None or load_generator is None:
        return None
    return rounded(max(budget_ms - server - load_generator, 0.0), 2)


def run_framework_floor(config: FloorConfig, work_dir: Path, budget_ms: float | None) -> dict[str, Any]:
    # Both servers start at once (their imports overlap) and are measured one after the other: an idle
    # server takes no CPU from the one under load.
    servers = [_FloorServer(name, work_dir) for name in FACTORIES]
    try:
        for server in servers:
            server.start()
        for server in servers:
            server.wait_until_serving()
        apps = {server.name: server.measure(config) for server in servers}
    finally:
        for server in servers:
            server.stop()
    return {
        "clients": config.clients,
        "requests_per_client": config.requests_per_client,
        "workers": Settings().workers,
        "apps": apps,
        "budget_at_half_ceiling_ms": budget_ms,
        "cpu_ms_left_for_the_ledger": compute_ledger_room(budget_ms, apps.get("ledger_shape")),
    }


class _FloorServer:
    """One floor app as `python -m benchmarks.floor_app`, on a free port, with its workers forked."""

    def __init__(self, name: str, work_dir: Path) -> None:
        self.name = name
        self.port = free_port()
        self.workers = Settings().workers
        self.ready_dir = work_dir / f"floor-{name}"
        self.log_path = work_dir / f"floor-{name}.log"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.ready_dir.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "benchmarks.floor_app", self.name, str(self.port), str(self.workers)],
                cwd=PROJECT_ROOT,
                env={**os.environ, READY_DIR_VARIABLE: str(self.ready_dir)},
                stdout=log,
                stderr=log,
                preexec_fn=die_with_parent,
            )

    def wait_until_serving(self) -> None:
        assert self._process is not None
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while len(list(self.ready_dir.glob("ready-*"))) < self.workers:
            if self._process.poll() is not None:
                raise BenchError(
                    f"the floor's {self.name} server exited with {self._process.returncode}: "
                    f"{self.log_path.read_text()[-2000:]}"
                )
            if time.monotonic() > deadline:
                raise BenchError(
                    f"the floor's {self.workers} {self.name} workers did not start within "
                    f"{START_TIMEOUT_SECONDS:.0f} s"
                )
            time.sleep(0.1)
        time.sleep(0.5)  # the last worker announced itself while building its app, before it accepts

    def measure(self, config: FloorConfig) -> dict[str, Any]:
        assert self._process is not None
        clients = [Client(key=f"floor-{index}", token_id=index + 1) for index in range(config.clients)]
        meter = CpuMeter({"server": process_tree(self._process.pid)})
        meter.start()
        result = run_transfers(
            f"http://127.0.0.1:{self.port}",
            clients,
            recipient_id=1,
            amount="1.00",
            operations_per_client=config.requests_per_client,
            time_bound_seconds=config.time_bound_seconds,
        )
        cpu = meter.per_unit_ms(result.confirmed)
        summary = result.summary()
        if summary["errors"]:
            raise BenchError(
                f"framework floor {self.name}: {summary['statuses']} {summary['error_examples'][:2]}"
            )
        return {
            "tps": summary["tps"],
            "p50_ms": summary["p50_ms"],
            "p99_ms": summary["p99_ms"],
            "requests": summary["confirmed"],
            "server_cpu_ms_per_request": cpu["server"],
            "load_generator_cpu_ms_per_request": cpu["load generator"],
        }

    def stop(self) -> None:
        stop_child(self._process, signal.SIGTERM)
