"""A dropped or stuck transaction is detected and replaced; its request still completes exactly once."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from eth_utils import keccak
from sqlalchemy import select

from service.chain.abi import encode_call
from service.chain.client import Receipt
from service.chain.transactions import SignedTransaction
from service.db.models import JournaledTransaction, Operation
from service.runtime import Runtime
from tests.conftest import SeedLedger

pytestmark = pytest.mark.integration


def _pause_while_stuck(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch, before_replacing: Callable[[SignedTransaction], None]
) -> Receipt:
    """Pauses the ledger with mining stopped (as Anvil's automine can stop); when the service gives up
    waiting and replaces its transaction, `before_replacing` decides what the node did meanwhile."""
    import service.submission as submission

    monkeypatch.setattr(submission, "REPLACE_AFTER_SECONDS", 1.0)
    runtime.rpc.request("evm_setAutomine", [False])
    sender = runtime.chain.operator
    original_replace = sender.replace

    def replace(stuck: SignedTransaction) -> SignedTransaction:
        before_replacing(stuck)
        runtime.rpc.request("evm_setAutomine", [True])
        return original_replace(stuck)

    monkeypatch.setattr(sender, "replace", replace)
    monkeypatch.setattr(runtime.chain, "await_mined", _without_unstick(runtime.chain.await_mined))
    return runtime.submitter.submit_operator_call(
        "test.pause", None, runtime.chain.deployment.note, encode_call("pause()", [])
    )


def test_stuck_relay_transaction_is_replaced_with_higher_fees(
    seed: SeedLedger, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The node lost the stuck transaction; its replacement lands."""
    stuck_ones: list[str] = []

    def drop(stuck: SignedTransaction) -> None:
        stuck_ones.append(stuck.hash)
        runtime.rpc.request("anvil_dropTransaction", [stuck.hash])

    receipt = _pause_while_stuck(runtime, monkeypatch, drop)
    assert len(stuck_ones) == 1 and receipt.transaction_hash != stuck_ones[0]
    assert runtime.chain.read(runtime.chain.deployment.note, "paused()", [], ["bool"]) is True
    assert receipt.block_number > 0
    operation = _pause_operation(runtime)
    assert operation.state == "indexed" and operation.transaction_hash == receipt.transaction_hash


def _without_unstick(await_mined):  # type: ignore[no-untyped-def]
    """The real wait, minus the nudges, so that only replacement can free the transaction."""

    def wait(sender, transaction, timeout_seconds=60.0):  # type: ignore[no-untyped-def]
        raw = sender.wait_for_receipt(transaction.hash, timeout_seconds)
        return await_mined.__self__._to_receipt(transaction.hash, raw)

    return wait


def test_dropped_transaction_is_sent_again(seed: SeedLedger, runtime: Runtime) -> None:
    runtime.rpc.request("evm_setAutomine", [False])
    sender = runtime.chain.operator
    with sender.lock:
        transaction = sender.sign(runtime.chain.deployment.note, encode_call("pause()", []), 200_000)
        sender.send(transaction)
        runtime.rpc.request("anvil_dropTransaction", [transaction.hash])
        runtime.rpc.request("evm_setAutomine", [True])
        receipt, succeeded = runtime.chain.await_mined(sender, transaction, 10)
    assert succeeded and receipt.transaction_hash == transaction.hash


def test_a_slow_node_is_waited_for_not_nudged_into_empty_blocks(seed: SeedLedger, runtime: Runtime) -> None:
    """Receipts that usually take 0.4 s (Anvil with a large state) raise the nudge threshold: a block that
    comes after 1 s is awaited, where the 0.5 s floor would have mined an extra, empty block."""
    import threading

    from service.chain.transactions import STUCK_AFTER_SECONDS

    sender = runtime.chain.operator
    assert sender.stuck_after_seconds == STUCK_AFTER_SECONDS
    for _ in range(10):
        sender._record_receipt_wait(0.4)
    assert 1.5 < sender.stuck_after_seconds < 2.0
    nudges: list[float] = []
    runtime.rpc.request("evm_setAutomine", [False])
    try:
        with sender.lock:
            transaction = sender.sign(runtime.chain.deployment.note, encode_call("pause()", []), 200_000)
            sender.send(transaction)
            miner = threading.Timer(1.0, runtime.rpc.request, args=("evm_mine",))
            miner.start()
            receipt = sender.wait_for_receipt(transaction.hash, 10, unstick=lambda: nudges.append(1.0))
            miner.join()
    finally:
        runtime.rpc.request("evm_setAutomine", [True])
    assert receipt["transactionHash"] == transaction.hash and nudges == []


def _journaled_bytes(runtime: Runtime, operation: Operation) -> str:
    """The raw transaction journaled for an operation (the version that ran, once known)."""
    with runtime.database.sessions() as session:
        journaled = session.get(JournaledTransaction, operation.journaled_transaction_id)
        assert journaled is not None
        return journaled.raw_transaction


def _pause_operation(runtime: Runtime) -> Operation:
    with runtime.database.sessions() as session:
        [operation] = session.scalars(select(Operation).where(Operation.kind == "test.pause")).all()
        return operation


def test_stuck_version_mined_as_its_replacement_goes_out_completes_once(
    seed: SeedLedger, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The node refuses the replacement because the stuck version was mined after all: the operation
    completes with the version that ran, and the journal names that one."""
    stuck_ones: list[str] = []

    def mine(stuck: SignedTransaction) -> None:
        stuck_ones.append(stuck.hash)
        runtime.rpc.request("evm_mine")

    receipt = _pause_while_stuck(runtime, monkeypatch, mine)
    assert receipt.transaction_hash == stuck_ones[0]
    assert runtime.chain.read(runtime.chain.deployment.note, "paused()", [], ["bool"]) is True
    operation = _pause_operation(runtime)
    assert operation.state == "indexed"
    assert operation.transaction_hash == receipt.transaction_hash
    raw = _journaled_bytes(runtime, operation)
    assert "0x" + keccak(bytes.fromhex(raw[2:])).hex() == receipt.transaction_hash


def test_start_up_finds_the_replaced_version_that_was_mined(seed: SeedLedger, runtime: Runtime) -> None:
    """The process died right after journaling a replacement, and the version it replaced is the one
    that was mined: start-up completes the operation with that one instead of calling it superseded."""
    sender = runtime.chain.operator
    submitter = runtime.submitter
    note = runtime.chain.deployment.note
    with sender.lock:
        first = runtime.chain.sign_operator_call(note, encode_call("pause()", []), 200_000)
        operation_ids = submitter._journal(first, [("test.pause", None, None)])
        sender.send(first)
        runtime.chain.await_mined(sender, first, 10)
        replacement = sender.replace(first)  # signed and journaled, never sent: the process died here
        submitter._record_replacement(operation_ids, replacement, [first])
    journaled = _pause_operation(runtime)
    assert journaled.state == "signed" and journaled.transaction_hash == replacement.hash

    assert submitter.resume() == 1

    operation = _pause_operation(runtime)
    assert operation.state == "indexed", operation.error_code
    assert operation.transaction_hash == first.hash
    assert _journaled_bytes(runtime, operation) == "0x" + first.raw.hex()
    assert runtime.chain.read(note, "paused()", [], ["bool"]) is True


def _calls_of(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The JSON-RPC methods the service calls from here on (the calls themselves still reach Anvil)."""
    methods: list[str] = []
    original = runtime.rpc.request

    def recorded(method: str, *args: object) -> object:
        methods.append(method)
        return original(method, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(runtime.rpc, "request", recorded)
    return methods


def test_a_transaction_waits_for_its_block_in_the_node_not_by_polling(
    seed: SeedLedger, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    methods = _calls_of(runtime, monkeypatch)
    receipt = runtime.submitter.submit_operator_call(
        "test.pause", None, runtime.chain.deployment.note, encode_call("pause()", [])
    )
    assert runtime.chain.read(runtime.chain.deployment.note, "paused()", [], ["bool"]) is True
    assert methods.count("eth_sendRawTransactionSync") == 1
    assert "eth_getTransactionReceipt" not in methods and "eth_sendRawTransaction" not in methods
    assert _pause_operation(runtime).transaction_hash == receipt.transaction_hash


def test_a_transaction_not_mined_in_time_is_awaited_by_polling(
    seed: SeedLedger, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The node holds the sync call past the stuck threshold: the sender stops waiting in the node
    (the transaction is in its pool), and the poll with its nudge, a block mined by hand, ends it."""
    runtime.rpc.request("evm_setAutomine", [False])
    sender = runtime.chain.operator
    try:
        with sender.hold():
            transaction = sender.sign(runtime.chain.deployment.note, encode_call("pause()", []), 200_000)
            assert sender.send_and_wait(transaction) is None
            assert runtime.rpc.request("eth_getTransactionByHash", [transaction.hash]) is not None
            methods = _calls_of(runtime, monkeypatch)
            receipt, succeeded = runtime.chain.await_mined(sender, transaction, 10)
    finally:
        runtime.rpc.request("evm_setAutomine", [True])
    assert succeeded and receipt.transaction_hash == transaction.hash
    assert "eth_getTransactionReceipt" in methods and "evm_mine" in methods
