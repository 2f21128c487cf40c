"""Account keys and addresses with libsecp256k1 directly.

eth-account does the same, but importing it loads py_ecc's BLS12-381 tables through eth-keyfile: about
0.9 s of every process start (the CLI, each worker, each restart after a crash) for nothing the
service uses. Tests check these against eth-account.
"""

from __future__ import annotations

from coincurve import PrivateKey, PublicKey
from eth_utils import keccak

from service.chain.abi import checksum_address


def private_key_bytes(private_key: str | bytes) -> bytes:
    """32 key bytes from bytes or hex (with or without 0x); refuses what is not a valid secp256k1 key."""
    if isinstance(private_key, str):
        raw = bytes.fromhex(private_key.removeprefix("0x"))
    else:
        raw = bytes(private_key)
    if len(raw) != 32:
        raise ValueError(f"a private key is 32 bytes, not {len(raw)}")
    PrivateKey(raw)  # refuses 0 and values at or above the curve order
    return raw


def address_of(private_key: bytes) -> str:
    """The EIP-55 address of a private key."""
    return address_of_public_key(PrivateKey(private_key).public_key)


def address_of_public_key(public_key: PublicKey) -> str:
    return checksum_address(keccak(public_key.format(compressed=False)[1:])[-20:])


def generate_private_key() -> bytes:
    """A fresh key from the operating system's random source (coincurve draws it with `os.urandom`)."""
    return bytes(PrivateKey().secret)
