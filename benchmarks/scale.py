"""Ledger size and lineage depth: does the API slow down with 1,000 vs 100,000 pieces, depth 1 vs 50?

One fresh Anvil and service on SQLite. Set-up through the API: participants (clients with managed
keys; own-wallet walkers and bulk holders) and vouchers (issued by the admin). Pieces are then made
directly on chain by the own-wallet accounts, which is how 100,000 of them fit in minutes:
- lineage vouchers: a star of 50 splits off the root (depth 1) and a chain of 50 splits (depth 50);
- client pieces at depth 1 (split off a root) and at depth 50 (split off the end of a 49-split chain);
- bulk: each bulk holder splits its own voucher's root to the next holder, pre-signed (rlp + coincurve,
  checked against eth-account) and sent in JSON-RPC batches with automine switched off and `evm_mine`
  after every batch, in chunks after each of which the service's indexer must catch up.
At each size: p50 of `GET /v1/vouchers/{id}/lineage` for both lineage vouchers (sequential, one client)
and transfer tps with 16 clients transferring from their depth-1 or depth-50 pieces.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.common import (
    BenchError,
    CpuMeter,
    DirectSender,
    FastSigner,
    Rpc,
    block_number,
    chain_activity,
    checked_signers,
    empty_block_ms,
    load_average,
    manual_mining,
    median,
    minted_token,
    process_tree,
    rounded,
    send_block,
    token_count,
)
from benchmarks.e2e import FACE_VALUE, SPLIT, UNIT, give_pieces, own_wallet_holders
from benchmarks.loadgen import Client, run_transfers, timed_gets
from benchmarks.service_proc import Participant, Stack, service_stack
from service.chain.abi import encode_call

UNIT_MINOR = 100
BULK_BATCH = 500  # per block: Anvil 1.7.1's per-block cost grows with the state, so few big blocks
BULK_GAS = 250_000
CHAIN_STEP_UNITS = 1_000_000  # chain split i moves (LINEAGE_DEPTH + 10 - i) million units: always enough left
CLIENT_PIECE_MINOR = 100_000 * UNIT_MINOR
WARM_UP_TRANSFERS_PER_CLIENT = 3


@dataclass(frozen=True)
class ScaleConfig:
    levels: tuple[int, ...]
    bulk_holders: int
    clients: int
    operations_per_client: int
    lineage_requests: int
    lineage_depth: int
    chunk_pieces: int
    setup_bound_seconds: float
    index_bound_seconds: float
    time_bound_seconds: float


@dataclass
class _Holder:
    signer: FastSigner
    token: int
    nonce: int
    data: bytes


def _chain_of_splits(
    direct: DirectSender, note: str, walkers: list[FastSigner], root: int, length: int
) -> int:
    """`length` splits, each off the previous one's new piece, alternating walkers; returns the last piece."""
    token = root
    for step in range(length):
        holder, receiver = walkers[step % 2], walkers[(step + 1) % 2]
        value = (length + 10 - step) * CHAIN_STEP_UNITS * UNIT_MINOR
        token = minted_token(
            direct.transact(holder, note, encode_call(SPLIT, [token, receiver.address, value]))
        )
    return token


def _bulk_create(rpc: Rpc, note: str, holders: list[_Holder], count: int, deadline: float) -> int:
    """Creates up to `count` pieces (stopping at `deadline`); returns how many were sent and mined."""
    sent = 0
    with manual_mining(rpc):
        while sent < count and time.monotonic() < deadline:
            size = min(BULK_BATCH, count - sent)
            batch = []
            for index in range(size):
                holder = holders[(sent + index) % len(holders)]
                batch.append(holder.signer.sign(holder.nonce, note, holder.data, BULK_GAS))
                holder.nonce += 1
            send_block(rpc, batch)
            sent += size
        for _ in range(10):  # nothing may stay in the pool (TOOLCHAIN.md: stuck nonces)
            status = rpc.call("txpool_status")
            if int(status["pending"], 16) == 0 and int(status["queued"], 16) == 0:
                break
            rpc.call("evm_mine")
        else:
            raise BenchError(f"bulk transactions stuck in Anvil's pool: {status}")
    return sent


def run_scale(
    config: ScaleConfig, work_dir: Path, log: Callable[[str], None]
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    info: dict[str, Any] = {"db": "sqlite"}
    with service_stack("scale", None, work_dir, info) as stack:
        info["service_start_seconds"] = round(stack.start_seconds, 2)
        started = time.perf_counter()
        setup = _set_up(stack, config)
        info["setup_seconds"] = round(time.perf_counter() - started, 2)
        deadline = time.monotonic() + config.setup_bound_seconds
        bulk_seconds = 0.0
        bulk_created = 0
        for target in config.levels:
            reached = True
            level_started = time.perf_counter()
            index_seconds = 0.0
            while (missing := target - token_count(stack.rpc, setup.note)) > 0:
                if time.monotonic() >= deadline:
                    reached = False
                    break
                chunk = min(missing, config.chunk_pieces)
                log(f"  scale: creating {chunk} pieces on chain ({target - missing} of {target})")
                chunk_started = time.perf_counter()
                created = _bulk_create(stack.rpc, setup.note, setup.holders, chunk, deadline)
                bulk_seconds += time.perf_counter() - chunk_started
                bulk_created += created
                index_seconds += stack.api.wait_indexed(config.index_bound_seconds)
            index_seconds += stack.api.wait_indexed(config.index_bound_seconds)
            pieces = token_count(stack.rpc, setup.note)
            fill_seconds = time.perf_counter() - level_started
            log(f"  scale: {pieces} pieces; measuring lineage and transfers")
            base = {
                "pieces": pieces,
                "target_pieces": target,
                "reached_target": reached,
                "fill_seconds": round(fill_seconds, 1),
                "index_wait_seconds": round(index_seconds, 1),
            }
            empty_block = empty_block_ms(stack.rpc)
            _warm_up_relayers(stack, setup, config)
            for depth in (1, config.lineage_depth):
                lineage, tree = timed_gets(
                    stack.service.url,
                    # one page holds either lineage voucher's 51 pieces
                    f"/v1/vouchers/{setup.lineage_vouchers[depth]}/lineage?limit=200",
                    stack.api.admin_key,
                    config.lineage_requests,
                    config.time_bound_seconds,
                )
                first_block = block_number(stack.rpc) + 1
                meter = CpuMeter({"service": process_tree(stack.service.pid or 0)})
                meter.start()
                result = run_transfers(
                    stack.service.url,
                    _clients(setup, depth),
                    setup.sink.id,
                    UNIT,
                    config.operations_per_client,
                    config.time_bound_seconds,
                )
                summary = result.summary()
                service_cpu = meter.per_unit_ms(result.confirmed)["service"]
                rows.append(
                    {
                        **base,
                        "depth": depth,
                        "tps": summary["tps"],
                        "lineage_p50_ms": rounded(median(lineage)),
                        "lineage_requests": len(lineage),
                        "lineage_nodes": len(tree["pieces"]),
                        "lineage_max_depth": max(int(piece["depth"]) for piece in tree["pieces"]),
                        "transfer_p50_ms": summary["p50_ms"],
                        "service_cpu_ms_per_transfer": service_cpu,
                        "clients": len(setup.clients),
                        "confirmed": summary["confirmed"],
                        "errors": summary["errors"],
                        "statuses": summary["statuses"],
                        "anvil_empty_block_ms": empty_block,
                        "chain": chain_activity(stack.rpc, first_block, block_number(stack.rpc)),
                        "load_average": load_average(),
                    }
                )
            if not reached:
                break
        info["bulk_pieces_created"] = bulk_created
        info["bulk_create_seconds"] = round(bulk_seconds, 1)
        info["bulk_create_tps"] = round(bulk_created / bulk_seconds, 1) if bulk_seconds else None
    return rows, info


def _warm_up_relayers(stack: Stack, setup: _SetUp, config: ScaleConfig) -> None:
    """A few unmeasured transfers first, as a ledger that grew by itself would have had.

    The pieces of a level are made on chain directly, not through the service, so the service's caches
    (the database's pages, the writer's view of the chain's block times) are cold when the level's first
    transfers come. Without this the first depth measured carried that warm-up (17 against 27
    transfers/s for depth 1 and 50 at 100,000 pieces, measured with the earlier submission path).
    """
    run_transfers(
        stack.service.url,
        _clients(setup, 1),
        setup.sink.id,
        UNIT,
        WARM_UP_TRANSFERS_PER_CLIENT,
        config.time_bound_seconds,
    )


def _clients(setup: _SetUp, depth: int) -> list[Client]:
    """The load generator's clients, each transferring from its piece at `depth`."""
    return [Client(p.key, token) for p, token in zip(setup.clients, setup.client_pieces[depth], strict=True)]


@dataclass
class _SetUp:
    note: str
    sink: Participant
    clients: list[Participant]
    client_pieces: dict[int, list[int]]
    lineage_vouchers: dict[int, int]
    holders: list[_Holder]


def _set_up(stack: Stack, config: ScaleConfig) -> _SetUp:
    api, rpc, note = stack.api, stack.rpc, stack.note
    obligor = api.register("Obligor", "obligor")
    sink = api.register("Sink", "supplier")
    clients = api.register_many([f"Client {index}" for index in range(config.clients)], "supplier")
    walkers = checked_signers("scale-walker", 2)
    rpc.set_balances(signer.address for signer in walkers)
    walker_participants = [
        api.register(f"Walker {index}", "supplier", address=signer.address)
        for index, signer in enumerate(walkers)
    ]
    direct = DirectSender(rpc)

    def issue_to(holder: Participant) -> tuple[int, int]:
        voucher = api.issue(obligor, holder, FACE_VALUE, UNIT)
        return int(voucher["id"]), int(voucher["root_token_id"])

    # Lineage vouchers: a star (depth 1) and a chain (depth 50) with the same number of pieces.
    star_voucher, star_root = issue_to(walker_participants[0])
    for _ in range(config.lineage_depth):
        direct.transact(walkers[0], note, encode_call(SPLIT, [star_root, walkers[1].address, UNIT_MINOR]))
    chain_voucher, chain_root = issue_to(walker_participants[0])
    _chain_of_splits(direct, note, walkers, chain_root, config.lineage_depth)

    # Client pieces at depth 1 and at depth 50.
    depth_one = give_pieces(stack, "scale", clients, obligor, CLIENT_PIECE_MINOR)
    _deep_voucher, deep_root = issue_to(walker_participants[0])
    end = _chain_of_splits(direct, note, walkers, deep_root, config.lineage_depth - 1)
    end_holder = walkers[(config.lineage_depth - 1) % 2]
    depth_deep = [
        minted_token(
            direct.transact(end_holder, note, encode_call(SPLIT, [end, client.address, CLIENT_PIECE_MINOR]))
        )
        for client in clients
    ]

    # Bulk holders: each owns a voucher and splits its root to the next holder.
    bulk = own_wallet_holders(stack, "Bulk holder", obligor, config.bulk_holders)
    holders = []
    for index, (signer, root) in enumerate(bulk):
        receiver = bulk[(index + 1) % len(bulk)][0].address
        nonce = int(rpc.call("eth_getTransactionCount", [signer.address, "pending"]), 16)
        holders.append(_Holder(signer, root, nonce, encode_call(SPLIT, [root, receiver, UNIT_MINOR])))
    api.wait_indexed(config.index_bound_seconds)
    return _SetUp(
        note,
        sink,
        clients,
        {1: depth_one, config.lineage_depth: depth_deep},
        {1: star_voucher, config.lineage_depth: chain_voucher},
        holders,
    )
