"""EIP-712 forward requests: how a participant's call reaches the note through the relayer."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from coincurve import PrivateKey, PublicKey
from eth_utils import keccak

from service.chain.abi import checksum_address, encode_values, selector
from service.chain.accounts import address_of_public_key

FORWARDER_NAME = "CascadeForwarder"
FORWARDER_VERSION = "1"
FORWARD_REQUEST_TYPE = [
    {"name": "from", "type": "address"},
    {"name": "to", "type": "address"},
    {"name": "value", "type": "uint256"},
    {"name": "gas", "type": "uint256"},
    {"name": "nonce", "type": "uint256"},
    {"name": "deadline", "type": "uint48"},
    {"name": "data", "type": "bytes"},
]
# Gas handed to a forwarded call unless its operation says otherwise; the forwarder refuses to run
# the call with less (and the signed request carries it, so it is fixed once signed).
FORWARDED_CALL_GAS = 400_000
# A relay transaction's gas: each request's forwarded gas plus the forwarder's own work on it
# (signature recovery, nonce, event, calldata), and the batch's own overhead.
RELAY_GAS_PER_REQUEST = 100_000
BATCH_OVERHEAD_GAS = 100_000
_FORWARD_REQUEST_TYPEHASH = keccak(
    text="ForwardRequest(address from,address to,uint256 value,uint256 gas,uint256 nonce,"
    "uint48 deadline,bytes data)"
)
EIP712_DOMAIN_TYPE = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]
_SECP256K1_HALF_ORDER = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0
_DOMAIN_TYPEHASH = keccak(
    text="EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
)


def build_typed_data(
    domain: tuple[str, str, int, str],
    primary_type: str,
    fields: list[dict[str, str]],
    message: dict[str, Any],
) -> dict[str, Any]:
    """EIP-712 typed data as eth_signTypedData_v4 takes it; `domain` is (name, version, chainId, contract)."""
    name, version, chain_id, contract = domain
    return {
        "types": {"EIP712Domain": EIP712_DOMAIN_TYPE, primary_type: fields},
        "primaryType": primary_type,
        "domain": {"name": name, "version": version, "chainId": chain_id, "verifyingContract": contract},
        "message": message,
    }


def hash_typed_data(typed: dict[str, Any]) -> bytes:
    """The EIP-712 digest of typed data as `build_typed_data` makes it.

    Only flat structs of atomic fields (address, bool, intN/uintN, bytesN, string, bytes): all the
    service signs (quotes; forward requests have a faster path below). Nested structs and arrays are
    refused rather than hashed wrongly. A test checks it against eth-account's encoder.
    """
    primary = typed["primaryType"]
    domain_hash = _struct_hash("EIP712Domain", typed["types"]["EIP712Domain"], typed["domain"])
    message_hash = _struct_hash(primary, typed["types"][primary], typed["message"])
    return keccak(b"\x19\x01" + domain_hash + message_hash)


def _struct_hash(name: str, fields: list[dict[str, str]], values: dict[str, Any]) -> bytes:
    encoding = ",".join(f"{field['type']} {field['name']}" for field in fields)
    types: list[str] = ["bytes32"]
    encoded: list[Any] = [keccak(text=f"{name}({encoding})")]
    for field in fields:
        kind, value = field["type"], values[field["name"]]
        if kind.endswith("]") or kind[:1].isupper():
            raise ValueError(f"{name}.{field['name']}: {kind} is not an atomic EIP-712 type")
        if kind == "string":
            kind, value = "bytes32", keccak(text=value)
        elif kind == "bytes":
            kind, value = "bytes32", keccak(bytes.fromhex(value[2:]) if isinstance(value, str) else value)
        types.append(kind)
        encoded.append(value)
    return keccak(encode_values(types, encoded))


def sign_typed_data(typed: dict[str, Any], private_key: bytes) -> str:
    """A 0x-prefixed 65-byte signature of typed data, as eth_signTypedData_v4 returns it."""
    return "0x" + sign_digest(hash_typed_data(typed), private_key).hex()


@lru_cache(maxsize=16)
def _domain_separator(chain_id: int, forwarder: str) -> bytes:
    return keccak(
        _DOMAIN_TYPEHASH
        + encode_values(
            ["bytes32", "bytes32", "uint256", "address"],
            [keccak(text=FORWARDER_NAME), keccak(text=FORWARDER_VERSION), chain_id, forwarder],
        )
    )


def sign_digest(digest: bytes, private_key: bytes) -> bytes:
    """A 65-byte `r || s || v` signature (v = 27 or 28), as `ecrecover` and eth-account expect.

    coincurve directly: eth-account reaches the same libsecp256k1 call (same RFC 6979 nonce, so the
    same bytes; a test checks) through layers that cost ten times as much per request.
    """
    compact = PrivateKey(private_key).sign_recoverable(digest, hasher=None)
    return compact[:64] + bytes([compact[64] + 27])


def recover_digest_signer(digest: bytes, signature: bytes) -> str | None:
    """The address that signed `digest`; None for a malformed or non-canonical signature."""
    if len(signature) != 65 or signature[64] not in (27, 28):
        return None
    if int.from_bytes(signature[32:64], "big") > _SECP256K1_HALF_ORDER:
        return None  # the malleable twin of a valid signature: `ECDSA.recover` refuses it too
    try:
        public_key = PublicKey.from_signature_and_message(
            signature[:64] + bytes([signature[64] - 27]), digest, hasher=None
        )
    except ValueError:
        return None
    return address_of_public_key(public_key)


@dataclass(frozen=True)
class ForwardRequest:
    sender: str
    target: str
    gas: int
    nonce: int
    deadline: int
    data: bytes
    value: int = 0

    def typed_data(self, chain_id: int, forwarder: str) -> dict[str, Any]:
        message = {
            "from": checksum_address(self.sender),
            "to": checksum_address(self.target),
            "value": self.value,
            "gas": self.gas,
            "nonce": self.nonce,
            "deadline": self.deadline,
            "data": "0x" + self.data.hex(),
        }
        domain = (FORWARDER_NAME, FORWARDER_VERSION, chain_id, checksum_address(forwarder))
        return build_typed_data(domain, "ForwardRequest", FORWARD_REQUEST_TYPE, message)

    def digest(self, chain_id: int, forwarder: str) -> bytes:
        """The EIP-712 digest, hashed directly: eth-account's generic typed-data encoder costs
        milliseconds per request on the hot path, this a few keccaks (a test checks they agree)."""
        struct_hash = keccak(
            _FORWARD_REQUEST_TYPEHASH
            + encode_values(
                ["address", "address", "uint256", "uint256", "uint256", "uint48", "bytes32"],
                [
                    self.sender,
                    self.target,
                    self.value,
                    self.gas,
                    self.nonce,
                    self.deadline,
                    keccak(self.data),
                ],
            )
        )
        return keccak(b"\x19\x01" + _domain_separator(chain_id, checksum_address(forwarder)) + struct_hash)

    def sign(self, private_key: bytes, chain_id: int, forwarder: str) -> bytes:
        return sign_digest(self.digest(chain_id, forwarder), private_key)

    def recover_signer(self, signature: bytes, chain_id: int, forwarder: str) -> str | None:
        return recover_digest_signer(self.digest(chain_id, forwarder), signature)

    def as_tuple(self, signature: bytes) -> tuple[str, str, int, int, int, bytes, bytes]:
        """The forwarder's `ForwardRequestData` struct."""
        return (self.sender, self.target, self.value, self.gas, self.deadline, self.data, signature)


class BatchEncoder:
    """`executeBatch(requests, refundReceiver)` calldata, with the selector and argument types taken
    from the forwarder's compiled ABI. Written out (`encode_values`) rather than through web3.py on the
    writer's hot path: see docs/decisions/0003-hand-written-encoders.md and benchmarks/abi_encoding.py.

    A refund receiver is always given: the forwarder then skips an invalid request instead of
    reverting the batch, and a request whose call fails still uses its nonce (its outcome is decided,
    `success = false`), which plain `execute` would revert away and leave undecided.
    """

    def __init__(self, forwarder_abi: list[dict[str, Any]]) -> None:
        from service.chain.contracts import function_input_types

        self._types = function_input_types(forwarder_abi, "executeBatch")
        self._selector = selector(f"executeBatch({','.join(self._types)})")

    def encode(self, requests: list[tuple[ForwardRequest, bytes]], refund_receiver: str) -> bytes:
        items = [request.as_tuple(signature) for request, signature in requests]
        return self._selector + encode_values(self._types, [items, refund_receiver])


def relay_batch_gas(forwarded_gas: list[int]) -> int:
    """Gas limit of a relay transaction carrying requests with these forwarded gas amounts."""
    return sum(forwarded_gas) + RELAY_GAS_PER_REQUEST * len(forwarded_gas) + BATCH_OVERHEAD_GAS
