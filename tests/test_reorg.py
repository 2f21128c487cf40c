"""The indexer follows the chain through reorganisations: it rolls back to the fork point and re-indexes."""

from __future__ import annotations

import pytest

from service.ledger.reconcile import reconcile
from service.runtime import Runtime
from tests.conftest import SeedLedger, transfer

pytestmark = pytest.mark.integration


def _reset_nonces(runtime: Runtime) -> None:
    # The reverted blocks took the service's own transactions with them.
    for sender in (runtime.chain.operator, *runtime.chain.relayers):
        sender.reset_nonce()


@pytest.mark.parametrize(
    "database_url", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
def test_indexer_rolls_back_to_the_fork_point(seed: SeedLedger, runtime: Runtime) -> None:
    root = seed.voucher["root_token_id"]
    kept = transfer(seed.t1, root, seed.a, "30000000.00")
    snapshot = runtime.rpc.request("evm_snapshot")
    lost = transfer(seed.t1, root, seed.b, "20000000.00")
    transfer(seed.b, lost["token_id"], seed.c, "5000000.00")
    assert [n["value"] for n in seed.c.get("/v1/notes").json()["items"]] == ["5000000.00"]

    assert runtime.rpc.request("evm_revert", [snapshot]) is True
    _reset_nonces(runtime)
    # Mine other blocks at the same heights, so the checkpoint's hash no longer matches.
    replacement = transfer(seed.t1, root, seed.c, "7000000.00")
    transfer(seed.t1, root, seed.c, "1000000.00", into_token_id=replacement["token_id"])
    runtime.rpc.request("anvil_mine", [3])
    runtime.indexer.sync_to()

    assert runtime.indexer.reorgs_detected >= 1
    assert seed.b.get("/v1/notes").json()["items"] == []
    assert [n["value"] for n in seed.c.get("/v1/notes").json()["items"]] == ["8000000.00"]
    assert [n["value"] for n in seed.t1.get("/v1/notes").json()["items"]] == ["62000000.00"]
    assert [n["value"] for n in seed.a.get("/v1/notes").json()["items"]] == ["30000000.00"]
    assert kept["token_id"] < replacement["token_id"]
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
    for the write (one round trip for the check and the logs) sees it and rolls back first."""
    root = seed.voucher["root_token_id"]
    snapshot = runtime.rpc.request("evm_snapshot")
    transfer(seed.t1, root, seed.b, "20000000.00")
    assert runtime.rpc.request("evm_revert", [snapshot]) is True
    _reset_nonces(runtime)
    runtime.rpc.request("anvil_mine", [3])  # other blocks at and above the checkpoint's height
    transfer(seed.t1, root, seed.c, "7000000.00")

    assert runtime.indexer.reorgs_detected >= 1
    assert seed.b.get("/v1/notes").json()["items"] == []
    assert [n["value"] for n in seed.c.get("/v1/notes").json()["items"]] == ["7000000.00"]
    assert [n["value"] for n in seed.t1.get("/v1/notes").json()["items"]] == ["93000000.00"]
    report = reconcile(runtime)
    assert report.clean, report.differences
