"""Model 1 of the seed article, end to end over HTTP on a real Anvil chain, on SQLite and PostgreSQL.

A carmaker issues a CNY 100,000,000 voucher to tier-1 T1 (100 units of 1,000,000); T1 passes 30M to
A and 20M to B; A passes 10M to tier-3 C. The obligor and the admin see the whole lineage back to the
issuance (what the holders see: tests/test_visibility.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from service.ledger.reconcile import reconcile
from service.runtime import Runtime
from tests.conftest import ApiUser, SeedLedger, transfer


def _holdings(user: ApiUser) -> list[dict[str, Any]]:
    response = user.get("/v1/notes")
    assert response.status_code == 200, response.text
    result: list[dict[str, Any]] = response.json()["items"]
    return result


@pytest.mark.integration
@pytest.mark.parametrize(
    "database_url", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
def test_model1_split_and_three_tier_transfer(seed: SeedLedger, runtime: Runtime) -> None:
    voucher = seed.voucher
    assert voucher["face_value"] == "100000000.00"
    assert voucher["unit_count"] == 100
    assert voucher["obligor"]["name"] == "Carmaker"
    assert voucher["invoice_references"] == ["INV-2026-0001", "INV-2026-0002"]
    root = voucher["root_token_id"]

    to_a = transfer(seed.t1, root, seed.a, "30000000.00")
    to_b = transfer(seed.t1, root, seed.b, "20000000.00")
    to_c = transfer(seed.a, to_a["token_id"], seed.c, "10000000.00")
    assert (to_a["remaining"], to_b["remaining"], to_c["remaining"]) == (
        "70000000.00",
        "50000000.00",
        "20000000.00",
    )
    assert len({to_a["transaction_hash"], to_b["transaction_hash"], to_c["transaction_hash"]}) == 3

    # each participant lists exactly what it holds
    expected = {"T1": "50000000.00", "A": "20000000.00", "B": "20000000.00", "C": "10000000.00"}
    for user, name in ((seed.t1, "T1"), (seed.a, "A"), (seed.b, "B"), (seed.c, "C")):
        holdings = _holdings(user)
        assert [note["value"] for note in holdings] == [expected[name]]
        assert holdings[0]["voucher_id"] == voucher["id"]
    assert _holdings(seed.carmaker) == []

    # the lineage: T1's root, A and B at depth 1, C at depth 2 under A, as pieces with their parents
    for viewer in (seed.carmaker, seed.admin):
        response = viewer.get(f"/v1/vouchers/{voucher['id']}/lineage")
        assert response.status_code == 200, response.text
        lineage = response.json()
        assert lineage["total_held"] == lineage["face_value"] == lineage["outstanding"] == "100000000.00"
        assert lineage["piece_count"] == 4 and lineage["next_cursor"] is None
        assert [piece["token_id"] for piece in lineage["pieces"]] == sorted(
            piece["token_id"] for piece in lineage["pieces"]
        )
        by_holder = {piece["holder"]["name"]: piece for piece in lineage["pieces"]}
        tree = by_holder["T1"]
        assert tree["token_id"] == root and tree["depth"] == 0 and tree["parent_token_id"] is None
        assert tree["created_transaction_hash"] == voucher["issue_transaction_hash"]
        assert by_holder["A"]["parent_token_id"] == by_holder["B"]["parent_token_id"] == root
        assert by_holder["A"]["received"] == "30000000.00" and by_holder["A"]["value"] == "20000000.00"
        assert by_holder["A"]["created_transaction_hash"] == to_a["transaction_hash"]
        c_node = by_holder["C"]
        assert (c_node["depth"], c_node["value"]) == (2, "10000000.00")
        assert c_node["parent_token_id"] == to_a["token_id"]
        # holdings always sum to the face value, and every piece has exactly one holder
        assert sum(Decimal(piece["value"]) for piece in lineage["pieces"]) == Decimal("100000000.00")
        assert {name: piece["value"] for name, piece in by_holder.items()} == expected

    # a participant outside the voucher sees nothing of it
    assert seed.bank.get(f"/v1/vouchers/{voucher['id']}/lineage").json()["code"] == "voucher_not_found"

    # the database agrees with the chain, token by token
    report = reconcile(runtime)
    assert report.clean, report.differences
    assert report.tokens_checked == 4


@pytest.mark.integration
def test_merge_into_existing_piece_of_recipient(seed: SeedLedger) -> None:
    root = seed.voucher["root_token_id"]
    first = transfer(seed.t1, root, seed.a, "30000000.00")
    merged = transfer(seed.t1, root, seed.a, "5000000.00", into_token_id=first["token_id"])
    assert merged["kind"] == "merge" and merged["token_id"] == first["token_id"]
    assert [note["value"] for note in _holdings(seed.a)] == ["35000000.00"]
    lineage = seed.a.get(f"/v1/vouchers/{seed.voucher['id']}/lineage").json()
    [a_node] = [piece for piece in lineage["pieces"] if piece["token_id"] == first["token_id"]]
    assert a_node["merged_in"] == [
        {"from_token_id": root, "amount": "5000000.00", "transaction_hash": merged["transaction_hash"]}
    ]
    assert a_node["merged_in_count"] == 1 and a_node["received"] == "30000000.00"


@pytest.mark.integration
def test_note_detail_and_whole_piece_transfer(seed: SeedLedger) -> None:
    root = seed.voucher["root_token_id"]
    moved = transfer(seed.t1, root, seed.b, "100000000.00")
    assert moved["remaining"] == "0.00"
    note = seed.b.get(f"/v1/notes/{moved['token_id']}").json()
    assert note["value"] == "100000000.00" and note["depth"] == 1 and note["parent_token_id"] == root
    assert _holdings(seed.t1) == []
    assert [n["value"] for n in seed.t1.get("/v1/notes", params={"include_empty": True}).json()["items"]] == [
        "0.00"
    ]


@pytest.mark.integration
@pytest.mark.parametrize(
    "database_url", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
def test_timestamps_carry_their_utc_offset(seed: SeedLedger) -> None:
    """Found by the API fuzzer: on SQLite they came back without an offset, which is not a `date-time`."""
    note = seed.t1.get(f"/v1/notes/{seed.voucher['root_token_id']}").json()
    me = seed.t1.get("/v1/participants/me").json()
    for stamp in (me["created_at"], seed.voucher["issued_at"], seed.voucher["due_at"], note["due_at"]):
        assert datetime.fromisoformat(stamp).utcoffset() == timedelta(0), stamp
