"""Pieces every benchmark shares: a harness Anvil, a raw JSON-RPC client, fast signing, statistics."""

from __future__ import annotations

import itertools
import math
import os
import socket
import statistics
import subprocess
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from eth_account import Account
from eth_utils import keccak, to_checksum_address

from service.chain.abi import encode_call
from service.chain.accounts import address_of
from service.chain.anvil import ANVIL_BINARY, AnvilProcess
from service.chain.transactions import sign_dynamic_fee_transaction

CHAIN_ID = 31337
# Plenty for every benchmark account; set with anvil_setBalance, so no funding transactions are needed.
BENCH_BALANCE_WEI = 10_000 * 10**18
# Fee cap of harness transactions: far above Anvil's base fee (1 gwei at start, falling in light blocks).
MAX_FEE_WEI = 20 * 10**9
TRANSFER_TOPIC = "0x" + keccak(text="Transfer(address,address,uint256)").hex()


class BenchError(RuntimeError):
    """A benchmark could not run as designed; the message says what was seen."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def anvil_version() -> str:
    try:
        output = subprocess.run(
            [str(ANVIL_BINARY), "--version"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except OSError as error:
        return f"unavailable ({error})"
    first = output.strip().splitlines()[0] if output.strip() else "unknown"
    return first.removeprefix("anvil Version: ").strip()


class BenchAnvil(AnvilProcess):
    """The service's own Anvil command line (gas limit, code size), optionally without automine."""

    def __init__(
        self,
        port: int,
        *,
        no_mining: bool = False,
        log_path: Path | None = None,
        extra_arguments: Sequence[str] = (),
    ) -> None:
        super().__init__(port, log_path=log_path)
        self.no_mining = no_mining
        self.extra_arguments = list(extra_arguments)

    @property
    def pid(self) -> int | None:
        process = getattr(self, "_process", None)
        return process.pid if process is not None else None

    def command(self) -> list[str]:
        command = super().command()
        if self.no_mining:
            command.append("--no-mining")
        return command + self.extra_arguments


class RpcError(BenchError):
    pass


class Rpc:
    """JSON-RPC over one kept-alive httpx client; batches return every item, errors included."""

    def __init__(self, url: str, timeout_seconds: float = 120.0) -> None:
        self.url = url
        self._client = httpx.Client(timeout=timeout_seconds, limits=httpx.Limits(max_keepalive_connections=4))
        self._ids = itertools.count(1)

    def close(self) -> None:
        self._client.close()

    def call(self, method: str, params: list[Any] | None = None) -> Any:
        payload = {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": params or []}
        body = self._client.post(self.url, json=payload).json()
        if "error" in body:
            raise RpcError(f"{method}: {body['error']}")
        return body["result"]

    def batch(self, calls: Sequence[tuple[str, list[Any]]]) -> list[dict[str, Any]]:
        if not calls:
            return []
        ids = [next(self._ids) for _ in calls]
        payload = [
            {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}
            for request_id, (method, params) in zip(ids, calls, strict=True)
        ]
        items = self._client.post(self.url, json=payload).json()
        by_id = {item["id"]: item for item in items}
        return [by_id[request_id] for request_id in ids]

    def set_balances(self, addresses: Iterable[str], wei: int = BENCH_BALANCE_WEI) -> None:
        calls = [("anvil_setBalance", [address, hex(wei)]) for address in addresses]
        for start in range(0, len(calls), 200):
            for item in self.batch(calls[start : start + 200]):
                if "error" in item:
                    raise RpcError(f"anvil_setBalance: {item['error']}")


# ------------------------------------------------------------------------------------------ signing


def bench_key(label: str, index: int) -> bytes:
    """Deterministic throw-away private keys, so that runs are repeatable."""
    return keccak(text=f"cascade-bench/{label}/{index}")


@dataclass(frozen=True)
class RawTransaction:
    raw: bytes
    hash: str


class FastSigner:
    """EIP-1559 signing with the service's own signer (rlp and coincurve): about ten times
    eth-account's rate. Used for pre-signed load (the ceilings) and set-up data (the scale benchmark's
    pieces); `self_check` proves it produces byte-for-byte what eth-account produces before it is
    trusted.
    """

    def __init__(self, private_key: bytes, chain_id: int = CHAIN_ID) -> None:
        self.private_key = private_key
        self.chain_id = chain_id
        self.address = address_of(private_key)

    def sign(
        self, nonce: int, to: str, data: bytes, gas: int, value: int = 0, max_fee: int = MAX_FEE_WEI
    ) -> RawTransaction:
        raw = sign_dynamic_fee_transaction(
            self.private_key,
            chain_id=self.chain_id,
            nonce=nonce,
            max_priority_fee_per_gas=1,
            max_fee_per_gas=max_fee,
            gas=gas,
            to=to,
            data=data,
            value=value,
        )
        return RawTransaction(raw, "0x" + keccak(raw).hex())

    def self_check(self) -> None:
        to = to_checksum_address("0x" + "42" * 20)
        mine = self.sign(7, to, b"\x01\x02", 123_456, value=5)
        theirs = Account.from_key(self.private_key).sign_transaction(
            {
                "chainId": self.chain_id,
                "nonce": 7,
                "to": to,
                "value": 5,
                "data": b"\x01\x02",
                "gas": 123_456,
                "maxFeePerGas": MAX_FEE_WEI,
                "maxPriorityFeePerGas": 1,
                "type": 2,
            }
        )
        if mine.raw != bytes(theirs.raw_transaction):
            raise BenchError("FastSigner does not match eth-account; refusing to use it")


# --------------------------------------------------------------------------------------- statistics


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """Nearest-rank percentile (no interpolation): a value that was actually observed."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(fraction * len(ordered) - 1e-9)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def rounded(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def wait_until(
    condition: Callable[[], bool], timeout_seconds: float, poll_seconds: float = 0.2, what: str = "condition"
) -> float:
    """Polls `condition` until it holds; returns the seconds waited or raises after the timeout."""
    start = time.monotonic()
    while True:
        if condition():
            return time.monotonic() - start
        if time.monotonic() - start > timeout_seconds:
            raise BenchError(f"{what} did not happen within {timeout_seconds:.0f}s")
        time.sleep(poll_seconds)


def load_average() -> list[float]:
    try:
        return [round(value, 2) for value in os.getloadavg()]
    except OSError:
        return []


RECEIPT_BATCH = 500


@contextmanager
def manual_mining(rpc: Rpc) -> Iterator[None]:
    """Automine off for the block, so that `send_block` decides what goes into each block."""
    rpc.call("evm_setAutomine", [False])
    try:
        yield
    finally:
        rpc.call("evm_setAutomine", [True])


def send_block(rpc: Rpc, transactions: Sequence[RawTransaction]) -> None:
    """Sends the transactions in one JSON-RPC batch and mines them into one block; a refusal fails the run."""
    items = rpc.batch([("eth_sendRawTransaction", ["0x" + tx.raw.hex()]) for tx in transactions])
    errors = [item["error"] for item in items if "error" in item]
    if errors:
        raise BenchError(f"anvil refused {len(errors)} of {len(transactions)} transactions, e.g. {errors[0]}")
    rpc.call("evm_mine")


def collect_receipts(rpc: Rpc, hashes: list[str], deadline: float) -> list[dict[str, Any]]:
    receipts: dict[str, dict[str, Any]] = {}
    missing = list(hashes)
    while missing:
        if time.monotonic() > deadline:
            raise BenchError(f"{len(missing)} of {len(hashes)} receipts still missing at the deadline")
        still: list[str] = []
        for start in range(0, len(missing), RECEIPT_BATCH):
            chunk = missing[start : start + RECEIPT_BATCH]
            for tx_hash, item in zip(
                chunk, rpc.batch([("eth_getTransactionReceipt", [h]) for h in chunk]), strict=True
            ):
                if item.get("result"):
                    receipts[tx_hash] = item["result"]
                else:
                    still.append(tx_hash)
        if still:
            rpc.call("evm_mine")  # anything left in the pool goes into one more block
        missing = still
    return [receipts[tx_hash] for tx_hash in hashes]


def token_count(rpc: Rpc, note: str) -> int:
    """How many pieces the note contract has made (`tokenCount()`)."""
    data = "0x" + encode_call("tokenCount()", []).hex()
    return int(rpc.call("eth_call", [{"to": note, "data": data}, "latest"]), 16)


def checked_signers(label: str, count: int) -> list[FastSigner]:
    """`count` harness signers with repeatable keys, each checked against eth-account before use."""
    signers = [FastSigner(bench_key(label, index)) for index in range(count)]
    for signer in signers:
        signer.self_check()
    return signers


class DirectSender:
    """Harness-owned accounts calling contracts themselves, one transaction at a time (automine).

    Only for set-up data; these accounts are never the service's, so its nonces stay untouched.
    """

    def __init__(self, rpc: Rpc, timeout_seconds: float = 30.0) -> None:
        self.rpc = rpc
        self.timeout_seconds = timeout_seconds
        self._nonces: dict[str, int] = {}

    def transact(self, signer: FastSigner, to: str, data: bytes, gas: int = 400_000) -> dict[str, Any]:
        nonce = self._nonces.get(signer.address)
        if nonce is None:
            nonce = int(self.rpc.call("eth_getTransactionCount", [signer.address, "pending"]), 16)
        transaction = signer.sign(nonce, to, data, gas)
        self.rpc.call("eth_sendRawTransaction", ["0x" + transaction.raw.hex()])
        self._nonces[signer.address] = nonce + 1
        deadline = time.monotonic() + self.timeout_seconds
        while (receipt := self.rpc.call("eth_getTransactionReceipt", [transaction.hash])) is None:
            if time.monotonic() > deadline:
                raise BenchError(f"set-up transaction {transaction.hash} was not mined")
            time.sleep(0.002)
        if int(receipt["status"], 16) != 1:
            raise BenchError(f"set-up transaction {transaction.hash} reverted")
        result: dict[str, Any] = receipt
        return result


def minted_token(receipt: dict[str, Any]) -> int:
    """The token id of the first ERC-721 Transfer(0, to, id) in a receipt: a split's new piece."""
    for log in receipt["logs"]:
        topics = log["topics"]
        if len(topics) == 4 and topics[0] == TRANSFER_TOPIC and int(topics[1], 16) == 0:
            return int(topics[3], 16)
    raise BenchError(f"no new token in transaction {receipt['transactionHash']}")


_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def stop_child(
    process: subprocess.Popen[bytes] | None, signal_number: int, timeout_seconds: float = 30.0
) -> None:
    """Asks a child process to stop with `signal_number`, and kills it if it has not within the timeout."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal_number)
    try:
        process.wait(timeout=timeout_seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def process_cpu_seconds(pid: int | None, *, reaped_children: bool = False) -> float | None:
    """User + system CPU seconds a process has used so far (Linux /proc), None if unknown.

    With `reaped_children`, plus what its exited children used (how a PostgreSQL postmaster keeps the
    CPU of backends that came and went).
    """
    if not pid:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    ticks = int(fields[11]) + int(fields[12])
    if reaped_children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / _CLOCK_TICKS


def processes_named(name: str) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == name:
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def process_tree(pid: int) -> list[int]:
    """`pid` and its descendants (the service's worker processes)."""
    tree, index = [pid], 0
    while index < len(tree):
        for task in Path(f"/proc/{tree[index]}/task").glob("*/children"):
            try:
                tree += [int(child) for child in task.read_text().split()]
            except OSError:
                continue
        index += 1
    return tree


class CpuMeter:
    """CPU used by a set of processes between `start` and `stop`, per unit of work."""

    def __init__(self, pids: dict[str, list[int]]) -> None:
        self.pids = pids
        self._start: dict[str, float] = {}
        self._own_start = 0.0

    def _sample(self) -> dict[str, float]:
        return {
            name: sum(
                value
                for pid in pids
                if (value := process_cpu_seconds(pid, reaped_children=name.startswith("postgres")))
                is not None
            )
            for name, pids in self.pids.items()
        }

    def start(self) -> None:
        self._start = self._sample()
        self._own_start = time.process_time()

    def per_unit_ms(self, units: int) -> dict[str, float | None]:
        end = self._sample()
        used = {name: end[name] - self._start.get(name, 0.0) for name in end}
        used["load generator"] = time.process_time() - self._own_start
        return {name: (round(seconds * 1000 / units, 2) if units else None) for name, seconds in used.items()}


def empty_block_ms(rpc: Rpc) -> float | None:
    """What the node takes to mine an empty block at its current state size (median of three)."""
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        rpc.call("evm_mine")
        timings.append((time.perf_counter() - started) * 1000)
    return rounded(median(timings))


def block_number(rpc: Rpc) -> int:
    return int(rpc.call("eth_blockNumber"), 16)


def chain_activity(rpc: Rpc, first_block: int, last_block: int) -> dict[str, Any]:
    """Blocks mined in [first_block, last_block], their transactions, and how many were empty.

    Empty blocks during a load run come from the service mining by hand (its remedy for Anvil's
    automine stalls); transactions per block show how much its relayers batch.
    """
    numbers = list(range(first_block, last_block + 1))
    counts: list[int] = []
    for start in range(0, len(numbers), 500):
        chunk = numbers[start : start + 500]
        items = rpc.batch([("eth_getBlockTransactionCountByNumber", [hex(number)]) for number in chunk])
        counts += [int(item.get("result") or "0x0", 16) for item in items]
    transactions = sum(counts)
    return {
        "blocks": len(counts),
        "transactions": transactions,
        "empty_blocks": sum(1 for count in counts if count == 0),
        "transactions_per_nonempty_block": (
            round(transactions / max(1, len(counts) - counts.count(0)), 2) if counts else None
        ),
    }


# ------------------------------------------------------------------------------ direct chain set-up

SET_IDENTITY = "setIdentity(address,bool,uint256,bytes2,uint8,bytes32)"
CNY = b"CNY".ljust(8, b"\0")
SUPPLIER_ROLE_CODE = 2


def identity(address: str) -> list[Any]:
    """A verified supplier in China whose KYC lasts ten years: what the compliance agent records."""
    expires_at = int(time.time()) + 10 * 365 * 86_400
    return [address, True, expires_at, b"CN", SUPPLIER_ROLE_CODE, b"benchmark".ljust(32, b"\0")]
