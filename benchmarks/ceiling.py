"""The chain's own limit: pre-signed plain transfers sent straight to a fresh Anvil.

Main figure: Anvil with `--no-mining`, `evm_mine` after every batch of 100 transactions, each batch one
JSON-RPC request over a kept-alive connection, one transaction per sender per block (the pattern
TOOLCHAIN.md found free of stuck nonces). The clock runs from the first send until every receipt is in.
Second figure, for comparison with the service: automine (the mode the service runs Anvil in), one
transaction at a time from one sender, send then poll for its receipt.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.common import (
    BenchAnvil,
    BenchError,
    FastSigner,
    RawTransaction,
    Rpc,
    checked_signers,
    collect_receipts,
    free_port,
    send_block,
)

BATCH_SIZE = 100
REPETITIONS = 3
SINK = "0x000000000000000000000000000000000000bEEF"


@dataclass(frozen=True)
class CeilingConfig:
    transactions: int
    senders: int
    automine_transactions: int
    timeout_seconds: float


def _presign(count: int, signers: list[FastSigner]) -> list[RawTransaction]:
    """Transaction i comes from sender i % senders with nonce i // senders: one per sender per batch.

    The harness's signer, not eth-account, which signs about 600 a second here (50 s of a full run)."""
    senders = len(signers)
    return [signers[i % senders].sign(i // senders, SINK, b"", 21_000, value=1) for i in range(count)]


def _batched_run(
    rpc: Rpc, config: CeilingConfig, signers: list[FastSigner], transactions: list[RawTransaction]
) -> dict[str, Any]:
    rpc.set_balances(signer.address for signer in signers)
    deadline = time.monotonic() + config.timeout_seconds
    started = time.perf_counter()
    for start in range(0, len(transactions), BATCH_SIZE):
        send_block(rpc, transactions[start : start + BATCH_SIZE])
        if time.monotonic() > deadline:
            raise BenchError("ceiling run exceeded its time bound while sending")
    receipts = collect_receipts(rpc, [tx.hash for tx in transactions], deadline)
    elapsed = time.perf_counter() - started
    return {
        "tps": config.transactions / elapsed,
        "seconds": elapsed,
        "failed": sum(1 for receipt in receipts if int(receipt["status"], 16) != 1),
        "blocks": len({receipt["blockNumber"] for receipt in receipts}),
    }


def _batched_no_mining(config: CeilingConfig, log_dir: Path) -> dict[str, Any]:
    """Median of REPETITIONS runs, each on a fresh Anvil, of the same transactions: signed once, since
    every fresh chain starts the senders at nonce 0."""
    signers = checked_signers("ceiling", config.senders)
    sign_started = time.perf_counter()
    transactions = _presign(config.transactions, signers)
    presign_rate = config.transactions / (time.perf_counter() - sign_started)
    runs = []
    for repetition in range(REPETITIONS):
        anvil = BenchAnvil(free_port(), no_mining=True, log_path=log_dir / f"anvil-ceiling-{repetition}.log")
        anvil.start()
        rpc = Rpc(anvil.rpc_url)
        try:
            runs.append(_batched_run(rpc, config, signers, transactions))
        finally:
            rpc.close()
            anvil.stop()
    rates = sorted(run["tps"] for run in runs)
    return {
        "tps": rates[len(rates) // 2],
        "tps_runs": [round(run["tps"], 1) for run in runs],
        "transactions": config.transactions,
        "senders": config.senders,
        "batch_size": BATCH_SIZE,
        "blocks": runs[0]["blocks"],
        "failed": sum(run["failed"] for run in runs),
        "presign_rate_per_s": round(presign_rate),
    }


def _automine_sequential(config: CeilingConfig, log_dir: Path) -> dict[str, Any]:
    anvil = BenchAnvil(free_port(), log_path=log_dir / "anvil-ceiling-automine.log")
    anvil.start()
    rpc = Rpc(anvil.rpc_url)
    try:
        [signer] = checked_signers("ceiling-automine", 1)
        rpc.set_balances([signer.address])
        transactions = [
            signer.sign(nonce, SINK, b"", 21_000, value=1) for nonce in range(config.automine_transactions)
        ]
        deadline = time.monotonic() + config.timeout_seconds
        started = time.perf_counter()
        for tx in transactions:
            rpc.call("eth_sendRawTransaction", ["0x" + tx.raw.hex()])
            polls = 0
            while rpc.call("eth_getTransactionReceipt", [tx.hash]) is None:
                polls += 1
                if time.monotonic() > deadline:
                    raise BenchError(f"automine left {tx.hash} unmined (stalled mining?)")
                if polls > 20:
                    time.sleep(0.001)
        elapsed = time.perf_counter() - started
    finally:
        rpc.close()
        anvil.stop()
    return {"tps": len(transactions) / elapsed, "transactions": len(transactions), "seconds": elapsed}


def run_ceiling(config: CeilingConfig, log_dir: Path) -> dict[str, Any]:
    batched = _batched_no_mining(config, log_dir)
    automine = _automine_sequential(config, log_dir)
    return {"batched": batched, "automine_sequential": automine}
