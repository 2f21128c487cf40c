"""Bulk transfers through HTTP: a 200-item month-end batch on SQLite and PostgreSQL, refused as a whole
when any item is invalid, answered the same on a retry with its key."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

import pytest

from service.runtime import Runtime
from tests.conftest import ApiUser, register, transfer
from tests.test_bad_input import expect_error, unchanged

pytestmark = pytest.mark.usefixtures("fresh_chain")

BATCH = "/v1/transfer-batches"


def _items(sources: list[int], recipients: list[ApiUser], count: int, amount: str) -> list[dict[str, Any]]:
    """`count` transfers cycling over the sources and the recipients."""
    return [
        {
            "from_token_id": sources[index % len(sources)],
            "to_participant_id": recipients[index % len(recipients)].participant_id,
            "amount": amount,
        }
        for index in range(count)
    ]


def _holdings(user: ApiUser) -> list[dict[str, Any]]:
    notes, cursor = [], None
    while True:
        response = user.get("/v1/notes", params={"limit": 100, **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200, response.text
        page = response.json()
        notes.extend(page["items"])
        cursor = page.get("next_cursor")
        if not cursor:
            return notes


@pytest.mark.parametrize(
    "database_url", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
def test_a_batch_splits_one_piece_to_many_recipients_in_few_transactions_and_replays(seed: Any) -> None:
    recipients = [seed.a, seed.b, seed.c]
    items = _items([seed.voucher["root_token_id"]], recipients, 99, "1000000.00")
    answer = seed.t1.post(BATCH, json={"items": items}, headers={"Idempotency-Key": "month-end-1"})
    assert answer.status_code == 201, answer.text
    out = answer.json()
    assert out["executed"] == 99 and out["failed"] == 0
    assert [item["index"] for item in out["items"]] == list(range(99))
    token_ids = [item["token_id"] for item in out["items"]]
    assert len(set(token_ids)) == 99
    assert len(out["transactions"]) < 99 / 4, "the writer packs a batch into few relay transactions"
    assert {item["transaction_hash"] for item in out["items"]} == set(out["transactions"])
    root = seed.t1.get(f"/v1/notes/{seed.voucher['root_token_id']}").json()
    assert Decimal(root["value"]) == Decimal("1000000.00")
    # Every new piece is a child of the root, held by its item's recipient, worth its amount.
    by_holder = Counter[int]()
    for user in recipients:
        for note in _holdings(user):
            if note["token_id"] in token_ids:
                assert note["parent_token_id"] == seed.voucher["root_token_id"]
                assert note["value"] == "1000000.00"
                by_holder[user.participant_id] += 1
    assert by_holder == {seed.a.participant_id: 33, seed.b.participant_id: 33, seed.c.participant_id: 33}
    again = seed.t1.post(BATCH, json={"items": items}, headers={"Idempotency-Key": "month-end-1"})
    assert again.status_code == 201
    assert again.json() == out, "a retry with the key answers the same batch and sends nothing"
    assert Decimal(seed.t1.get(f"/v1/notes/{seed.voucher['root_token_id']}").json()["value"]) == Decimal(
        "1000000.00"
    )


@pytest.mark.parametrize(
    "database_url", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
def test_two_hundred_items_of_one_voucher_split_exactly(admin: ApiUser, seed: Any) -> None:
    """200 sub-suppliers each get 10,000.00 of a 20,000,000.00 voucher in units of 10,000.00."""
    from tests.conftest import issue_voucher

    voucher = issue_voucher(admin, seed.carmaker, seed.t1, face_value="20000000.00", minimum_unit="10000.00")
    recipients = [seed.a, seed.b, seed.c, seed.bank]
    items = _items([voucher["root_token_id"]], recipients, 200, "10000.00")
    answer = seed.t1.post(BATCH, json={"items": items})
    assert answer.status_code == 201, answer.text
    out = answer.json()
    assert out["executed"] == 200
    assert len({item["token_id"] for item in out["items"]}) == 200
    root = seed.t1.get(f"/v1/notes/{voucher['root_token_id']}").json()
    assert Decimal(root["value"]) == Decimal("18000000.00")
    pieces, cursor = [], None
    while True:
        params = {"limit": 200, **({"cursor": cursor} if cursor else {})}
        page = seed.admin.get(f"/v1/vouchers/{voucher['id']}/lineage", params=params)
        assert page.status_code == 200, page.text
        pieces += page.json()["pieces"]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert sum(Decimal(piece["value"]) for piece in pieces) == Decimal("20000000.00"), "value conserved"
    assert sum(1 for piece in pieces if piece["parent_token_id"] == voucher["root_token_id"]) == 200


def test_one_invalid_item_refuses_the_whole_batch_listing_every_refusal(runtime: Runtime, seed: Any) -> None:
    revoked = register(seed.admin, "Revoked", "supplier")
    response = seed.compliance.post(
        f"/v1/participants/{revoked.participant_id}/revocation", json={"reason": "sanctioned"}
    )
    assert response.status_code in (200, 201), response.text
    root = seed.voucher["root_token_id"]
    items = [
        {"from_token_id": root, "to_participant_id": seed.a.participant_id, "amount": "1000000.00"},
        {"from_token_id": root, "to_participant_id": seed.b.participant_id, "amount": "1500000.00"},
        {"from_token_id": root, "to_participant_id": revoked.participant_id, "amount": "1000000.00"},
        {"from_token_id": 999_999, "to_participant_id": seed.c.participant_id, "amount": "1000000.00"},
        {"from_token_id": root, "to_participant_id": 999_999, "amount": "1000000.00"},
        {"from_token_id": root, "to_participant_id": seed.c.participant_id, "amount": "1000000.00"},
    ]
    with unchanged(runtime):
        body = expect_error(seed.t1.post(BATCH, json={"items": items}), 422, "batch_invalid")
    refused = {entry["index"]: entry["code"] for entry in body["details"]["items"]}
    assert refused == {
        1: "amount_not_unit_multiple",
        2: "participant_not_verified",
        3: "note_not_found",
        4: "participant_not_found",
    }


def test_items_drawing_on_one_piece_must_fit_in_it_together(runtime: Runtime, seed: Any) -> None:
    piece = transfer(seed.t1, seed.voucher["root_token_id"], seed.a, "3000000.00")["token_id"]
    items = _items([piece], [seed.b, seed.c], 4, "1000000.00")  # 4M from a 3M piece
    with unchanged(runtime):
        body = expect_error(seed.a.post(BATCH, json={"items": items}), 422, "batch_invalid")
    assert [(entry["index"], entry["code"]) for entry in body["details"]["items"]] == [
        (3, "insufficient_value")
    ]
    exact = seed.a.post(BATCH, json={"items": items[:3]})
    assert exact.status_code == 201, exact.text
    assert exact.json()["executed"] == 3
    assert seed.a.get(f"/v1/notes/{piece}").json()["value"] == "0.00"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"items": []}, "invalid_request"),
        ({"items": [{"from_token_id": 1, "to_participant_id": 2, "amount": "1e6"}]}, "invalid_amount"),
        ({"items": [{"from_token_id": True, "to_participant_id": 2, "amount": "1.00"}]}, "invalid_request"),
    ],
)
def test_malformed_batches_are_refused_before_anything_is_read(
    runtime: Runtime, seed: Any, body: dict[str, Any], code: str
) -> None:
    with unchanged(runtime):
        expect_error(seed.t1.post(BATCH, json=body), 422, code)


def test_a_batch_over_the_item_limit_is_refused(runtime: Runtime, seed: Any) -> None:
    items = _items([seed.voucher["root_token_id"]], [seed.a], 1001, "1000000.00")
    with unchanged(runtime):
        expect_error(seed.t1.post(BATCH, json={"items": items}), 422, "invalid_request")


def test_someone_elses_piece_is_not_found_and_a_visible_one_is_not_held(runtime: Runtime, seed: Any) -> None:
    piece = transfer(seed.t1, seed.voucher["root_token_id"], seed.a, "1000000.00")["token_id"]
    with unchanged(runtime):
        body = expect_error(
            seed.b.post(BATCH, json={"items": _items([piece], [seed.c], 1, "1000000.00")}),
            422,
            "batch_invalid",
        )
    assert body["details"]["items"][0]["code"] == "note_not_found"
