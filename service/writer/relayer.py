"""A relayer account: it signs and sends the transactions that carry operations, and pays their gas.

Its nonce is kept here (one writer process sends from it) and read afresh from the chain whenever its
view may be wrong. A relay transaction is transport only: if it is refused, dropped or replaced, the
operations it carried are relayed again, and the forwarder's nonces make sure each runs at most once.
So nothing here decides an operation's outcome, and a refusal is judged by what the chain says of the
account's nonce and the transaction's hash, never by the words of the node's error message.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from service.chain.rpc import JsonRpc, RpcError
from service.chain.transactions import AccountKey, SignedTransaction, decode_dynamic_fee_transaction

logger = logging.getLogger(__name__)
GAS_PRICE_TTL_SECONDS = 2.0
# A transaction without a receipt after this long is nudged: sent again if the node lost it, and on the
# embedded Anvil a block is mined (its automine can stall, ../shared/TOOLCHAIN.md); or after
# STUCK_AFTER_TYPICAL times the usual wait if that is longer (a slow node is slow, not stuck).
STUCK_AFTER_SECONDS = 0.5
STUCK_AFTER_TYPICAL = 5.0
POLL_MAX_SECONDS = 0.05


class Unmined(StrEnum):
    """What the chain says of a relay transaction that has no receipt."""

    PENDING = "pending"  # its nonce is the account's next: it may yet be mined
    DROPPED = "dropped"  # its nonce went to another transaction, or the chain lost the transactions
    # before it (a reorganisation, the embedded chain restarted behind): it never will be


@dataclass(frozen=True)
class Relayed:
    receipt: dict[str, Any]
    version: SignedTransaction


class Relayer:
    def __init__(self, rpc: JsonRpc, key: AccountKey, *, embedded: bool) -> None:
        self._rpc = rpc
        self._key = key
        self._embedded = embedded
        self._next_nonce: int | None = None
        self._gas_price = 0
        self._gas_price_at = -GAS_PRICE_TTL_SECONDS
        self._typical_receipt_seconds = 0.0
        self._lock = threading.Lock()

    @property
    def address(self) -> str:
        return self._key.address

    def reset_nonce(self) -> None:
        with self._lock:
            self._next_nonce = None

    def sign(self, to: str, data: bytes, gas: int) -> SignedTransaction:
        """The next transaction of this account (its nonce taken from the local count)."""
        with self._lock:
            if self._next_nonce is None:
                self._next_nonce = int(
                    self._rpc.request("eth_getTransactionCount", [self.address, "pending"]), 16
                )
            fee = self._fetch_gas_price() * 2 + 1
            signed = self._key.sign(
                nonce=self._next_nonce,
                to=to,
                data=data,
                gas=gas,
                max_fee_per_gas=fee,
                max_priority_fee_per_gas=1,
            )
            self._next_nonce += 1
            return signed

    def replace(self, stuck: SignedTransaction) -> SignedTransaction:
        """The same call under the same nonce with twice the fees: a node drops the stuck one for it."""
        fields = decode_dynamic_fee_transaction(stuck.raw)
        return self._key.sign(
            nonce=stuck.nonce,
            to=fields.to,
            data=fields.data,
            gas=fields.gas,
            max_fee_per_gas=fields.max_fee_per_gas * 2 + 1,
            max_priority_fee_per_gas=fields.max_priority_fee_per_gas * 2 + 1,
        )

    def _fetch_gas_price(self) -> int:
        now = time.monotonic()
        if now - self._gas_price_at > GAS_PRICE_TTL_SECONDS:
            self._gas_price = int(self._rpc.request("eth_gasPrice"), 16)
            self._gas_price_at = now
        return self._gas_price

    def send(self, transaction: SignedTransaction) -> RpcError | None:
        """Sends; None if the node has the transaction now, else the node's refusal (the caller asks
        the chain what it means: `unmined`)."""
        try:
            self._rpc.request("eth_sendRawTransaction", ["0x" + transaction.raw.hex()])
            return None
        except RpcError as error:
            if self.knows(transaction.hash):
                return None  # sent before (after a restart, say): the node has it
            self.reset_nonce()
            return error

    def knows(self, transaction_hash: str) -> bool:
        return self._rpc.request("eth_getTransactionByHash", [transaction_hash]) is not None

    def fetch_receipts(self, versions: Sequence[SignedTransaction]) -> Relayed | None:
        """The receipt of whichever version was mined (at most one can be: they share a nonce)."""
        answers = self._rpc.batch([("eth_getTransactionReceipt", [version.hash]) for version in versions])
        for version, receipt in zip(versions, answers, strict=True):
            if receipt is not None:
                return Relayed(dict(receipt), version)
        return None

    def unmined(self, versions: Sequence[SignedTransaction]) -> Unmined:
        """For versions with no receipt: whether their nonce is the account's next on the chain."""
        mined_count = int(self._rpc.request("eth_getTransactionCount", [self.address, "latest"]), 16)
        if mined_count == versions[-1].nonce:
            return Unmined.PENDING
        self.reset_nonce()
        return Unmined.DROPPED

    def await_receipt(self, versions: Sequence[SignedTransaction], give_up_seconds: float) -> Relayed | None:
        """Polls for the receipt of the latest version (and, now and then, of the earlier ones), nudging
        a stalled node; None after `give_up_seconds` (the caller then replaces or drops it)."""
        started = time.monotonic()
        next_nudge = started + self.stuck_after_seconds
        delay = 0.001
        latest = versions[-1]
        while time.monotonic() - started < give_up_seconds:
            raw = self._rpc.request("eth_getTransactionReceipt", [latest.hash])
            if raw is not None:
                self._record_receipt_wait(time.monotonic() - started)
                return Relayed(dict(raw), latest)
            if time.monotonic() >= next_nudge:
                found = self.fetch_receipts(versions) if len(versions) > 1 else None
                if found is not None:
                    return found
                if self.unmined(versions) is Unmined.DROPPED:
                    return self.fetch_receipts(versions)  # the caller finds it dropped
                self._nudge(latest)
                next_nudge = time.monotonic() + self.stuck_after_seconds
            time.sleep(delay)
            delay = min(delay * 2, POLL_MAX_SECONDS)
        return self.fetch_receipts(versions)

    def _nudge(self, transaction: SignedTransaction) -> None:
        if not self.knows(transaction.hash):
            self.send(transaction)  # the node lost it: the same bytes again
        elif self._embedded:
            # Anvil's automine can stall with transactions of several senders in flight; mining a block
            # by hand frees them. Only on the chain the service started itself, never on a network.
            self._rpc.request("evm_mine")

    @property
    def stuck_after_seconds(self) -> float:
        return max(STUCK_AFTER_SECONDS, STUCK_AFTER_TYPICAL * self._typical_receipt_seconds)

    @property
    def typical_receipt_seconds(self) -> float:
        return self._typical_receipt_seconds

    def _record_receipt_wait(self, seconds: float) -> None:
        self._typical_receipt_seconds += (seconds - self._typical_receipt_seconds) * 0.2
