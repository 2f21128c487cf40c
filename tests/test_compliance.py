"""Compliance controls through HTTP on Anvil: each control, then a transfer refused with its code and
nothing moved; partial freezes, forced transfers, recovery, caps, rolling limits, pauses, the dry run,
who may act, and the audit trail."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from service.domain.compliance import CHECK_ERRORS, TransferCheck, decode_checks
from service.ledger.reconcile import reconcile
from service.runtime import Runtime
from tests.conftest import ApiUser, SeedLedger, issue_voucher, register, transfer
from tests.test_bad_input import expect_error
from tests.test_financing import chain_today, warp

pytestmark = pytest.mark.integration
DAY = 86_400
WHY = {"reason": "court_order", "note": "case 2026/117"}


def put(user: ApiUser, path: str, body: dict[str, Any]) -> Any:
    return user.client.put(path, json=body, headers=user.headers)


def act(user: ApiUser, path: str, body: dict[str, Any] | None = None, status: int = 200) -> dict[str, Any]:
    response = user.post(path, json=WHY if body is None else body)
    assert response.status_code == status, response.text
    result: dict[str, Any] = response.json()
    return result


def lineage(seed: SeedLedger, voucher_id: int | None = None) -> dict[int, tuple[Any, ...]]:
    """Every piece of the voucher as the obligor sees it: holder, value, parent."""
    voucher_id = voucher_id or seed.voucher["id"]
    response = seed.admin.get(f"/v1/vouchers/{voucher_id}/lineage", params={"limit": 200})
    assert response.status_code == 200, response.text
    return {
        piece["token_id"]: (piece["holder"]["participant_id"], piece["value"], piece["parent_token_id"])
        for piece in response.json()["pieces"]
    }


def refused_transfer(
    seed: SeedLedger, sender: ApiUser, token_id: int, recipient: ApiUser, amount: str, status: int, code: str
) -> dict[str, Any]:
    """The transfer is refused with `code`, and no piece of the voucher changed."""
    before = lineage(seed)
    body = {"to_participant_id": recipient.participant_id, "amount": amount}
    error = expect_error(sender.post(f"/v1/notes/{token_id}/transfers", json=body), status, code)
    assert lineage(seed) == before
    return error


def check(user: ApiUser, token_id: int, recipient_id: int, amount: str, **extra: Any) -> dict[str, Any]:
    body = {"to_participant_id": recipient_id, "amount": amount, **extra}
    response = user.post(f"/v1/notes/{token_id}/transfers:check", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def codes(answer: dict[str, Any]) -> list[str]:
    return [reason["code"] for reason in answer["reasons"]]


def test_every_check_bit_reads_as_an_api_code() -> None:
    assert set(CHECK_ERRORS) == set(TransferCheck)
    assert decode_checks((1 << 3) | (1 << 11) | (1 << 5)) == [
        TransferCheck.SENDER_FROZEN,
        TransferCheck.RECIPIENT_KYC_EXPIRED,
        TransferCheck.CAP_EXCEEDED,
    ]
    with pytest.raises(ValueError):
        decode_checks(1 << 40)


def test_freezing_a_participant_stops_it_sending_and_receiving(seed: SeedLedger) -> None:
    root = seed.voucher["root_token_id"]
    frozen = act(seed.compliance, f"/v1/participants/{seed.a.participant_id}/freeze")
    assert frozen["frozen"] is True and frozen["reason"] == "court_order"
    assert seed.a.get("/v1/participants/me").json()["frozen"] is True
    error = refused_transfer(seed, seed.t1, root, seed.a, "1000000.00", 423, "participant_frozen")
    assert f"participant {seed.a.participant_id}" in error["message"] and "0x" not in error["message"]
    act(seed.compliance, f"/v1/participants/{seed.t1.participant_id}/freeze")
    refused_transfer(seed, seed.t1, root, seed.b, "1000000.00", 423, "participant_frozen")

    act(seed.compliance, f"/v1/participants/{seed.a.participant_id}/unfreeze")
    act(seed.compliance, f"/v1/participants/{seed.t1.participant_id}/unfreeze")
    assert seed.a.get("/v1/participants/me").json()["frozen"] is False
    transfer(seed.t1, root, seed.a, "1000000.00")


def test_freezing_a_piece_and_part_of_its_value(seed: SeedLedger) -> None:
    root = seed.voucher["root_token_id"]
    piece = act(seed.compliance, f"/v1/notes/{root}/freeze")
    assert piece["frozen"] is True and piece["movable_value"] == "0.00"
    refused_transfer(seed, seed.t1, root, seed.a, "1000000.00", 423, "note_frozen")
    act(seed.compliance, f"/v1/notes/{root}/unfreeze")

    # 70M of T1's 100M frozen: 30M moves, one unit more does not
    change = {"amount": "70000000.00", "action": "freeze", **WHY}
    piece = act(seed.compliance, f"/v1/notes/{root}/frozen-value", change)
    assert (piece["frozen_value"], piece["movable_value"]) == ("70000000.00", "30000000.00")
    moved = transfer(seed.t1, root, seed.a, "30000000.00")
    assert moved["remaining"] == "70000000.00"
    refused_transfer(seed, seed.t1, root, seed.a, "1000000.00", 423, "value_frozen")
    # bad changes are refused before anything is sent
    too_much = {"amount": "80000000.00", "action": "unfreeze", **WHY}
    expect_error(
        seed.compliance.post(f"/v1/notes/{root}/frozen-value", json=too_much), 422, "insufficient_value"
    )
    odd = {"amount": "1500000.00", "action": "unfreeze", **WHY}
    expect_error(
        seed.compliance.post(f"/v1/notes/{root}/frozen-value", json=odd), 422, "amount_not_unit_multiple"
    )
    change = {"amount": "20000000.00", "action": "unfreeze", **WHY}
    assert act(seed.compliance, f"/v1/notes/{root}/frozen-value", change)["movable_value"] == "20000000.00"
    transfer(seed.t1, root, seed.b, "20000000.00")


def test_forced_transfer_conserves_value_and_keeps_lineage(seed: SeedLedger, runtime: Runtime) -> None:
    root = seed.voucher["root_token_id"]
    to_a = transfer(seed.t1, root, seed.a, "30000000.00")
    piece = to_a["token_id"]
    # a frozen holder, a frozen piece and frozen value do not stop a forced transfer
    act(seed.compliance, f"/v1/participants/{seed.a.participant_id}/freeze")
    act(
        seed.compliance,
        f"/v1/notes/{piece}/frozen-value",
        {"amount": "25000000.00", "action": "freeze", **WHY},
    )
    act(seed.compliance, f"/v1/notes/{piece}/freeze")
    body = {"to_participant_id": seed.b.participant_id, "amount": "10000000.00", **WHY}
    forced = act(seed.compliance, f"/v1/notes/{piece}/forced-transfers", body, 201)
    assert forced["from_token_id"] == piece and forced["to_participant_id"] == seed.b.participant_id
    assert (forced["amount"], forced["remaining"], forced["released_frozen_value"]) == (
        "10000000.00",
        "20000000.00",
        "5000000.00",
    )
    pieces = lineage(seed)
    assert pieces[forced["token_id"]] == (seed.b.participant_id, "10000000.00", piece)
    assert pieces[piece] == (seed.a.participant_id, "20000000.00", root)
    assert sum(int(value.replace(".", "")) for _holder, value, _parent in pieces.values()) == 10_000_000_000
    assert seed.b.get(f"/v1/notes/{forced['token_id']}").json()["depth"] == 2
    report = reconcile(runtime)
    assert report.clean, report.differences

    # a forced transfer still needs an eligible recipient and value that exists
    over = {**body, "amount": "30000000.00"}
    expect_error(
        seed.compliance.post(f"/v1/notes/{piece}/forced-transfers", json=over), 422, "insufficient_value"
    )
    to_staff = {**body, "to_participant_id": seed.admin.participant_id}
    expect_error(
        seed.compliance.post(f"/v1/notes/{piece}/forced-transfers", json=to_staff),
        422,
        "participant_not_verified",
    )


@pytest.mark.parametrize(
    "database_url", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
def test_recovery_moves_every_piece_to_the_new_wallet(seed: SeedLedger, runtime: Runtime) -> None:
    root = seed.voucher["root_token_id"]
    limit = {"limit": "50000000.00", "window_seconds": DAY, **WHY}
    assert (
        put(
            seed.compliance, f"/v1/participants/{seed.t1.participant_id}/transfer-limits/CNY", limit
        ).status_code
        == 200
    )
    kept = transfer(seed.t1, root, seed.a, "30000000.00")  # T1 keeps its root; A gets a piece
    second = issue_voucher(seed.admin, seed.carmaker, seed.t1)
    transfer(seed.t1, second["root_token_id"], seed.b, "5000000.00")
    before = lineage(seed), lineage(seed, second["id"])
    t1_new = register(seed.admin, "T1 new wallet", "supplier")

    # refused: a participant of another role, one holding pieces already
    body = {"new_participant_id": seed.bank.participant_id, **WHY}
    path = f"/v1/participants/{seed.t1.participant_id}/recovery"
    expect_error(seed.compliance.post(path, json=body), 422, "invalid_request")
    expect_error(
        seed.compliance.post(path, json={**body, "new_participant_id": seed.a.participant_id}),
        409,
        "wallet_in_use",
    )

    recovered = act(seed.compliance, path, {**body, "new_participant_id": t1_new.participant_id}, 201)
    assert {piece["token_id"] for piece in recovered["pieces"]} == {root, second["root_token_id"]}
    assert recovered["lost_wallet_frozen"] is True and recovered["new_wallet_frozen"] is False
    holdings = {note["token_id"]: note["value"] for note in t1_new.get("/v1/notes").json()["items"]}
    assert holdings == {root: "70000000.00", second["root_token_id"]: "95000000.00"}
    assert seed.t1.get("/v1/notes").json()["items"] == []
    # ids, values and lineage unchanged: only the holder of T1's pieces changed
    for old, new in zip(before, (lineage(seed), lineage(seed, second["id"])), strict=True):
        assert {token: (value, parent) for token, (_h, value, parent) in old.items()} == {
            token: (value, parent) for token, (_h, value, parent) in new.items()
        }
    assert lineage(seed)[kept["token_id"]][0] == seed.a.participant_id
    # the limit moved with the pieces; the lost wallet is frozen
    moved = seed.compliance.get(f"/v1/participants/{t1_new.participant_id}/transfer-limits/CNY").json()
    assert moved["limit"] == "50000000.00" and moved["sent_in_window"] == "35000000.00"
    assert seed.t1.get("/v1/participants/me").json()["frozen"] is True
    transfer(t1_new, root, seed.c, "1000000.00")
    report = reconcile(runtime)
    assert report.clean, report.differences


def test_a_usd_voucher_capped_at_500000_refuses_600000(seed: SeedLedger) -> None:
    usd = issue_voucher(
        seed.admin, seed.carmaker, seed.t1, currency="USD", face_value="2000000.00", minimum_unit="100000.00"
    )
    root = usd["root_token_id"]
    cap = put(seed.compliance, f"/v1/vouchers/{usd['id']}/transfer-cap", {"amount": "500000.00", **WHY})
    assert cap.status_code == 200, cap.text
    assert cap.json()["transfer_cap"] == "500000.00" and cap.json()["currency"] == "USD"
    assert seed.t1.get(f"/v1/vouchers/{usd['id']}/transfer-cap").json()["transfer_cap"] == "500000.00"
    before = lineage(seed, usd["id"])
    body = {"to_participant_id": seed.a.participant_id, "amount": "600000.00"}
    error = expect_error(seed.t1.post(f"/v1/notes/{root}/transfers", json=body), 422, "transfer_cap_exceeded")
    assert "600000.00 USD" in error["message"] and "500000.00 USD" in error["message"]
    assert lineage(seed, usd["id"]) == before
    transfer(seed.t1, root, seed.a, "500000.00")
    # removed: the same transfer passes
    assert (
        put(seed.compliance, f"/v1/vouchers/{usd['id']}/transfer-cap", {"amount": None, **WHY}).json()[
            "transfer_cap"
        ]
        is None
    )
    transfer(seed.t1, root, seed.a, "600000.00")


def test_rolling_limit_is_counted_on_chain(seed: SeedLedger, runtime: Runtime) -> None:
    root = seed.voucher["root_token_id"]
    path = f"/v1/participants/{seed.t1.participant_id}/transfer-limits/CNY"
    limit = put(seed.compliance, path, {"limit": "25000000.00", "window_seconds": DAY, **WHY})
    assert limit.status_code == 200, limit.text
    transfer(seed.t1, root, seed.a, "20000000.00")
    mine = seed.t1.get(path).json()
    assert (mine["limit"], mine["sent_in_window"], mine["available"]) == (
        "25000000.00",
        "20000000.00",
        "5000000.00",
    )
    refused_transfer(seed, seed.t1, root, seed.b, "10000000.00", 409, "rolling_limit_exceeded")
    assert codes(check(seed.t1, root, seed.b.participant_id, "10000000.00")) == ["rolling_limit_exceeded"]
    transfer(seed.t1, root, seed.b, "5000000.00")
    # the window moves on (counted in quarter-window buckets: a quarter more at most): it allows again
    warp(runtime, DAY + DAY // 4 + 1)
    transfer(seed.t1, root, seed.b, "10000000.00")
    # others' limits are not theirs to read; bad limits are refused
    expect_error(seed.a.get(path), 403, "forbidden")
    short = put(seed.compliance, path, {"limit": "1.00", "window_seconds": 60, **WHY})
    expect_error(short, 422, "invalid_request")
    half = put(seed.compliance, path, {"limit": "1.00", **WHY})
    expect_error(half, 422, "invalid_request")
    removed = put(seed.compliance, path, {"limit": None, **WHY})
    assert removed.json()["limit"] is None


def test_voucher_and_ledger_pauses(seed: SeedLedger) -> None:
    root, voucher_id = seed.voucher["root_token_id"], seed.voucher["id"]
    paused = act(seed.admin, f"/v1/vouchers/{voucher_id}/pause", {"reason": "dispute"})
    assert paused["paused"] is True
    assert seed.t1.get(f"/v1/vouchers/{voucher_id}").json()["paused"] is True
    refused_transfer(seed, seed.t1, root, seed.a, "1000000.00", 423, "voucher_paused")
    expect_error(seed.compliance.post(f"/v1/vouchers/{voucher_id}/pause"), 409, "voucher_already_paused")
    act(seed.compliance, f"/v1/vouchers/{voucher_id}/unpause", {})
    expect_error(seed.admin.post(f"/v1/vouchers/{voucher_id}/unpause"), 409, "voucher_not_paused")
    transfer(seed.t1, root, seed.a, "1000000.00")

    assert act(seed.compliance, "/v1/ledger/pause", {"reason": "regulator_request"})["paused"] is True
    refused_transfer(seed, seed.t1, root, seed.a, "1000000.00", 423, "ledger_paused")
    assert codes(check(seed.t1, root, seed.a.participant_id, "1000000.00")) == ["ledger_paused"]
    act(seed.admin, "/v1/ledger/unpause", {})
    transfer(seed.t1, root, seed.a, "1000000.00")


def test_dry_run_lists_every_reason_at_once(seed: SeedLedger, runtime: Runtime) -> None:
    root, voucher_id = seed.voucher["root_token_id"], seed.voucher["id"]
    soon = (chain_today(runtime) + timedelta(days=5)).date().isoformat()
    dora = register(seed.admin, "Dora", "supplier", kyc_expires_on=soon)
    assert check(seed.t1, root, dora.participant_id, "1000000.00") == {"would_pass": True, "reasons": []}

    put(seed.compliance, f"/v1/vouchers/{voucher_id}/transfer-cap", {"amount": "5000000.00", **WHY})
    act(seed.compliance, f"/v1/participants/{seed.t1.participant_id}/freeze")
    warp(runtime, 6 * DAY)
    answer = check(seed.t1, root, dora.participant_id, "6000000.00")
    assert answer["would_pass"] is False
    assert codes(answer) == ["participant_frozen", "kyc_expired", "transfer_cap_exceeded"]
    assert [reason["check"] for reason in answer["reasons"]] == [
        "SENDER_FROZEN",
        "RECIPIENT_KYC_EXPIRED",
        "CAP_EXCEEDED",
    ]
    messages = " ".join(reason["message"] for reason in answer["reasons"])
    assert "6000000.00 CNY" in messages and "5000000.00 CNY" in messages and "0x" not in messages
    assert soon not in messages  # the recipient's KYC date is its own
    assert soon in " ".join(
        r["message"] for r in check(seed.compliance, root, dora.participant_id, "6000000.00")["reasons"]
    )

    # the service's own checks come with the chain's: an unknown recipient, a bad unit, too much value
    answer = check(seed.t1, root, 9_999, "100000001.00")
    assert codes(answer) == [
        "participant_not_found",
        "participant_frozen",
        "insufficient_value",
        "amount_not_unit_multiple",
        "transfer_cap_exceeded",
    ]
    assert codes(check(seed.t1, root, seed.t1.participant_id, "1000000.00"))[0] == "self_transfer"
    # a real transfer is refused with one of them (the chain tells eligibility first)
    refused_transfer(seed, seed.t1, root, dora, "6000000.00", 422, "kyc_expired")
    # bad input is still bad input
    bad = seed.t1.post(f"/v1/notes/{root}/transfers:check", json={"to_participant_id": 5, "amount": "1e6"})
    expect_error(bad, 422, "invalid_amount")


def test_only_the_compliance_agent_acts(seed: SeedLedger) -> None:
    root, voucher_id = seed.voucher["root_token_id"], seed.voucher["id"]
    t1, a = seed.t1.participant_id, seed.a.participant_id
    controls = [
        (f"/v1/participants/{a}/freeze", WHY),
        (f"/v1/participants/{a}/unfreeze", WHY),
        (f"/v1/notes/{root}/freeze", WHY),
        (f"/v1/notes/{root}/unfreeze", WHY),
        (f"/v1/notes/{root}/frozen-value", {"amount": "1000000.00", "action": "freeze", **WHY}),
        (f"/v1/notes/{root}/forced-transfers", {"to_participant_id": a, "amount": "1000000.00", **WHY}),
        (f"/v1/participants/{t1}/recovery", {"new_participant_id": a, **WHY}),
    ]
    before = lineage(seed)
    for user in (seed.admin, seed.t1, seed.carmaker, seed.bank):
        for path, body in controls:
            expect_error(user.post(path, json=body), 403, "forbidden")
        cap = put(user, f"/v1/vouchers/{voucher_id}/transfer-cap", {"amount": "1.00", **WHY})
        expect_error(cap, 403, "forbidden")
        limit = put(
            user, f"/v1/participants/{a}/transfer-limits/CNY", {"limit": "1.00", "window_seconds": DAY, **WHY}
        )
        expect_error(limit, 403, "forbidden")
    for user in (seed.t1, seed.carmaker, seed.bank):
        expect_error(user.post(f"/v1/vouchers/{voucher_id}/pause"), 403, "forbidden")
        expect_error(user.post("/v1/ledger/pause"), 403, "forbidden")
        expect_error(user.get("/v1/compliance/actions"), 403, "forbidden")
    # a missing reason is refused; an unknown piece or participant is a 404
    expect_error(seed.compliance.post(f"/v1/participants/{a}/freeze", json={}), 422, "invalid_request")
    expect_error(seed.compliance.post("/v1/notes/999/freeze", json=WHY), 404, "note_not_found")
    expect_error(seed.compliance.post("/v1/participants/999/freeze", json=WHY), 404, "participant_not_found")
    # the dry run is the holder's: a piece the caller never saw is a 404, one it sees a 403
    expect_error(
        seed.c.post(f"/v1/notes/{root}/transfers:check", json={"to_participant_id": a, "amount": "1.00"}),
        404,
        "note_not_found",
    )
    assert lineage(seed) == before
    transfer(seed.t1, root, seed.a, "1000000.00")
    expect_error(
        seed.a.post(f"/v1/notes/{root}/transfers:check", json={"to_participant_id": a, "amount": "1.00"}),
        403,
        "not_holder",
    )


@pytest.mark.parametrize(
    "database_url", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
def test_compliance_actions_are_listed(seed: SeedLedger) -> None:
    root, voucher_id = seed.voucher["root_token_id"], seed.voucher["id"]
    a = seed.a.participant_id
    act(seed.compliance, f"/v1/participants/{a}/freeze")
    act(
        seed.compliance, f"/v1/notes/{root}/frozen-value", {"amount": "2000000.00", "action": "freeze", **WHY}
    )
    put(
        seed.compliance,
        f"/v1/vouchers/{voucher_id}/transfer-cap",
        {"amount": "9000000.00", "reason": "policy"},
    )
    put(
        seed.compliance,
        f"/v1/participants/{a}/transfer-limits/CNY",
        {"limit": "3000000.00", "window_seconds": DAY, **WHY},
    )
    act(seed.admin, f"/v1/vouchers/{voucher_id}/pause", {"reason": "dispute"})
    act(seed.admin, "/v1/ledger/pause")
    act(seed.admin, "/v1/ledger/unpause")

    everything = seed.admin.get("/v1/compliance/actions").json()
    kinds = [action["kind"] for action in everything["items"]]
    assert kinds == [
        "participant_freeze",
        "value_freeze",
        "transfer_cap",
        "transfer_limit",
        "voucher_pause",
        "ledger_pause",
        "ledger_unpause",
    ]
    freeze, value, cap, limit, pause, *_ = everything["items"]
    assert freeze["participant"]["participant_id"] == a and freeze["reason"] == "court_order"
    assert (
        freeze["note"] == "case 2026/117"
        and freeze["requested_by_participant_id"] == seed.compliance.participant_id
    )
    assert value["details"] == {"amount": "2000000.00", "frozen_value": "2000000.00", "currency": "CNY"}
    assert cap["details"] == {"transfer_cap": "9000000.00", "currency": "CNY"} and cap["reason"] == "policy"
    assert limit["details"] == {"currency": "CNY", "limit": "3000000.00", "window_seconds": DAY}
    assert pause["reason"] == "dispute" and pause["requested_by_participant_id"] == seed.admin.participant_id
    assert all(
        action["transaction_hash"].startswith("0x") and action["block_number"]
        for action in everything["items"]
    )

    by_participant = seed.compliance.get("/v1/compliance/actions", params={"participant_id": a}).json()
    assert [action["kind"] for action in by_participant["items"]] == ["participant_freeze", "transfer_limit"]
    by_voucher = seed.compliance.get("/v1/compliance/actions", params={"voucher_id": voucher_id}).json()
    assert [action["kind"] for action in by_voucher["items"]] == [
        "value_freeze",
        "transfer_cap",
        "voucher_pause",
    ]
    by_kind = seed.compliance.get("/v1/compliance/actions", params={"kind": "ledger_pause"}).json()
    assert len(by_kind["items"]) == 1
    first = seed.compliance.get("/v1/compliance/actions", params={"limit": 3}).json()
    rest = seed.compliance.get(
        "/v1/compliance/actions", params={"limit": 200, "cursor": first["next_cursor"]}
    ).json()
    assert [a["id"] for a in first["items"] + rest["items"]] == [a["id"] for a in everything["items"]]


def cli_for(user: ApiUser) -> Any:
    """The `cascade compliance` commands, talking to the test app with `user`'s key as the CLI's
    `_request` does to a running service."""
    import typer
    from typer.testing import CliRunner

    from service.compliance.cli import build_compliance_app

    def request(
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
        params: dict[str, str] | None = None,
    ) -> Any:
        headers = {**user.headers, **({"Idempotency-Key": idempotency_key} if idempotency_key else {})}
        response = user.client.request(method, path, json=body, headers=headers, params=params)
        if response.status_code >= 400:
            typer.echo(f"{response.status_code} {response.text}", err=True)
            raise typer.Exit(1)
        return response

    app, runner = build_compliance_app(request), CliRunner()

    def run(*args: str) -> Any:
        return runner.invoke(app, list(args))

    return run


def test_the_cli_applies_checks_and_lists_controls(seed: SeedLedger) -> None:
    import json

    agent, holder = cli_for(seed.compliance), cli_for(seed.t1)
    root, a = seed.voucher["root_token_id"], seed.a.participant_id
    done = agent("freeze", "--participant", str(a), "--reason", "sanctions", "--note", "list 7")
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["frozen"] is True
    dry = holder("check", "--token", str(root), "--to", str(a), "--amount", "1000000.00")
    assert dry.exit_code == 3 and [r["code"] for r in json.loads(dry.stdout)["reasons"]] == [
        "participant_frozen"
    ]
    part = agent("freeze", "--token", str(root), "--amount", "2000000.00", "--reason", "court_order")
    assert json.loads(part.stdout)["frozen_value"] == "2000000.00"
    capped = agent(
        "cap", "--voucher", str(seed.voucher["id"]), "--amount", "9000000.00", "--reason", "policy"
    )
    assert json.loads(capped.stdout)["transfer_cap"] == "9000000.00"
    limited = agent(
        "limit",
        "--participant",
        str(a),
        "--currency",
        "CNY",
        "--amount",
        "1.00",
        "--window-seconds",
        "3600",
        "--reason",
        "policy",
    )
    assert json.loads(limited.stdout)["limit"] == "1.00"
    assert agent("pause", "--voucher", str(seed.voucher["id"]), "--reason", "dispute").exit_code == 0
    assert agent("unpause", "--voucher", str(seed.voucher["id"])).exit_code == 0
    assert agent("unfreeze", "--participant", str(a), "--reason", "sanctions").exit_code == 0
    moved = agent(
        "forced-transfer",
        "--token",
        str(root),
        "--to",
        str(a),
        "--amount",
        "1000000.00",
        "--reason",
        "court_order",
    )
    assert json.loads(moved.stdout)["amount"] == "1000000.00"
    listed = agent("actions", "--limit", "2")
    kinds = [action["kind"] for action in json.loads(listed.stdout)]
    assert kinds == [
        "participant_freeze",
        "value_freeze",
        "transfer_cap",
        "transfer_limit",
        "voucher_pause",
        "voucher_unpause",
        "participant_unfreeze",
        "forced_transfer",
    ]
    # refused by the service: the CLI says why and exits 1
    refused = holder("freeze", "--participant", str(a), "--reason", "sanctions")
    assert refused.exit_code == 1 and "forbidden" in refused.output
    assert agent("freeze", "--reason", "sanctions").exit_code != 0  # neither a participant nor a piece


def test_a_reorganisation_replays_the_state_from_the_actions_kept(seed: SeedLedger, runtime: Runtime) -> None:
    """The projection forgets what the lost blocks did and replays the rest (no chain read)."""
    from sqlalchemy import select

    from service.compliance.projection import ComplianceProjection
    from service.db.models import Note, Participant, TransferLimit

    root, a = seed.voucher["root_token_id"], seed.a.participant_id
    frozen = act(seed.compliance, f"/v1/participants/{a}/freeze")
    change = {"amount": "3000000.00", "action": "freeze", **WHY}
    valued = act(seed.compliance, f"/v1/notes/{root}/frozen-value", change)
    path = f"/v1/participants/{a}/transfer-limits/CNY"
    put(seed.compliance, path, {"limit": "3000000.00", "window_seconds": DAY, **WHY})
    act(seed.compliance, f"/v1/participants/{a}/unfreeze")
    unfrozen_block = seed.compliance.get("/v1/compliance/actions").json()["items"][-1]["block_number"]

    def state() -> tuple[bool, int, list[str]]:
        with runtime.database.sessions() as session:
            return (
                bool(session.scalar(select(Participant.frozen).where(Participant.id == a))),
                int(session.scalar(select(Note.frozen_value_minor).where(Note.token_id == root)) or 0),
                list(session.scalars(select(TransferLimit.currency))),
            )

    assert state() == (False, 300_000_000, ["CNY"])
    projection = ComplianceProjection()
    with runtime.database.connection_transaction() as connection:
        projection.roll_back(connection, unfrozen_block - 1)
    assert state() == (True, 300_000_000, ["CNY"])
    with runtime.database.connection_transaction() as connection:
        projection.roll_back(connection, valued["block_number"] - 1)
    assert state() == (True, 0, [])
    with runtime.database.connection_transaction() as connection:
        projection.roll_back(connection, frozen["block_number"] - 1)
    assert state() == (False, 0, [])
    assert seed.compliance.get("/v1/compliance/actions").json()["items"] == []
