"""The service's view of the deployed Cascade contracts: reads, simulations and submissions."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from eth_abi import decode as abi_decode

from service.chain.abi import DecodedEvent, ErrorCatalog, EventCatalog, checksum_address, encode_call
from service.chain.compiler import Artifact
from service.chain.forwarder import (
    FORWARDED_CALL_GAS,
    RELAY_GAS,
    ForwardRequest,
    encode_execute_batch,
    relay_batch_gas,
)
from service.chain.revert import decode_revert
from service.chain.rpc import JsonRpc, RevertError
from service.chain.transactions import SignedTransaction, TransactionSender
from service.errors import ChainRejected, LedgerError
from service.settings import ANVIL_CHAIN_ID

# Contracts whose events the indexer follows, by deployment name.
INDEXED_CONTRACTS = ("registry", "note", "desk", "programme", "vault")


@dataclass(frozen=True)
class Deployment:
    chain_id: int
    block_number: int
    addresses: dict[str, str] = field(default_factory=dict)

    @property
    def registry(self) -> str:
        return self.addresses["registry"]

    @property
    def forwarder(self) -> str:
        return self.addresses["forwarder"]

    @property
    def note(self) -> str:
        return self.addresses["note"]


@dataclass(frozen=True)
class Receipt:
    transaction_hash: str
    block_number: int
    block_hash: str
    gas_used: int
    events: list[DecodedEvent]

    def events_named(self, name: str) -> list[DecodedEvent]:
        return [event for event in self.events if event.name == name]


class ChainClient:
    def __init__(
        self,
        rpc: JsonRpc,
        chain_id: int,
        artifacts: dict[str, Artifact],
        deployment: Deployment,
        operator: TransactionSender,
        relayers: list[TransactionSender],
    ) -> None:
        self.rpc = rpc
        self.chain_id = chain_id
        self.deployment = deployment
        self.operator = operator
        self.relayers = relayers
        self._clock: tuple[float, int] = (-10.0, 0)
        abis = [artifact.abi for artifact in artifacts.values()]
        self.errors = ErrorCatalog(abis)
        self.events = EventCatalog(abis)

    # --------------------------------------------------------------------------------- reads

    def fetch_head(self) -> int:
        return int(self.rpc.request("eth_blockNumber"), 16)

    def fetch_block(self, number: int | str) -> dict[str, Any] | None:
        tag = hex(number) if isinstance(number, int) else number
        block = self.rpc.request("eth_getBlockByNumber", [tag, False])
        return dict(block) if block else None

    def fetch_time(self) -> int:
        """The latest block's timestamp: the clock every contract judges by."""
        block = self.fetch_block("latest")
        assert block is not None
        chain_time = int(block["timestamp"], 16)
        self._clock = (time.monotonic(), chain_time)
        return chain_time

    def forget_clock(self) -> None:
        self._clock = (-10.0, 0)

    def estimate_time(self) -> int:
        """The chain's clock without a round trip, from the last reading (at most a second old)."""
        read_at, chain_time = self._clock
        if time.monotonic() - read_at > 1.0:
            return self.fetch_time()
        return chain_time + int(time.monotonic() - read_at)

    def call(self, to: str, data: bytes, *, sender: str | None = None, block: int | str = "latest") -> bytes:
        request: dict[str, Any] = {"to": to, "data": "0x" + data.hex()}
        if sender is not None:
            request["from"] = sender
        tag = hex(block) if isinstance(block, int) else block
        try:
            result = self.rpc.request("eth_call", [request, tag])
        except RevertError as error:
            raise decode_revert(self.errors, error.data) from None
        return bytes.fromhex(result[2:])

    def read(
        self, to: str, signature: str, args: Iterable[Any], returns: list[str], block: int | str = "latest"
    ) -> Any:
        values = abi_decode(returns, self.call(to, encode_call(signature, args), block=block))
        return values[0] if len(values) == 1 else values

    def fetch_forwarder_nonce(self, account: str) -> int:
        return int(self.read(self.deployment.forwarder, "nonces(address)", [account], ["uint256"]))

    @cached_property
    def indexed_addresses(self) -> tuple[str, ...]:
        """The contracts whose events the indexer applies (checksummed, as decoded events name them)."""
        return tuple(
            checksum_address(self.deployment.addresses[name])
            for name in INDEXED_CONTRACTS
            if name in self.deployment.addresses
        )

    def fetch_logs_and_block(
        self, from_block: int, to_block: int
    ) -> tuple[list[DecodedEvent], dict[str, Any]]:
        """The indexed contracts' events in a block range, and the range's last block, in one round trip."""
        logs, block = self.rpc.batch(self._logs_and_block_calls(from_block, to_block))
        return self._decode_logs(logs), dict(block)

    def fetch_block_then_logs(
        self, block_number: int, from_block: int, to_block: int
    ) -> tuple[dict[str, Any] | None, list[DecodedEvent], dict[str, Any] | None]:
        """A block, then the events and last block of a range, in one round trip (blocks not on the
        chain are None; the logs are only meaningful if both blocks are what the caller expects)."""
        block, logs, last = self.rpc.batch(
            [
                ("eth_getBlockByNumber", [hex(block_number), False]),
                *self._logs_and_block_calls(from_block, to_block),
            ]
        )
        return block, self._decode_logs(logs or []), last

    def _logs_and_block_calls(self, from_block: int, to_block: int) -> list[tuple[str, list[Any]]]:
        logs_filter = {
            "fromBlock": hex(from_block),
            "toBlock": hex(to_block),
            "address": self.indexed_addresses,
        }
        return [("eth_getLogs", [logs_filter]), ("eth_getBlockByNumber", [hex(to_block), False])]

    def _decode_logs(self, logs: list[dict[str, Any]]) -> list[DecodedEvent]:
        decoded = (self.events.decode(log) for log in logs if not log.get("removed"))
        return [event for event in decoded if event is not None]

    # --------------------------------------------------------------------------------- writes

    def simulate_forwarded(self, sender: str, target: str, data: bytes) -> bytes:
        """Runs a participant's call as the forwarder would deliver it, without a transaction.

        OpenZeppelin's forwarder replaces the callee's revert reason with `FailedCall()`; simulating
        the call with the sender appended (ERC-2771) recovers the real custom error first.
        """
        payload = data + bytes.fromhex(checksum_address(sender)[2:])
        return self.call(target, payload, sender=self.deployment.forwarder)

    def build_forward_request(
        self, sender: str, target: str, data: bytes, ttl_seconds: int, nonce: int | None = None
    ) -> ForwardRequest:
        return ForwardRequest(
            sender=checksum_address(sender),
            target=checksum_address(target),
            gas=FORWARDED_CALL_GAS,
            nonce=self.fetch_forwarder_nonce(sender) if nonce is None else nonce,
            deadline=self.estimate_time() + ttl_seconds,
            data=data,
        )

    def sign_relay(
        self, relayer: TransactionSender, requests: list[tuple[ForwardRequest, bytes]]
    ) -> SignedTransaction:
        """One request goes through `execute`; several through `executeBatch`, which skips (rather than
        reverts on) a request that has become invalid, so one stale request cannot sink the others."""
        if len(requests) == 1:
            request, signature = requests[0]
            return relayer.sign(self.deployment.forwarder, request.encode_execute(signature), RELAY_GAS)
        data = encode_execute_batch(requests, relayer.address)
        return relayer.sign(self.deployment.forwarder, data, relay_batch_gas(len(requests)))

    def sign_operator_call(self, to: str, data: bytes, gas: int = 1_000_000) -> SignedTransaction:
        # Simulate first so a doomed call is refused with its reason and costs no nonce.
        self.call(to, data, sender=self.operator.address)
        return self.operator.sign(to, data, gas)

    def await_mined(
        self, sender: TransactionSender, transaction: SignedTransaction, timeout_seconds: float = 60.0
    ) -> tuple[Receipt, bool]:
        """The receipt once mined, and whether the transaction as a whole succeeded."""

        def unstick() -> None:
            if self.rpc.request("eth_getTransactionByHash", [transaction.hash]) is None:
                sender.send(transaction)  # dropped by the node: the same bytes again, same nonce
            elif self.chain_id == ANVIL_CHAIN_ID:
                # Anvil's automine can stall with transactions from several senders in flight
                # (../shared/TOOLCHAIN.md); mining a block by hand frees them. Never on other chains.
                self.rpc.request("evm_mine")

        raw = sender.wait_for_receipt(transaction.hash, timeout_seconds, unstick=unstick)
        return self._to_receipt(transaction.hash, raw)

    def send_and_await(
        self, sender: TransactionSender, transaction: SignedTransaction
    ) -> tuple[Receipt, bool] | None:
        """Sends; on Anvil, the receipt and whether it succeeded if it is mined before the sender
        counts it as stuck (None otherwise, or on other nodes: `await_mined` then waits for it)."""
        if self.chain_id != ANVIL_CHAIN_ID:
            sender.send(transaction)
            return None
        raw = sender.send_and_wait(transaction)
        return None if raw is None else self._to_receipt(transaction.hash, raw)

    def fetch_receipt(self, transaction_hash: str) -> Receipt:
        raw = self.rpc.request("eth_getTransactionReceipt", [transaction_hash])
        if raw is None:
            raise ChainRejected(f"transaction {transaction_hash} is not on chain")
        return self._to_receipt(transaction_hash, raw)[0]

    def _to_receipt(self, transaction_hash: str, raw: dict[str, Any]) -> tuple[Receipt, bool]:
        logs = raw.get("logs", [])
        decoded = [event for event in (self.events.decode(log) for log in logs) if event is not None]
        receipt = Receipt(
            transaction_hash=transaction_hash,
            block_number=int(raw["blockNumber"], 16),
            block_hash=raw["blockHash"],
            gas_used=int(raw["gasUsed"], 16),
            events=decoded,
        )
        return receipt, int(raw["status"], 16) == 1

    def is_mined(self, transaction_hash: str) -> bool:
        return self.rpc.request("eth_getTransactionReceipt", [transaction_hash]) is not None

    def explain_failure(self, sender: str, target: str, data: bytes, fallback: LedgerError) -> LedgerError:
        """Best reason for a transaction that reverted after its simulation passed (a race)."""
        try:
            self.simulate_forwarded(sender, target, data)
        except LedgerError as error:
            return error
        return fallback


def wait_for_chain(rpc: JsonRpc, timeout_seconds: float = 30.0) -> int:
    deadline = time.monotonic() + timeout_seconds
    while True:
        try:
            return int(rpc.request("eth_chainId"), 16)
        except LedgerError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
