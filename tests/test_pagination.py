"""Every listing is paginated (limit, cursor, next_cursor) in a stable order, and a lineage of any depth
the contract allows is answered, as a flat list of pieces with their parents."""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import select

from service.api.pagination import MAX_PAGE_SIZE
from service.chain.client import Receipt
from service.chain.transactions import AccountKey
from service.db.models import Participant
from service.runtime import Runtime
from tests.conftest import ApiUser, SeedLedger, issue_voucher, register, transfer
from tests.test_edge_sweep import nothing_changes, openapi, refused, resolve
from tests.test_financing import credit, publish_terms
from tests.test_settlement import open_early_payment_programme

pytestmark = pytest.mark.integration
LISTS = ("items", "pieces", "rows")
# Answers that are lists bounded by configuration rather than by use: one balance per settlement currency.
BOUNDED_LISTS = {"/v1/cash"}


def every_page(user: ApiUser, path: str, limit: int, field: str = "items") -> list[list[dict[str, Any]]]:
    pages: list[list[dict[str, Any]]] = []
    cursor: str | None = None
    while not pages or cursor is not None:
        params: dict[str, Any] = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        response = user.get(path, params=params)
        assert response.status_code == 200, response.text
        pages.append(response.json()[field])
        cursor = response.json()["next_cursor"]
        assert len(pages) < 1_000, "the cursor never ends"
    return pages


def test_every_listing_in_the_schema_is_paginated(seed: SeedLedger) -> None:
    """No operation answers a bare list, and every answer holding a list of items takes limit and cursor
    and says where the next page starts."""
    schema = openapi(seed)
    listings = []
    for path, operations in schema["paths"].items():
        operation = operations.get("get")
        if operation is None:
            continue
        content = operation["responses"]["200"]["content"]["application/json"]["schema"]
        answer = resolve(schema, content)
        assert answer.get("type") != "array" or path in BOUNDED_LISTS, f"GET {path} answers a bare list"
        if any(name in answer.get("properties", {}) for name in LISTS):
            listings.append(path)
            parameters = {parameter["name"]: parameter for parameter in operation.get("parameters", [])}
            assert {"limit", "cursor"} <= set(parameters), f"GET {path} is not paginated"
            assert parameters["limit"]["schema"]["maximum"] == MAX_PAGE_SIZE
            assert "next_cursor" in answer["properties"]
    assert set(listings) == {
        "/v1/participants",
        "/v1/participants/{participant_id}/identity-changes",
        "/v1/vouchers",
        "/v1/notes",
        "/v1/financing/terms",
        "/v1/vouchers/{voucher_id}/early-payment-programmes",
        "/v1/vouchers/{voucher_id}/lineage",
        "/v1/vouchers/{voucher_id}/settlement/report",
        "/v1/compliance/actions",
        "/v1/fx/rates",
        "/v1/fx/rates/{base}/{quote}/history",
        "/v1/vouchers/{voucher_id}/milestones",
        "/v1/monitoring/cross-border-payments",
        "/v1/monitoring/cross-border-summary",
        "/v1/offerings",
        "/v1/offerings/{offering_id}/listings",
        "/v1/portfolio",
        "/v1/market/figures",
    }


def test_pages_of_every_listing_add_up_to_the_whole_in_a_stable_order(
    seed: SeedLedger, runtime: Runtime
) -> None:
    root = seed.voucher["root_token_id"]
    for amount in ("1000000.00", "2000000.00", "3000000.00", "4000000.00", "5000000.00"):
        transfer(seed.t1, root, seed.a, amount)
    for _ in range(4):
        issue_voucher(seed.admin, seed.carmaker, seed.a)
    credit(seed.admin, seed.bank, "10000000.00")
    for rate in (500, 600, 700, 800, 900):
        publish_terms(seed.bank, rate)
    for _ in range(3):
        open_early_payment_programme(seed, runtime)
    voucher = seed.voucher["id"]
    listings = [
        (seed.admin, "/v1/participants", "items", "id", 8),
        (seed.carmaker, "/v1/vouchers", "items", "id", 5),
        (seed.a, "/v1/notes", "items", "token_id", 9),
        (seed.c, "/v1/financing/terms", "items", "id", 5),
        (seed.a, f"/v1/vouchers/{voucher}/early-payment-programmes", "items", "id", 3),
        (seed.carmaker, f"/v1/vouchers/{voucher}/lineage", "pieces", "token_id", 6),
    ]
    for user, path, field, key, count in listings:
        whole = every_page(user, path, MAX_PAGE_SIZE, field)
        assert len(whole) == 1 and len(whole[0]) == count, (path, whole)
        keys = [item[key] for item in whole[0]]
        assert keys == sorted(keys), path
        for limit in (1, 2, 4):
            pages = every_page(user, path, limit, field)
            assert all(len(page) == limit for page in pages[:-1]) and 0 < len(pages[-1]) <= limit, path
            assert [item[key] for page in pages for item in page] == keys, (path, limit)


def test_a_page_is_bounded_and_a_cursor_is_the_services_own(seed: SeedLedger, runtime: Runtime) -> None:
    forged = ("x", "djI6MQ", "djE6LTE", "djE6MSwy", "A" * 121, "not a cursor", "djE6MDE")
    with nothing_changes(runtime):
        for limit in (0, MAX_PAGE_SIZE + 1, "1_0", " 5", "5.0", -1):
            refused(seed.t1.get("/v1/notes", params={"limit": limit}), 422, "invalid_request")
        for cursor in forged:
            response = seed.t1.get("/v1/notes", params={"cursor": cursor})
            assert response.json()["code"] in ("invalid_cursor", "invalid_request"), response.text
            refused(response, 422)
        report = f"/v1/vouchers/{seed.voucher['id']}/settlement/report"
        one_part = seed.t1.get("/v1/notes", params={"limit": 1}).json()
        assert one_part["next_cursor"] is None  # T1 holds one piece
        refused(
            seed.t1.get(report, params={"cursor": "djE6MQ"}), 422, "invalid_cursor"
        )  # "v1:1", not 2 parts


def test_a_listing_is_walked_while_items_are_added(seed: SeedLedger) -> None:
    """Pages start after the previous page's last key: a participant added meanwhile comes last, and no
    item is skipped or repeated."""
    first = seed.admin.get("/v1/participants", params={"limit": 3}).json()
    register(seed.admin, "Late", "supplier")
    rest = every_page(seed.admin, "/v1/participants", 3)
    rest_after = seed.admin.get("/v1/participants", params={"limit": 100, "cursor": first["next_cursor"]})
    ids = [item["id"] for item in first["items"]] + [item["id"] for item in rest_after.json()["items"]]
    assert ids == [item["id"] for page in rest for item in page] and len(set(ids)) == len(ids) == 9


def _receipt_of(runtime: Runtime, transaction_hash: str) -> Receipt:
    for _attempt in range(200):
        receipt = runtime.chain.fetch_receipt(transaction_hash)
        if receipt is not None:
            return receipt
        time.sleep(0.05)
    raise AssertionError(f"{transaction_hash} was not mined")


def _pass_back_and_forth(runtime: Runtime, holders: list[ApiUser], token_id: int, levels: int) -> list[int]:
    """Moves a piece's whole value between two holders `levels` times, each move a split into a new piece
    one level deeper; sent from the holders' own accounts straight to the note (funded with test ether),
    one transaction each, rather than relayed through the API, so that hundreds of levels take seconds."""
    note = runtime.chain.contracts.note
    with runtime.database.sessions() as session:
        accounts = [
            session.scalars(select(Participant).where(Participant.id == h.participant_id)).one()
            for h in holders
        ]
    senders = []
    for account in accounts:
        assert account.encrypted_private_key is not None
        key = runtime.key_vault.signing_key(account.encrypted_private_key, account.address)
        runtime.rpc.request("anvil_setBalance", [account.address, hex(10**20)])
        senders.append(AccountKey(key, runtime.chain.chain_id))
    value = runtime.chain.read(note.call("balanceOf", token_id))
    chain = [token_id]
    for level in range(levels):
        sender, recipient = senders[level % 2], accounts[(level + 1) % 2].address
        count = int(runtime.rpc.request("eth_getTransactionCount", [sender.address, "pending"]), 16)
        sent = sender.sign(
            nonce=count,
            to=note.address,
            data=note.calldata("transferFrom", chain[-1], recipient, value),
            gas=400_000,
            max_fee_per_gas=10**10,
            max_priority_fee_per_gas=1,
        )
        runtime.rpc.request("eth_sendRawTransaction", ["0x" + sent.raw.hex()])
        receipt = _receipt_of(runtime, sent.hash)
        assert receipt.succeeded
        [moved] = receipt.events_named("TransferValue")
        chain.append(int(moved.args["_toTokenId"]))
    runtime.indexer.sync_to()
    return chain


def test_a_lineage_three_hundred_levels_deep_is_answered(seed: SeedLedger, runtime: Runtime) -> None:
    """255 levels (two holders passing value back and forth) were a 500: the answer was a nested tree
    the response serialiser would not go that deep into. The contract allows 65,535."""
    voucher = issue_voucher(seed.admin, seed.carmaker, seed.t1, face_value="1000.00", minimum_unit="1.00")
    chain = _pass_back_and_forth(runtime, [seed.t1, seed.a], voucher["root_token_id"], 300)
    path = f"/v1/vouchers/{voucher['id']}/lineage"
    pages = every_page(seed.carmaker, path, MAX_PAGE_SIZE, "pieces")
    pieces = [piece for page in pages for piece in page]
    assert [len(page) for page in pages] == [200, 101]
    assert [piece["token_id"] for piece in pieces] == chain
    assert [piece["depth"] for piece in pieces] == list(range(301))
    assert [piece["parent_token_id"] for piece in pieces] == [None, *chain[:-1]]
    assert [piece["value"] for piece in pieces] == ["0.00"] * 300 + ["1000.00"]
    deepest = seed.t1.get(f"/v1/notes/{chain[-1]}")
    assert deepest.status_code == 200 and deepest.json()["depth"] == 300
