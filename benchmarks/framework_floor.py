"""The web stack's own floor: what uvicorn and FastAPI cost per transfer request before the ledger works.

The two apps of `benchmarks.floor_app` (the transfer route answering at once: `bare`, an async endpoint;
`ledger_shape`, the service's router and dependency shape with nothing behind them) served as `cascade
serve` serves the API (uvicorn, the same worker count, the same garbage-collector tuning), loaded by the
end to end runs' load generator and clients. Per app: requests/s, p50/p99, and the CPU milliseconds per
request of the server and of the load generator.

With the note ceiling's budget (`budget_at_half_ceiling`: the CPU per transfer the machine leaves at half
the plain ceiling once the chain's own share is taken out), `cpu_ms_left_for_the_ledger` is what remains
per transfer for the ledger's own work (plan, simulation, signing, journal, relay, index) once the web
stack and the load generator have had theirs: the room the 50% target leaves on this machine.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.common import BenchError, CpuMeter, free_port, process_tree, rounded
from benchmarks.floor_app import READY_DIR_VARIABLE
from benchmarks.loadgen import Client, run_transfers
from service.processes import die_with_parent
from service.settings import PROJECT_ROOT, Settings

APPS = {"bare": "create_bare_app", "ledger_shape": "create_ledger_shape_app"}
START_TIMEOUT_SECONDS = 60.0


@dataclass(frozen=True)
class FloorConfig:
    clients: int
    requests_per_client: int
    time_bound_seconds: float


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
    apps = {name: _measure(name, factory, config, work_dir) for name, factory in APPS.items()}
    return {
        "clients": config.clients,
        "requests_per_client": config.requests_per_client,
        "workers": Settings().workers,
        "apps": apps,
        "budget_at_half_ceiling_ms": budget_ms,
        "cpu_ms_left_for_the_ledger": compute_ledger_room(budget_ms, apps.get("ledger_shape")),
    }


def _measure(name: str, factory: str, config: FloorConfig, work_dir: Path) -> dict[str, Any]:
    ready_dir = work_dir / f"floor-{name}"
    ready_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    workers = Settings().workers
    log_path = work_dir / f"floor-{name}.log"
    with open(log_path, "ab") as log:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                f"benchmarks.floor_app:{factory}",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(workers),
                "--log-level",
                "warning",
            ],
            cwd=PROJECT_ROOT,
            env={**os.environ, READY_DIR_VARIABLE: str(ready_dir)},
            stdout=log,
            stderr=log,
            preexec_fn=die_with_parent,
        )
    try:
        _wait_for_workers(server, ready_dir, workers, log_path)
        clients = [Client(key=f"floor-{index}", token_id=index + 1) for index in range(config.clients)]
        meter = CpuMeter({"server": process_tree(server.pid)})
        meter.start()
        result = run_transfers(
            f"http://127.0.0.1:{port}",
            clients,
            recipient_id=1,
            amount="1.00",
            operations_per_client=config.requests_per_client,
            time_bound_seconds=config.time_bound_seconds,
        )
        cpu = meter.per_unit_ms(result.confirmed)
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    summary = result.summary()
    if summary["errors"]:
        raise BenchError(f"framework floor {name}: {summary['statuses']} {summary['error_examples'][:2]}")
    return {
        "tps": summary["tps"],
        "p50_ms": summary["p50_ms"],
        "p99_ms": summary["p99_ms"],
        "requests": summary["confirmed"],
        "server_cpu_ms_per_request": cpu["server"],
        "load_generator_cpu_ms_per_request": cpu["load generator"],
    }


def _wait_for_workers(server: subprocess.Popen[bytes], ready_dir: Path, workers: int, log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while len(list(ready_dir.glob("ready-*"))) < workers:
        if server.poll() is not None:
            raise BenchError(
                f"the floor's server exited with {server.returncode}: {log_path.read_text()[-2000:]}"
            )
        if time.monotonic() > deadline:
            raise BenchError(
                f"the floor's {workers} workers did not start within {START_TIMEOUT_SECONDS:.0f} s"
            )
        time.sleep(0.1)
    time.sleep(0.5)  # the last worker announced itself while building its app, before it accepts
