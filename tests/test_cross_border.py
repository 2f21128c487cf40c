"""Model 3, cross-border supply-chain finance, through HTTP on Anvil: a USD voucher settled in e-CNY at
the oracle's rate, a per-transfer cap, financing gated by logistics milestones, and the regulator's
monitoring export."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import subprocess
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from service.domain.fx import FxRate, Rounding, compute_settlement_minor, is_rate_stale, parse_rate
from service.errors import InvalidRate
from service.participants.service import create_admin
from service.runtime import Runtime
from service.settings import PROJECT_ROOT
from tests.conftest import ApiUser, free_port, issue_voucher, register, run_payouts, transfer
from tests.test_bad_input import expect_error, unchanged
from tests.test_financing import chain_today, credit, publish_terms, warp
from tests.test_service_process import _cli, _Server

pytestmark = pytest.mark.integration
DAY = 86_400
FEED_DECIMALS = 8
PAIR = "/v1/fx/rates/USD/CNY"


def minor(amount: str) -> int:
    return int(Decimal(amount) * 100)


def set_rate(oracle: ApiUser, rate: str) -> dict[str, Any]:
    response = oracle.post(PAIR, json={"rate": rate})
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def fx_of(submitted: dict[str, Any]) -> FxRate:
    answer = int(Decimal(submitted["rate"]).scaleb(FEED_DECIMALS))
    as_of = datetime.fromisoformat(submitted["updated_at"])
    return FxRate(answer, FEED_DECIMALS, int(submitted["round_id"]), as_of)


def usd_cny(user: ApiUser) -> dict[str, Any]:
    [rate] = [item for item in user.get("/v1/fx/rates").json()["items"] if item["base"] == "USD"]
    return rate


def all_pages(user: ApiUser, path: str, limit: int = 2) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        page = user.get(path, params=params)
        assert page.status_code == 200, page.text
        items += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return items


def all_csv_rows(user: ApiUser, path: str, limit: int = 2) -> list[dict[str, str]]:
    """Every page of the CSV export, asked for by `Accept: text/csv`, following `Next-Cursor`."""
    rows: list[dict[str, str]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        page = user.client.get(path, params=params, headers={**user.headers, "Accept": "text/csv"})
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/csv"), page.text
        rows += list(csv.DictReader(io.StringIO(page.text)))
        cursor = page.headers.get("Next-Cursor")
        if cursor is None:
            return rows


@pytest.mark.parametrize(
    "database_url", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
def test_model3_usd_voucher_settled_in_cny_at_the_oracles_rate(admin: ApiUser, runtime: Runtime) -> None:
    oracle = register(admin, "Oracle", "oracle")
    compliance = register(admin, "Compliance", "compliance_agent")
    platform = register(admin, "Cross-border platform", "obligor", country="CN")
    supplier = register(admin, "Overseas supplier", "supplier", country="US")
    sg_sub = register(admin, "SG sub-supplier", "supplier", country="SG")
    # a name a spreadsheet would run as a formula: the CSV export must neutralise it
    cn_sub = register(admin, "=HYPERLINK(1)", "supplier", country="CN")
    bank = register(admin, "Onshore bank", "financier", country="CN")

    # the oracle answers the USD/CNY feed; nothing else may, and no rate that is not a positive decimal
    with unchanged(runtime):
        for bad, status, code in (
            ("0", 422, "invalid_rate"),
            ("0.00000000", 422, "invalid_rate"),
            ("7.123456789", 422, "invalid_rate"),
            ("-7.1", 422, "invalid_request"),
            ("7,12", 422, "invalid_request"),
        ):
            expect_error(oracle.post(PAIR, json={"rate": bad}), status, code)
        expect_error(oracle.post(PAIR, json={"rate": 7.1}), 422, "invalid_request")
        expect_error(admin.post(PAIR, json={"rate": "7.1"}), 403, "forbidden")
        expect_error(oracle.post("/v1/fx/rates/USD/EUR", json={"rate": "0.9"}), 404, "fx_pair_not_found")
    assert usd_cny(admin)["rate"] is None and usd_cny(admin)["usable"] is False
    first = set_rate(oracle, "7.12345678")
    assert first["round_id"] == "1" and first["rate"] == "7.12345678"
    rate = usd_cny(supplier)
    assert (rate["rate"], rate["round_id"], rate["stale"], rate["usable"]) == ("7.12345678", "1", False, True)
    assert rate["updated_at"] == first["updated_at"] and rate["max_age_seconds"] == DAY and rate["own_feed"]

    # the platform's USD 20,000,000.00 voucher to its overseas supplier, settled in CNY, capped per transfer
    due = (chain_today(runtime) + timedelta(days=181)).date().isoformat()
    voucher = issue_voucher(
        admin,
        platform,
        supplier,
        currency="USD",
        settlement_currency="CNY",
        face_value="20000000.00",
        minimum_unit="100000.00",
        transfer_cap="500000.00",
        due_date=due,
    )
    assert (voucher["cross_border"], voucher["transfer_cap"]) == (True, "500000.00")
    root = voucher["root_token_id"]
    to_sg = transfer(supplier, root, sg_sub, "500000.00")
    to_cn = transfer(supplier, root, cn_sub, "300000.00")
    with unchanged(runtime):
        expect_error(
            supplier.post(
                f"/v1/notes/{root}/transfers",
                json={"to_participant_id": cn_sub.participant_id, "amount": "600000.00"},
            ),
            422,
            "transfer_cap_exceeded",
        )

    # a piece's value in CNY at the latest rate, rounded down as a payout pays
    piece = sg_sub.get(f"/v1/notes/{to_sg['token_id']}").json()
    value = piece["settlement_value"]
    expected = compute_settlement_minor(minor("500000.00"), fx_of(first), Rounding.FLOOR)
    assert (minor(value["amount"]), value["currency"], value["rounding"]) == (expected, "CNY", "floor")
    assert (value["rate"], value["round_id"], value["as_of"]) == ("7.12345678", "1", first["updated_at"])
    assert piece["settlement_value_unavailable"] is None

    # financing needs the goods shipped: refused before, executed once the oracle attests it
    credit(admin, bank, "10000000.00")
    shipped_terms = publish_terms(
        bank,
        600,
        currency="USD",
        min_amount="100000.00",
        max_amount="500000.00",
        budget="5000000.00",
        required_milestone="shipped",
        max_financed_share_bps=8_000,
    )
    ask = {"terms_id": shipped_terms["id"], "amount": "500000.00"}
    quote = sg_sub.post(f"/v1/notes/{to_sg['token_id']}/financing-quotes", json=ask).json()
    assert quote["required_milestone"] == "shipped", quote
    with unchanged(runtime):
        expect_error(
            sg_sub.post(f"/v1/financing-quotes/{quote['id']}/execution"), 409, "milestone_not_reached"
        )
        evidence = {"milestone": "shipped", "evidence": "B/L MAEU-2026-0001"}
        expect_error(admin.post(f"/v1/vouchers/{voucher['id']}/milestones", json=evidence), 403, "forbidden")
        both = {**evidence, "evidence_hash": "0x" + "11" * 32}
        expect_error(
            oracle.post(f"/v1/vouchers/{voucher['id']}/milestones", json=both), 422, "invalid_request"
        )
    attested = oracle.post(f"/v1/vouchers/{voucher['id']}/milestones", json=evidence)
    assert attested.status_code == 201, attested.text
    assert attested.json()["evidence_hash"] == "0x" + hashlib.sha256(b"B/L MAEU-2026-0001").hexdigest()
    with unchanged(runtime):  # milestones only move forward
        again = {"milestone": "shipped", "evidence_hash": "0x" + "22" * 32}
        expect_error(oracle.post(f"/v1/vouchers/{voucher['id']}/milestones", json=again), 409, "conflict")
    milestones = supplier.get(f"/v1/vouchers/{voucher['id']}/milestones").json()
    assert milestones["milestone"] == "shipped" and [m["milestone"] for m in milestones["items"]] == [
        "shipped"
    ]
    executed = sg_sub.post(f"/v1/financing-quotes/{quote['id']}/execution")
    assert executed.status_code == 201, executed.text
    trade = executed.json()
    financing_cash = compute_settlement_minor(minor(quote["price"]), fx_of(first), Rounding.CEIL)
    assert (minor(trade["cash_received"]), trade["cash_currency"]) == (financing_cash, "CNY")
    assert (trade["fx"]["rate"], trade["fx"]["round_id"], trade["fx"]["as_of"]) == (
        "7.12345678",
        "1",
        first["updated_at"],
    )

    # before delivery a quote may not take the voucher's financed value past its share of the face value
    capped_terms = publish_terms(
        bank,
        600,
        currency="USD",
        min_amount="100000.00",
        max_amount="500000.00",
        budget="5000000.00",
        max_financed_share_bps=300,  # 3% of 20M: 600,000.00, 500,000.00 of it financed already
    )
    ask = {"terms_id": capped_terms["id"], "amount": "300000.00"}
    capped = cn_sub.post(f"/v1/notes/{to_cn['token_id']}/financing-quotes", json=ask).json()
    with unchanged(runtime):
        body = expect_error(
            cn_sub.post(f"/v1/financing-quotes/{capped['id']}/execution"), 409, "financed_share_exceeded"
        )
        assert "600000.00" in body["message"]

    # the platform funds the settlement in CNY at today's rate, enough for the whole outstanding value
    credit(admin, platform, "150000000.00")
    funding = compute_settlement_minor(minor("20000000.00"), fx_of(first), Rounding.CEIL)
    funded = platform.post(
        f"/v1/vouchers/{voucher['id']}/settlement/fundings", json={"amount": f"{Decimal(funding) / 100:.2f}"}
    )
    assert funded.status_code == 201, funded.text

    # at maturity the rate is older than its maximum age: nothing converts at it until the oracle answers
    warp(runtime, 182 * DAY)
    assert usd_cny(admin)["stale"] is True and usd_cny(admin)["usable"] is False
    stale_piece = cn_sub.get(f"/v1/notes/{to_cn['token_id']}").json()
    assert stale_piece["settlement_value"] is None
    assert stale_piece["settlement_value_unavailable"] == "fx_rate_stale"
    with unchanged(runtime):
        expect_error(cn_sub.post(f"/v1/notes/{to_cn['token_id']}/settlement-claims"), 503, "fx_rate_stale")
    second = set_rate(oracle, "7.10000000")
    assert second["round_id"] == "2"
    history = all_pages(admin, f"{PAIR}/history", limit=1)
    assert [(item["round_id"], item["rate"]) for item in history] == [
        ("2", "7.10000000"),
        ("1", "7.12345678"),
    ]

    # settlement in CNY at the feed's new rate, rounded down; rate, round and time recorded as the feed's
    claimed = cn_sub.post(f"/v1/notes/{to_cn['token_id']}/settlement-claims")
    assert claimed.status_code == 201, claimed.text
    claim = claimed.json()
    claim_cash = compute_settlement_minor(minor("300000.00"), fx_of(second), Rounding.FLOOR)
    assert (minor(claim["amount"]), claim["cash_currency"], claim["value_redeemed"]) == (
        claim_cash,
        "CNY",
        "300000.00",
    )
    assert (claim["fx"]["rate"], claim["fx"]["round_id"], claim["fx"]["as_of"]) == (
        "7.10000000",
        "2",
        second["updated_at"],
    )
    job = run_payouts(admin, voucher["id"])
    assert job["state"] == "completed", job
    pieces_left = Decimal("20000000.00") - Decimal("300000.00")
    payout_cash = sum(
        compute_settlement_minor(minor(value), fx_of(second), Rounding.FLOOR)
        for value in ("500000.00", f"{pieces_left - Decimal('500000.00'):.2f}")
    )
    assert minor(job["paid"]) == payout_cash and job["pieces_paid"] == 2

    # the regulator's export: every payment, both amounts, the rate as recorded, parties and their countries
    for monitor in (admin, compliance):
        payments = all_pages(monitor, "/v1/monitoring/cross-border-payments")
        assert [p["kind"] for p in payments] == ["financing", "settlement", "settlement", "settlement"]
        assert all(
            p["conversion"] and p["currency"] == "USD" and p["cash_currency"] == "CNY" for p in payments
        )
        assert sum(minor(p["cash"]) for p in payments) == financing_cash + claim_cash + payout_cash
        assert sum(minor(p["value"]) for p in payments) == minor("500000.00") + minor("20000000.00")
        financing_row = payments[0]
        assert (financing_row["payer"]["participant_id"], financing_row["payer"]["country"]) == (
            bank.participant_id,
            "CN",
        )
        assert (financing_row["payee"]["participant_id"], financing_row["payee"]["country"]) == (
            sg_sub.participant_id,
            "SG",
        )
        assert financing_row["countries_differ"] and financing_row["transfer_cap"] == "500000.00"
        assert (financing_row["rate"], financing_row["round_id"], financing_row["rate_as_of"]) == (
            "7.12345678",
            "1",
            first["updated_at"],
        )
        assert financing_row["transaction_hash"] == trade["transaction_hash"]
        for row in payments[1:]:
            assert (
                row["payer"]["participant_id"] == platform.participant_id and row["payer"]["country"] == "CN"
            )
            assert (row["rate"], row["round_id"], row["rate_as_of"]) == (
                "7.10000000",
                "2",
                second["updated_at"],
            )
        by_payee = {row["payee"]["participant_id"]: row for row in payments[1:]}
        assert by_payee[cn_sub.participant_id]["countries_differ"] is False  # listed for its conversion
        assert by_payee[supplier.participant_id]["payee"]["country"] == "US"

        rows = all_csv_rows(monitor, "/v1/monitoring/cross-border-payments")
        assert len(rows) == len(payments)
        assert sum(minor(row["cash"]) for row in rows) == sum(minor(p["cash"]) for p in payments)
        assert sum(minor(row["value"]) for row in rows) == sum(minor(p["value"]) for p in payments)
        assert [row["transaction_hash"] for row in rows] == [p["transaction_hash"] for p in payments]
        assert by_payee[cn_sub.participant_id]["payee"]["name"] == "=HYPERLINK(1)"
        assert "'=HYPERLINK(1)" in {row["payee_name"] for row in rows}
        csv_param = monitor.get(
            "/v1/monitoring/cross-border-payments", params={"format": "csv", "limit": 200}
        )
        assert csv_param.headers["content-type"].startswith("text/csv")
        assert list(csv.DictReader(io.StringIO(csv_param.text))) == rows

        [summary] = monitor.get("/v1/monitoring/cross-border-summary").json()["items"]
        assert (summary["voucher_id"], summary["settled_onshore_value"], summary["onshore_share"]) == (
            voucher["id"],
            "20000000.00",
            "1.0000",
        )
        assert minor(summary["settled_onshore_cash"]) == claim_cash + payout_cash
        assert (summary["financed_value"], minor(summary["financed_cash"])) == ("500000.00", financing_cash)
        assert summary["payments"] == 4 and summary["outstanding"] == "0.00"
    with unchanged(runtime):
        for outsider in (supplier, platform, oracle):
            expect_error(outsider.get("/v1/monitoring/cross-border-payments"), 403, "forbidden")


@pytest.mark.parametrize(
    "database_url", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
def test_domestic_payments_are_listed_only_across_borders(admin: ApiUser, runtime: Runtime) -> None:
    """A CNY voucher's financing is cross-border only when its seller is abroad: a CN financier buying from a
    US holder is listed (no conversion), one buying from a CN holder is not."""
    platform = register(admin, "Platform", "obligor", country="CN")
    us_holder = register(admin, "US holder", "supplier", country="US")
    cn_holder = register(admin, "CN holder", "supplier", country="CN")
    bank = register(admin, "Bank", "financier", country="CN")
    compliance = register(admin, "Compliance", "compliance_agent")
    voucher = issue_voucher(admin, platform, us_holder)
    to_cn = transfer(us_holder, voucher["root_token_id"], cn_holder, "10000000.00")
    credit(admin, bank, "50000000.00")
    terms = publish_terms(bank, 600)
    trades = []
    for seller, token in ((us_holder, voucher["root_token_id"]), (cn_holder, to_cn["token_id"])):
        quote = seller.post(
            f"/v1/notes/{token}/financing-quotes", json={"terms_id": terms["id"], "amount": "5000000.00"}
        ).json()
        executed = seller.post(f"/v1/financing-quotes/{quote['id']}/execution")
        assert executed.status_code == 201, executed.text
        trades.append(executed.json())
    [row] = all_pages(compliance, "/v1/monitoring/cross-border-payments")
    assert (row["kind"], row["conversion"], row["countries_differ"], row["rate"]) == (
        "financing",
        False,
        True,
        None,
    )
    assert (row["payee"]["country"], row["payer"]["country"], row["cash"]) == (
        "US",
        "CN",
        trades[0]["cash_received"],
    )
    assert row["transaction_hash"] == trades[0]["transaction_hash"] and row["transfer_cap"] is None
    assert compliance.get("/v1/monitoring/cross-border-summary").json()["items"] == []
    filtered = compliance.get(
        "/v1/monitoring/cross-border-payments", params={"voucher_id": voucher["id"] + 1}
    )
    assert filtered.json()["items"] == []


def test_the_model3_walkthrough_runs_against_a_live_server(runtime: Runtime) -> None:
    """scripts/walkthrough_model3.sh runs docs/walkthrough-model3.md's blocks with curl against a served
    ledger: every step answers as the doc says, and the export adds up to the payments it made."""
    address, _ = runtime.key_vault.create_account()
    with runtime.database.connection_transaction() as connection:
        _participant, admin_key = create_admin(connection, "Walk-through admin", address)
    with _Server(runtime, free_port()) as server:
        env = {**os.environ, "CASCADE_URL": server.url, "CASCADE_API_KEY": admin_key, "RUN_ID": "w"}
        done = subprocess.run(
            ["bash", "scripts/walkthrough_model3.sh"],
            cwd=PROJECT_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    output = done.stdout
    assert "a zero rate: 422" in output and "USD 600,000.00 at once: 422" in output
    assert '"code":"milestone_not_reached"' in output
    assert "3561728.39" in output  # the SG piece's value in CNY, rounded down
    result = json.loads(output.strip().splitlines()[-1])
    payments, financing, early = result["payments"]["items"], result["financing"], result["early_payment"]
    assert [p["kind"] for p in payments] == ["financing", "early_payment"]
    assert [p["transaction_hash"] for p in payments] == [
        financing["transaction_hash"],
        early["transaction_hash"],
    ]
    assert sum(minor(p["cash"]) for p in payments) == minor(financing["cash_received"]) + minor(early["cash"])
    assert sum(minor(p["value"]) for p in payments) == minor(financing["amount"]) + minor(early["amount"])
    assert {p["rate"] for p in payments} == {"7.12345678"} and early["fx"]["round_id"] == "1"
    assert [(p["payee"]["country"], p["payer"]["country"]) for p in payments] == [("SG", "CN"), ("CN", "CN")]


def test_cli_rates_milestones_and_monitoring_export(runtime: Runtime) -> None:
    address, _ = runtime.key_vault.create_account()
    with runtime.database.connection_transaction() as connection:
        _participant, admin_key = create_admin(connection, "CLI admin", address)
    with _Server(runtime, free_port()) as server, httpx.Client(base_url=server.url, timeout=60) as client:
        admin = ApiUser(client, admin_key, 0, "")  # type: ignore[arg-type]
        oracle, compliance = (
            register(admin, "Oracle", "oracle"),
            register(admin, "Compliance", "compliance_agent"),
        )
        platform = register(admin, "Platform", "obligor", country="CN")
        supplier = register(admin, "Supplier", "supplier", country="US")
        submitted = _cli(server.url, oracle.key, "fx", "set-rate", "--rate", "7.25")
        assert (submitted["rate"], submitted["round_id"]) == ("7.25000000", "1")
        [rate] = _cli(server.url, supplier.key, "fx", "rates")["items"]
        assert (rate["base"], rate["quote"], rate["rate"], rate["stale"]) == (
            "USD",
            "CNY",
            "7.25000000",
            False,
        )
        history = _cli(server.url, supplier.key, "fx", "rates", "--history", "USD/CNY")["items"]
        assert [item["round_id"] for item in history] == ["1"]
        voucher = issue_voucher(
            admin,
            platform,
            supplier,
            currency="USD",
            settlement_currency="CNY",
            face_value="1000000.00",
            minimum_unit="100000.00",
        )
        attested = _cli(
            server.url,
            oracle.key,
            "logistics",
            "attest",
            "--voucher",
            str(voucher["id"]),
            "--milestone",
            "delivered",
            "--evidence",
            "POD 7",
        )
        assert attested["milestone"] == "delivered"
        listed = _cli(server.url, supplier.key, "logistics", "list", "--voucher", str(voucher["id"]))
        assert listed["milestone"] == "delivered" and len(listed["items"]) == 1
        credit(admin, platform, "10000000.00")
        cutoff = (chain_today(runtime) + timedelta(days=30)).date().isoformat()
        programme = platform.post(
            f"/v1/vouchers/{voucher['id']}/early-payment-programmes",
            json={"rate_bps": 800, "budget": "5000000.00", "cutoff_date": cutoff},
        ).json()
        redemptions = [
            supplier.post(
                f"/v1/early-payment-programmes/{programme['id']}/redemptions",
                json={"token_id": voucher["root_token_id"], "amount": "100000.00"},
            ).json()
            for _ in range(3)
        ]
        exported = _cli(server.url, compliance.key, "monitoring", "export", "--format", "json")
        assert [row["transaction_hash"] for row in exported] == [r["transaction_hash"] for r in redemptions]
        assert sum(minor(row["cash"]) for row in exported) == sum(minor(r["cash"]) for r in redemptions)
        as_csv = _cli(server.url, compliance.key, "monitoring", "export", "--format", "csv")
        rows = list(csv.DictReader(io.StringIO(as_csv)))
        assert [row["cash"] for row in rows] == [row["cash"] for row in exported]
        assert rows[0]["payee_country"] == "US" and rows[0]["payer_country"] == "CN"


@pytest.mark.parametrize(
    ("text", "answer"),
    [("7.12345678", 712_345_678), ("7.1", 710_000_000), ("7", 700_000_000), ("0.00000001", 1)],
)
def test_a_rate_is_read_without_rounding(text: str, answer: int) -> None:
    assert parse_rate(text, FEED_DECIMALS) == answer


@pytest.mark.parametrize("text", ["0", "0.00000000", "0.000000001", "7.123456789", "-1", "1e3", " 7", "7."])
def test_a_rate_that_is_not_positive_or_too_precise_is_refused(text: str) -> None:
    with pytest.raises(InvalidRate):
        parse_rate(text, FEED_DECIMALS)


@pytest.mark.parametrize(("age_seconds", "stale"), [(0, False), (DAY, False), (DAY + 1, True), (-1, True)])
def test_a_rate_is_stale_past_its_maximum_age_or_from_the_future(age_seconds: int, stale: bool) -> None:
    now = datetime(2026, 12, 7, tzinfo=UTC)
    assert is_rate_stale(now - timedelta(seconds=age_seconds), DAY, now) is stale
