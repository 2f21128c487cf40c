"""Bad input: a 4xx with a machine-readable code and a clear message, and nothing changes anywhere."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from service.api.acting import act_as_service
from service.api.idempotency import compute_fingerprint
from service.api.submit import request_key_of
from service.db.models import Base, IdempotencyRecord, Note, Voucher
from service.errors import InsufficientValue, MaturityTooFar, NotHolder
from service.runtime import Runtime
from service.writer.outbox import insert_operations
from tests.conftest import SeedLedger, transfer

pytestmark = pytest.mark.integration


def _state(runtime: Runtime) -> tuple[int, list[tuple[int, str, int]], int]:
    with runtime.database.sessions() as session:
        notes = [
            (n.token_id, n.holder_address, n.value_minor)
            for n in session.scalars(select(Note).order_by(Note.token_id))
        ]
        vouchers = len(session.scalars(select(Voucher)).all())
    return runtime.chain.fetch_head(), notes, vouchers


@contextmanager
def unchanged(runtime: Runtime) -> Iterator[None]:
    before = _state(runtime)
    yield
    assert _state(runtime) == before, "a rejected request changed the chain or the database"


def expect_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"]
    return body


@pytest.fixture
def piece(seed: SeedLedger) -> dict[str, Any]:
    """A holds a 30M piece; T1 keeps 70M in the root."""
    return transfer(seed.t1, seed.voucher["root_token_id"], seed.a, "30000000.00")


@pytest.mark.parametrize(
    ("amount", "status", "code"),
    [
        ("0.00", 422, "amount_not_positive"),
        ("-1000000.00", 422, "invalid_amount"),
        ("1500000.00", 422, "amount_not_unit_multiple"),
        ("1000000.001", 422, "amount_too_precise"),
        ("1000000.0000000", 422, "amount_too_precise"),
        ("123456789012345678901234567890", 422, "amount_too_large"),
        ("40000000.00", 422, "insufficient_value"),
        ("ten", 422, "invalid_amount"),
        ("1e6", 422, "invalid_amount"),
    ],
)
def test_transfer_amount_errors(
    seed: SeedLedger, runtime: Runtime, piece: dict[str, Any], amount: str, status: int, code: str
) -> None:
    with unchanged(runtime):
        response = seed.a.post(
            f"/v1/notes/{piece['token_id']}/transfers",
            json={"to_participant_id": seed.c.participant_id, "amount": amount},
        )
        expect_error(response, status, code)


def test_transfer_of_a_piece_the_caller_does_not_hold(
    seed: SeedLedger, runtime: Runtime, piece: dict[str, Any]
) -> None:
    body = {"to_participant_id": seed.c.participant_id, "amount": "1000000.00"}
    with unchanged(runtime):
        # A sees the voucher (it holds a piece of it) but not T1's root
        expect_error(
            seed.a.post(f"/v1/notes/{seed.voucher['root_token_id']}/transfers", json=body), 403, "not_holder"
        )
        # C has no part in the voucher: the piece is invisible to it
        expect_error(
            seed.c.post(f"/v1/notes/{piece['token_id']}/transfers", json=body), 404, "note_not_found"
        )


def test_transfer_recipient_errors(seed: SeedLedger, runtime: Runtime, piece: dict[str, Any]) -> None:
    path = f"/v1/notes/{piece['token_id']}/transfers"
    revoked = seed.compliance.post(f"/v1/participants/{seed.b.participant_id}/revocation")
    assert revoked.status_code == 200 and revoked.json()["verified"] is False
    with unchanged(runtime):
        expect_error(
            seed.a.post(path, json={"to_participant_id": 9999, "amount": "1000000.00"}),
            404,
            "participant_not_found",
        )
        expect_error(
            seed.a.post(path, json={"to_participant_id": seed.b.participant_id, "amount": "1000000.00"}),
            422,
            "participant_not_verified",
        )
        expect_error(
            seed.a.post(path, json={"to_participant_id": seed.a.participant_id, "amount": "1000000.00"}),
            422,
            "self_transfer",
        )
        expect_error(
            seed.a.post(path, json={"to_participant_id": seed.admin.participant_id, "amount": "1000000.00"}),
            422,
            "participant_not_verified",
        )


def test_revoked_holder_cannot_send(seed: SeedLedger, runtime: Runtime, piece: dict[str, Any]) -> None:
    seed.compliance.post(f"/v1/participants/{seed.a.participant_id}/revocation")
    with unchanged(runtime):
        response = seed.a.post(
            f"/v1/notes/{piece['token_id']}/transfers",
            json={"to_participant_id": seed.c.participant_id, "amount": "1000000.00"},
        )
        body = expect_error(response, 422, "participant_not_verified")
        assert body["details"]["error"] == "NoteParticipantNotVerified"  # refused by the contract itself
    seed.compliance.post(f"/v1/participants/{seed.a.participant_id}/verification")
    transfer(seed.a, piece["token_id"], seed.c, "1000000.00")


def test_unknown_token_and_voucher(seed: SeedLedger, runtime: Runtime) -> None:
    with unchanged(runtime):
        expect_error(seed.t1.get("/v1/notes/424242"), 404, "note_not_found")
        expect_error(
            seed.t1.post(
                "/v1/notes/424242/transfers",
                json={"to_participant_id": seed.a.participant_id, "amount": "1.00"},
            ),
            404,
            "note_not_found",
        )
        expect_error(seed.t1.get("/v1/vouchers/424242"), 404, "voucher_not_found")
        expect_error(seed.t1.get("/v1/vouchers/424242/lineage"), 404, "voucher_not_found")


def test_ids_and_amounts_beyond_what_the_ledger_stores(
    seed: SeedLedger, runtime: Runtime, piece: dict[str, Any]
) -> None:
    """Found by the API fuzzer: each was a 500, as SQLite cannot bind an integer beyond int64 and Decimal
    arithmetic overflowed on a huge amount. Ids are positive and below 2**63; amounts are checked for size
    before any arithmetic."""
    huge = 2**63
    with unchanged(runtime):
        for path in (
            f"/v1/notes/{huge}",
            f"/v1/vouchers/{huge}/lineage",
            f"/v1/participants/{huge}",
            f"/v1/financing-quotes/{huge}",
            f"/v1/early-payment-programmes/{huge}",
            f"/v1/vouchers/{huge}/settlement",
            "/v1/notes/0",
        ):
            expect_error(seed.t1.get(path), 422, "invalid_request")
        expect_error(seed.compliance.post(f"/v1/participants/{huge}/revocation"), 422, "invalid_request")
        path = f"/v1/notes/{piece['token_id']}/transfers"
        body = {"to_participant_id": seed.c.participant_id, "amount": "1000000.00"}
        expect_error(seed.a.post(path, json={**body, "to_participant_id": huge}), 422, "invalid_request")
        expect_error(seed.a.post(path, json={**body, "into_token_id": huge}), 422, "invalid_request")
        expect_error(seed.a.post(path, json={**body, "amount": "1e999999999"}), 422, "invalid_amount")
        amount = "123456789012345678901234567890.001"
        expect_error(seed.a.post(path, json={**body, "amount": amount}), 422, "amount_too_large")


def _voucher_body(seed: SeedLedger, **overrides: Any) -> dict[str, Any]:
    return {
        "obligor_participant_id": seed.carmaker.participant_id,
        "holder_participant_id": seed.t1.participant_id,
        "currency": "CNY",
        "face_value": "1000.00",
        "minimum_unit": "0.01",
        "due_date": (datetime.now(UTC) + timedelta(days=30)).date().isoformat(),
        "invoice_references": ["INV-9"],
        "document_hash": "0x" + "cd" * 32,
        **overrides,
    }


@pytest.mark.parametrize(
    ("overrides", "status", "code"),
    [
        ({"due_date": (datetime.now(UTC) - timedelta(days=1)).date().isoformat()}, 422, "maturity_in_past"),
        ({"due_date": datetime.now(UTC).date().isoformat()}, 422, "maturity_in_past"),
        ({"face_value": "1000.005"}, 422, "amount_too_precise"),
        ({"face_value": "0"}, 422, "amount_not_positive"),
        ({"minimum_unit": "3.00"}, 422, "amount_not_unit_multiple"),
        ({"minimum_unit": "2000.00"}, 422, "invalid_amount"),
        ({"currency": "XAU"}, 422, "unsupported_currency"),
        ({"holder_participant_id": 9999}, 404, "participant_not_found"),
        ({"document_hash": "0x1234"}, 422, "invalid_request"),
        ({"invoice_references": []}, 422, "invalid_request"),
        ({"face_value": 1000.0}, 422, "invalid_request"),
    ],
)
def test_issue_errors(
    seed: SeedLedger, runtime: Runtime, overrides: dict[str, Any], status: int, code: str
) -> None:
    with unchanged(runtime):
        expect_error(seed.admin.post("/v1/vouchers", json=_voucher_body(seed, **overrides)), status, code)


def test_obligor_issues_on_its_own_behalf_only(seed: SeedLedger, runtime: Runtime) -> None:
    response = seed.carmaker.post("/v1/vouchers", json=_voucher_body(seed, obligor_participant_id=None))
    assert response.status_code == 201, response.text
    assert response.json()["obligor"]["name"] == "Carmaker"
    with unchanged(runtime):
        expect_error(seed.t1.post("/v1/vouchers", json=_voucher_body(seed)), 403, "forbidden")
        expect_error(
            seed.carmaker.post(
                "/v1/vouchers", json=_voucher_body(seed, obligor_participant_id=seed.bank.participant_id)
            ),
            403,
            "forbidden",
        )


def test_malformed_requests(seed: SeedLedger, runtime: Runtime, piece: dict[str, Any]) -> None:
    path = f"/v1/notes/{piece['token_id']}/transfers"
    with unchanged(runtime):
        expect_error(
            seed.a.client.post(
                path, content=b"{not json", headers={**seed.a.headers, "content-type": "application/json"}
            ),
            400,
            "malformed_request",
        )
        expect_error(seed.a.post(path, json={"amount": "1000000.00"}), 422, "invalid_request")
        expect_error(
            seed.a.post(path, json={"to_participant_id": "x", "amount": "1.00"}), 422, "invalid_request"
        )
        expect_error(
            seed.a.post(
                path, json={"to_participant_id": seed.c.participant_id, "amount": "1.00", "extra": 1}
            ),
            422,
            "invalid_request",
        )
        expect_error(seed.a.get("/v1/notes/not-a-number"), 422, "invalid_request")
        expect_error(seed.a.get("/v1/nowhere"), 404, "not_found")


def test_authentication_and_roles(seed: SeedLedger, runtime: Runtime) -> None:
    client = seed.admin.client
    with unchanged(runtime):
        expect_error(client.get("/v1/participants/me"), 401, "unauthenticated")
        expect_error(
            client.get("/v1/participants/me", headers={"Authorization": "Bearer csk_wrong"}),
            401,
            "unauthenticated",
        )
        expect_error(
            client.get("/v1/participants/me", headers={"Authorization": "Basic abc"}), 401, "unauthenticated"
        )
        expect_error(
            seed.t1.post("/v1/participants", json={"name": "X", "role": "supplier"}), 403, "forbidden"
        )
        expect_error(seed.bank.post("/v1/ledger/pause"), 403, "forbidden")
        expect_error(
            seed.admin.post("/v1/participants", json={"name": "T1", "role": "supplier"}),
            409,
            "participant_already_exists",
        )
        expect_error(
            seed.admin.post("/v1/participants", json={"name": "Y", "role": "pirate"}), 422, "invalid_request"
        )
    me = seed.t1.get("/v1/participants/me").json()
    assert (me["name"], me["role"], me["verified"], me["managed_key"]) == ("T1", "supplier", True, True)


def test_paused_ledger_refuses_transfers_and_issuance(
    seed: SeedLedger, runtime: Runtime, piece: dict[str, Any]
) -> None:
    assert seed.admin.post("/v1/ledger/pause").json()["paused"] is True
    assert seed.admin.get("/v1/health").json()["paused"] is True
    with unchanged(runtime):
        expect_error(
            seed.a.post(
                f"/v1/notes/{piece['token_id']}/transfers",
                json={"to_participant_id": seed.c.participant_id, "amount": "1000000.00"},
            ),
            423,
            "ledger_paused",
        )
        expect_error(seed.admin.post("/v1/vouchers", json=_voucher_body(seed)), 423, "ledger_paused")
    assert seed.admin.post("/v1/ledger/unpause").json()["paused"] is False
    transfer(seed.a, piece["token_id"], seed.c, "1000000.00")


def test_reverts_decode_into_the_same_errors(
    seed: SeedLedger, runtime: Runtime, piece: dict[str, Any]
) -> None:
    """Skipping the service's own checks, the contract's custom errors map onto the same codes."""
    note = runtime.chain.contracts.note
    overdraw = note.calldata("transferFrom", piece["token_id"], seed.c.address, 10**15)
    with pytest.raises(InsufficientValue) as insufficient:
        runtime.chain.simulate_forwarded(seed.a.address, note.address, overdraw)
    assert insufficient.value.details["error"] == "NoteInsufficientValue"
    steal = note.calldata("transferFrom", seed.voucher["root_token_id"], seed.c.address, 100_000_000)
    with pytest.raises(NotHolder):
        runtime.chain.simulate_forwarded(seed.a.address, note.address, steal)
    cny = b"CNY".ljust(8, b"\0")
    beyond_uint40 = note.calldata(
        "issue", seed.carmaker.address, seed.t1.address, cny, cny, 100, 100, 2**40, 0, bytes(32)
    )
    issuer = act_as_service(runtime, "issuer", "test.issue", note.address, beyond_uint40).signer.address
    with pytest.raises(MaturityTooFar) as too_far:
        runtime.chain.simulate_forwarded(issuer, note.address, beyond_uint40)
    assert too_far.value.details["error"] == "NoteMaturityTooFar"


def test_revert_meanings_cover_every_custom_error(runtime: Runtime) -> None:
    from service.chain.revert import INTERNAL_ERRORS, REVERT_MEANINGS

    unmapped = runtime.chain.errors.names - set(REVERT_MEANINGS) - INTERNAL_ERRORS
    assert not unmapped, f"custom errors without a LedgerError meaning: {sorted(unmapped)}"


def test_idempotent_transfer(seed: SeedLedger, runtime: Runtime, piece: dict[str, Any]) -> None:
    path = f"/v1/notes/{piece['token_id']}/transfers"
    body = {"to_participant_id": seed.c.participant_id, "amount": "1000000.00"}
    key = {"Idempotency-Key": "transfer-0001"}
    first = seed.a.post(path, json=body, headers=key)
    assert first.status_code == 201
    with unchanged(runtime):
        again = seed.a.post(path, json=body, headers=key)
        assert again.status_code == 201 and again.json() == first.json()
        assert again.headers.get("Idempotent-Replayed") == "true"
        expect_error(
            seed.a.post(path, json={**body, "amount": "2000000.00"}, headers=key),
            409,
            "idempotency_key_reused",
        )
    assert [note["value"] for note in seed.c.get("/v1/notes").json()["items"]] == ["1000000.00"]


def test_key_of_a_running_request_tells_another_body_from_a_retry(
    seed: SeedLedger, runtime: Runtime, piece: dict[str, Any]
) -> None:
    """While a request's operation is on its way (here: recorded as another API process would, with the
    chain writer stopped), a retry of the same body hears it is in progress, and another body that the
    key is taken."""
    path = f"/v1/notes/{piece['token_id']}/transfers"
    body = {"to_participant_id": seed.c.participant_id, "amount": "1000000.00"}
    key = "running-elsewhere"
    assert runtime.writer is not None
    runtime.writer.stop()
    note = runtime.chain.contracts.note
    intent = act_as_service(runtime, "issuer", "note.transfer", note.address, note.calldata("pause"))
    with runtime.database.transaction() as session:
        session.add(
            IdempotencyRecord(
                participant_id=seed.a.participant_id,
                key=key,
                request_fingerprint=compute_fingerprint("POST", path, "", json.dumps(body).encode()),
                state="pending",
            )
        )
        insert_operations(
            session.connection(),
            [intent],
            participant_id=seed.a.participant_id,
            request_key=request_key_of(seed.a.participant_id, key),
        )
    if True:
        with unchanged(runtime):
            headers = {"Idempotency-Key": key}
            expect_error(
                seed.a.post(path, json=body, headers=headers), 409, "idempotency_request_in_progress"
            )
            expect_error(
                seed.a.post(path, json={**body, "amount": "2000000.00"}, headers=headers),
                409,
                "idempotency_key_reused",
            )


def test_failed_request_releases_its_idempotency_key(seed: SeedLedger, piece: dict[str, Any]) -> None:
    path = f"/v1/notes/{piece['token_id']}/transfers"
    key = {"Idempotency-Key": "retry-me"}
    seed.admin.post("/v1/ledger/pause")
    expect_error(
        seed.a.post(
            path, json={"to_participant_id": seed.c.participant_id, "amount": "1000000.00"}, headers=key
        ),
        423,
        "ledger_paused",
    )
    seed.admin.post("/v1/ledger/unpause")
    retried = seed.a.post(
        path, json={"to_participant_id": seed.c.participant_id, "amount": "1000000.00"}, headers=key
    )
    assert retried.status_code == 201, retried.text


def test_idempotent_issue_and_registration(seed: SeedLedger, runtime: Runtime) -> None:
    key = {"Idempotency-Key": "issue-1"}
    first = seed.admin.post("/v1/vouchers", json=_voucher_body(seed), headers=key)
    assert first.status_code == 201
    with unchanged(runtime):
        assert seed.admin.post("/v1/vouchers", json=_voucher_body(seed), headers=key).json() == first.json()
    registered = seed.admin.post(
        "/v1/participants",
        json={"name": "D", "role": "supplier", "country": "CN"},
        headers={"Idempotency-Key": "d"},
    )
    replayed = seed.admin.post(
        "/v1/participants",
        json={"name": "D", "role": "supplier", "country": "CN"},
        headers={"Idempotency-Key": "d"},
    )
    assert registered.status_code == replayed.status_code == 201
    assert replayed.json()["id"] == registered.json()["id"]


def test_a_new_participants_api_key_is_shown_once_and_kept_nowhere(
    seed: SeedLedger, runtime: Runtime
) -> None:
    """The idempotency store kept the whole answer of a keyed registration, the key in clear, and a
    replay handed the key out again. Now the key is in the first answer only, and stored nowhere."""
    body, headers = {"name": "D", "role": "supplier", "country": "CN"}, {"Idempotency-Key": "register-d"}
    first = seed.admin.post("/v1/participants", json=body, headers=headers).json()
    secret = first["api_key"]
    assert secret.startswith("csk_") and "shown in this answer only" in first["api_key_note"]
    replayed = seed.admin.post("/v1/participants", json=body, headers=headers)
    assert replayed.status_code == 201 and replayed.headers["Idempotent-Replayed"] == "true"
    assert replayed.json()["api_key"] is None and "not repeated" in replayed.json()["api_key_note"]
    assert {k: v for k, v in replayed.json().items() if not k.startswith("api_key")} == {
        k: v for k, v in first.items() if not k.startswith("api_key")
    }
    assert (
        seed.admin.client.get("/v1/participants/me", headers={"Authorization": f"Bearer {secret}"}).json()[
            "name"
        ]
        == "D"
    )
    with runtime.database.sessions() as session:
        for table in Base.metadata.sorted_tables:
            for row in session.execute(select(table)):
                assert secret not in repr(tuple(row)), f"the API key is stored in {table.name}"


@pytest.mark.parametrize(
    "name",
    [
        "",
        " ",
        "\t",
        "\u3000",  # ideographic space alone
        " Carmaker",
        "Carmaker ",
        "Car\u0000maker",
        "Car\nmaker",
        "\u202eremakraC",  # right-to-left override
        "Car\u2066maker\u2069",  # directional isolates
        "Car\u200bmaker",  # zero-width space
        "Car\u2028maker",  # line separator
        "Car\ue000maker",  # private use
        "x" * 201,
        7,
        None,
    ],
)
def test_participant_names_are_printable_text(seed: SeedLedger, runtime: Runtime, name: Any) -> None:
    with unchanged(runtime):
        response = seed.admin.post(
            "/v1/participants", json={"name": name, "role": "supplier", "country": "CN"}
        )
        expect_error(response, 422, "invalid_request")


@pytest.mark.parametrize("name", ["Müller GmbH", "上汽集团", "Société Générale (Paris)", "=1+2"])
def test_printable_names_in_any_script_are_welcome(seed: SeedLedger, name: str) -> None:
    response = seed.admin.post("/v1/participants", json={"name": name, "role": "supplier", "country": "CN"})
    assert response.status_code == 201, response.text
    assert response.json()["name"] == name


def test_invoice_references_are_printable_text(seed: SeedLedger, runtime: Runtime) -> None:
    with unchanged(runtime):
        for reference in ("", " INV-1", "INV\u0000", "\u202eINV", "x" * 101):
            body = _voucher_body(seed, invoice_references=["INV-1", reference])
            expect_error(seed.admin.post("/v1/vouchers", json=body), 422, "invalid_request")


@pytest.mark.parametrize("keyed", [True, False])
def test_json_nested_deeper_than_the_parser_goes_is_malformed(
    seed: SeedLedger, runtime: Runtime, piece: dict[str, Any], keyed: bool
) -> None:
    """With an Idempotency-Key its fingerprint recursed into a 500; without one the answer was 400
    `http_error`. Either way: 400 malformed_request, and nothing happens."""
    deep = b'{"to_participant_id": ' + b"[" * 20_000 + b"]" * 20_000 + b', "amount": "1.00"}'
    headers = {**seed.a.headers, "content-type": "application/json"}
    if keyed:
        headers["Idempotency-Key"] = "deep"
    with unchanged(runtime):
        response = seed.a.client.post(
            f"/v1/notes/{piece['token_id']}/transfers", content=deep, headers=headers
        )
        expect_error(response, 400, "malformed_request")


def test_a_programme_cut_off_lies_between_now_and_maturity(seed: SeedLedger, runtime: Runtime) -> None:
    path = f"/v1/vouchers/{seed.voucher['id']}/early-payment-programmes"
    due = date.fromisoformat(seed.voucher["due_at"][:10])
    with unchanged(runtime):
        for cutoff in (date(1970, 1, 2), datetime.now(UTC).date(), due + timedelta(days=1)):
            body = {"rate_bps": 800, "budget": "1000000.00", "cutoff_date": cutoff.isoformat()}
            response = seed.carmaker.post(path, json=body)
            error = expect_error(response, 422, "invalid_cutoff")
            assert error["details"]["cutoff_date"] == cutoff.isoformat()


def test_the_ledgers_own_checks_speak_the_apis_units(
    seed: SeedLedger, runtime: Runtime, piece: dict[str, Any]
) -> None:
    """Amounts with their currency, participants by id: never minor units or raw addresses."""
    path = f"/v1/notes/{piece['token_id']}/transfers"
    with unchanged(runtime):
        over = expect_error(
            seed.a.post(path, json={"to_participant_id": seed.c.participant_id, "amount": "40000000.00"}),
            422,
            "insufficient_value",
        )
        assert over["message"] == f"note {piece['token_id']} holds 30000000.00 CNY, less than 40000000.00 CNY"
        assert over["details"]["currency"] == "CNY" and over["details"]["needed"] == "40000000.00"
        odd = expect_error(
            seed.a.post(path, json={"to_participant_id": seed.c.participant_id, "amount": "1500000.00"}),
            422,
            "amount_not_unit_multiple",
        )
        assert "1500000.00 CNY" in odd["message"] and "1000000.00 CNY" in odd["message"]
        taken = expect_error(
            seed.admin.post(
                "/v1/participants",
                json={"name": "Copy", "role": "supplier", "country": "CN", "address": seed.a.address},
            ),
            409,
            "participant_already_exists",
        )
        assert "0x" not in repr(taken) and taken["details"] == {"participant_id": seed.a.participant_id}


def test_pausing_a_paused_ledger_and_unpausing_a_running_one_answer_alike(
    seed: SeedLedger, runtime: Runtime
) -> None:
    """One rule: asking for the state the ledger is in already is 409 (pausing twice was 423, unpausing
    a running ledger 409), and changes nothing."""
    with unchanged(runtime):
        expect_error(seed.admin.post("/v1/ledger/unpause"), 409, "ledger_not_paused")
    assert seed.admin.post("/v1/ledger/pause").json()["paused"] is True
    with unchanged(runtime):
        expect_error(seed.admin.post("/v1/ledger/pause"), 409, "ledger_already_paused")
    assert seed.admin.post("/v1/ledger/unpause").json()["paused"] is False


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"{not json", "application/json"),
        (b'{"to_participant_id": 4,', "application/json"),
        (b"\xff\xfe\x00", "application/json"),
        (b"[" * 40 + b"]" * 40, "application/json"),
        (b"[]", "application/json"),
        (b'"a string"', "application/json"),
        (b'{"to_participant_id": 4, "amount": "1.00"}', "text/plain"),
        (b"to_participant_id=4&amount=1.00", "application/x-www-form-urlencoded"),
    ],
)
def test_a_malformed_body_answers_one_code_whatever_makes_it_malformed(
    seed: SeedLedger, runtime: Runtime, piece: dict[str, Any], content: bytes, content_type: str
) -> None:
    """It was http_error or malformed_request depending on how it was malformed."""
    path = f"/v1/notes/{piece['token_id']}/transfers"
    with unchanged(runtime):
        for keyed in ({}, {"Idempotency-Key": "malformed"}):
            headers = {**seed.a.headers, "content-type": content_type, **keyed}
            expect_error(seed.a.client.post(path, content=content, headers=headers), 400, "malformed_request")
    # no body at all is a required field missing, not a malformed one
    expect_error(seed.a.client.post(path, headers=seed.a.headers), 422, "invalid_request")
