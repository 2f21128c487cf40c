"""Reorganisations, and the embedded chain coming back behind the index: nothing confirmed is lost.

The indexer rolls back to the fork point; the operations whose blocks were lost turn back into signed
requests, which the chain writer sends again in the order they first ran, so the chain comes back as it
was (the same pieces, the same ids) and every stored answer still agrees with it.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import select

from service.db.models import IdempotencyRecord, Operation, OperationAudit
from service.ledger.reconcile import reconcile
from service.runtime import Runtime
from tests.conftest import SeedLedger, transfer

pytestmark = pytest.mark.integration


def _notes(user: Any) -> list[tuple[int, str]]:
    return [(note["token_id"], note["value"]) for note in user.get("/v1/notes").json()["items"]]


def _audits(runtime: Runtime) -> list[str]:
    with runtime.database.snapshot() as session:
        return [row.event for row in session.scalars(select(OperationAudit).order_by(OperationAudit.id))]


def _settled(runtime: Runtime, reruns: int) -> bool:
    """The writer has found the lost blocks and ran their operations again."""
    with runtime.database.snapshot() as session:
        replaying = session.scalars(select(Operation.id).where(Operation.replay_rank.is_not(None))).all()
    return (
        runtime.indexer.reorgs_detected >= 1
        and _audits(runtime).count("ran_again") == reruns
        and not replaying
    )


def _until(condition: Any, timeout_seconds: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_seconds
    while not condition():
        assert time.monotonic() < deadline, "the ledger did not come back in time"
        time.sleep(0.1)


@pytest.mark.parametrize(
    "database_url", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
def test_lost_blocks_are_sent_again_in_their_original_order(seed: SeedLedger, runtime: Runtime) -> None:
    root = seed.voucher["root_token_id"]
    kept = transfer(seed.t1, root, seed.a, "30000000.00")
    snapshot = runtime.rpc.request("evm_snapshot")
    key = {"Idempotency-Key": "lost-then-back"}
    first = seed.t1.post(
        f"/v1/notes/{root}/transfers",
        json={"to_participant_id": seed.b.participant_id, "amount": "20000000.00"},
        headers=key,
    )
    assert first.status_code == 201, first.text
    lost = first.json()
    onward = transfer(seed.b, lost["token_id"], seed.c, "5000000.00")
    users = {"T1": seed.t1, "A": seed.a, "B": seed.b, "C": seed.c}
    before = {name: _notes(user) for name, user in users.items()}

    # The chain loses the last blocks (as the embedded Anvil does when it restarts from an older dump)
    # and goes on with blocks of its own at those heights.
    assert runtime.rpc.request("evm_revert", [snapshot]) is True
    runtime.rpc.request("anvil_mine", [3])

    _until(lambda: _settled(runtime, reruns=2))
    assert {name: _notes(user) for name, user in users.items()} == before  # the same pieces, the same ids
    assert kept["token_id"] < lost["token_id"] < onward["token_id"]
    again = seed.t1.post(
        f"/v1/notes/{root}/transfers",
        json={"to_participant_id": seed.b.participant_id, "amount": "20000000.00"},
        headers=key,
    )
    assert again.status_code == 201
    replayed = again.json()
    # The same transfer, the same pieces; only where it now stands on the chain has changed, and the
    # stored answer says so (with an audit row), since the original transaction is gone.
    moved = ("transaction_hash", "block_number")
    assert {k: v for k, v in replayed.items() if k not in moved} == {
        k: v for k, v in lost.items() if k not in moved
    }
    assert replayed["transaction_hash"] != lost["transaction_hash"]
    assert runtime.chain.fetch_receipt(replayed["transaction_hash"]) is not None
    events = _audits(runtime)
    with runtime.database.snapshot() as session:
        stored = session.scalars(select(IdempotencyRecord)).one()
    assert events.count("rolled_back") == 2 and events.count("ran_again") == 2
    assert events.count("answer_changed") == 1 and stored.response_body == replayed
    report = reconcile(runtime)
    assert report.clean, report.differences


def test_indexing_twice_changes_nothing(seed: SeedLedger, runtime: Runtime) -> None:
    transfer(seed.t1, seed.voucher["root_token_id"], seed.a, "30000000.00")
    before = seed.admin.get(f"/v1/vouchers/{seed.voucher['id']}/lineage").json()
    head = runtime.indexer.sync_to()
    assert runtime.indexer.sync_to() == head
    assert seed.admin.get(f"/v1/vouchers/{seed.voucher['id']}/lineage").json() == before


def test_a_write_right_after_a_reorganisation_is_not_indexed_over_the_lost_blocks(
    seed: SeedLedger, runtime: Runtime
) -> None:
    """The write's block is above the checkpoint, which the chain no longer has: the sync that waits
    for the write sees it and rolls back first; the lost transfer is sent again, after it."""
    root = seed.voucher["root_token_id"]
    snapshot = runtime.rpc.request("evm_snapshot")
    lost = transfer(seed.t1, root, seed.b, "20000000.00")
    assert runtime.rpc.request("evm_revert", [snapshot]) is True
    runtime.rpc.request("anvil_mine", [3])  # other blocks at and above the checkpoint's height
    transfer(seed.t1, root, seed.c, "7000000.00")

    _until(lambda: _settled(runtime, reruns=1))
    assert [value for _token, value in _notes(seed.c)] == ["7000000.00"]
    assert [value for _token, value in _notes(seed.t1)] == ["73000000.00"]
    assert _notes(seed.b)[0][0] in (lost["token_id"], lost["token_id"] + 1)
    report = reconcile(runtime)
    assert report.clean, report.differences
