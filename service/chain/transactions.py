"""Signing and sending transactions from the service's own accounts, with nonces kept locally.

Anvil's automine can stall with several transactions in flight from one sender
(../shared/TOOLCHAIN.md), so a sender keeps exactly one transaction in flight and owns its nonce.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import rlp
from coincurve import PrivateKey
from eth_utils import keccak

from service.chain.abi import checksum_address
from service.chain.accounts import address_of, private_key_bytes
from service.chain.rpc import JsonRpc, RpcTimeout
from service.errors import ChainUnavailable
from service.locks import LockDirectory

# A transaction with no receipt after this long is nudged (re-sent if dropped, a block mined on Anvil),
# or after STUCK_AFTER_TYPICAL times the usual wait if that is longer: a node that takes 300 ms a block
# (Anvil with a large state) is slow, not stuck, and every nudge would cost it one more (empty) block.
STUCK_AFTER_SECONDS = 0.5
STUCK_AFTER_TYPICAL = 5.0
# ...and after this long replaced by the same call with higher fees.
REPLACE_AFTER_SECONDS = 10.0
MAX_REPLACEMENTS = 3
GAS_PRICE_TTL_SECONDS = 2.0


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


class TransactionSender:
    def __init__(
        self, rpc: JsonRpc, chain_id: int, private_key: str | bytes, locks: LockDirectory | None = None
    ) -> None:
        self._rpc = rpc
        self._chain_id = chain_id
        self._private_key = private_key_bytes(private_key)
        self._address = address_of(self._private_key)
        self._next_nonce: int | None = None
        self._gas_price = 0
        self._gas_price_at = -GAS_PRICE_TTL_SECONDS
        self._typical_receipt_seconds = 0.0
        self.lock = threading.RLock()
        # The service's other worker processes send from this account too (recovery, a shared operator).
        self._shared = locks.shared(f"account-{self.address.lower()}") if locks is not None else None
        self._holding = False

    @property
    def address(self) -> str:
        return self._address

    @contextmanager
    def hold(self) -> Iterator[None]:
        """Sole use of the account, across the service's processes, from signing until the receipt is in.

        If another process sent from it since this one last did, the nonce is read afresh.
        """
        with self.lock:
            if self._shared is None or self._holding:  # re-entered by the holding thread
                yield
                return
            with self._shared.hold() as unchanged:
                if not unchanged:
                    self._next_nonce = None
                self._holding = True
                try:
                    yield
                finally:
                    self._holding = False

    def reset_nonce(self) -> None:
        with self.lock:
            self._next_nonce = None

    def sign(self, to: str, data: bytes, gas: int) -> SignedTransaction:
        """Assigns the next nonce; callers `hold()` the account from signing until the receipt is in."""
        with self.lock:
            if self._next_nonce is None:
                self._next_nonce = int(
                    self._rpc.request("eth_getTransactionCount", [self.address, "pending"]), 16
                )
            signed = self._sign(self._next_nonce, to, data, gas, self._fetch_gas_price() * 2 + 1, 1)
            self._next_nonce += 1
            return signed

    def _fetch_gas_price(self) -> int:
        """The node's gas price, asked at most once per GAS_PRICE_TTL_SECONDS (fees are doubled anyway)."""
        now = time.monotonic()
        if now - self._gas_price_at > GAS_PRICE_TTL_SECONDS:
            self._gas_price = int(self._rpc.request("eth_gasPrice"), 16)
            self._gas_price_at = now
        return self._gas_price

    def replace(self, stuck: SignedTransaction) -> SignedTransaction:
        """The same call under the same nonce with twice the fees: a node drops the stuck one for it."""
        fields = decode_dynamic_fee_transaction(stuck.raw)
        return self._sign(
            stuck.nonce,
            fields.to,
            fields.data,
            fields.gas,
            fields.max_fee_per_gas * 2 + 1,
            fields.max_priority_fee_per_gas * 2 + 1,
        )

    def _sign(
        self, nonce: int, to: str, data: bytes, gas: int, max_fee: int, priority_fee: int
    ) -> SignedTransaction:
        raw = sign_dynamic_fee_transaction(
            self._private_key,
            chain_id=self._chain_id,
            nonce=nonce,
            max_priority_fee_per_gas=priority_fee,
            max_fee_per_gas=max_fee,
            gas=gas,
            to=to,
            data=data,
        )
        return SignedTransaction(raw, "0x" + keccak(raw).hex(), nonce, self.address, max_fee, priority_fee)

    def send(self, transaction: SignedTransaction) -> None:
        try:
            self._rpc.request("eth_sendRawTransaction", ["0x" + transaction.raw.hex()])
        except RuntimeError as error:
            self._refused(error)

    def send_and_wait(self, transaction: SignedTransaction) -> dict[str, Any] | None:
        """Sends, and waits in the node for the block (`eth_sendRawTransactionSync`, EIP-7966): the
        receipt, or None when it is not mined within the time a transaction counts as stuck after.

        One round trip instead of a receipt poll every few milliseconds, and the answer comes as the
        block is mined rather than at the next poll. With None the transaction may or may not have
        reached the node: `wait_for_receipt` takes over, and its nudge re-sends one the node lacks.
        """
        started = time.monotonic()
        try:
            receipt = self._rpc.request(
                "eth_sendRawTransactionSync", ["0x" + transaction.raw.hex()], self.stuck_after_seconds
            )
        except RpcTimeout:
            return None
        except RuntimeError as error:
            if "timeout" in str(error).lower():
                return None  # the node's own limit (Anvil: 30 s)
            self._refused(error)
            return None
        self._record_receipt_wait(time.monotonic() - started)
        return dict(receipt)

    def _refused(self, error: RuntimeError) -> None:
        """A send the node answered with an error: fine if it has the transaction already."""
        if "already" in str(error).lower() or "known" in str(error).lower():
            return  # re-sent after a restart: the node has it already
        # Anything else leaves our nonce view unreliable; re-read it before the next transaction.
        self.reset_nonce()
        raise error

    def wait_for_receipt(
        self, transaction_hash: str, timeout_seconds: float = 60.0, unstick: Callable[[], None] | None = None
    ) -> dict[str, Any]:
        started = time.monotonic()
        deadline = started + timeout_seconds
        next_unstick = started + self.stuck_after_seconds
        delay = 0.001
        while time.monotonic() < deadline:
            receipt = self._rpc.request("eth_getTransactionReceipt", [transaction_hash])
            if receipt is not None:
                self._record_receipt_wait(time.monotonic() - started)
                return dict(receipt)
            if unstick is not None and time.monotonic() >= next_unstick:
                unstick()
                next_unstick = time.monotonic() + self.stuck_after_seconds
            time.sleep(delay)
            delay = min(delay * 2, 0.05)
        raise ChainUnavailable(f"transaction {transaction_hash} was not mined within {timeout_seconds}s")

    @property
    def typical_receipt_seconds(self) -> float:
        """Moving average of how long this account's receipts took to come (0 before the first)."""
        return self._typical_receipt_seconds

    @property
    def stuck_after_seconds(self) -> float:
        return max(STUCK_AFTER_SECONDS, STUCK_AFTER_TYPICAL * self._typical_receipt_seconds)

    def _record_receipt_wait(self, seconds: float) -> None:
        """Moving average of how long receipts take, so that the nudge waits for a slow node."""
        self._typical_receipt_seconds += (seconds - self._typical_receipt_seconds) * 0.2
