"""ABI encoding and decoding: calls, custom errors and events, straight from the compiled ABIs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_utils import keccak, to_checksum_address


@lru_cache(maxsize=512)
def selector(signature: str) -> bytes:
    return keccak(text=signature)[:4]


@lru_cache(maxsize=65_536)
def checksum_address(address: str | bytes) -> str:
    """`to_checksum_address`, remembered: it hashes, and the same few addresses recur in every log."""
    return str(to_checksum_address(address))


def encode_call(signature: str, args: Iterable[Any]) -> bytes:
    """`signature` is the canonical form, e.g. `transferFrom(uint256,address,uint256)`."""
    return selector(signature) + abi_encode(_argument_types(signature), list(args))


@lru_cache(maxsize=512)
def _argument_types(signature: str) -> list[str]:
    return _split_types(signature[signature.index("(") + 1 : -1])


def _split_types(text: str) -> list[str]:
    types: list[str] = []
    depth, start = 0, 0
    for index, char in enumerate(text):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            types.append(text[start:index])
            start = index + 1
    if text[start:]:
        types.append(text[start:])
    return types


def canonical_type(item: dict[str, Any]) -> str:
    kind: str = item["type"]
    if kind.startswith("tuple"):
        return "(" + ",".join(canonical_type(component) for component in item["components"]) + ")" + kind[5:]
    return kind


def _normalise(kind: str, value: Any) -> Any:
    if kind == "address":
        return checksum_address(value)
    if isinstance(value, bytes) and kind.startswith("bytes"):
        return "0x" + value.hex()
    return value


def _is_word(kind: str) -> bool:
    """Types whose ABI encoding is exactly one 32-byte word in place."""
    return kind in ("address", "bool") or (kind.startswith(("uint", "bytes")) and kind != "bytes")


def _decode_word(kind: str, word: bytes) -> Any:
    """One static word, decoded without eth-abi's generic machinery (the indexer decodes every log).

    Indexed dynamic values (strings, arrays) arrive as their keccak hash, a bytes32 word too.
    """
    if kind == "address":
        return checksum_address(word[12:])
    if kind.startswith("uint"):
        return int.from_bytes(word, "big")
    if kind == "bool":
        return word[-1] != 0
    if kind.startswith("bytes") and kind != "bytes":
        return "0x" + word[: int(kind[5:])].hex()
    if kind.startswith("int"):
        return int.from_bytes(word, "big", signed=True)
    return "0x" + word.hex()


@dataclass(frozen=True)
class ErrorSpec:
    name: str
    types: tuple[str, ...]
    names: tuple[str, ...]


class ErrorCatalog:
    """Selector → custom error, over every ABI the service knows, plus Solidity's Error and Panic."""

    def __init__(self, abis: Iterable[list[dict[str, Any]]]) -> None:
        self._specs: dict[bytes, ErrorSpec] = {
            selector("Error(string)"): ErrorSpec("Error", ("string",), ("message",)),
            selector("Panic(uint256)"): ErrorSpec("Panic", ("uint256",), ("code",)),
        }
        for abi in abis:
            for item in abi:
                if item["type"] != "error":
                    continue
                types = tuple(canonical_type(arg) for arg in item["inputs"])
                signature = f"{item['name']}({','.join(types)})"
                names = tuple(arg["name"] or f"arg{i}" for i, arg in enumerate(item["inputs"]))
                self._specs[selector(signature)] = ErrorSpec(item["name"], types, names)

    @property
    def names(self) -> set[str]:
        return {spec.name for spec in self._specs.values()}

    def decode(self, data: bytes) -> tuple[str, dict[str, Any]] | None:
        spec = self._specs.get(data[:4])
        if spec is None:
            return None
        values = abi_decode(list(spec.types), data[4:])
        return spec.name, {
            name: _normalise(kind, value)
            for name, kind, value in zip(spec.names, spec.types, values, strict=True)
        }


@dataclass(frozen=True)
class DecodedEvent:
    name: str
    address: str
    args: dict[str, Any]
    block_number: int
    block_hash: str
    transaction_hash: str
    log_index: int


@dataclass(frozen=True)
class _EventSpec:
    name: str
    indexed: tuple[tuple[str, str], ...]  # (name, type) of the topics after the first
    plain: tuple[tuple[str, str], ...]  # (name, type) of the data
    plain_all_words: bool


class EventCatalog:
    def __init__(self, abis: Iterable[list[dict[str, Any]]]) -> None:
        # ERC-20 and ERC-721 share `Transfer(address,address,uint256)` with different indexing, so a
        # topic maps to each indexing it has, told apart by the number of topics of the log.
        self._specs: dict[tuple[bytes, int], _EventSpec] = {}
        for abi in abis:
            for item in abi:
                if item["type"] != "event" or item.get("anonymous"):
                    continue
                signature = f"{item['name']}({','.join(canonical_type(arg) for arg in item['inputs'])})"
                indexed = tuple((arg["name"], arg["type"]) for arg in item["inputs"] if arg["indexed"])
                plain = tuple(
                    (arg["name"], canonical_type(arg)) for arg in item["inputs"] if not arg["indexed"]
                )
                self._specs[(keccak(text=signature), len(indexed))] = _EventSpec(
                    item["name"], indexed, plain, all(_is_word(kind) for _name, kind in plain)
                )

    def decode(self, log: dict[str, Any]) -> DecodedEvent | None:
        topics = [bytes.fromhex(topic[2:]) for topic in log["topics"]]
        spec = self._specs.get((topics[0], len(topics) - 1)) if topics else None
        if spec is None:
            return None
        args: dict[str, Any] = {}
        for (name, kind), topic in zip(spec.indexed, topics[1:], strict=True):
            args[name] = _decode_word(kind, topic)
        data = bytes.fromhex(log["data"][2:])
        if spec.plain_all_words:
            for index, (name, kind) in enumerate(spec.plain):
                args[name] = _decode_word(kind, data[32 * index : 32 * index + 32])
        else:
            values = abi_decode([kind for _name, kind in spec.plain], data)
            for (name, kind), value in zip(spec.plain, values, strict=True):
                args[name] = _normalise(kind, value)
        return DecodedEvent(
            name=spec.name,
            address=checksum_address(log["address"]),
            args=args,
            block_number=int(log["blockNumber"], 16),
            block_hash=log["blockHash"],
            transaction_hash=log["transactionHash"],
            log_index=int(log["logIndex"], 16),
        )
