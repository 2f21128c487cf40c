"""Month-end work through the real service: bulk transfers, a settlement payout job, bulk issuance, the
open-loop latency of single transfers, and what a Python user would write instead (web3.py peers).

One fresh Anvil (automine, the service's mode) and `cascade serve` on SQLite. The bulk transfers are
also the settlement's set-up: a managed-key holder passes `settlement_pieces` pieces of a voucher due
in two days to twenty sub-suppliers in requests of up to 1,000 items; the chain's clock then moves past
maturity, the obligor's funding is in, and the payout job pays every piece.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from eth_account import Account
from web3 import Web3
from web3.types import TxParams, Wei

from benchmarks.common import (
    BenchError,
    CpuMeter,
    bench_key,
    block_number,
    chain_activity,
    process_tree,
    rounded,
)
from benchmarks.e2e import give_pieces
from benchmarks.loadgen import Client, run_open_loop, run_transfers
from benchmarks.service_proc import Api, Participant, Stack, service_stack
from service.bulk_cli import ISSUE_COLUMNS, run_issue_batch
from service.chain.compiler import Artifact

ITEMS_PER_REQUEST = 1_000
RECIPIENTS = 20
SPLIT = "transferFrom(uint256,address,uint256)"


@dataclass(frozen=True)
class BulkConfig:
    settlement_pieces: int
    issuance_vouchers: int
    issuance_concurrency: int
    single_clients: int
    single_transfers_per_client: int
    open_loop_seconds: float
    peer_transfers: int
    time_bound_seconds: float


def run_bulk(
    config: BulkConfig,
    work_dir: Path,
    log: Callable[[str], None],
    artifacts: dict[str, Artifact],
    ceiling_tps: float | None,
    note_ceiling_tps: float | None,
) -> dict[str, Any]:
    info: dict[str, Any] = {"db": "sqlite"}
    results: dict[str, Any] = {"info": info}
    with service_stack("bulk", None, work_dir, info) as stack:
        api = stack.api
        obligor = api.register("Obligor", "obligor")
        holder = api.register("Month-end holder", "supplier")
        recipients = api.register_many([f"Sub-supplier {index}" for index in range(RECIPIENTS)], "supplier")
        log(f"  bulk: {config.settlement_pieces} transfers in requests of {ITEMS_PER_REQUEST}")
        voucher = _issue_due_soon(api, obligor, holder, config.settlement_pieces)
        meter = CpuMeter({"service": process_tree(stack.service.pid or 0), "anvil": [stack.anvil.pid or 0]})
        meter.start()
        results["bulk_transfers"] = _bulk_transfers(stack, holder, recipients, voucher, config, ceiling_tps)
        results["bulk_transfers"]["cpu_ms_per_item"] = meter.per_unit_ms(config.settlement_pieces)
        results["bulk_transfers"]["ratio_to_note_ceiling"] = (
            rounded(results["bulk_transfers"]["tps"] / note_ceiling_tps, 3) if note_ceiling_tps else None
        )
        log("  bulk: settlement payout job")
        results["settlement_job"] = _settlement_job(stack, obligor, voucher, config)
        log(f"  bulk: issuing {config.issuance_vouchers} vouchers with issue-batch")
        results["bulk_issuance"] = _bulk_issuance(stack, obligor, holder, config, work_dir)
        log("  bulk: single transfers, closed then open loop")
        results["open_loop"], results["closed_loop"] = _open_loop(stack, obligor, config)
        log(f"  bulk: web3.py peers, {config.peer_transfers} transfers each")
        results["peers"] = _peers(stack, obligor, recipients[0], artifacts, config)
    singles = results["closed_loop"]["tps"]
    bulk_tps = results["bulk_transfers"]["tps"]
    for name in ("web3py_naive_tps", "web3py_tuned_tps"):
        peer = results["peers"][name]
        suffix = name.removeprefix("web3py_").removesuffix("_tps")
        results["peers"][f"cascade_single_over_{suffix}"] = rounded(singles / peer, 2) if peer else None
        results["peers"][f"cascade_bulk_over_{suffix}"] = rounded(bulk_tps / peer, 2) if peer else None
    return results


def _issue_due_soon(api: Api, obligor: Participant, holder: Participant, pieces: int) -> dict[str, Any]:
    """A voucher due in two days, holding 1.00 for each piece and as much again for its root."""
    body = {
        "obligor_participant_id": obligor.id,
        "holder_participant_id": holder.id,
        "currency": "CNY",
        "face_value": f"{2 * pieces}.00",
        "minimum_unit": "1.00",
        "due_date": (datetime.now(UTC) + timedelta(days=2)).date().isoformat(),
        "invoice_references": ["BENCH-MONTH-END"],
        "document_hash": "0x" + "ef" * 32,
    }
    result: dict[str, Any] = api.request("POST", "/v1/vouchers", api.admin_key, body, expect=201)
    return result


def _bulk_transfers(
    stack: Stack,
    holder: Participant,
    recipients: list[Participant],
    voucher: dict[str, Any],
    config: BulkConfig,
    ceiling_tps: float | None,
) -> dict[str, Any]:
    root = int(voucher["root_token_id"])
    items = [
        {"from_token_id": root, "to_participant_id": recipients[index % len(recipients)].id, "amount": "1.00"}
        for index in range(config.settlement_pieces)
    ]
    first_block = block_number(stack.rpc) + 1
    executed, transactions, requests = 0, 0, 0
    started = time.perf_counter()
    for start in range(0, len(items), ITEMS_PER_REQUEST):
        chunk = items[start : start + ITEMS_PER_REQUEST]
        answer = stack.api.request("POST", "/v1/transfer-batches", holder.key, {"items": chunk}, expect=201)
        executed += int(answer["executed"])
        transactions += len(answer["transactions"])
        requests += 1
    seconds = time.perf_counter() - started
    if executed != len(items):
        raise BenchError(f"bulk transfers: {executed} of {len(items)} items executed")
    tps = executed / seconds
    return {
        "tps": rounded(tps, 1),
        "ratio_to_ceiling": rounded(tps / ceiling_tps, 3) if ceiling_tps else None,
        "items_per_request": ITEMS_PER_REQUEST,
        "requests": requests,
        "items": executed,
        "transactions": transactions,
        "seconds": rounded(seconds, 2),
        "chain": chain_activity(stack.rpc, first_block, block_number(stack.rpc)),
    }


def _settlement_job(
    stack: Stack, obligor: Participant, voucher: dict[str, Any], config: BulkConfig
) -> dict[str, Any]:
    api = stack.api
    face = voucher["face_value"]
    api.request(
        "POST",
        "/v1/cash/credits",
        api.admin_key,
        {"participant_id": obligor.id, "currency": "CNY", "amount": face},
        expect=201,
    )
    path = f"/v1/vouchers/{voucher['id']}/settlement"
    api.request("POST", f"{path}/fundings", obligor.key, {"amount": face}, expect=201)
    chain_now = int(stack.rpc.call("eth_getBlockByNumber", ["latest", False])["timestamp"], 16)
    stack.rpc.call("evm_setNextBlockTimestamp", [chain_now + 3 * 86_400])
    stack.rpc.call("evm_mine")
    api.wait_indexed(60)
    started = time.perf_counter()
    job = api.request("POST", f"{path}/payouts", api.admin_key, {}, expect=202)
    deadline = time.monotonic() + config.time_bound_seconds * 10
    while job["state"] in ("queued", "running"):
        if time.monotonic() > deadline:
            raise BenchError(f"the payout job did not finish: {job}")
        time.sleep(0.05)
        job = api.request("GET", f"/v1/jobs/{job['id']}", api.admin_key)
    seconds = time.perf_counter() - started
    if job["state"] != "completed" or job["paid"] != face:
        raise BenchError(f"the payout job ended {job['state']}, paid {job['paid']} of {face}")
    return {
        "pieces": int(job["pieces_paid"]),
        "seconds": rounded(seconds, 2),
        "pieces_per_second": rounded(job["pieces_paid"] / seconds, 1),
        "batches": job["batches"],
    }


def _bulk_issuance(
    stack: Stack, obligor: Participant, holder: Participant, config: BulkConfig, work_dir: Path
) -> dict[str, Any]:
    source = work_dir / "payables.csv"
    due = (datetime.now(UTC) + timedelta(days=200)).date().isoformat()
    with source.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(ISSUE_COLUMNS)
        for number in range(config.issuance_vouchers):
            writer.writerow(
                [
                    obligor.id,
                    holder.id,
                    "CNY",
                    "1000000.00",
                    "1000.00",
                    due,
                    f"AP-{number:05d}",
                    "0x" + "ab" * 32,
                ]
            )

    def client() -> httpx.Client:
        return httpx.Client(
            base_url=stack.service.url,
            headers={"Authorization": f"Bearer {stack.api.admin_key}"},
            timeout=120,
            limits=httpx.Limits(max_connections=config.issuance_concurrency),
        )

    started = time.perf_counter()
    outcomes = run_issue_batch(client, source, work_dir / "payables.issued.csv", config.issuance_concurrency)
    seconds = time.perf_counter() - started
    issued = sum(1 for outcome in outcomes if outcome.status == 201)
    if issued != config.issuance_vouchers:
        raise BenchError(f"issue-batch issued {issued} of {config.issuance_vouchers}")
    return {
        "vouchers": issued,
        "seconds": rounded(seconds, 2),
        "vouchers_per_second": rounded(issued / seconds, 1),
        "concurrency": config.issuance_concurrency,
    }


def _open_loop(
    stack: Stack, obligor: Participant, config: BulkConfig
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The highest sustained rate of single transfers (closed loop, `single_clients` clients), then a
    constant arrival rate of half that: latency counted from each request's scheduled arrival, so
    queueing shows."""
    participants = stack.api.register_many(
        [f"Single {index}" for index in range(config.single_clients)], "supplier"
    )
    sink = stack.api.register("Single sink", "supplier")
    pieces = give_pieces(stack, "open-loop", participants, obligor, 10_000_000)
    stack.api.wait_indexed(60)
    clients = [
        Client(participant.key, token) for participant, token in zip(participants, pieces, strict=True)
    ]
    closed = run_transfers(
        stack.service.url,
        clients,
        sink.id,
        "1.00",
        config.single_transfers_per_client,
        config.time_bound_seconds,
    )
    closed_summary = closed.summary()
    rate = closed.tps / 2
    if rate <= 0:
        raise BenchError(f"no sustained rate to halve: {closed_summary}")
    opened = run_open_loop(
        stack.service.url, clients, sink.id, "1.00", rate, config.open_loop_seconds, config.time_bound_seconds
    )
    summary = opened.summary()
    return (
        [
            {
                "db": "sqlite",
                "arrival_per_second": rounded(rate, 1),
                "p50_ms": summary["p50_ms"],
                "p99_ms": summary["p99_ms"],
                "confirmed": summary["confirmed"],
                "errors": summary["errors"],
                "achieved_tps": summary["tps"],
            }
        ],
        {
            "clients": len(clients),
            **{key: closed_summary[key] for key in ("tps", "p50_ms", "p99_ms", "confirmed")},
        },
    )


def _peers(
    stack: Stack,
    obligor: Participant,
    recipient: Participant,
    artifacts: dict[str, Artifact],
    config: BulkConfig,
) -> dict[str, Any]:
    """The same split, sent by a holder with its own wallet straight to the note contract with web3.py:
    once as the documentation shows it (build, sign, send, wait for the receipt, one at a time), once
    tuned (nonces counted locally, gas and fees fixed once, every transaction sent before any receipt
    is awaited)."""
    web3 = Web3(Web3.HTTPProvider(stack.anvil.rpc_url, request_kwargs={"timeout": 120}))
    note = web3.eth.contract(
        address=Web3.to_checksum_address(stack.note), abi=artifacts["ReceivableNote"].abi
    )
    split = note.get_function_by_signature(SPLIT)
    figures: dict[str, Any] = {}
    for label, tuned in (("naive", False), ("tuned", True)):
        account = Account.from_key(bench_key(f"peer-{label}", 0))
        stack.rpc.set_balances([account.address])
        holder = stack.api.register(f"Peer {label}", "supplier", address=account.address)
        root = int(stack.api.issue(obligor, holder, "100000000.00", "1.00")["root_token_id"])
        stack.api.wait_indexed(60)
        send = _send_tuned if tuned else _send_naive
        started = time.perf_counter()
        send(web3, account, split, root, Web3.to_checksum_address(recipient.address), config.peer_transfers)
        seconds = time.perf_counter() - started
        figures[f"web3py_{label}_tps"] = rounded(config.peer_transfers / seconds, 1)
    return figures


def _send_naive(web3: Web3, account: Any, split: Any, root: int, to: str, count: int) -> None:
    for _ in range(count):
        transaction = split(root, to, 100).build_transaction(
            {"from": account.address, "nonce": web3.eth.get_transaction_count(account.address)}
        )
        signed = account.sign_transaction(transaction)
        receipt = web3.eth.wait_for_transaction_receipt(web3.eth.send_raw_transaction(signed.raw_transaction))
        if receipt["status"] != 1:
            raise BenchError("a web3.py split reverted")


def _send_tuned(web3: Web3, account: Any, split: Any, root: int, to: str, count: int) -> None:
    nonce = web3.eth.get_transaction_count(account.address)
    base: TxParams = {
        "from": account.address,
        "chainId": web3.eth.chain_id,
        "gas": int(split(root, to, 100).estimate_gas({"from": account.address}) * 1.3),
        "maxFeePerGas": Wei(web3.eth.gas_price * 2),
        "maxPriorityFeePerGas": Wei(1),
    }
    hashes = []
    for offset in range(count):
        transaction = split(root, to, 100).build_transaction({**base, "nonce": nonce + offset})
        signed = account.sign_transaction(transaction)
        hashes.append(web3.eth.send_raw_transaction(signed.raw_transaction))
    for transaction_hash in hashes:
        if web3.eth.wait_for_transaction_receipt(transaction_hash, poll_latency=0.01)["status"] != 1:
            raise BenchError("a web3.py split reverted")
