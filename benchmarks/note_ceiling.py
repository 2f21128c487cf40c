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

from benchmarks.common import (
    BenchError,
    CpuMeter,
    FastSigner,
    RawTransaction,
    Rpc,
    checked_signers,
    collect_receipts,
    manual_mining,
    rounded,
    send_block,
    token_count,
)
from benchmarks.e2e import SPLIT, own_wallet_holders
from benchmarks.service_proc import Stack, service_stack
from service.chain.abi import encode_call
from service.chain.compiler import compile_cascade
from service.chain.forwarder import FORWARDED_CALL_GAS, BatchEncoder, ForwardRequest, relay_batch_gas
from service.settings import Settings

SPLIT_MINOR = 100
REPETITIONS = 3
RELAYERS = 4
DEADLINE_SECONDS = 86_400


@dataclass(frozen=True)
class NoteCeilingConfig:
    transfers: int
    holders: int
    automine_transfers: int
    timeout_seconds: float
    # The batch shapes, the same in every mode: 50 requests to an executeBatch and 200 to a block for the
    # chain's best case; 16 to a batch in automine, about what the relayers reach at 64 clients.
    batch_requests: int = 50
    requests_per_block: int = 200
    automine_batch_requests: int = 16


@dataclass
class _Chain:
    rpc: Rpc
    anvil_pid: int | None
    chain_id: int
    note: str
    forwarder: str
    holders: list[FastSigner]
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
    holders, roots = zip(*own_wallet_holders(stack, "Holder", obligor, config.holders), strict=True)
    relayers = checked_signers("note-ceiling-relayer", RELAYERS)
    rpc.set_balances(signer.address for signer in relayers)
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
        list(holders),
        list(roots),
        relayers,
        forward_nonces,
        relayer_nonces,
    )


def _forward_nonce(rpc: Rpc, forwarder: str, owner: str) -> int:
    data = "0x" + encode_call("nonces(address)", [owner]).hex()
    return int(rpc.call("eth_call", [{"to": forwarder, "data": data}, "latest"]), 16)


def _batch_encoder() -> BatchEncoder:
    return BatchEncoder(compile_cascade(Settings().artifacts_dir)["CascadeForwarder"].abi)


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
        signed.append(
            (request, request.sign(chain.holders[holder].private_key, chain.chain_id, chain.forwarder))
        )
    batches = []
    for number, start in enumerate(range(0, transfers, batch_requests)):
        chunk = signed[start : start + batch_requests]
        relayer = number % len(chain.relayers)
        data = _batch_encoder().encode(chunk, chain.relayers[relayer].address)
        nonce = chain.relayer_nonces[relayer]
        batches.append(
            chain.relayers[relayer].sign(
                nonce, chain.forwarder, data, relay_batch_gas([FORWARDED_CALL_GAS] * len(chunk))
            )
        )
        chain.relayer_nonces[relayer] += 1
    return batches


def _run(
    chain: _Chain, transfers: int, batch_requests: int, requests_per_block: int | None, timeout_seconds: float
) -> dict[str, Any]:
    """One run; `requests_per_block` None means automine with one batch at a time (send, then receipt)."""
    batches = _presign(chain, transfers, batch_requests)
    tokens_before = token_count(chain.rpc, chain.note)
    deadline = time.monotonic() + timeout_seconds
    cpu = CpuMeter({"anvil": [chain.anvil_pid] if chain.anvil_pid else []})
    cpu.start()
    started = time.perf_counter()
    if requests_per_block is None:
        receipts = [_send_and_wait(chain.rpc, batch) for batch in batches]
    else:
        receipts = _send_mined(chain.rpc, batches, max(1, requests_per_block // batch_requests), deadline)
    elapsed = time.perf_counter() - started
    anvil_cpu_ms = cpu.per_unit_ms(transfers)["anvil"] if chain.anvil_pid else None
    failed = [receipt["transactionHash"] for receipt in receipts if int(receipt["status"], 16) != 1]
    made = token_count(chain.rpc, chain.note) - tokens_before
    if failed or made != transfers:
        raise BenchError(f"note ceiling: {len(failed)} batches failed, {made} of {transfers} pieces made")
    return {
        "tps": transfers / elapsed,
        "anvil_cpu_ms_per_transfer": anvil_cpu_ms,
        "gas_per_transfer": sum(int(receipt["gasUsed"], 16) for receipt in receipts) // transfers,
    }


def _send_mined(
    rpc: Rpc, batches: list[RawTransaction], per_block: int, deadline: float
) -> list[dict[str, Any]]:
    with manual_mining(rpc):
        for start in range(0, len(batches), per_block):
            send_block(rpc, batches[start : start + per_block])
        return collect_receipts(rpc, [batch.hash for batch in batches], deadline)


def _send_and_wait(rpc: Rpc, batch: RawTransaction) -> dict[str, Any]:
    """One batch, answered with its receipt once mined (no polling traffic of the harness's own)."""
    result: dict[str, Any] = rpc.call("eth_sendRawTransactionSync", ["0x" + batch.raw.hex()])
    return result
