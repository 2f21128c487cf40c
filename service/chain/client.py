"""The service's view of the deployed Cascade contracts: reads, simulations, receipts and logs.

Only standard Ethereum JSON-RPC is used here. The one exception, mining a block on a stalled Anvil,
lives in the chain writer and is allowed only on the embedded chain the service started itself
(`ChainClient.embedded`); attached to a network through CHAIN_RPC_URL it never leaves the standard.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from eth_abi import decode as abi_decode

from service.chain.abi import DecodedEvent, ErrorCatalog, EventCatalog, checksum_address
from service.chain.compiler import Artifact
from service.chain.contracts import ContractCall, Contracts
from service.chain.revert import decode_revert
from service.chain.rpc import JsonRpc, RpcError, RpcReverted
from service.domain.clock import compute_ledger_now
from service.errors import ChainRejected, ChainUnavailable, LedgerError

# Contracts whose events the indexer follows, by deployment name (the forwarder's tell which
# operation ran; the settlement cash tokens are not followed).
INDEXED_CONTRACTS = (
    "registry",
    "forwarder",
    "note",
    "fx",
    "logistics",
    "desk",
    "programme",
    "vault",
    "market",
)
# Contracts indexed by kind: the FX feeds (their oracle's answers).
INDEXED_PREFIXES = ("feed:",)


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
    succeeded: bool
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
        *,
        embedded: bool = False,
    ) -> None:
        self.rpc = rpc
        self.chain_id = chain_id
        self.deployment = deployment
        self.embedded = embedded
        self.contracts = Contracts(artifacts, deployment.addresses)
        # Contracts created after the deployment whose events are indexed too (see `watch`).
        self._watched: dict[str, str] = {}
        abis = [artifact.abi for artifact in artifacts.values()]
        self.errors = ErrorCatalog(abis)
        self.events = EventCatalog(abis)

    # --------------------------------------------------------------------------------- the clock

    def fetch_head(self) -> int:
        return int(self.rpc.request("eth_blockNumber"), 16)

    def fetch_block(self, number: int | str) -> dict[str, Any] | None:
        tag = hex(number) if isinstance(number, int) else number
        block = self.rpc.request("eth_getBlockByNumber", [tag, False])
        return dict(block) if block else None

    def fetch_time(self) -> int:
        """The ledger's one clock: the time the next block will carry at least, the later of the latest
        block's timestamp and the wall clock. An idle chain's latest block can be minutes old (the
        embedded Anvil mines only when it is sent a transaction) and the next block takes the wall
        clock, so every lifecycle rule (maturity, expiry, days left) is judged by this, not by the last
        block; a chain whose clock runs ahead (a test that moved it) is followed."""
        return self.fetch_head_and_time()[1]

    def fetch_head_and_time(self) -> tuple[int, int]:
        """The head's number and the ledger's clock (`fetch_time`), from one read of the latest block."""
        block = self.fetch_block("latest")
        if block is None:
            raise ChainUnavailable("the chain has no latest block")
        latest_block_at = datetime.fromtimestamp(int(block["timestamp"], 16), UTC)
        return int(block["number"], 16), int(
            compute_ledger_now(datetime.now(UTC), latest_block_at).timestamp()
        )

    def fetch_latest_block_time(self) -> int:
        block = self.fetch_block("latest")
        if block is None:
            raise ChainUnavailable("the chain has no latest block")
        return int(block["timestamp"], 16)

    # --------------------------------------------------------------------------------- reads

    def call(self, to: str, data: bytes, *, sender: str | None = None, block: int | str = "latest") -> bytes:
        """`eth_call`; a revert is raised as the LedgerError of its Solidity error."""
        request: dict[str, Any] = {"to": to, "data": "0x" + data.hex()}
        if sender is not None:
            request["from"] = sender
        tag = hex(block) if isinstance(block, int) else block
        try:
            result = self.rpc.request("eth_call", [request, tag])
        except RpcReverted as error:
            raise decode_revert(self.errors, error.revert_data) from None
        except RpcError as error:
            raise ChainUnavailable(f"the chain node could not run a call: {error.message}") from error
        return bytes.fromhex(result[2:])

    def read(self, call: ContractCall, block: int | str = "latest") -> Any:
        """A contract view, decoded with its ABI's output types (one output unwrapped)."""
        values = abi_decode(list(call.output_types), self.call(call.to, call.data, block=block))
        return values[0] if len(values) == 1 else values

    def read_many(self, calls: list[ContractCall], block: int | str = "latest") -> list[Any]:
        """Several views in one round trip, each decoded like `read`."""
        tag = hex(block) if isinstance(block, int) else block
        answers = self.rpc.batch_outcomes(
            [("eth_call", [{"to": call.to, "data": "0x" + call.data.hex()}, tag]) for call in calls]
        )
        results = []
        for call, answer in zip(calls, answers, strict=True):
            if isinstance(answer, RpcReverted):
                raise decode_revert(self.errors, answer.revert_data)
            if isinstance(answer, RpcError):
                raise ChainUnavailable(f"the chain node could not run {call.function}: {answer.message}")
            values = abi_decode(list(call.output_types), bytes.fromhex(answer[2:]))
            results.append(values[0] if len(values) == 1 else values)
        return results

    def fetch_forwarder_nonces(self, accounts: list[str], block: int | str = "latest") -> dict[str, int]:
        """Each account's next forwarder nonce, in one round trip."""
        forwarder = self.contracts.forwarder
        values = self.read_many([forwarder.call("nonces", account) for account in accounts], block)
        return {
            checksum_address(account): int(value) for account, value in zip(accounts, values, strict=True)
        }

    def fetch_forwarder_nonce(self, account: str) -> int:
        return self.fetch_forwarder_nonces([account])[checksum_address(account)]

    # --------------------------------------------------------------------------------- logs

    @cached_property
    def _fixed_indexed_addresses(self) -> tuple[str, ...]:
        addresses = self.deployment.addresses
        named = [addresses[name] for name in INDEXED_CONTRACTS if name in addresses]
        named += [address for name, address in sorted(addresses.items()) if name.startswith(INDEXED_PREFIXES)]
        return tuple(checksum_address(address) for address in named)

    @property
    def indexed_addresses(self) -> tuple[str, ...]:
        """The contracts whose events the indexer applies (checksummed, as decoded events name them): the
        deployment's, then those created since that the indexer was told to watch."""
        return self._fixed_indexed_addresses + tuple(sorted(self._watched))

    def contract_name_of(self, address: str) -> str | None:
        checksummed = checksum_address(address)
        return self.contracts.names_by_address.get(checksummed) or self._watched.get(checksummed)

    def watch(self, addresses: Mapping[str, str]) -> list[str]:
        """Adds contracts created after the deployment (address -> the name their events go by, e.g. every
        offering's yield token as "yield_token") to what the indexer reads; returns the new ones."""
        added = []
        for address, name in addresses.items():
            checksummed = checksum_address(address)
            if checksummed not in self._watched and checksummed not in self._fixed_indexed_addresses:
                self._watched[checksummed] = name
                added.append(checksummed)
        return added

    def fetch_logs_of(self, addresses: Sequence[str], from_block: int, to_block: int) -> list[DecodedEvent]:
        """The events of `addresses` in a block range (contracts learnt of within the range)."""
        logs_filter = {"fromBlock": hex(from_block), "toBlock": hex(to_block), "address": list(addresses)}
        return self._decode_logs(self.rpc.request("eth_getLogs", [logs_filter]) or [])

    def fetch_logs_and_block(
        self, from_block: int, to_block: int
    ) -> tuple[list[DecodedEvent], dict[str, Any]]:
        """The indexed contracts' events in a block range, and the range's last block, in one round trip."""
        logs, block = self.rpc.batch(self._logs_and_block_calls(from_block, to_block))
        if block is None:
            raise ChainUnavailable(f"block {to_block} is not on the chain (any more)")
        return self._decode_logs(logs or []), dict(block)

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
            "address": list(self.indexed_addresses),
        }
        return [("eth_getLogs", [logs_filter]), ("eth_getBlockByNumber", [hex(to_block), False])]

    def _decode_logs(self, logs: list[dict[str, Any]]) -> list[DecodedEvent]:
        decoded = (self.events.decode(log) for log in logs if not log.get("removed"))
        return [event for event in decoded if event is not None]

    # --------------------------------------------------------------------------------- writes

    def simulate_forwarded(self, sender: str, target: str, data: bytes) -> bytes:
        """Runs a forward request's call as the forwarder would deliver it, without a transaction.

        OpenZeppelin's forwarder replaces the callee's revert reason with `FailedCall()`; simulating
        the call with the sender appended (ERC-2771) recovers the real custom error.
        """
        payload = data + bytes.fromhex(checksum_address(sender)[2:])
        return self.call(target, payload, sender=self.deployment.forwarder)

    def simulation_call(self, sender: str, target: str, data: bytes) -> tuple[str, list[Any]]:
        """The JSON-RPC call `simulate_forwarded` makes, for a batch of simulations."""
        payload = data + bytes.fromhex(checksum_address(sender)[2:])
        request = {"to": target, "data": "0x" + payload.hex(), "from": self.deployment.forwarder}
        return ("eth_call", [request, "latest"])

    def fetch_receipt(self, transaction_hash: str) -> Receipt | None:
        raw = self.rpc.request("eth_getTransactionReceipt", [transaction_hash])
        return None if raw is None else self.to_receipt(raw)

    def to_receipt(self, raw: dict[str, Any]) -> Receipt:
        logs = raw.get("logs", [])
        decoded = [event for event in (self.events.decode(log) for log in logs) if event is not None]
        return Receipt(
            transaction_hash=raw["transactionHash"],
            block_number=int(raw["blockNumber"], 16),
            block_hash=raw["blockHash"],
            gas_used=int(raw["gasUsed"], 16),
            succeeded=int(raw["status"], 16) == 1,
            events=decoded,
        )

    def explain_failure(self, sender: str, target: str, data: bytes) -> LedgerError:
        """Best reason for a forwarded call that failed on chain after its simulation passed (a race):
        simulated again now; a call that would pass now failed for a reason since gone."""
        try:
            self.simulate_forwarded(sender, target, data)
        except LedgerError as error:
            return error
        return ChainRejected("the call failed on chain; the state that made it fail has changed since")


def wait_for_chain(rpc: JsonRpc, timeout_seconds: float = 30.0) -> int:
    deadline = time.monotonic() + timeout_seconds
    while True:
        try:
            return int(rpc.request("eth_chainId"), 16)
        except (LedgerError, RpcError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
