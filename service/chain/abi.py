"""ABI encoding and decoding: calls, custom errors and events, straight from the compiled ABIs."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any

from eth_abi import decode as abi_decode
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
    return selector(signature) + encode_values(_argument_types(signature), list(args))


class AbiEncodingError(ValueError):
    """A value that its ABI type cannot carry (out of range, wrong kind, wrong length)."""


def encode_values(types: Sequence[str], values: Sequence[Any]) -> bytes:
    """The Solidity ABI encoding of `values` as the tuple `types` (what eth-abi's `encode` returns).

    Written out because eth-abi builds and validates through layers that cost about 100 us for a
    five-word struct; a transfer encodes several (its call, the EIP-712 struct, the relay batch).
    Covers what contracts here take: elementary words, `bytes`, `string`, tuples, fixed and dynamic
    arrays. Values are checked as strictly as eth-abi checks them; a property test compares the two.
    """
    if len(types) != len(values):
        raise AbiEncodingError(f"{len(types)} types for {len(values)} values")
    return _encode(_parse_tuple(tuple(types)), values)


@dataclass(frozen=True)
class _AbiType:
    kind: str  # "word", "bytes", "string", "tuple", "array" (dynamic length) or "fixed" (T[k])
    name: str
    components: tuple[_AbiType, ...] = ()
    length: int = 0

    @cached_property
    def dynamic(self) -> bool:
        if self.kind in ("bytes", "string", "array"):
            return True
        return any(component.dynamic for component in self.components)


@lru_cache(maxsize=512)
def _parse_tuple(types: tuple[str, ...]) -> _AbiType:
    return _AbiType("tuple", "(" + ",".join(types) + ")", tuple(_parse(kind) for kind in types))


@lru_cache(maxsize=512)
def _parse(kind: str) -> _AbiType:
    array = re.fullmatch(r"(.+)\[(\d*)\]", kind)
    if array is not None:
        element = _parse(array.group(1))
        if array.group(2) == "":
            return _AbiType("array", kind, (element,))
        return _AbiType("fixed", kind, (element,), int(array.group(2)))
    if kind.startswith("("):
        return _parse_tuple(tuple(_split_types(kind[1:-1])))
    if kind in ("bytes", "string"):
        return _AbiType(kind, kind)
    if not _is_elementary_word(kind):
        raise AbiEncodingError(f"unsupported ABI type {kind!r}")
    return _AbiType("word", kind)


def _is_elementary_word(kind: str) -> bool:
    """Types whose ABI encoding is exactly one 32-byte word in place."""
    if kind in ("address", "bool"):
        return True
    sized = re.fullmatch(r"(uint|int|bytes)(\d+)", kind)
    if sized is None:
        return False
    size = int(sized.group(2))
    return 1 <= size <= 32 if sized.group(1) == "bytes" else size % 8 == 0 and 8 <= size <= 256


def _encode(kind: _AbiType, value: Any) -> bytes:
    if kind.kind == "word":
        return _encode_word(kind.name, value)
    if kind.kind in ("bytes", "string"):
        raw = _bytes_of(kind.name, value)
        return len(raw).to_bytes(32, "big") + raw + bytes(-len(raw) % 32)
    if kind.kind == "tuple":
        items = _sequence_of(kind, value, len(kind.components))
        return _encode_sequence(kind.components, items)
    [element] = kind.components
    if kind.kind == "fixed":
        items = _sequence_of(kind, value, kind.length)
        return _encode_sequence((element,) * kind.length, items)
    items = _sequence_of(kind, value, None)
    return len(items).to_bytes(32, "big") + _encode_sequence((element,) * len(items), items)


def _encode_sequence(kinds: tuple[_AbiType, ...], values: Sequence[Any]) -> bytes:
    """Heads in order (a static value in place, a dynamic one as the offset of its tail), then tails."""
    encoded = [_encode(kind, value) for kind, value in zip(kinds, values, strict=True)]
    head_size = sum(32 if kind.dynamic else len(part) for kind, part in zip(kinds, encoded, strict=True))
    heads: list[bytes] = []
    tails: list[bytes] = []
    offset = head_size
    for kind, part in zip(kinds, encoded, strict=True):
        if kind.dynamic:
            heads.append(offset.to_bytes(32, "big"))
            tails.append(part)
            offset += len(part)
        else:
            heads.append(part)
    return b"".join(heads) + b"".join(tails)


def _sequence_of(kind: _AbiType, value: Any, length: int | None) -> Sequence[Any]:
    if not isinstance(value, list | tuple):
        raise AbiEncodingError(f"{kind.name} takes a list or tuple, not {type(value).__name__}")
    if length is not None and len(value) != length:
        raise AbiEncodingError(f"{kind.name} takes {length} items, not {len(value)}")
    return value


def _bytes_of(kind: str, value: Any) -> bytes:
    if kind == "string":
        if not isinstance(value, str):
            raise AbiEncodingError(f"string takes str, not {type(value).__name__}")
        return value.encode()
    if not isinstance(value, bytes | bytearray):
        raise AbiEncodingError(f"{kind} takes bytes, not {type(value).__name__}")
    return bytes(value)


def _encode_word(kind: str, value: Any) -> bytes:
    if kind == "address":
        return bytes(12) + _address_bytes(value)
    if kind == "bool":
        if not isinstance(value, bool):
            raise AbiEncodingError(f"bool takes a bool, not {type(value).__name__}")
        return bytes(31) + (b"\x01" if value else b"\x00")
    if kind.startswith("bytes"):
        raw = _bytes_of(kind, value)
        if len(raw) > int(kind[5:]):
            raise AbiEncodingError(f"{kind} holds at most {kind[5:]} bytes, not {len(raw)}")
        return raw + bytes(32 - len(raw))
    if not isinstance(value, int) or isinstance(value, bool):
        raise AbiEncodingError(f"{kind} takes an int, not {type(value).__name__}")
    signed = kind.startswith("int")
    bits = int(kind[3:] if signed else kind[4:])
    low, high = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    if not low <= value <= high:
        raise AbiEncodingError(f"{value} is out of range for {kind}")
    return value.to_bytes(32, "big", signed=signed)


def _address_bytes(value: Any) -> bytes:
    if isinstance(value, bytes | bytearray) and len(value) == 20:
        return bytes(value)
    if isinstance(value, str) and len(value) == 42 and value[:2] in ("0x", "0X"):
        # Any letter case, as eth-abi (whose address check no longer enforces EIP-55 checksums).
        try:
            return bytes.fromhex(value[2:])
        except ValueError:
            pass
    raise AbiEncodingError(f"{value!r} is not an address")


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


def word_decoder(kind: str) -> Callable[[str], Any]:
    """How to read one static word, given as 64 hex digits, as `kind` (what eth-abi's `decode` gives,
    with addresses checksummed and fixed bytes as 0x-hex). Without eth-abi's generic machinery and
    straight from the node's hex: the indexer and every receipt decode each log.

    Indexed dynamic values (strings, arrays) arrive as their keccak hash, a bytes32 word too.
    """
    if kind == "address":
        return lambda digits: checksum_address("0x" + digits[24:])
    if kind.startswith("uint"):
        return lambda digits: int(digits, 16)
    if kind == "bool":
        return lambda digits: int(digits, 16) != 0
    if kind.startswith("bytes") and kind != "bytes":
        size = int(kind[5:])
        return lambda digits: "0x" + digits[: 2 * size]
    if kind.startswith("int"):
        return _signed_word
    return lambda digits: "0x" + digits


def _signed_word(digits: str) -> int:
    value = int(digits, 16)
    return value - (1 << 256) if value >= 1 << 255 else value


@dataclass(frozen=True)
class ErrorSpec:
    name: str
    types: tuple[str, ...]
    names: tuple[str, ...]


class ErrorCatalog:
    """Selector → custom error, over every ABI the service knows, plus Solidity's Error and Panic."""

    def __init__(self, abis: Iterable[list[dict[str, Any]]]) -> None:
        abis_list = list(abis)
        self._specs: dict[bytes, ErrorSpec] = {
            selector("Error(string)"): ErrorSpec("Error", ("string",), ("message",)),
            selector("Panic(uint256)"): ErrorSpec("Panic", ("uint256",), ("code",)),
        }
        for abi in abis_list:
            for item in abi:
                if item["type"] != "error":
                    continue
                types = tuple(canonical_type(arg) for arg in item["inputs"])
                signature = f"{item['name']}({','.join(types)})"
                names = tuple(arg["name"] or f"arg{i}" for i, arg in enumerate(item["inputs"]))
                self._specs[selector(signature)] = ErrorSpec(item["name"], types, names)

        # Access-control roles by their bytes32 id: each public `*_ROLE` constant is keccak256 of its name.
        self.role_names: dict[str, str] = {"0x" + "00" * 32: "DEFAULT_ADMIN_ROLE"}
        for abi in abis_list:
            for item in abi:
                if item["type"] == "function" and item["name"].endswith("_ROLE") and not item["inputs"]:
                    self.role_names.setdefault("0x" + keccak(text=item["name"]).hex(), item["name"])

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
    indexed: tuple[tuple[str, Callable[[str], Any]], ...]  # (name, decoder) of the topics after the first
    plain: tuple[tuple[str, str], ...]  # (name, type) of the data
    # (name, decoder) of the data's words when every value is one static word, else None
    plain_words: tuple[tuple[str, Callable[[str], Any]], ...] | None


class EventCatalog:
    def __init__(self, abis: Iterable[list[dict[str, Any]]]) -> None:
        # ERC-20 and ERC-721 share `Transfer(address,address,uint256)` with different indexing, so a
        # topic maps to each indexing it has, told apart by the number of topics of the log.
        # By the first topic as the node writes it (lower-case 0x-hex) and the number of the others.
        self._specs: dict[tuple[str, int], _EventSpec] = {}
        for abi in abis:
            for item in abi:
                if item["type"] != "event" or item.get("anonymous"):
                    continue
                signature = f"{item['name']}({','.join(canonical_type(arg) for arg in item['inputs'])})"
                indexed = tuple(
                    (arg["name"], word_decoder(arg["type"])) for arg in item["inputs"] if arg["indexed"]
                )
                plain = tuple(
                    (arg["name"], canonical_type(arg)) for arg in item["inputs"] if not arg["indexed"]
                )
                words = all(_is_elementary_word(kind) for _name, kind in plain)
                plain_words = tuple((name, word_decoder(kind)) for name, kind in plain) if words else None
                self._specs[("0x" + keccak(text=signature).hex(), len(indexed))] = _EventSpec(
                    item["name"], indexed, plain, plain_words
                )

    def decode(self, log: dict[str, Any]) -> DecodedEvent | None:
        topics = log["topics"]
        spec = self._specs.get((topics[0].lower(), len(topics) - 1)) if topics else None
        if spec is None:
            return None
        args: dict[str, Any] = {}
        for (name, decode_word), topic in zip(spec.indexed, topics[1:], strict=True):
            args[name] = decode_word(topic[2:])
        data: str = log["data"]
        if spec.plain_words is not None:
            for index, (name, decode_word) in enumerate(spec.plain_words):
                args[name] = decode_word(data[2 + 64 * index : 66 + 64 * index])
        else:
            values = abi_decode([kind for _name, kind in spec.plain], bytes.fromhex(data[2:]))
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
