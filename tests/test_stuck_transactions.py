"""A dropped or stuck transaction is detected and replaced; its request still completes exactly once."""

from __future__ import annotations

import pytest

from service.chain.abi import encode_call
from service.runtime import Runtime
from tests.conftest import SeedLedger

pytestmark = pytest.mark.integration


def test_stuck_relay_transaction_is_replaced_with_higher_fees(
    seed: SeedLedger, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Mining stops (as Anvil's automine can); the service replaces its transaction, then it lands."""
    import service.submission as submission

    monkeypatch.setattr(submission, "REPLACE_AFTER_SECONDS", 1.0)
    runtime.rpc.request("evm_setAutomine", [False])
    sender = runtime.chain.operator
    calls = {"replacements": 0}
    original_replace = sender.replace

    def replace_and_resume_mining(stuck):  # type: ignore[no-untyped-def]
        calls["replacements"] += 1
        runtime.rpc.request("anvil_dropTransaction", [stuck.hash])  # the node lost it, as a stuck node does
        runtime.rpc.request("evm_setAutomine", [True])
        return original_replace(stuck)

    monkeypatch.setattr(sender, "replace", replace_and_resume_mining)
    monkeypatch.setattr(runtime.chain, "await_mined", _without_unstick(runtime.chain.await_mined))
    receipt = runtime.submitter.submit_operator_call(
        "test.pause", None, runtime.chain.deployment.note, encode_call("pause()", [])
    )
    assert calls["replacements"] == 1
    assert runtime.chain.read(runtime.chain.deployment.note, "paused()", [], ["bool"]) is True
    assert receipt.block_number > 0
    with runtime.database.sessions() as session:
        from sqlalchemy import select

        from service.db.models import Operation

        [operation] = session.scalars(select(Operation).where(Operation.kind == "test.pause")).all()
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
