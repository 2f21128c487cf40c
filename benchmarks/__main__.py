"""`python -m benchmarks [--quick] [--profile] [--only ...] [--e2e-clients ...]`: the benchmarks, a table,
and benchmarks/results.json.

Sections: the chain's ceiling (plain transfers), the chain's ceiling for note splits relayed in batches,
gas per operation against the ERC-3525 reference, end-to-end transfers through the API (SQLite and
PostgreSQL, 1/16/64 clients), and ledger size / lineage depth. A section that fails is reported as such
(its error in `errors`) and the others still run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.bulk import BulkConfig, run_bulk
from benchmarks.ceiling import CeilingConfig, run_ceiling
from benchmarks.common import anvil_version, load_average, rounded
from benchmarks.e2e import E2EConfig, no_profiler, run_e2e
from benchmarks.framework_floor import FloorConfig, run_framework_floor
from benchmarks.gas import run_gas
from benchmarks.note_ceiling import NoteCeilingConfig, run_note_ceiling
from benchmarks.profile import record
from benchmarks.scale import ScaleConfig, run_scale
from benchmarks.service_proc import postgres_database
from service.chain.compiler import compile_cascade
from service.settings import PROJECT_ROOT, Settings

RESULTS_PATH = PROJECT_ROOT / "benchmarks" / "results.json"
BENCH_CACHE = PROJECT_ROOT / "build" / "benchmarks"
# The end to end runs `--profile` samples (database-clients): unkeyed, 16 and 64 clients.
PROFILED_RUNS = ("sqlite-16", "sqlite-64", "postgresql-16", "postgresql-64")


@dataclass(frozen=True)
class Mode:
    name: str
    ceiling: CeilingConfig
    note_ceiling: NoteCeilingConfig
    floor: FloorConfig
    e2e: E2EConfig
    scale: ScaleConfig
    bulk: BulkConfig


QUICK = Mode(
    "quick",
    CeilingConfig(transactions=2_000, senders=100, automine_transactions=300, timeout_seconds=60),
    NoteCeilingConfig(transfers=600, holders=16, automine_transfers=320, timeout_seconds=60),
    FloorConfig(requests_per_client=20, time_bound_seconds=30),
    E2EConfig(operations_per_client={1: 20, 16: 3, 64: 2}, time_bound_seconds=20),
    ScaleConfig(
        levels=(1_000, 5_000),
        bulk_holders=10,
        clients=16,
        operations_per_client=3,
        lineage_requests=20,
        lineage_depth=50,
        chunk_pieces=10_000,
        setup_bound_seconds=90,
        index_bound_seconds=90,
        time_bound_seconds=20,
    ),
    BulkConfig(
        settlement_pieces=2_000,
        issuance_vouchers=200,
        issuance_concurrency=16,
        single_clients=16,
        single_transfers_per_client=10,
        open_loop_seconds=10,
        peer_transfers=100,
        time_bound_seconds=30,
    ),
)
FULL = Mode(
    "full",
    CeilingConfig(transactions=10_000, senders=100, automine_transactions=1_000, timeout_seconds=120),
    NoteCeilingConfig(transfers=3_000, holders=64, automine_transfers=1_600, timeout_seconds=120),
    FloorConfig(requests_per_client=100, time_bound_seconds=60),
    # Enough transfers per run that p99 does not rest on a handful of samples (960 at 16 clients).
    E2EConfig(operations_per_client={1: 100, 16: 60, 64: 20}, time_bound_seconds=90),
    ScaleConfig(
        levels=(1_000, 100_000),
        bulk_holders=50,
        clients=16,
        operations_per_client=10,
        lineage_requests=50,
        lineage_depth=50,
        chunk_pieces=10_000,
        setup_bound_seconds=300,
        index_bound_seconds=300,
        time_bound_seconds=60,
    ),
    BulkConfig(
        settlement_pieces=10_000,
        issuance_vouchers=1_000,
        issuance_concurrency=16,
        single_clients=32,
        single_transfers_per_client=20,
        open_loop_seconds=30,
        peer_transfers=500,
        time_bound_seconds=90,
    ),
)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _git_state() -> dict[str, Any]:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=10, check=False
        ).stdout.rstrip()

    changed = [
        line[3:]
        for line in git("status", "--porcelain").splitlines()
        if not line[3:].startswith("benchmarks/") and line[3:] != "Makefile"
    ]
    return {"commit": git("rev-parse", "--short", "HEAD").strip(), "changed_outside_benchmarks": changed}


class Run:
    def __init__(self, mode: Mode, work_dir: Path, profile: bool) -> None:
        self.mode = mode
        self.work_dir = work_dir
        self.profile = profile
        self.results: dict[str, Any] = {}
        self.errors: dict[str, str] = {}
        self.seconds: dict[str, float] = {}
        self.profiles: dict[str, Any] = {}

    def section(self, name: str, body: Callable[[], None]) -> None:
        log(f"== {name}")
        started = time.perf_counter()
        try:
            body()
        except Exception as error:
            self.errors[name] = f"{type(error).__name__}: {error}"
            log(f"!! {name} failed: {error}")
            log(traceback.format_exc(limit=6))
        self.seconds[name] = round(time.perf_counter() - started, 1)

    def profiler(self, pid: int, label: str) -> AbstractContextManager[Any]:
        if not self.profile or label not in PROFILED_RUNS:
            return no_profiler(pid, label)
        return record(pid, self.work_dir, label, self.profiles)


@contextmanager
def _work_dir(keep: bool) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="cascade-bench-"))
    failed = True
    try:
        yield path
        failed = False
    finally:
        if keep or failed:
            log(f"logs and data kept in {path}")
        else:
            shutil.rmtree(path, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer operations, well under a minute")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="sample the service with py-spy (16 and 64 clients, each database)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs, databases)")
    parser.add_argument(
        "--only",
        type=_section_names,
        help=f"run only these sections, comma-separated ({', '.join(SECTIONS)}); results are then "
        "written only with --output",
    )
    parser.add_argument(
        "--e2e-clients",
        type=_client_operations,
        help="end to end client counts and transfers per client, e.g. 16:100,64:30 (a keyed run "
        "follows for the mode's keyed counts among them)",
    )
    parser.add_argument("--output", type=Path)
    args = parser.parse_args(argv)
    mode = QUICK if args.quick else FULL
    if args.e2e_clients:
        mode = replace(mode, e2e=_with_clients(mode.e2e, args.e2e_clients))
    sections = args.only or SECTIONS
    output_path = args.output or (None if args.only else RESULTS_PATH)
    wall_started = time.perf_counter()
    load_before = load_average()
    with _work_dir(args.keep) as work_dir:
        run = Run(mode, work_dir, args.profile)
        artifacts: dict[str, Any] = {}

        def compile_contracts() -> None:
            artifacts.update(compile_cascade(Settings().artifacts_dir))

        def ceiling() -> None:
            run.results["ceiling"] = run_ceiling(mode.ceiling, work_dir)

        def note_ceiling() -> None:
            plain = run.results.get("ceiling", {}).get("batched", {}).get("tps")
            run.results["note_ceiling"] = run_note_ceiling(mode.note_ceiling, work_dir, plain)

        def framework_floor() -> None:
            budget = run.results.get("note_ceiling", {}).get("budget_at_half_ceiling") or {}
            run.results["framework_floor"] = run_framework_floor(
                mode.floor, work_dir, budget.get("cpu_ms_left_per_transfer")
            )

        def gas() -> None:
            run.results["gas"] = run_gas(artifacts, BENCH_CACHE, work_dir)

        def e2e_sqlite() -> None:
            rows, info = run_e2e("sqlite", None, mode.e2e, work_dir, log, run.profiler)
            run.results.setdefault("e2e", []).extend(rows)
            run.results.setdefault("e2e_info", []).append(info)

        def e2e_postgres() -> None:
            with postgres_database() as url:
                rows, info = run_e2e("postgresql", url, mode.e2e, work_dir, log, run.profiler)
            run.results.setdefault("e2e", []).extend(rows)
            run.results.setdefault("e2e_info", []).append(info)

        def scale() -> None:
            rows, info = run_scale(mode.scale, work_dir, log)
            run.results["scale"] = rows
            run.results["scale_info"] = info

        def bulk() -> None:
            run.results["bulk"] = run_bulk(
                mode.bulk,
                work_dir,
                log,
                artifacts,
                run.results.get("ceiling", {}).get("batched", {}).get("tps"),
                run.results.get("note_ceiling", {}).get("tps"),
            )

        bodies = {
            "ceiling": ceiling,
            "note-ceiling": note_ceiling,
            "framework-floor": framework_floor,
            "gas": gas,
            "e2e-sqlite": e2e_sqlite,
            "e2e-postgresql": e2e_postgres,
            "scale": scale,
            "bulk": bulk,
        }
        run.section("compile", compile_contracts)
        for name in sections:
            run.section(name, bodies[name])
        output = assemble(run, time.perf_counter() - wall_started, load_before)
        print(render(output))
        if output_path is not None:
            output_path.parent.mkdir(parents=True, exist_ok=True)
            output_path.write_text(json.dumps(output, indent=2) + "\n")
            print(f"\nresults: {output_path}")
    return 1 if run.errors else 0


SECTIONS = (
    "ceiling",
    "note-ceiling",
    "framework-floor",
    "gas",
    "e2e-sqlite",
    "e2e-postgresql",
    "scale",
    "bulk",
)


def _section_names(text: str) -> tuple[str, ...]:
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    unknown = [name for name in names if name not in SECTIONS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"unknown section(s) {unknown}; choose from {', '.join(SECTIONS)}")
    return names


def _client_operations(text: str) -> dict[int, int]:
    """`16:100,64:30` -> {16: 100, 64: 30}."""
    try:
        pairs = [item.split(":") for item in text.split(",") if item.strip()]
        operations = {int(clients): int(count) for clients, count in pairs}
    except ValueError as error:
        raise argparse.ArgumentTypeError("expected CLIENTS:TRANSFERS pairs, e.g. 16:100,64:30") from error
    if not operations or min(operations) < 1 or min(operations.values()) < 1:
        raise argparse.ArgumentTypeError("client counts and transfers per client must be at least 1")
    return operations


def _with_clients(config: E2EConfig, operations: dict[int, int]) -> E2EConfig:
    keyed = tuple(count for count in config.keyed_client_counts if count in operations)
    return replace(config, operations_per_client=operations, keyed_client_counts=keyed)


def assemble(run: Run, wall_seconds: float, load_before: list[float]) -> dict[str, Any]:
    results = run.results
    ceiling = results.get("ceiling", {})
    batched = ceiling.get("batched", {})
    automine = ceiling.get("automine_sequential", {})
    ceiling_tps = batched.get("tps")
    e2e = results.get("e2e", [])
    sqlite_64 = next(
        (
            row
            for row in e2e
            if row["db"] == "sqlite" and row["clients"] == 64 and not row["idempotency_keys"]
        ),
        None,
    )
    gas = results.get("gas", {})
    bulk = results.get("bulk", {})
    notes = _notes(run, results, load_before)
    return {
        "mode": run.mode.name,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "anvil": anvil_version(),
            "load_average_before": load_before,
            "load_average_after": load_average(),
        },
        "git": _git_state(),
        "wall_seconds": round(wall_seconds, 1),
        "section_seconds": run.seconds,
        "ceiling_tps": rounded(ceiling_tps),
        "ceiling_mode": (
            "anvil --no-mining, evm_mine after every 100 transactions; pre-signed plain ETH transfers "
            "(the harness's signer, checked byte for byte against eth-account), 100 senders, one "
            "transaction per sender per block, JSON-RPC batches of 100 "
            "over one kept-alive httpx client; clock from first send until every receipt is in; "
            "median of 3 runs"
        ),
        "ceiling_automine_sequential_tps": rounded(automine.get("tps")),
        "ceiling": ceiling,
        "note_ceiling_tps": results.get("note_ceiling", {}).get("tps"),
        "note_ceiling": results.get("note_ceiling", {}),
        "framework_floor": results.get("framework_floor", {}),
        "e2e": e2e,
        "e2e_ratio_64": (
            round(sqlite_64["tps"] / ceiling_tps, 4)
            if sqlite_64 and ceiling_tps and sqlite_64["tps"]
            else None
        ),
        "e2e_info": results.get("e2e_info", []),
        "gas": gas.get("table", {}),
        "split_ratio": rounded(gas.get("split_ratio"), 3),
        "gas_info": {key: value for key, value in gas.items() if key not in ("table", "split_ratio")},
        "scale": results.get("scale", []),
        "scale_info": results.get("scale_info", {}),
        "bulk_transfers": bulk.get("bulk_transfers"),
        "settlement_job": bulk.get("settlement_job"),
        "bulk_issuance": bulk.get("bulk_issuance"),
        "open_loop": bulk.get("open_loop"),
        "closed_loop_for_open_loop": bulk.get("closed_loop"),
        "service_cpu_ms_per_transfer_by_pieces": [
            {"pieces": row["pieces"], "ms": row.get("service_cpu_ms_per_transfer")}
            for row in results.get("scale", [])
            if row.get("depth") == 1
        ],
        "peers": bulk.get("peers"),
        "bulk_info": bulk.get("info"),
        "profile": run.profiles or None,
        "errors": run.errors,
        "notes": notes,
    }


def _notes(run: Run, results: dict[str, Any], load_before: list[float]) -> list[str]:
    notes = [
        "All processes (Anvil, the service, the load generator, PostgreSQL) share this machine's "
        f"{os.cpu_count()} cores, which other work also used: load average {load_before} before the run. "
        "Figures are single runs; expect 10-20% run-to-run spread.",
        "e2e: the service runs as `cascade serve` (a child process, default settings: WORKERS="
        f"{Settings().workers} worker processes; load starts once all serve) attached to a fresh Anvil in "
        "automine mode (how the service runs its own chain); clients are asyncio tasks, each on a kept-alive "
        "HTTP/1.1 connection of its own, in one process (the kernel hands each connection to one worker). "
        "A transfer counts when the API answers 201, i.e. after its block is mined and indexed. "
        "Latency percentiles are over confirmed transfers only; errors are counted separately. "
        "keys = yes: every request carries a fresh Idempotency-Key.",
        "e2e_ratio_64 divides by the batched no-mining ceiling; ceiling_automine_sequential_tps is the "
        "chain's limit for one transaction at a time in the mode the service uses.",
        "note ceiling: the service's own operation (a note split signed as an ERC-2771 forward request, "
        "relayed in executeBatch) pre-signed by the harness and sent straight to Anvil with the service "
        "stopped; budget_at_half_ceiling = (cores - Anvil's cores at half the plain ceiling, at the note "
        "ceiling's CPU per transfer) / that rate: what every other part of a transfer (HTTP, "
        "authentication, plan, simulation, signing, journal, index, and the load generator) may cost "
        "for e2e_ratio_64 to reach 0.5.",
        "framework floor: the transfer route with nothing behind it, served and loaded as in e2e; bare = "
        "one async endpoint without dependencies, ledger_shape = the service's router (thread pool) and "
        "dependency shape with stand-ins; cpu_ms_left_for_the_ledger = budget_at_half_ceiling minus "
        "ledger_shape's server and load generator CPU per request.",
        "gas: direct calls by the holder (no forwarder) on a fresh chain, first operation of its kind for "
        "its accounts (cold storage, recipient holding nothing). Cascade's issue also stores the voucher "
        "record; the reference mint stores only the token. split_via_forwarder is the same split relayed "
        "through the ERC-2771 forwarder. settlement_payout_per_piece is the marginal gas of one more piece "
        "in a payout batch. reference = ERC3525BaseMock from @solvprotocol/erc-3525 (own OpenZeppelin "
        "4.9.6), same solc and optimizer settings; null where it has no such operation.",
        "scale: pieces = note.tokenCount() on chain when measured (the index had caught up); bulk pieces are "
        "made directly on chain by own-wallet holders, lineage and client pieces too (the index is the "
        "same whoever sends); lineage_p50_ms is the median of sequential GETs of a 51-piece lineage.",
    ]
    if run.mode.name == "quick":
        notes.append("quick mode: fewer operations per measurement, so tails (p95/p99) rest on few samples.")
    changed = _git_state()["changed_outside_benchmarks"]
    if changed:
        notes.append(
            f"measured on a working tree with uncommitted changes outside benchmarks/: {changed[:10]}"
        )
    for row in results.get("e2e", []):
        if row["errors"] or row["hit_time_bound"]:
            notes.append(
                f"e2e {row['db']} {row['clients']} clients: {row['errors']} failed of {row['attempted']} "
                f"(statuses {row['statuses']}){'; hit the time bound' if row['hit_time_bound'] else ''}."
            )
    for info in results.get("e2e_info", []):
        integrity = info.get("integrity", {})
        if integrity.get("executed_but_not_confirmed"):
            notes.append(
                f"e2e {info['db']}: {integrity['executed_but_not_confirmed']} transfers happened on chain "
                "although their request did not get a 201."
            )
        if integrity.get("reconciliation_clean") is False or integrity.get("reconciliation_error"):
            notes.append(f"e2e {info['db']}: reconciliation after the run: {integrity}")
    for info in [*results.get("e2e_info", []), results.get("scale_info", {})]:
        log_summary = info.get("service_log", {})
        if log_summary.get("tracebacks"):
            notes.append(
                f"service log ({info.get('db')}): {log_summary['tracebacks']} tracebacks, e.g. "
                f"{log_summary['examples'][:3]}"
            )
    for row in results.get("scale", []):
        if not row.get("reached_target"):
            notes.append(
                f"scale: the {row['target_pieces']}-piece level was not reached within the set-up bound; "
                f"measured at {row['pieces']} pieces instead."
            )
            break
    for name, error in run.errors.items():
        notes.append(f"section {name} failed: {error}")
    return notes


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    cells = [[("-" if value is None else str(value)) for value in row] for row in rows]
    widths = [
        max(len(header), *(len(row[index]) for row in cells)) if cells else len(header)
        for index, header in enumerate(headers)
    ]
    lines = ["  ".join(header.rjust(width) for header, width in zip(headers, widths, strict=True))]
    lines.append("  ".join("-" * width for width in widths))
    lines += [
        "  ".join(value.rjust(width) for value, width in zip(row, widths, strict=True)) for row in cells
    ]
    return "\n".join(lines)


def _cpu(row: dict[str, Any]) -> str:
    cpu = row.get("cpu_ms_per_transfer") or {}
    if cpu.get("service") is None:
        return "-"
    return f"{cpu['service']} + {cpu.get('anvil')}"


def _render_note_ceiling(note_ceiling: dict[str, Any]) -> str:
    if not note_ceiling:
        return "note ceiling: -"
    lines = [
        f"note ceiling: {note_ceiling['tps']} transfers/s (note splits pre-signed as forward requests, "
        f"{note_ceiling['batch_requests']} per executeBatch, {note_ceiling['requests_per_block']} per block; "
        f"Anvil {note_ceiling['anvil_cpu_ms_per_transfer']} ms CPU each)   automine, "
        f"{note_ceiling['automine_batch_requests']} per batch: {note_ceiling['automine_tps']} transfers/s "
        f"(Anvil {note_ceiling['automine_anvil_cpu_ms_per_transfer']} ms CPU each)"
    ]
    budget = note_ceiling.get("budget_at_half_ceiling")
    if budget:
        lines.append(
            f"at half the ceiling ({budget['transfers_per_second']} transfers/s) the chain alone needs "
            f"{budget['anvil_cores']} of {budget['cores']} cores at its best, leaving "
            f"{budget['cpu_ms_left_per_transfer']} ms of CPU per transfer for everything else"
        )
    return "\n".join(lines)


def _render_framework_floor(floor: dict[str, Any]) -> str:
    if not floor:
        return "framework floor: -"
    lines = [
        f"framework floor (the transfer route answering at once, {floor['clients']} clients, "
        f"{floor['workers']} workers)",
        _table(
            ["app", "requests/s", "p50 ms", "p99 ms", "cpu ms/request server+load generator"],
            [
                [
                    name,
                    app["tps"],
                    app["p50_ms"],
                    app["p99_ms"],
                    f"{app['server_cpu_ms_per_request']} + {app['load_generator_cpu_ms_per_request']}",
                ]
                for name, app in floor["apps"].items()
            ],
        ),
    ]
    if floor.get("cpu_ms_left_for_the_ledger") is not None:
        lines.append(
            f"of the {floor['budget_at_half_ceiling_ms']} ms per transfer left at half the ceiling, the web "
            f"stack's floor and the load generator leave {floor['cpu_ms_left_for_the_ledger']} ms for the "
            "ledger's own work"
        )
    return "\n".join(lines)


def _render_bulk(output: dict[str, Any]) -> str:
    bulk, job, issuance = output["bulk_transfers"], output["settlement_job"], output["bulk_issuance"]
    peers = output["peers"] or {}
    lines = [
        f"bulk transfers: {bulk['tps']} items/s ({bulk['items']} items, {bulk['items_per_request']} per "
        f"request, {bulk['transactions']} transactions), ratio to ceiling {bulk['ratio_to_ceiling']}, "
        f"to note ceiling {bulk['ratio_to_note_ceiling']}",
        f"settlement job: {job['pieces']} pieces in {job['seconds']} s ({job['batches']} batches)",
        f"bulk issuance: {issuance['vouchers']} vouchers in {issuance['seconds']} s",
    ]
    for row in output["open_loop"] or []:
        lines.append(
            f"open loop ({row['db']}): {row['arrival_per_second']} arrivals/s, p50 {row['p50_ms']} ms, "
            f"p99 {row['p99_ms']} ms ({row['confirmed']} confirmed, {row['errors']} errors)"
        )
    lines.append(
        f"peers: web3.py naive {peers.get('web3py_naive_tps')} tps, tuned {peers.get('web3py_tuned_tps')} "
        f"tps; Cascade single / naive {peers.get('cascade_single_over_naive')}, / tuned "
        f"{peers.get('cascade_single_over_tuned')}; bulk / tuned {peers.get('cascade_bulk_over_tuned')}"
    )
    cpu = output.get("service_cpu_ms_per_transfer_by_pieces") or []
    if cpu:
        lines.append(
            "service CPU per transfer by pieces: " + ", ".join(f"{r['pieces']}: {r['ms']} ms" for r in cpu)
        )
    return "\n".join(lines)


def render(output: dict[str, Any]) -> str:
    ran = output["section_seconds"]
    parts = [
        f"Cascade benchmarks ({output['mode']}, {output['date']}, {output['machine']['cores']} cores, "
        f"anvil {output['machine']['anvil']}, wall {output['wall_seconds']} s)",
        "",
    ]
    if "ceiling" in ran:
        parts += [
            f"ceiling: {output['ceiling_tps']} tx/s (no-mining, batches of 100)   "
            f"automine one at a time: {output['ceiling_automine_sequential_tps']} tx/s",
            "",
        ]
    if "note-ceiling" in ran:
        parts += [_render_note_ceiling(output["note_ceiling"]), ""]
    if "framework-floor" in ran:
        parts += [_render_framework_floor(output["framework_floor"]), ""]
    if "e2e-sqlite" in ran or "e2e-postgresql" in ran:
        parts += [
            "end to end (REST API, confirmed transfers)",
            _table(
                [
                    "db",
                    "clients",
                    "keys",
                    "tps",
                    "p50 ms",
                    "p95 ms",
                    "p99 ms",
                    "ok",
                    "errors",
                    "cpu ms/transfer svc+anvil",
                ],
                [
                    [
                        row["db"],
                        row["clients"],
                        "yes" if row["idempotency_keys"] else "no",
                        row["tps"],
                        row["p50_ms"],
                        row["p95_ms"],
                        row["p99_ms"],
                        row["confirmed"],
                        row["errors"],
                        _cpu(row),
                    ]
                    for row in output["e2e"]
                ],
            ),
            f"e2e_ratio_64 (sqlite, 64 clients / ceiling): {output['e2e_ratio_64']}",
            "",
        ]
    if "gas" in ran:
        parts += [
            "gas (direct calls)",
            _table(
                ["operation", "cascade", "reference", "ratio"],
                [
                    [
                        name,
                        values.get("cascade"),
                        values.get("reference"),
                        round(values["cascade"] / values["reference"], 3)
                        if values.get("cascade") and values.get("reference")
                        else None,
                    ]
                    for name, values in output["gas"].items()
                ],
            ),
            f"split_ratio (cascade / reference, split to a new holder): {output['split_ratio']}",
            "",
        ]
    if "scale" in ran:
        parts += [
            "scale (16 clients; lineage of 51 pieces)",
            _table(
                ["pieces", "depth", "tps", "lineage p50 ms", "transfer p50 ms", "reached"],
                [
                    [
                        row["pieces"],
                        row["depth"],
                        row["tps"],
                        row["lineage_p50_ms"],
                        row["transfer_p50_ms"],
                        row["reached_target"],
                    ]
                    for row in output["scale"]
                ],
            ),
            "",
        ]
    if "bulk" in ran and output.get("bulk_transfers"):
        parts += [_render_bulk(output), ""]
    parts.append("section seconds: " + ", ".join(f"{name} {seconds}" for name, seconds in ran.items()))
    if output["errors"]:
        parts += ["", "errors:"] + [f"  {name}: {error}" for name, error in output["errors"].items()]
    parts += ["", "notes:"] + [f"  - {note}" for note in output["notes"]]
    return "\n".join(parts)


if __name__ == "__main__":
    sys.exit(main())
