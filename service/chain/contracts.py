"""web3.py contract objects of a deployment, built from the compiled ABIs.

Every call the service makes is encoded through these (web3.py picks the overload from the arguments),
and every output is decoded with the types of the function's ABI entry: no function signature is
typed by hand. Transport is the service's own JSON-RPC client (`ChainClient.read`); web3.py's
HTTPProvider is used only where a whole transaction is built (deployment).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from eth_typing import ChecksumAddress, HexAddress, HexStr
from eth_utils.abi import get_abi_output_types
from web3 import Web3
from web3.contract import Contract

from service.chain.abi import canonical_type, checksum_address, encode_values, selector
from service.chain.compiler import Artifact

# Deployment names (as recorded in `deployed_contracts`) and the artifact each is an instance of.
# The note is one address with two code halves: its ABI is the interface of both (`ICascadeNote`).
ARTIFACT_OF = {
    "registry": "ParticipantRegistry",
    "forwarder": "CascadeForwarder",
    "note": "ICascadeNote",
    "note_extension": "ReceivableNoteExtension",
    "limits": "TransferLimitModule",
    "fx": "FxRateDirectory",
    "logistics": "LogisticsOracle",
    "desk": "FinancingDesk",
    "programme": "EarlyPaymentProgram",
    "vault": "SettlementVault",
    # The market: the YieldToken implementation (each offering's token is a clone of it, with its ABI)
    # and the OfferingVault.
    "yield_token": "YieldToken",
    "market": "OfferingVault",
}
CASH_PREFIX = "cash:"
CASH_ARTIFACT = "SettlementToken"
FEED_PREFIX = "feed:"
FEED_ARTIFACT = "FxPriceFeed"
# A web3 instance with no provider: contract objects only encode and decode.
_OFFLINE = Web3()


def artifact_name_of(deployment_name: str) -> str:
    if deployment_name.startswith(CASH_PREFIX):
        return CASH_ARTIFACT
    if deployment_name.startswith(FEED_PREFIX):
        return FEED_ARTIFACT
    return ARTIFACT_OF[deployment_name]


@dataclass(frozen=True)
class ContractCall:
    """A call ready to send: where, the calldata, and how to read its answer."""

    to: str
    data: bytes
    output_types: tuple[str, ...]
    function: str


@dataclass(frozen=True)
class _Resolved:
    selector: bytes
    input_types: tuple[str, ...]
    output_types: tuple[str, ...]


class ContractHandle:
    """One deployed contract. web3.py picks the ABI entry a call means (its overload resolution, by the
    arguments) once per function and argument shape; the calldata itself is then written by the
    service's own encoder, which a property test checks against eth-abi: web3.py's encoding costs about
    0.7 ms a call here against a few microseconds, on every request's path (benchmarks/abi_encoding.py,
    docs/decisions/0003-hand-written-encoders.md)."""

    def __init__(self, name: str, address: str, abi: list[dict[str, Any]]) -> None:
        self.name = name
        self.address = checksum_address(address)
        self.contract: Contract = _OFFLINE.eth.contract(
            address=ChecksumAddress(HexAddress(HexStr(self.address))), abi=abi
        )
        self._resolved: dict[tuple[str, tuple[type, ...]], _Resolved] = {}

    def _resolve(self, function: str, args: tuple[Any, ...]) -> _Resolved:
        shape = (function, tuple(type(arg) for arg in args))
        resolved = self._resolved.get(shape)
        if resolved is None:
            bound = self.contract.functions[function](*args)
            inputs = tuple(canonical_type(dict(argument)) for argument in bound.abi["inputs"])
            resolved = _Resolved(
                selector(f"{function}({','.join(inputs)})"), inputs, tuple(get_abi_output_types(bound.abi))
            )
            self._resolved[shape] = resolved
        return resolved

    def call(self, function: str, *args: Any) -> ContractCall:
        resolved = self._resolve(function, args)
        data = resolved.selector + encode_values(resolved.input_types, list(args))
        return ContractCall(self.address, data, resolved.output_types, function)

    def web3_calldata(self, function: str, *args: Any) -> bytes:
        """The same calldata through web3.py alone (the reference the fast path is checked against)."""
        return bytes.fromhex(self.contract.functions[function](*args)._encode_transaction_data()[2:])

    def calldata(self, function: str, *args: Any) -> bytes:
        return self.call(function, *args).data


class Contracts:
    """The deployment's contracts by name: `contracts.note.call("ownerOf", 1)`."""

    def __init__(self, artifacts: dict[str, Artifact], addresses: dict[str, str]) -> None:
        self._artifacts = artifacts
        self._addresses = addresses
        self._handles: dict[str, ContractHandle] = {}

    def __getitem__(self, name: str) -> ContractHandle:
        handle = self._handles.get(name)
        if handle is None:
            abi = self._artifacts[artifact_name_of(name)].abi
            handle = ContractHandle(name, self._addresses[name], abi)
            self._handles[name] = handle
        return handle

    @cached_property
    def names_by_address(self) -> dict[str, str]:
        return {checksum_address(address): name for name, address in self._addresses.items()}

    def cash(self, currency: str) -> ContractHandle:
        return self[CASH_PREFIX + currency]

    @property
    def note(self) -> ContractHandle:
        return self["note"]

    @property
    def registry(self) -> ContractHandle:
        return self["registry"]

    @property
    def forwarder(self) -> ContractHandle:
        return self["forwarder"]

    @property
    def desk(self) -> ContractHandle:
        return self["desk"]

    @property
    def programme(self) -> ContractHandle:
        return self["programme"]

    @property
    def vault(self) -> ContractHandle:
        return self["vault"]

    @property
    def market(self) -> ContractHandle:
        return self["market"]

    @property
    def fx(self) -> ContractHandle:
        return self["fx"]

    @property
    def logistics(self) -> ContractHandle:
        return self["logistics"]

    def feed(self, base: str, quote: str) -> ContractHandle:
        return self[f"{FEED_PREFIX}{base}/{quote}"]

    def feed_at(self, address: str) -> ContractHandle:
        """Any Chainlink-style feed (AggregatorV3Interface), e.g. one a pair was pointed at after the
        deployment, read through the ledger's own feed's ABI (which includes that interface)."""
        return ContractHandle("feed", address, self._artifacts[FEED_ARTIFACT].abi)


def function_input_types(abi: list[dict[str, Any]], function: str) -> list[str]:
    """The canonical input types of the one function named `function` in `abi` (for the hand-written
    encoders of the hot path, so that even they take their types from the artifact)."""
    [entry] = [item for item in abi if item.get("type") == "function" and item["name"] == function]
    return [canonical_type(argument) for argument in entry["inputs"]]
