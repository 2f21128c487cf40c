"""End to end: confirmed note transfers through the REST API of the real service.

Per database, a fresh Anvil (the service's own mode: automine) and `cascade serve` attached to it.
Set-up: an obligor, a sink and one participant per client (managed keys, so their transfers take the
API's ordinary path), registered through the API; a treasury with its own wallet receives one large
voucher through the API and splits a piece off it for every client directly on chain (fast set-up);
the service indexes those pieces like any other. Then 1, 16 and 64 clients each transfer 1.00 at a
time from their own piece to the sink. A transfer counts when the API answers 201, which the service
does only after its block is mined and indexed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.common import (
    CpuMeter,
    DirectSender,
    FastSigner,
    bench_key,
    block_number,
    chain_activity,
    checked_signers,
    load_average,
    minted_token,
    process_tree,
    processes_named,
)
from benchmarks.loadgen import Client, run_transfers
from benchmarks.service_proc import Participant, Stack, service_stack
from service.chain.abi import encode_call

FACE_VALUE = "1000000000.00"
UNIT = "1.00"
PIECE_MINOR = 10_000_000  # 100,000.00: far more than any run moves
AMOUNT = "1.00"
SPLIT = "transferFrom(uint256,address,uint256)"
Profiler = Callable[[int, str], AbstractContextManager[Any]]


@dataclass(frozen=True)
class E2EConfig:
    operations_per_client: dict[int, int]
    time_bound_seconds: float
    # Client counts measured once more with an Idempotency-Key on every request.
    keyed_client_counts: tuple[int, ...] = (16,)

    @property
    def client_counts(self) -> list[int]:
        return sorted(self.operations_per_client)

    @property
    def runs(self) -> list[tuple[int, bool]]:
        return [(count, False) for count in self.client_counts] + [
            (count, True) for count in self.keyed_client_counts
        ]


def no_profiler(_pid: int, _label: str) -> AbstractContextManager[Any]:
    return nullcontext()


def give_pieces(
    stack: Stack, label: str, recipients: list[Participant], obligor: Participant, value_minor: int
) -> list[int]:
    """An own-wallet treasury gets a voucher through the API and splits one piece per recipient on chain."""
    treasury_signer = FastSigner(bench_key(f"{label}-treasury", 0))
    stack.rpc.set_balances([treasury_signer.address])
    treasury = stack.api.register(f"Treasury {label}", "supplier", address=treasury_signer.address)
    root = int(stack.api.issue(obligor, treasury, FACE_VALUE, UNIT)["root_token_id"])
    direct = DirectSender(stack.rpc)
    note = stack.note
    return [
        minted_token(
            direct.transact(treasury_signer, note, encode_call(SPLIT, [root, recipient.address, value_minor]))
        )
        for recipient in recipients
    ]


def own_wallet_holders(
    stack: Stack, label: str, obligor: Participant, count: int
) -> list[tuple[FastSigner, int]]:
    """`count` suppliers with wallets of their own (harness keys, checked against eth-account first, and
    funded), each holding a voucher issued through the API: each signer with its voucher's root piece."""
    signers = checked_signers(label, count)
    stack.rpc.set_balances(signer.address for signer in signers)
    holders = []
    for index, signer in enumerate(signers):
        participant = stack.api.register(f"{label} {index}", "supplier", address=signer.address)
        holders.append(
            (signer, int(stack.api.issue(obligor, participant, FACE_VALUE, UNIT)["root_token_id"]))
        )
    return holders


def run_e2e(
    db: str,
    database_url: str | None,
    config: E2EConfig,
    work_dir: Path,
    log: Callable[[str], None],
    profiler: Profiler = no_profiler,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    info: dict[str, Any] = {"db": db}
    with service_stack(f"e2e-{db}", database_url, work_dir, info) as stack:
        info["service_start_seconds"] = round(stack.start_seconds, 2)
        started = time.perf_counter()
        api = stack.api
        obligor = api.register("Obligor", "obligor")
        sink = api.register("Sink", "supplier")
        participants = api.register_many(
            [f"Client {index}" for index in range(max(config.client_counts))], "supplier"
        )
        info["registration_ops_per_second"] = round(
            (len(participants) + 2) / (time.perf_counter() - started), 1
        )
        pieces = give_pieces(stack, "e2e", participants, obligor, PIECE_MINOR)
        info["index_wait_seconds"] = round(api.wait_indexed(60), 2)
        info["setup_seconds"] = round(time.perf_counter() - started, 2)
        for count, keyed in config.runs:
            clients = [
                Client(participant.key, token)
                for participant, token in zip(participants[:count], pieces, strict=False)
            ]
            operations = config.operations_per_client[count]
            log(
                f"  e2e {db}: {count} client(s) x {operations} transfers"
                + (", Idempotency-Key" if keyed else "")
            )
            meter = CpuMeter(
                {
                    "service": process_tree(stack.service.pid or 0),
                    "anvil": [stack.anvil.pid or 0],
                    **({"postgres (whole server)": processes_named("postgres")} if database_url else {}),
                }
            )
            meter.start()
            first_block = block_number(stack.rpc) + 1
            with profiler(stack.service.pid or 0, f"{db}-{count}" + ("-keyed" if keyed else "")):
                result = run_transfers(
                    stack.service.url, clients, sink.id, AMOUNT, operations, config.time_bound_seconds, keyed
                )
            health = api.health()
            rows.append(
                {
                    "db": db,
                    **result.summary(),
                    "idempotency_keys": keyed,
                    "cpu_ms_per_transfer": meter.per_unit_ms(result.confirmed),
                    "chain": chain_activity(stack.rpc, first_block, block_number(stack.rpc)),
                    "pending_operations_after": health.get("pending_operations"),
                    "index_lag_blocks_after": health.get("lag_blocks"),
                    "load_average": load_average(),
                }
            )
        info["integrity"] = _integrity(stack, sink, rows)
    return rows, info


def _integrity(stack: Stack, sink: Participant, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Did every confirmed transfer happen exactly once, and does the index agree with the chain?"""
    data = encode_call("balanceOf(address)", [sink.address])
    on_chain = int(stack.rpc.call("eth_call", [{"to": stack.note, "data": "0x" + data.hex()}, "latest"]), 16)
    confirmed = sum(row["confirmed"] for row in rows)
    result: dict[str, Any] = {
        "confirmed_transfers": confirmed,
        "attempted_transfers": sum(row["attempted"] for row in rows),
        "sink_pieces_on_chain": on_chain,
        "executed_but_not_confirmed": on_chain - confirmed,
    }
    try:
        stack.api.wait_indexed(60)
        report = stack.api.request("GET", "/v1/ledger/reconciliation", stack.api.admin_key)
        result["reconciliation_clean"] = report.get("clean")
        result["reconciliation_differences"] = report.get("differences", [])[:5]
    except Exception as error:  # report, do not fail the benchmark over it
        result["reconciliation_error"] = f"{type(error).__name__}: {error}"[:300]
    return result
