"""The chain's own limit for what the service sends: note splits relayed through `executeBatch`.

`ceiling.py` measures plain ETH transfers. A confirmed transfer through the API is a note split that a
participant signed as an ERC-2771 forward request and a relayer carried in an `executeBatch`
transaction. Here the harness does all of that in advance (holders sign the forward requests, harness
relayer accounts sign the batches) and sends the batches straight to the service's own Anvil after the
service has been stopped: no HTTP, no database, no Python on the path. What it measures:

- `tps`: with automine off and `evm_mine` after every `requests_per_block` requests (the chain's best
  case, as the plain ceiling), median of REPETITIONS runs on the same chain;
- `automine_tps`: one batch at a time in automine (the mode the service runs Anvil in: a block per
  batch), the batch size the relayers reach at 64 clients;
- Anvil's CPU per transfer in both, and from it `budget_at_half_ceiling`: at half the plain ceiling
  (the issue's target), how much of the machine the chain itself needs at its best, and how many
  milliseconds of CPU per transfer that leaves for everything else (HTTP, authentication, planning,
  simulation, signing, journal, index, and the load generator).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.ceiling import collect_receipts
from benchmarks.common import (
    BenchError,
    FastSigner,
    RawTransaction,
    Rpc,
    bench_key,
    process_cpu_seconds,
    rounded,
)
from benchmarks.e2e import FACE_VALUE, UNIT
from benchmarks.service_proc import Stack, service_stack
from service.chain.abi import encode_call
from service.chain.client import RELAY_GAS
from service.chain.forwarder import EXECUTE_BATCH_SIGNATURE, FORWARDED_CALL_GAS, ForwardRequest

SPLIT = "transferFrom(uint256,address,uint256)"
SPLIT_MINOR = 100
REPETITIONS = 3
RELAYERS = 4
DEADLINE_SECONDS = 86_400


@dataclass(frozen=True)
class NoteCeilingConfig:
    transfers: int
    holders: int
    batch_requests: int
    requests_per_block: int
    automine_batch_requests: int
    automine_transfers: int
    timeout_seconds: float


@dataclass
class _Chain:
    rpc: Rpc
    anvil_pid: int | None
    chain_id: int
    note: str
    forwarder: str
    holders: list[FastSigner]
    holder_keys: list[bytes]
    roots: list[int]
    relayers: list[FastSigner]
    forward_nonces: list[int]
    relayer_nonces: list[int]


def run_note_ceiling(
    config: NoteCeilingConfig, work_dir: Path, plain_ceiling_tps: float | None
) -> dict[str, Any]:
    info: dict[str, Any] = {}
    with service_stack("note-ceiling", None, work_dir, info) as stack:
        chain = _set_up(stack, config)
        stack.service.stop()  # nothing but Anvil and this harness from here on
        # Automine first: Anvil's work per block grows with its state, and the runs below add pieces.
        automine = _run(
            chain,
            config.automine_transfers,
            config.automine_batch_requests,
            None,
            config.timeout_seconds,
        )
        runs = [
            _run(
                chain,
                config.transfers,
                config.batch_requests,
                config.requests_per_block,
                config.timeout_seconds,
            )
            for _ in range(REPETITIONS)
        ]
    median_run = sorted(runs, key=lambda run: run["tps"])[len(runs) // 2]
    return {
        "tps": rounded(median_run["tps"]),
        "tps_runs": [rounded(run["tps"]) for run in runs],
        "anvil_cpu_ms_per_transfer": median_run["anvil_cpu_ms_per_transfer"],
        "gas_per_transfer": median_run["gas_per_transfer"],
        "transfers": config.transfers,
        "holders": config.holders,
        "batch_requests": config.batch_requests,
        "requests_per_block": config.requests_per_block,
        "automine_tps": rounded(automine["tps"]),
        "automine_anvil_cpu_ms_per_transfer": automine["anvil_cpu_ms_per_transfer"],
        "automine_batch_requests": config.automine_batch_requests,
        "budget_at_half_ceiling": compute_budget(
            plain_ceiling_tps, median_run["anvil_cpu_ms_per_transfer"], os.cpu_count() or 1
        ),
        "service_log": info.get("service_log"),
    }


def compute_budget(
    plain_ceiling_tps: float | None, anvil_cpu_ms: float | None, cores: int
) -> dict[str, Any] | None:
    """What is left of the machine per transfer at half the plain ceiling, the chain's best case taken out."""
    if not plain_ceiling_tps or anvil_cpu_ms is None:
        return None
    rate = plain_ceiling_tps / 2
    anvil_cores = rate * anvil_cpu_ms / 1000
    return {
        "transfers_per_second": rounded(rate),
        "cores": cores,
        "anvil_cores": rounded(anvil_cores, 2),
        "cpu_ms_left_per_transfer": rounded(max(cores - anvil_cores, 0.0) * 1000 / rate, 2),
    }


def _set_up(stack: Stack, config: NoteCeilingConfig) -> _Chain:
    """Own-wallet holders with a voucher each (through the API), and harness relayer accounts."""
    api, rpc = stack.api, stack.rpc
    contracts = api.health()["contracts"]
    obligor = api.register("Obligor", "obligor")
    holder_keys = [bench_key("note-ceiling", index) for index in range(config.holders)]
    holders = [FastSigner(key) for key in holder_keys]
    relayers = [FastSigner(bench_key("note-ceiling-relayer", index)) for index in range(RELAYERS)]
    for signer in (*holders, *relayers):
        signer.self_check()
    rpc.set_balances(signer.address for signer in (*holders, *relayers))
    roots = []
    for index, signer in enumerate(holders):
        participant = api.register(f"Holder {index}", "supplier", address=signer.address)
        roots.append(int(api.issue(obligor, participant, FACE_VALUE, UNIT)["root_token_id"]))
    forward_nonces = [_forward_nonce(rpc, contracts["forwarder"], signer.address) for signer in holders]
    relayer_nonces = [
        int(rpc.call("eth_getTransactionCount", [signer.address, "pending"]), 16) for signer in relayers
    ]
    return _Chain(
        rpc,
        stack.anvil.pid,
        int(rpc.call("eth_chainId"), 16),
        contracts["note"],
        contracts["forwarder"],
        holders,
        holder_keys,
        roots,
        relayers,
        forward_nonces,
        relayer_nonces,
    )


def _forward_nonce(rpc: Rpc, forwarder: str, owner: str) -> int:
    data = "0x" + encode_call("nonces(address)", [owner]).hex()
    return int(rpc.call("eth_call", [{"to": forwarder, "data": data}, "latest"]), 16)


def _presign(chain: _Chain, transfers: int, batch_requests: int) -> list[RawTransaction]:
    """Transfer i: holder i % holders splits 1.00 off its root to the next holder, K to a batch."""
    deadline = int(time.time()) + DEADLINE_SECONDS
    signed = []
    count = len(chain.holders)
    for index in range(transfers):
        holder = index % count
        data = encode_call(
            SPLIT, [chain.roots[holder], chain.holders[(holder + 1) % count].address, SPLIT_MINOR]
        )
        request = ForwardRequest(
            chain.holders[holder].address,
            chain.note,
            FORWARDED_CALL_GAS,
            chain.forward_nonces[holder],
            deadline,
            data,
        )
        chain.forward_nonces[holder] += 1
        signed.append((request, request.sign(chain.holder_keys[holder], chain.chain_id, chain.forwarder)))
    batches = []
    for number, start in enumerate(range(0, transfers, batch_requests)):
        chunk = signed[start : start + batch_requests]
        relayer = number % len(chain.relayers)
        data = encode_call(
            EXECUTE_BATCH_SIGNATURE,
            [[request.as_tuple(signature) for request, signature in chunk], chain.relayers[relayer].address],
        )
        batches.append(
            chain.relayers[relayer].sign(
                chain.relayer_nonces[relayer], chain.forwarder, data, RELAY_GAS * len(chunk) + 100_000
            )
        )
        chain.relayer_nonces[relayer] += 1
    return batches


def _run(
    chain: _Chain, transfers: int, batch_requests: int, requests_per_block: int | None, timeout_seconds: float
) -> dict[str, Any]:
    """One run; `requests_per_block` None means automine with one batch at a time (send, then receipt)."""
    batches = _presign(chain, transfers, batch_requests)
    tokens_before = _token_count(chain)
    deadline = time.monotonic() + timeout_seconds
    cpu_before = process_cpu_seconds(chain.anvil_pid)
    started = time.perf_counter()
    if requests_per_block is None:
        receipts = [_send_and_wait(chain.rpc, batch) for batch in batches]
    else:
        receipts = _send_mined(chain.rpc, batches, max(1, requests_per_block // batch_requests), deadline)
    elapsed = time.perf_counter() - started
    cpu_after = process_cpu_seconds(chain.anvil_pid)
    failed = [receipt["transactionHash"] for receipt in receipts if int(receipt["status"], 16) != 1]
    made = _token_count(chain) - tokens_before
    if failed or made != transfers:
        raise BenchError(f"note ceiling: {len(failed)} batches failed, {made} of {transfers} pieces made")
    return {
        "tps": transfers / elapsed,
        "anvil_cpu_ms_per_transfer": (
            rounded((cpu_after - cpu_before) * 1000 / transfers, 3)
            if cpu_before is not None and cpu_after is not None
            else None
        ),
        "gas_per_transfer": sum(int(receipt["gasUsed"], 16) for receipt in receipts) // transfers,
    }


def _send_mined(
    rpc: Rpc, batches: list[RawTransaction], per_block: int, deadline: float
) -> list[dict[str, Any]]:
    rpc.call("evm_setAutomine", [False])
    try:
        for start in range(0, len(batches), per_block):
            items = rpc.batch(
                [
                    ("eth_sendRawTransaction", ["0x" + batch.raw.hex()])
                    for batch in batches[start : start + per_block]
                ]
            )
            errors = [item["error"] for item in items if "error" in item]
            if errors:
                raise BenchError(f"anvil refused {len(errors)} batches, e.g. {errors[0]}")
            rpc.call("evm_mine")
        return collect_receipts(rpc, [batch.hash for batch in batches], deadline)
    finally:
        rpc.call("evm_setAutomine", [True])


def _send_and_wait(rpc: Rpc, batch: RawTransaction) -> dict[str, Any]:
    """One batch, answered with its receipt once mined (no polling traffic of the harness's own)."""
    result: dict[str, Any] = rpc.call("eth_sendRawTransactionSync", ["0x" + batch.raw.hex()])
    return result


def _token_count(chain: _Chain) -> int:
    data = "0x" + encode_call("tokenCount()", []).hex()
    return int(chain.rpc.call("eth_call", [{"to": chain.note, "data": data}, "latest"]), 16)
