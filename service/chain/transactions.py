"""Signing EIP-1559 transactions from the service's own accounts (the relayers, and the deployer).

Sending them and tracking their nonces is the chain writer's (`service.writer.relayer`).
"""

from __future__ import annotations

from dataclasses import dataclass

import rlp
from coincurve import PrivateKey
from eth_utils import keccak

from service.chain.abi import checksum_address
from service.chain.accounts import address_of, private_key_bytes


def sign_dynamic_fee_transaction(
    private_key: bytes,
    *,
    chain_id: int,
    nonce: int,
    max_priority_fee_per_gas: int,
    max_fee_per_gas: int,
    gas: int,
    to: str,
    data: bytes,
    value: int = 0,
) -> bytes:
    """The raw bytes of a signed EIP-1559 (type 2) transaction with no access list.

    Built directly (RLP and libsecp256k1): eth-account's generic path costs about half a
    millisecond a transaction, on the relay's hot path. An empty `to` creates a contract. A test
    checks the bytes against eth-account's.
    """
    fields = [
        chain_id,
        nonce,
        max_priority_fee_per_gas,
        max_fee_per_gas,
        gas,
        bytes.fromhex(to[2:]) if to else b"",
        value,
        data,
        [],
    ]
    signing_hash = keccak(b"\x02" + rlp.encode(fields))
    signature = PrivateKey(private_key).sign_recoverable(signing_hash, hasher=None)
    r, s, y_parity = signature[:32], signature[32:64], signature[64]
    signed = [*fields, y_parity, int.from_bytes(r, "big"), int.from_bytes(s, "big")]
    return b"\x02" + rlp.encode(signed)


@dataclass(frozen=True)
class DynamicFeeFields:
    """What `replace` needs back from a signed type-2 transaction."""

    to: str
    data: bytes
    gas: int
    max_fee_per_gas: int
    max_priority_fee_per_gas: int


def decode_dynamic_fee_transaction(raw: bytes) -> DynamicFeeFields:
    """The fields of a transaction `sign_dynamic_fee_transaction` made (the inverse of its encoding)."""
    if raw[:1] != b"\x02":
        raise ValueError(f"not an EIP-1559 transaction (type byte {raw[:1].hex() or 'missing'})")
    fields = rlp.decode(raw[1:])
    _chain_id, _nonce, priority_fee, max_fee, gas, to, _value, data = fields[:8]
    return DynamicFeeFields(
        to=checksum_address(to) if to else "",
        data=bytes(data),
        gas=int.from_bytes(gas, "big"),
        max_fee_per_gas=int.from_bytes(max_fee, "big"),
        max_priority_fee_per_gas=int.from_bytes(priority_fee, "big"),
    )


@dataclass(frozen=True)
class SignedTransaction:
    raw: bytes
    hash: str
    nonce: int
    sender: str
    max_fee_per_gas: int = 0
    max_priority_fee_per_gas: int = 0

    @classmethod
    def from_raw(cls, raw: bytes, nonce: int, sender: str) -> SignedTransaction:
        return cls(raw, "0x" + keccak(raw).hex(), nonce, sender)


class AccountKey:
    """One of the service's own accounts: its key, its address, and signing with it."""

    def __init__(self, private_key: str | bytes, chain_id: int) -> None:
        self._private_key = private_key_bytes(private_key)
        self.address = address_of(self._private_key)
        self.chain_id = chain_id

    def sign(
        self,
        *,
        nonce: int,
        to: str,
        data: bytes,
        gas: int,
        max_fee_per_gas: int,
        max_priority_fee_per_gas: int,
    ) -> SignedTransaction:
        raw = sign_dynamic_fee_transaction(
            self._private_key,
            chain_id=self.chain_id,
            nonce=nonce,
            max_priority_fee_per_gas=max_priority_fee_per_gas,
            max_fee_per_gas=max_fee_per_gas,
            gas=gas,
            to=to,
            data=data,
        )
        return SignedTransaction(
            raw, "0x" + keccak(raw).hex(), nonce, self.address, max_fee_per_gas, max_priority_fee_per_gas
        )
