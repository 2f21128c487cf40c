"""Dynamic discounting and settlement at maturity, through HTTP on Anvil."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from service.api.common import ParticipantRef
from service.domain.pricing import DayCount, QuoteBasis, compute_days, compute_quote
from service.domain.vouchers import VoucherStatus
from service.ledger.reconcile import reconcile
from service.runtime import Runtime
from service.settlement.schemas import ReportRow, SettlementReport
from service.settlement.service import render_report_csv
from tests.conftest import ApiUser, SeedLedger, issue_voucher, run_payouts, transfer
from tests.test_bad_input import expect_error, unchanged
from tests.test_financing import cash, chain_today, credit, warp

pytestmark = pytest.mark.integration
DAY = 86_400


def open_early_payment_programme(seed: SeedLedger, runtime: Runtime) -> dict[str, Any]:
    """The carmaker, credited 20,000,000.00, offers 15,000,000.00 of it at 8% until 150 days ahead."""
    credit(seed.admin, seed.carmaker, "20000000.00")
    cutoff = (chain_today(runtime) + timedelta(days=150)).date().isoformat()
    opened = seed.carmaker.post(
        f"/v1/vouchers/{seed.voucher['id']}/early-payment-programmes",
        json={"rate_bps": 800, "budget": "15000000.00", "cutoff_date": cutoff},
    )
    assert opened.status_code == 201, opened.text
    programme: dict[str, Any] = opened.json()
    return programme


def test_early_payment_the_earlier_the_bigger_the_discount(seed: SeedLedger, runtime: Runtime) -> None:
    voucher = seed.voucher
    to_a = transfer(seed.t1, voucher["root_token_id"], seed.a, "30000000.00")
    to_c = transfer(seed.a, to_a["token_id"], seed.c, "10000000.00")
    programme = open_early_payment_programme(seed, runtime)
    assert programme["remaining_budget"] == "15000000.00" and cash(seed.carmaker) == Decimal("5000000.00")

    # any holder at any tier: C (tier 3) now, T1 (tier 1) sixty days later
    early = seed.c.get(
        f"/v1/early-payment-programmes/{programme['id']}/quote", params={"amount": "5000000.00"}
    ).json()
    expected = compute_quote(
        500_000_000,
        800,
        compute_days(chain_today(runtime), _due(voucher)),
        DayCount.ACT_360,
        QuoteBasis.DISCOUNT,
    )
    assert (
        Decimal(early["price"]) * 100 == expected.price_minor
    )  # the contract prices exactly as the domain code
    taken = seed.c.post(
        f"/v1/early-payment-programmes/{programme['id']}/redemptions",
        json={"token_id": to_c["token_id"], "amount": "5000000.00"},
    )
    assert taken.status_code == 201, taken.text
    first = taken.json()
    assert first["price"] == early["price"] and first["remaining_value"] == "5000000.00"
    assert cash(seed.c) == Decimal(first["price"])

    warp(runtime, 60 * DAY)
    later = seed.t1.post(
        f"/v1/early-payment-programmes/{programme['id']}/redemptions",
        json={"token_id": voucher["root_token_id"], "amount": "5000000.00"},
    ).json()
    assert later["days"] == first["days"] - 60
    assert Decimal(later["discount"]) < Decimal(first["discount"])  # the earlier, the bigger the discount

    # the redeemed value is burned: the obligor's debt shrinks
    settlement = seed.carmaker.get(f"/v1/vouchers/{voucher['id']}/settlement").json()
    assert settlement["outstanding"] == "90000000.00"
    lineage = seed.carmaker.get(f"/v1/vouchers/{voucher['id']}/lineage").json()
    assert lineage["total_held"] == lineage["outstanding"] == "90000000.00"

    with unchanged(runtime):
        expect_error(
            seed.a.post(
                f"/v1/early-payment-programmes/{programme['id']}/redemptions",
                json={"token_id": to_a["token_id"], "amount": "20000000.00"},
            ),
            422,
            "budget_exceeded",
        )
        expect_error(
            seed.a.post(
                f"/v1/early-payment-programmes/{programme['id']}/redemptions",
                json={"token_id": to_c["token_id"], "amount": "1000000.00"},
            ),
            403,
            "not_holder",
        )
    warp(runtime, 100 * DAY)  # past the cut-off
    with unchanged(runtime):
        expect_error(
            seed.a.post(
                f"/v1/early-payment-programmes/{programme['id']}/redemptions",
                json={"token_id": to_a["token_id"], "amount": "1000000.00"},
            ),
            409,
            "programme_cutoff_passed",
        )
    closed = seed.carmaker.post(f"/v1/early-payment-programmes/{programme['id']}/closure").json()
    spent = Decimal(first["price"]) + Decimal(later["price"])
    assert Decimal(closed["refund"]) == Decimal("15000000.00") - spent
    assert report_totals(seed, voucher["id"])["paid_early"] == f"{spent:.2f}"


def _due(voucher: dict[str, Any]) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(voucher["due_at"])


def report_totals(seed: SeedLedger, voucher_id: int) -> dict[str, Any]:
    response = seed.carmaker.get(f"/v1/vouchers/{voucher_id}/settlement/report")
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


@pytest.fixture
def fifty_pieces(seed: SeedLedger) -> dict[str, Any]:
    """Carmaker's voucher split across 4 tiers into 50 pieces, every one holding value, among five holders."""
    voucher = seed.voucher
    root = voucher["root_token_id"]
    tier2 = [
        (transfer(seed.t1, root, holder, "7000000.00")["token_id"], holder) for holder in (seed.a, seed.b) * 5
    ]
    tier3 = []
    for token, holder in tier2:
        other = seed.b if holder is seed.a else seed.a
        for recipient, amount in ((seed.c, "2000000.00"), (seed.bank, "2000000.00"), (other, "1000000.00")):
            tier3.append((transfer(holder, token, recipient, amount)["token_id"], recipient, amount))
    splittable = [(token, holder) for token, holder, amount in tier3 if amount == "2000000.00"][:9]
    for token, holder in splittable:
        transfer(holder, token, seed.t1, "1000000.00")
    lineage = seed.admin.get(f"/v1/vouchers/{voucher['id']}/lineage", params={"limit": 200}).json()
    depths = [piece["depth"] for piece in lineage["pieces"]]
    assert sorted(set(depths)) == [0, 1, 2, 3] and len(depths) == 1 + 10 + 30 + 9
    assert lineage["piece_count"] == 50 and lineage["total_held"] == "100000000.00"
    return {"voucher": voucher, "pieces": len(depths)}


def _holders_cash(seed: SeedLedger) -> Decimal:
    return sum((cash(user) for user in (seed.t1, seed.a, seed.b, seed.c, seed.bank)), Decimal(0))


def test_four_tier_fifty_piece_settlement_pays_exactly_the_face_value(
    seed: SeedLedger, runtime: Runtime, fifty_pieces: dict[str, Any]
) -> None:
    voucher = fifty_pieces["voucher"]
    credit(seed.admin, seed.carmaker, "100000000.00")
    path = f"/v1/vouchers/{voucher['id']}/settlement"
    with unchanged(runtime):
        expect_error(seed.admin.post(f"{path}/payouts"), 409, "settlement_not_matured")
        expect_error(seed.t1.post(f"{path}/fundings", json={"amount": "1.00"}), 403, "not_obligor")
        expect_error(
            seed.carmaker.post(f"{path}/fundings", json={"amount": "100000000.01"}),
            422,
            "settlement_overfunded",
        )
    funded = seed.carmaker.post(f"{path}/fundings", json={"amount": "100000000.00"}).json()
    assert funded["funded"] == "100000000.00" and funded["status"] == "active"

    warp(runtime, 183 * DAY)
    assert seed.c.get(path).json()["status"] == "matured"
    run = run_payouts(seed.admin, voucher["id"], batch_size=20)
    assert run["state"] == "completed"
    assert run["batches"] == 3 and run["pieces_paid"] == 50 and run["paid"] == "100000000.00"
    settlement = seed.admin.get(path).json()
    assert settlement["status"] == "settled" and settlement["outstanding"] == "0.00"
    assert _holders_cash(seed) == Decimal("100000000.00")
    for user in (seed.t1, seed.a, seed.b, seed.c, seed.bank):
        assert user.get("/v1/notes").json()["items"] == []  # every piece's value is zero

    report = report_totals(seed, voucher["id"])
    assert report["paid_at_maturity"] == "100000000.00" and report["status"] == "settled"
    # the report's 51 rows (a funding, 50 payments), in pages of 20, JSON and CSV alike
    pages: list[list[dict[str, Any]]] = []
    cursor = None
    while not pages or cursor:
        page = seed.carmaker.get(
            f"{path}/report", params={"limit": 20, **({"cursor": cursor} if cursor else {})}
        )
        pages.append(page.json()["rows"])
        cursor = page.json()["next_cursor"]
    assert [len(rows) for rows in pages] == [20, 20, 11]
    payments = [row for rows in pages for row in rows if row["kind"] == "settlement_payment"]
    assert len(payments) == 50 and all(
        row["transaction_hash"] in run["transaction_hashes"] for row in payments
    )
    csv_rows: list[dict[str, str]] = []
    headers: dict[str, str] = {}
    while not csv_rows or "next-cursor" in headers:
        params = {"format": "csv", "limit": 20, **({"cursor": headers["next-cursor"]} if headers else {})}
        response = seed.carmaker.get(f"{path}/report", params=params)
        headers = {name.lower(): value for name, value in response.headers.items()}
        csv_rows += list(csv.DictReader(io.StringIO(response.text)))
    assert len(csv_rows) == 51
    assert [row["transaction_hash"] for row in csv_rows] == [
        row["transaction_hash"] for rows in pages for row in rows
    ]
    assert reconcile(runtime).clean


def test_partial_funding_pays_pro_rata_and_keeps_every_minor_unit(
    seed: SeedLedger, runtime: Runtime, fifty_pieces: dict[str, Any]
) -> None:
    voucher = fifty_pieces["voucher"]
    credit(seed.admin, seed.carmaker, "100000000.00")
    path = f"/v1/vouchers/{voucher['id']}/settlement"
    seed.carmaker.post(f"{path}/fundings", json={"amount": "33333333.33"})
    warp(runtime, 183 * DAY)
    first = run_payouts(seed.admin, voucher["id"])
    paid = Decimal(first["paid"])
    assert paid <= Decimal("33333333.33")
    # each piece got whole units only (pieces stay unit multiples); the rest waits in the vault
    assert Decimal(seed.admin.get(path).json()["available"]) == Decimal("33333333.33") - paid
    assert _holders_cash(seed) == paid
    # the status's figures (from the index of the vault's events) are the vault's own views
    vault = runtime.chain.contracts.vault
    views = {
        key: Decimal(runtime.chain.read(vault.call(view, voucher["id"]))) / 100
        for key, view in (("funded", "funded"), ("paid_out", "paidOut"), ("available", "available"))
    }
    status = seed.admin.get(path).json()
    assert {key: Decimal(status[key]) for key in views} == views
    assert views["paid_out"] == paid and views["available"] > 0
    # the obligor pays the rest, late; the next round pays everybody in full
    seed.carmaker.post(
        f"{path}/fundings", json={"amount": str(Decimal("100000000.00") - Decimal("33333333.33"))}
    )
    second = run_payouts(seed.admin, voucher["id"])
    after = seed.admin.get(path).json()
    assert after["status"] == "settled"
    assert paid + Decimal(second["paid"]) == Decimal("100000000.00")
    assert _holders_cash(seed) == Decimal("100000000.00")
    assert after["available"] == "0.00"


def lifecycle_words(user: ApiUser, voucher_id: int, token_id: int) -> set[str]:
    """The status as the voucher, a note of it, its settlement and its report each show it."""
    return {
        user.get(f"/v1/vouchers/{voucher_id}").json()["status"],
        user.get(f"/v1/notes/{token_id}").json()["voucher_status"],
        user.get(f"/v1/vouchers/{voucher_id}/settlement").json()["status"],
        user.get(f"/v1/vouchers/{voucher_id}/settlement/report").json()["status"],
    }


def test_late_payment_overdue_then_defaulted_then_settled(seed: SeedLedger, runtime: Runtime) -> None:
    """One status per voucher, the same word everywhere (after maturity the settlement said `matured`
    while the voucher and its notes said `active`, and after the payout the voucher said `redeemed`)."""
    voucher = issue_voucher(seed.admin, seed.carmaker, seed.t1, face_value="1000000.00", minimum_unit="0.01")
    piece = transfer(seed.t1, voucher["root_token_id"], seed.c, "250000.01")
    path = f"/v1/vouchers/{voucher['id']}/settlement"
    assert lifecycle_words(seed.carmaker, voucher["id"], piece["token_id"]) == {"active"}
    warp(runtime, 182 * DAY)
    assert lifecycle_words(seed.carmaker, voucher["id"], piece["token_id"]) == {"matured"}
    warp(runtime, runtime.settings.settlement_grace_seconds + DAY)
    assert lifecycle_words(seed.carmaker, voucher["id"], piece["token_id"]) == {"overdue"}
    assert seed.c.get(f"/v1/notes/{piece['token_id']}").json()["voucher_status"] == "overdue"
    warp(runtime, runtime.settings.settlement_default_after_seconds)
    assert lifecycle_words(seed.carmaker, voucher["id"], piece["token_id"]) == {"defaulted"}
    with unchanged(runtime):
        expect_error(seed.admin.post(f"{path}/payouts"), 409, "settlement_not_funded")
    credit(seed.admin, seed.carmaker, "1000000.00")
    seed.carmaker.post(f"{path}/fundings", json={"amount": "1000000.00"})
    claimed = seed.c.post(f"/v1/notes/{piece['token_id']}/settlement-claims")
    assert claimed.status_code == 201, claimed.text
    assert claimed.json()["amount"] == "250000.01" and cash(seed.c) == Decimal("250000.01")
    expect_error(seed.c.post(f"/v1/notes/{piece['token_id']}/settlement-claims"), 409, "nothing_to_claim")
    run = run_payouts(seed.carmaker, voucher["id"])
    assert seed.carmaker.get(path).json()["status"] == "settled" and run["paid"] == "749999.99"
    assert lifecycle_words(seed.carmaker, voucher["id"], piece["token_id"]) == {"settled"}
    assert seed.carmaker.get("/v1/vouchers").json()["items"][-1]["status"] == "settled"


@pytest.mark.parametrize("name", ['=HYPERLINK("http://x")', "+1", "-1+2", "@SUM(A1)", "\tx", "\rx"])
def test_report_csv_cells_never_start_a_formula(name: str) -> None:
    """OWASP's CSV injection advice: a text cell starting =, +, -, @, tab or CR is prefixed with '."""
    party = ParticipantRef(participant_id=7, name=name, address="0x" + "12" * 20)
    row = ReportRow(
        kind="settlement_payment",
        token_id=4,
        party=party,
        cash="10.00",
        value_redeemed="10.00",
        fx=None,
        transaction_hash="0x" + "ab" * 32,
        block_number=9,
        occurred_at=datetime(2027, 5, 31, tzinfo=UTC),
    )
    report = SettlementReport(
        voucher_id=1,
        currency="CNY",
        cash_currency="CNY",
        face_value="10.00",
        status=VoucherStatus.SETTLED,
        funded="10.00",
        paid_at_maturity="10.00",
        paid_early="0.00",
        outstanding="0.00",
        rows=[row],
        next_cursor=None,
    )
    [parsed] = list(csv.DictReader(io.StringIO(render_report_csv(report))))
    assert parsed["participant"] == "'" + name
    assert parsed["cash"] == "10.00" and parsed["participant_id"] == "7"


def test_a_payout_job_pays_two_thousand_pieces_exactly_with_progress(
    seed: SeedLedger, runtime: Runtime
) -> None:
    """2,000 pieces (two bulk batches) of a 2,000,000.00 voucher, each paid its value once, in batches
    sized to the block's gas; the job shows how many pieces it pays from the start."""
    voucher = issue_voucher(seed.admin, seed.carmaker, seed.t1, face_value="2000000.00", minimum_unit="1.00")
    root = voucher["root_token_id"]
    recipients = (seed.a, seed.b, seed.c, seed.bank)
    values = {user.participant_id: Decimal(0) for user in recipients}
    for batch in range(2):
        count = 1000 if batch == 0 else 999
        items = [
            {
                "from_token_id": root,
                "to_participant_id": recipients[index % 4].participant_id,
                "amount": f"{1 + index % 7}00.00",
            }
            for index in range(count)
        ]
        answer = seed.t1.post("/v1/transfer-batches", json={"items": items})
        assert answer.status_code == 201, answer.text
        assert answer.json()["executed"] == count
        for item in items:
            values[int(str(item["to_participant_id"]))] += Decimal(str(item["amount"]))
    kept = Decimal("2000000.00") - sum(values.values())
    assert kept > 0
    credit(seed.admin, seed.carmaker, "2000000.00")
    path = f"/v1/vouchers/{voucher['id']}/settlement"
    assert seed.carmaker.post(f"{path}/fundings", json={"amount": "2000000.00"}).status_code == 201
    warp(runtime, 183 * DAY)
    before = {user.participant_id: cash(user) for user in recipients}
    t1_before = cash(seed.t1)
    run = run_payouts(seed.admin, voucher["id"], timeout_seconds=600)
    assert run["state"] == "completed", run
    assert run["pieces_total"] == 2000 and run["pieces_paid"] == 2000 and run["paid"] == "2000000.00"
    assert run["batches"] == len(run["transaction_hashes"]) < 2000 // 50
    for user in recipients:
        assert cash(user) - before[user.participant_id] == values[user.participant_id]
    assert cash(seed.t1) - t1_before == kept
    assert seed.admin.get(path).json()["status"] == "settled"
    assert reconcile(runtime).clean
