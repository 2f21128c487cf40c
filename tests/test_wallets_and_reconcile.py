"""Participants with their own wallets, and the proof that database and chain agree."""

from __future__ import annotations

from typing import Any

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from fastapi import FastAPI
from sqlalchemy import update

from service.db.models import Note
from service.errors import NoteNotFound
from service.ledger.reconcile import reconcile
from service.runtime import Runtime
from tests.conftest import SeedLedger, register, transfer

pytestmark = pytest.mark.integration


def test_own_wallet_signs_its_forward_request(seed: SeedLedger, runtime: Runtime) -> None:
    wallet = Account.create()
    d = register(seed.admin, "D (own wallet)", "supplier", address=wallet.address)
    assert d.address == wallet.address
    assert d.get("/v1/participants/me").json()["managed_key"] is False
    piece = transfer(seed.t1, seed.voucher["root_token_id"], d, "5000000.00")
    intent = {"to_participant_id": seed.c.participant_id, "amount": "2000000.00"}
    path = f"/v1/notes/{piece['token_id']}/transfers"

    unsigned = d.post(path, json=intent)
    assert unsigned.status_code == 422 and unsigned.json()["code"] == "signature_required"

    prepared = d.post(f"{path}/signing-request", json=intent)
    assert prepared.status_code == 200, prepared.text
    request = prepared.json()
    assert request["typed_data"]["message"]["from"] == wallet.address
    signature = Account.sign_message(
        encode_typed_data(full_message=request["typed_data"]), wallet.key
    ).signature

    forged = Account.sign_message(
        encode_typed_data(full_message=request["typed_data"]), Account.create().key
    ).signature
    rejected = d.post(
        path,
        json={
            **intent,
            "signed_request": {
                "nonce": request["nonce"],
                "deadline": request["deadline"],
                "signature": "0x" + forged.hex(),
            },
        },
    )
    assert rejected.status_code == 422 and rejected.json()["code"] == "invalid_signature"

    signed = {"nonce": request["nonce"], "deadline": request["deadline"], "signature": "0x" + signature.hex()}
    altered = d.post(path, json={**intent, "amount": "3000000.00", "signed_request": signed})
    assert altered.status_code == 422 and altered.json()["code"] == "invalid_signature"

    done = d.post(path, json={**intent, "signed_request": signed})
    assert done.status_code == 201, done.text
    assert done.json()["remaining"] == "3000000.00"
    replay = d.post(path, json={**intent, "signed_request": signed})
    assert replay.status_code == 409 and replay.json()["code"] == "stale_request"


def test_reconcile_finds_a_tampered_index(seed: SeedLedger, runtime: Runtime) -> None:
    piece = transfer(seed.t1, seed.voucher["root_token_id"], seed.a, "30000000.00")
    assert reconcile(runtime).clean
    with runtime.database.transaction() as session:
        session.execute(update(Note).where(Note.token_id == piece["token_id"]).values(value_minor=1))
    report = reconcile(runtime)
    assert not report.clean
    assert any(f"token {piece['token_id']}" in line for line in report.differences)
    assert any(f"voucher {seed.voucher['id']}" in line for line in report.differences)
    response = seed.admin.get("/v1/ledger/reconciliation")
    assert response.status_code == 200 and response.json()["clean"] is False


def test_a_block_the_node_cannot_answer_for_is_a_clear_503_not_a_report(
    seed: SeedLedger, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """E.g. a reconciliation that outlasted the node's recent states: no comparison, so no verdict."""
    import service.ledger.reconcile as reconciliation

    fetch_index = reconciliation.fetch_index
    unanswerable = runtime.chain.fetch_head() + 1_000

    def beyond_the_head(runtime: Runtime) -> Any:
        index = fetch_index(runtime)
        index.block = unanswerable
        return index

    monkeypatch.setattr(reconciliation, "fetch_index", beyond_the_head)
    response = seed.admin.get("/v1/ledger/reconciliation")
    assert response.status_code == 503, response.text
    body = response.json()
    assert body["code"] == "chain_unavailable" and body["details"]["block_number"] == unanswerable
    assert f"block {unanswerable}" in body["message"]


def test_health_reports_heads_and_pending_operations(seed: SeedLedger) -> None:
    health = seed.admin.client.get("/v1/health").json()
    assert health["status"] == "ok" and health["pending_operations"] == 0
    assert health["indexed_head"] == health["chain_head"] and health["lag_blocks"] == 0
    assert set(health["contracts"]) >= {"note", "registry", "forwarder"}


def test_participant_listing_is_admin_only(seed: SeedLedger) -> None:
    names = [p["name"] for p in seed.admin.get("/v1/participants").json()["items"]]
    assert names[-6:] == ["Carmaker", "T1", "A", "B", "C", "Bank"]
    assert seed.a.get("/v1/participants").status_code == 403
    assert seed.a.get(f"/v1/participants/{seed.c.participant_id}").json()["name"] == "C"


def test_value_after_a_block_from_the_index_equals_the_chain(seed: SeedLedger, runtime: Runtime) -> None:
    """A transfer's `remaining` comes from the index (no historical state needed from the node): the
    indexed value less later movements equals what the chain reports at every block, for the source
    piece, a piece split off it and a piece merged into later."""
    from service.notes.repository import compute_value_after_block

    root = seed.voucher["root_token_id"]
    first = transfer(seed.t1, root, seed.a, "30000000.00")
    transfer(seed.t1, root, seed.b, "20000000.00")
    later = transfer(seed.a, first["token_id"], seed.c, "10000000.00")
    transfer(seed.t1, root, seed.c, "5000000.00", into_token_id=later["token_id"])
    runtime.indexer.sync_to()
    note = runtime.chain.contracts.note
    head = int(runtime.rpc.request("eth_blockNumber"), 16)
    with runtime.database.sessions() as session:
        for block in range(first["block_number"] - 1, head + 1):
            for token_id in (root, first["token_id"], later["token_id"]):
                try:
                    on_chain = runtime.chain.read(note.call("balanceOf", token_id), block=block)
                except NoteNotFound:  # not minted yet at that block
                    on_chain = 0
                assert compute_value_after_block(session, token_id, block) == on_chain, (block, token_id)


def test_a_key_revoked_in_the_database_stops_working_when_its_cache_entry_expires(
    seed: SeedLedger, runtime: Runtime
) -> None:
    """Keys are looked up once per cache period, not per request; revocation by hand (the API has no
    revocation) takes effect within that period, and an unknown key is never remembered as valid."""
    import time
    from datetime import UTC, datetime

    from service.api.auth import ApiKeyCache
    from service.db.models import ApiKey

    app = seed.c.client.app  # TestClient types it as any ASGI callable; here it is the FastAPI app
    assert isinstance(app, FastAPI)
    app.state.api_keys = ApiKeyCache(ttl_seconds=0.3)
    assert seed.c.get("/v1/participants/me").status_code == 200
    with runtime.database.transaction() as session:
        session.execute(
            update(ApiKey)
            .where(ApiKey.participant_id == seed.c.participant_id)
            .values(revoked_at=datetime.now(UTC))
        )
    time.sleep(0.35)
    refused = seed.c.get("/v1/participants/me")
    assert refused.status_code == 401 and refused.json()["code"] == "unauthenticated"
    assert seed.b.get("/v1/participants/me").status_code == 200
