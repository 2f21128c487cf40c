"""Keys, addresses, typed-data signatures and transaction decoding done with libsecp256k1 directly,
checked against eth-account (no chain)."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak
from hypothesis import given
from hypothesis import strategies as st

from service.chain.accounts import address_of, generate_private_key, private_key_bytes
from service.chain.forwarder import ForwardRequest, build_typed_data, hash_typed_data, sign_typed_data
from service.chain.keys import KeyVault
from service.chain.transactions import (
    DynamicFeeFields,
    decode_dynamic_fee_transaction,
    sign_dynamic_fee_transaction,
)
from service.financing.service import quote_typed_data

CURVE_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
CONTRACT = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
private_keys = st.integers(min_value=1, max_value=CURVE_ORDER - 1).map(lambda n: n.to_bytes(32, "big"))


@given(private_keys)
def test_address_of_a_key_is_eth_accounts(private_key: bytes) -> None:
    assert address_of(private_key) == Account.from_key(private_key).address


def test_private_keys_are_read_from_bytes_or_hex_and_checked() -> None:
    key = bytes(range(1, 33))
    assert private_key_bytes(key) == key
    assert private_key_bytes("0x" + key.hex()) == key
    assert private_key_bytes(key.hex()) == key
    for invalid in (b"\x00" * 32, CURVE_ORDER.to_bytes(32, "big"), key[:31], "0x1234"):
        with pytest.raises(ValueError):
            private_key_bytes(invalid)


def test_generated_keys_are_valid_and_fresh() -> None:
    first, second = generate_private_key(), generate_private_key()
    assert first != second
    assert private_key_bytes(first) == first
    assert address_of(first) == Account.from_key(first).address


def test_a_quote_is_hashed_and_signed_as_eth_account_does() -> None:
    wallet = Account.create()
    message = {
        "financier": wallet.address,
        "seller": CONTRACT,
        "tokenId": 17,
        "value": 3_000_000_000,
        "price": 2_950_000_000,
        "cashToken": "0xa513E6E4b8f2a923D98304ec87F64353C4D5C853",
        "expiry": 1_800_000_000,
        "nonce": 2**200 + 5,
        "requiredMilestone": 1,
        "maxFinancedShareBps": 8_000,
    }
    typed = quote_typed_data(31337, CONTRACT, message)
    theirs = encode_typed_data(full_message=typed)
    assert hash_typed_data(typed) == keccak(b"\x19" + theirs.version + theirs.header + theirs.body)
    expected = bytes(Account.sign_message(theirs, wallet.key).signature)
    assert sign_typed_data(typed, bytes(wallet.key)) == "0x" + expected.hex()


def test_a_forward_request_hashes_to_its_own_fast_digest() -> None:
    """Covers string (domain) and bytes (data) fields; the fast digest is itself checked elsewhere."""
    request = ForwardRequest(CONTRACT, CONTRACT, 400_000, 3, 1_800_000_000, bytes(range(70)), value=0)
    typed = request.typed_data(31337, CONTRACT)
    assert hash_typed_data(typed) == request.digest(31337, CONTRACT)


@pytest.mark.parametrize("kind", ["Inner", "uint256[]", "address[2]"])
def test_nested_structs_and_arrays_are_refused_not_hashed_wrongly(kind: str) -> None:
    fields = [{"name": "field", "type": kind}]
    typed = build_typed_data(("N", "1", 1, CONTRACT), "Outer", fields, {"field": 1})
    with pytest.raises(ValueError, match="not an atomic"):
        hash_typed_data(typed)


TRANSACTION_FIELDS = {"nonce": 41, "maxPriorityFeePerGas": 3, "maxFeePerGas": 2 * 10**9 + 1, "gas": 612_345}
TRANSACTION_DATA = bytes.fromhex("a9059cbb") + bytes(range(64))


def _sign_transaction(private_key: bytes, to: str) -> bytes:
    return sign_dynamic_fee_transaction(
        private_key,
        chain_id=31337,
        nonce=TRANSACTION_FIELDS["nonce"],
        max_priority_fee_per_gas=TRANSACTION_FIELDS["maxPriorityFeePerGas"],
        max_fee_per_gas=TRANSACTION_FIELDS["maxFeePerGas"],
        gas=TRANSACTION_FIELDS["gas"],
        to=to,
        data=TRANSACTION_DATA,
    )


@pytest.mark.parametrize("to", [CONTRACT, ""])
def test_transaction_signing_matches_eth_account(to: str) -> None:
    """The hand-built EIP-1559 transaction is byte for byte what eth-account signs (call and creation)."""
    wallet = Account.create()
    transaction = {"chainId": 31337, "value": 0, "data": TRANSACTION_DATA, "type": 2, **TRANSACTION_FIELDS}
    if to:
        transaction["to"] = to
    expected = wallet.sign_transaction(transaction)
    assert _sign_transaction(bytes(wallet.key), to) == bytes(expected.raw_transaction)


@pytest.mark.parametrize("to", [CONTRACT, ""])
def test_a_signed_transaction_decodes_to_its_fields(to: str) -> None:
    raw = _sign_transaction(bytes(range(1, 33)), to)
    assert decode_dynamic_fee_transaction(raw) == DynamicFeeFields(
        to=to,
        data=TRANSACTION_DATA,
        gas=TRANSACTION_FIELDS["gas"],
        max_fee_per_gas=TRANSACTION_FIELDS["maxFeePerGas"],
        max_priority_fee_per_gas=TRANSACTION_FIELDS["maxPriorityFeePerGas"],
    )
    with pytest.raises(ValueError, match="not an EIP-1559"):
        decode_dynamic_fee_transaction(b"\x01" + raw[1:])


def test_a_managed_key_signs_only_for_its_own_account() -> None:
    vault = KeyVault(Fernet.generate_key())
    address, encrypted = vault.create_account()
    other_address, _ = vault.create_account()
    key = vault.signing_key(encrypted, address)
    assert address_of(key) == address
    assert vault.signing_key(encrypted, address.lower()) is key  # decrypted once, then kept
    with pytest.raises(RuntimeError, match="belongs to another account"):
        vault.signing_key(encrypted, other_address)  # a key stored against the wrong participant
