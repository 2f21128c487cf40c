"""Model 2 end to end through HTTP on Anvil: a CNY 50,000,000.00 voucher to the distributor, an offering
of 20,000,000.00 of yield tokens at 6% (discount, ACT/360), three investors buying on different days at
prices computed by hand, a secondary sale, refused buyers, settlement paying every holder exactly its
share, portfolios and market figures equal to the trades."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from sqlalchemy import select

from service.api.acting import act_as
from service.api.submit import carry_out
from service.chain.transactions import AccountKey
from service.db.models import Operation
from service.domain.market import compute_offer_price_minor
from service.participants import repository as participants_repository
from service.participants.service import create_admin
from service.runtime import Runtime
from service.settings import PROJECT_ROOT
from tests.conftest import ApiUser, free_port, issue_voucher, register, run_payouts
from tests.test_bad_input import expect_error
from tests.test_financing import cash, credit
from tests.test_service_process import _cli, _Server

pytestmark = pytest.mark.integration

DAY = 86_400


def set_days_left(runtime: Runtime, due_at: datetime, days: int) -> None:
    """Moves the chain's clock to noon UTC, `days` whole days and a half before maturity (a day's trades
    stay on that day, and at `days` days left, however long the test takes)."""
    target = int(due_at.timestamp()) - days * DAY - 12 * 3_600
    assert target > runtime.chain.fetch_time()
    runtime.rpc.request("evm_setNextBlockTimestamp", [target])
    runtime.rpc.request("evm_mine")


def ok(response: Any, status: int = 201) -> dict[str, Any]:
    assert response.status_code == status, response.text
    result: dict[str, Any] = response.json()
    return result


def subscribe(investor: ApiUser, offering_id: int, amount: str, max_cash: str) -> dict[str, Any]:
    return ok(
        investor.post(
            f"/v1/offerings/{offering_id}/subscriptions", json={"amount": amount, "max_cash": max_cash}
        )
    )


def chain_date(runtime: Runtime) -> str:
    return datetime.fromtimestamp(runtime.chain.fetch_time(), UTC).date().isoformat()


@pytest.fixture
def market(admin: ApiUser, runtime: Runtime) -> dict[str, Any]:
    compliance = register(admin, "Compliance", "compliance_agent")
    fmcg = register(admin, "FMCG", "obligor")
    distributor = register(admin, "Distributor", "supplier")
    investors = [register(admin, f"Investor {n}", "investor") for n in (1, 2, 3)]
    now = datetime.fromtimestamp(runtime.chain.fetch_time(), UTC)
    due = (now + timedelta(days=200)).date()
    voucher = issue_voucher(
        admin, fmcg, distributor, face_value="50000000.00", minimum_unit="100000.00", due_date=due.isoformat()
    )
    for investor in investors:
        credit(admin, investor, "20000000.00")
    return {
        "admin": admin,
        "compliance": compliance,
        "fmcg": fmcg,
        "distributor": distributor,
        "investors": investors,
        "voucher": voucher,
        "due_at": datetime.fromisoformat(voucher["due_at"]),
    }


@pytest.mark.parametrize(
    "database_url", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
def test_model_2_offering_trading_and_settlement(market: dict[str, Any], runtime: Runtime) -> None:
    admin, compliance, fmcg, distributor = (market[k] for k in ("admin", "compliance", "fmcg", "distributor"))
    i1, i2, i3 = market["investors"]
    voucher, due_at = market["voucher"], market["due_at"]

    lapsing = register(
        admin,
        "Lapsing investor",
        "investor",
        kyc_expires_on=(due_at - timedelta(days=150)).date().isoformat(),
    )
    credit(admin, lapsing, "5000000.00")
    set_days_left(runtime, due_at, 185)
    closes_on = (due_at - timedelta(days=10)).date().isoformat()
    body = {
        "amount": "20000000.00",
        "rate_bps": 600,
        "day_count": "ACT/360",
        "min_subscription": "1000000.00",
        "closes_on": closes_on,
    }
    # only the holder offers its piece
    expect_error(i1.post(f"/v1/notes/{voucher['root_token_id']}/offerings", json=body), 404, "note_not_found")
    offering = ok(distributor.post(f"/v1/notes/{voucher['root_token_id']}/offerings", json=body))
    oid = offering["id"]
    assert offering["amount"] == offering["available"] == "20000000.00"
    assert offering["open"] and offering["days_left"] == 185
    assert offering["voucher_status"] == "active" and offering["allowed_countries"] == []
    root = distributor.get(f"/v1/notes/{voucher['root_token_id']}").json()
    assert root["value"] == "30000000.00"
    listed = distributor.get("/v1/offerings", params={"voucher_id": voucher["id"]}).json()
    assert [item["id"] for item in listed["items"]] == [oid]

    # day 1: 180 days left, 5,000,000.00 at 6% for 180/360 costs 4,850,000.00 (0.97 per 1.00)
    set_days_left(runtime, due_at, 180)
    day1 = chain_date(runtime)
    quote = ok(i1.get(f"/v1/offerings/{oid}/price", params={"amount": "5000000.00"}), 200)
    assert (quote["cash"], quote["days_left"], quote["discount"]) == ("4850000.00", 180, "150000.00")
    assert ok(i1.get(f"/v1/offerings/{oid}"), 200)["price_per_unit"] == "0.97"
    expect_error(
        i1.post(
            f"/v1/offerings/{oid}/subscriptions", json={"amount": "5000000.00", "max_cash": "4849999.99"}
        ),
        409,
        "price_above_limit",
    )
    expect_error(
        i1.post(f"/v1/offerings/{oid}/subscriptions", json={"amount": "500000.00", "max_cash": "500000.00"}),
        422,
        "below_minimum_subscription",
    )
    expect_error(
        fmcg.post(
            f"/v1/offerings/{oid}/subscriptions", json={"amount": "5000000.00", "max_cash": "5000000.00"}
        ),
        403,
        "forbidden",
    )
    first = subscribe(i1, oid, "5000000.00", "4850000.00")
    assert (first["cash"], first["days_left"], first["market"]) == ("4850000.00", 180, "primary")
    assert cash(i1) == Decimal("15150000.00")
    assert cash(distributor) == Decimal("4850000.00")

    # day 2: 120 days left, 8,000,000.00 cost 7,840,000.00 (0.98 per 1.00: later pays more)
    set_days_left(runtime, due_at, 120)
    day2 = chain_date(runtime)
    second = subscribe(i2, oid, "8000000.00", "8000000.00")
    assert second["cash"] == "7840000.00"
    # a revoked investor and an investor whose KYC lapsed are refused, and nothing moves
    revoked = register(admin, "Revoked investor", "investor")
    credit(admin, revoked, "5000000.00")
    ok(
        compliance.post(
            f"/v1/participants/{revoked.participant_id}/identity",
            json={"verified": False, "reason": "kyc_revoked"},
        ),
        200,
    )
    expect_error(
        revoked.post(
            f"/v1/offerings/{oid}/subscriptions", json={"amount": "1000000.00", "max_cash": "1000000.00"}
        ),
        422,
        "participant_not_verified",
    )
    assert cash(revoked) == Decimal("5000000.00")
    expect_error(
        lapsing.post(
            f"/v1/offerings/{oid}/subscriptions", json={"amount": "1000000.00", "max_cash": "1000000.00"}
        ),
        422,
        "kyc_expired",
    )
    assert cash(lapsing) == Decimal("5000000.00")

    # day 3: 60 days left, 4,000,000.00 cost 3,960,000.00 (0.99 per 1.00)
    set_days_left(runtime, due_at, 60)
    day3 = chain_date(runtime)
    third = subscribe(i3, oid, "4000000.00", "3960000.00")
    assert third["cash"] == "3960000.00"
    assert cash(distributor) == Decimal("16650000.00")

    # the seller takes 1,000,000.00 unsold back as a piece and closes the offering
    withdrawal = ok(distributor.post(f"/v1/offerings/{oid}/withdrawal", json={"amount": "1000000.00"}))
    assert distributor.get(f"/v1/notes/{withdrawal['token_id']}").json()["value"] == "1000000.00"
    assert ok(distributor.post(f"/v1/offerings/{oid}/closure"), 200)["unsold"] == "2000000.00"
    expect_error(
        i3.post(
            f"/v1/offerings/{oid}/subscriptions", json={"amount": "1000000.00", "max_cash": "1000000.00"}
        ),
        409,
        "offering_not_open",
    )
    after = ok(i1.get(f"/v1/offerings/{oid}"), 200)
    assert (after["sold"], after["available"], after["withdrawn"]) == (
        "17000000.00",
        "2000000.00",
        "1000000.00",
    )
    assert after["cash_raised"] == "16650000.00" and not after["open"]

    # secondary: I1 lists 2,000,000.00 at 5%; I3 buys 1,000,000.00 of it 60 days out:
    # discount 1,000,000.00 x 5% x 60/360 = 8,333.333... rounded up (the buyer's way) to 8,333.34
    listing = ok(i1.post(f"/v1/offerings/{oid}/listings", json={"amount": "2000000.00", "rate_bps": 500}))
    assert listing["remaining"] == "2000000.00" and listing["active"]
    bought = ok(
        i3.post(
            f"/v1/listings/{listing['id']}/purchases", json={"amount": "1000000.00", "max_cash": "1000000.00"}
        )
    )
    assert (bought["cash"], bought["market"], bought["seller_participant_id"]) == (
        "991666.66",
        "secondary",
        i1.participant_id,
    )
    assert cash(i1) == Decimal("15150000.00") + Decimal("991666.66")
    cancelled = ok(i1.post(f"/v1/listings/{listing['id']}/cancellation"), 200)
    assert cancelled["remaining"] == "1000000.00"
    assert ok(i1.get(f"/v1/listings/{listing['id']}"), 200)["active"] is False

    # portfolios: I1 keeps 4,000,000.00 at four fifths of its cost, bought 180 days out, held 120 days
    [p1] = ok(i1.get("/v1/portfolio"), 200)["items"]
    assert (p1["tokens"], p1["paid"], p1["face"]) == ("4000000.00", "3880000.00", "4000000.00")
    assert p1["yield_to_maturity"] == "0.061856"  # 3/97 x 360/180
    assert p1["discount_accrued"] == "80000.00"  # 120,000.00 x 120/180
    assert p1["expected_payment_on"] == due_at.date().isoformat() and p1["voucher_status"] == "active"
    [p3] = ok(i3.get("/v1/portfolio"), 200)["items"]
    assert (p3["tokens"], p3["paid"]) == ("5000000.00", "4951666.66")

    # market figures: the trades, per day and for the platform
    figures = ok(market["admin"].get("/v1/market/figures", params={"from": day1, "to": day3}), 200)["rows"]
    by_offering = {row["day"]: row for row in figures if row["offering_id"] == oid}
    platform = {row["day"]: row for row in figures if row["offering_id"] is None}
    assert by_offering[day1]["primary_volume"] == "4850000.00" and by_offering[day1]["trades"] == 1
    assert by_offering[day1]["average_discount_rate_bps"] == "600.00"
    assert by_offering[day1]["premium_to_face"] == "-0.030000"
    assert by_offering[day2]["primary_volume"] == "7840000.00"
    assert by_offering[day3]["primary_volume"] == "3960000.00"
    assert by_offering[day3]["secondary_volume"] == "991666.66"
    assert by_offering[day3]["trades"] == 2
    assert by_offering[day3]["average_discount_rate_bps"] == "580.00"
    assert by_offering[day3]["premium_to_face"] == "-0.009667"
    assert {day: row["primary_volume"] for day, row in platform.items()} == {
        day: row["primary_volume"] for day, row in by_offering.items()
    }
    total_cash = sum(
        Decimal(r["primary_volume"]) + Decimal(r["secondary_volume"]) for r in by_offering.values()
    )
    assert total_cash == Decimal("4850000.00") + Decimal("7840000.00") + Decimal("3960000.00") + Decimal(
        "991666.66"
    )
    csv_text = (
        market["admin"].get("/v1/market/figures", params={"from": day1, "to": day3, "format": "csv"}).text
    )
    assert csv_text.splitlines()[0].startswith("day,offering_id,currency,primary_volume")
    assert "'-0.030000" in csv_text  # a cell starting with "-" is neutralised

    # maturity: the obligor pays, the payout job pays every piece (the vault's too), the vault collects
    expect_error(i1.post(f"/v1/offerings/{oid}/redemptions"), 409, "settlement_not_matured")
    runtime.rpc.request("evm_setNextBlockTimestamp", [int(due_at.timestamp()) + 60])
    runtime.rpc.request("evm_mine")
    credit(admin, fmcg, "50000000.00")
    ok(fmcg.post(f"/v1/vouchers/{voucher['id']}/settlement/fundings", json={"amount": "50000000.00"}))
    job = run_payouts(admin, voucher["id"])
    assert job["state"] == "completed", job
    collection = ok(admin.post(f"/v1/offerings/{oid}/collection"), 200)
    assert collection["cash_received"] == "19000000.00"

    # I1 redeems itself; a redemption run redeems the others (the seller's unsold tokens too): each is
    # paid exactly its tokens' face
    before = {user.participant_id: cash(user) for user in (i1, i2, i3, distributor)}
    redemption = ok(i1.post(f"/v1/offerings/{oid}/redemptions"))
    assert redemption["tokens"] == redemption["cash"] == "4000000.00"
    expect_error(i2.post(f"/v1/offerings/{oid}/redemption-runs"), 403, "forbidden")
    job = follow_job(
        admin, ok(admin.post(f"/v1/offerings/{oid}/redemption-runs", json={"batch_size": 2}), 202)
    )
    assert job["state"] == "completed", job
    assert (job["pieces_total"], job["pieces_paid"], job["paid"]) == (3, 3, "15000000.00")
    for user, tokens in (
        (i1, "4000000.00"),
        (i2, "8000000.00"),
        (i3, "5000000.00"),
        (distributor, "2000000.00"),
    ):
        assert cash(user) - before[user.participant_id] == Decimal(tokens)
    expect_error(i1.post(f"/v1/offerings/{oid}/redemptions"), 409, "nothing_to_claim")
    settled = ok(i1.get(f"/v1/offerings/{oid}"), 200)
    assert settled["cash_redeemed"] == settled["cash_received"] == "19000000.00"
    [p1] = ok(i1.get("/v1/portfolio"), 200)["items"]
    assert (p1["tokens"], p1["redeemed_tokens"], p1["redeemed_cash"]) == ("0.00", "4000000.00", "4000000.00")


def test_collection_claims_the_vaults_piece_and_holders_redeem(
    market: dict[str, Any], runtime: Runtime
) -> None:
    """No payout job: the collection claims the vault's piece from the settlement vault itself."""
    admin, fmcg, distributor = market["admin"], market["fmcg"], market["distributor"]
    i1 = market["investors"][0]
    voucher, due_at = market["voucher"], market["due_at"]
    body = {
        "amount": "1000000.00",
        "rate_bps": 365,
        "day_count": "ACT/365F",
        "min_subscription": "0.01",
        "closes_on": (due_at - timedelta(days=1)).date().isoformat(),
        "allowed_countries": ["CN"],
    }
    offering = ok(distributor.post(f"/v1/notes/{voucher['root_token_id']}/offerings", json=body))
    assert offering["allowed_countries"] == ["CN"] and offering["day_count"] == "ACT/365F"
    bought = subscribe(i1, offering["id"], "1000000.00", "1000000.00")
    # tokens moved on the token itself (not through the vault) are indexed too, with their share of cost
    i2 = market["investors"][1]
    send_tokens(runtime, i1, offering["token_address"], i2, 400_000_00)
    [p1] = ok(i1.get("/v1/portfolio"), 200)["items"]
    [p2] = ok(i2.get("/v1/portfolio"), 200)["items"]
    paid = minor(bought["cash"])
    assert (minor(p1["tokens"]), minor(p2["tokens"])) == (600_000_00, 400_000_00)
    assert minor(p2["paid"]) == paid * 2 // 5 and minor(p1["paid"]) == paid - paid * 2 // 5
    runtime.rpc.request("evm_setNextBlockTimestamp", [int(due_at.timestamp()) + 60])
    runtime.rpc.request("evm_mine")
    credit(admin, fmcg, "50000000.00")
    ok(fmcg.post(f"/v1/vouchers/{voucher['id']}/settlement/fundings", json={"amount": "50000000.00"}))
    collection = ok(i1.post(f"/v1/offerings/{offering['id']}/collection"), 200)
    assert collection["received"] == collection["cash_received"] == "1000000.00"
    for user, share in ((i1, "600000.00"), (i2, "400000.00")):
        before = cash(user)
        assert ok(user.post(f"/v1/offerings/{offering['id']}/redemptions"))["cash"] == share
        assert cash(user) - before == Decimal(share)


def follow_job(user: ApiUser, job: dict[str, Any], timeout_seconds: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_seconds
    while job["state"] in ("queued", "running"):
        assert time.monotonic() < deadline, f"job {job['id']} did not finish: {job}"
        time.sleep(0.05)
        job = ok(user.get(f"/v1/jobs/{job['id']}"), 200)
    return job


def send_tokens(runtime: Runtime, sender: ApiUser, token: str, recipient: ApiUser, amount: int) -> None:
    """A holder's own ERC-20 transfer on the yield token (what a wallet outside the service could do)."""
    with runtime.database.sessions() as session:
        participant = participants_repository.fetch_participant(session, sender.participant_id)
        assert participant is not None
        calldata = runtime.chain.contracts["yield_token"].calldata("transfer", recipient.address, amount)
        intent = act_as(runtime, participant, "test.token_transfer", token, calldata)
        carry_out(runtime, [intent], participant_id=sender.participant_id)


def test_the_model2_walkthrough_runs_against_a_live_server(runtime: Runtime) -> None:
    """scripts/walkthrough_model2.sh runs docs/walkthrough-model2.md's blocks with curl against a served
    ledger: the refusals answer as the doc says, the prices are the vault's rule, the figures add up."""
    address, _ = runtime.key_vault.create_account()
    with runtime.database.connection_transaction() as connection:
        _participant, admin_key = create_admin(connection, "Walk-through admin", address)
    with _Server(runtime, free_port()) as server:
        env = {**os.environ, "CASCADE_URL": server.url, "CASCADE_API_KEY": admin_key, "RUN_ID": "w"}
        done = subprocess.run(
            ["bash", "scripts/walkthrough_model2.sh"],
            cwd=PROJECT_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    output = done.stdout
    assert "below the minimum: 422" in output and "max_cash too low: 409" in output
    assert "an HK investor: 422" in output
    result = json.loads(output.strip().splitlines()[-1])
    first, second = result["subscriptions"]
    for trade, amount in ((first, 5_000_000_00), (second, 8_000_000_00)):
        assert minor(trade["cash"]) == compute_offer_price_minor(amount, 600, trade["days_left"], 360)
    sale = result["sale"]
    assert minor(sale["cash"]) == compute_offer_price_minor(1_000_000_00, 500, sale["days_left"], 360)
    [row] = [row for row in result["figures"]["rows"] if row["offering_id"] is not None]
    assert minor(row["primary_volume"]) == minor(first["cash"]) + minor(second["cash"])
    assert minor(row["secondary_volume"]) == minor(sale["cash"]) and row["trades"] == 3
    assert minor(row["primary_face"]) == 13_000_000_00 and minor(row["secondary_face"]) == 1_000_000_00


def minor(amount: str) -> int:
    return int(Decimal(amount) * 100)


@pytest.mark.parametrize(
    "database_url", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
def test_a_reorganisation_replays_the_market_as_it_was(market: dict[str, Any], runtime: Runtime) -> None:
    """The chain loses the blocks of an offering, its purchases, a listing fill and a direct token
    transfer: the writer sends them again in order, the index rolls back and folds again, and the
    offering, the portfolios and the figures read as before."""
    distributor, (i1, i2, i3) = market["distributor"], market["investors"]
    voucher, due_at = market["voucher"], market["due_at"]
    set_days_left(runtime, due_at, 150)
    snapshot = runtime.rpc.request("evm_snapshot")
    body = {
        "amount": "3000000.00",
        "rate_bps": 700,
        "min_subscription": "100000.00",
        "closes_on": (due_at - timedelta(days=1)).date().isoformat(),
    }
    offering = ok(distributor.post(f"/v1/notes/{voucher['root_token_id']}/offerings", json=body))
    oid = offering["id"]
    subscribe(i1, oid, "1000000.00", "1000000.00")
    subscribe(i2, oid, "500000.00", "500000.00")
    listing = ok(i1.post(f"/v1/offerings/{oid}/listings", json={"amount": "300000.00", "rate_bps": 650}))
    ok(
        i3.post(
            f"/v1/listings/{listing['id']}/purchases", json={"amount": "200000.00", "max_cash": "200000.00"}
        )
    )
    send_tokens(runtime, i2, offering["token_address"], i3, 100_000_00)
    day = chain_date(runtime)

    def view() -> Any:
        return (
            {
                k: v
                for k, v in ok(i1.get(f"/v1/offerings/{oid}"), 200).items()
                if k != "opened_transaction_hash"
            },
            [ok(user.get("/v1/portfolio"), 200)["items"] for user in (i1, i2, i3)],
            ok(i1.get("/v1/market/figures", params={"from": day, "to": day}), 200)["rows"],
        )

    before = view()
    assert [item[0]["tokens"] for item in before[1]] == ["800000.00", "400000.00", "300000.00"]

    assert runtime.rpc.request("evm_revert", [snapshot]) is True
    runtime.rpc.request("anvil_mine", [3])
    # the writer sends the lost requests again and the index follows: the same offering, portfolios
    # and figures, read again (only how long it takes varies)
    _until(lambda: runtime.indexer.reorgs_detected >= 1 and _settled(runtime) and view() == before)


def _settled(runtime: Runtime) -> bool:
    with runtime.database.snapshot() as session:
        replaying = session.scalars(select(Operation.id).where(Operation.replay_rank.is_not(None))).all()
        lost = session.scalars(select(Operation.id).where(Operation.state.in_(("queued", "signed")))).all()
    return runtime.indexer.reorgs_detected >= 1 and not replaying and not lost


def _until(condition: Any, timeout_seconds: float = 60.0) -> None:
    """Polls `condition` until it holds. A failed read inside it counts as not yet: the indexer counts a
    reorganisation before it rolls the index back, so a check can pass just before the rollback and
    the next read find the offering gone until the writer has sent it again."""
    deadline = time.monotonic() + timeout_seconds
    while True:
        try:
            if condition():
                return
            failure = "the ledger did not come back in time"
        except AssertionError as error:
            failure = f"the ledger did not come back in time: {error}"
        assert time.monotonic() < deadline, failure
        time.sleep(0.1)


def test_cli_market_commands(runtime: Runtime) -> None:
    """`cascade market ...` drives the same routes: open, price, subscribe, list, buy, portfolio, figures."""
    address, _ = runtime.key_vault.create_account()
    with runtime.database.connection_transaction() as connection:
        _participant, admin_key = create_admin(connection, "CLI admin", address)
    with _Server(runtime, free_port()) as server, httpx.Client(base_url=server.url, timeout=60) as client:
        admin = ApiUser(client, admin_key, 0, "")  # type: ignore[arg-type]
        fmcg, distributor = register(admin, "FMCG", "obligor"), register(admin, "Distributor", "supplier")
        i1, i2 = register(admin, "I1", "investor"), register(admin, "I2", "financier")
        for investor in (i1, i2):
            credit(admin, investor, "10000000.00")
        now = datetime.fromtimestamp(runtime.chain.fetch_time(), UTC)
        due = (now + timedelta(days=91)).date()
        voucher = issue_voucher(admin, fmcg, distributor, face_value="5000000.00", due_date=due.isoformat())
        url = server.url
        offering = _cli(
            url,
            distributor.key,
            *("market", "open", "--note", str(voucher["root_token_id"]), "--amount", "3000000.00"),
            *("--rate-bps", "400", "--min-subscription", "1000000.00", "--closes-on", due.isoformat()),
            *("--country", "CN"),
        )
        assert offering["allowed_countries"] == ["CN"] and offering["available"] == "3000000.00"
        oid = str(offering["id"])
        price = _cli(url, i1.key, "market", "price", "--offering", oid, "--amount", "2000000.00")
        bought = _cli(
            url,
            i1.key,
            "market",
            "subscribe",
            "--offering",
            oid,
            "--amount",
            "2000000.00",
            "--max-cash",
            price["cash"],
        )
        assert bought["cash"] == price["cash"]
        assert minor(bought["cash"]) == compute_offer_price_minor(2_000_000_00, 400, bought["days_left"], 360)
        listing = _cli(
            url, i1.key, "market", "list", "--offering", oid, "--amount", "500000.00", "--rate-bps", "300"
        )
        listings = _cli(url, i2.key, "market", "listings", "--offering", oid)
        assert [item["id"] for item in listings["items"]] == [listing["id"]]
        sale = _cli(
            url,
            i2.key,
            "market",
            "buy",
            "--listing",
            str(listing["id"]),
            "--amount",
            "500000.00",
            "--max-cash",
            "500000.00",
        )
        assert sale["market"] == "secondary"
        [held] = _cli(url, i2.key, "market", "portfolio")["items"]
        assert held["tokens"] == "500000.00" and held["paid"] == sale["cash"]
        day = now.date().isoformat()
        text = _cli(url, admin_key, "market", "figures", "--from", day, "--to", day, "--format", "csv")
        rows = list(csv.DictReader(io.StringIO(text)))
        assert [row["offering_id"] for row in rows] == [oid, "platform"]
        assert Decimal(rows[0]["primary_volume"]) == Decimal(bought["cash"]) and rows[0]["trades"] == "2"
        figures = _cli(url, admin_key, "market", "figures", "--from", day, "--to", day, "--offering", oid)
        assert figures["rows"][0]["secondary_volume"] == sale["cash"]


def test_an_overdue_voucher_flows_through_to_token_holders(market: dict[str, Any], runtime: Runtime) -> None:
    """Half paid and past its grace period: the portfolio says overdue, a redemption run waits for the
    rest, and a holder redeeming now is paid its share of what was received."""
    admin, fmcg, distributor = market["admin"], market["fmcg"], market["distributor"]
    i1, i2 = market["investors"][:2]
    voucher, due_at = market["voucher"], market["due_at"]
    body = {
        "amount": "2000000.00",
        "rate_bps": 500,
        "min_subscription": "1000000.00",
        "closes_on": (due_at - timedelta(days=1)).date().isoformat(),
    }
    oid = ok(distributor.post(f"/v1/notes/{voucher['root_token_id']}/offerings", json=body))["id"]
    poor = register(admin, "Poor investor", "investor")
    credit(admin, poor, "10.00")
    path = f"/v1/offerings/{oid}/subscriptions"
    expect_error(
        poor.post(path, json={"amount": "1000000.00", "max_cash": "1000000.00"}), 422, "insufficient_cash"
    )
    for investor in (i1, i2):
        subscribe(investor, oid, "1000000.00", "1000000.00")
    sold_out = market["investors"][2].post(path, json={"amount": "1000000.00", "max_cash": "1000000.00"})
    expect_error(sold_out, 422, "insufficient_value")
    runtime.rpc.request("evm_setNextBlockTimestamp", [int(due_at.timestamp()) + 8 * DAY])
    runtime.rpc.request("evm_mine")
    credit(admin, fmcg, "25000000.00")
    ok(fmcg.post(f"/v1/vouchers/{voucher['id']}/settlement/fundings", json={"amount": "25000000.00"}))
    job = run_payouts(admin, voucher["id"])
    assert job["state"] == "completed", (job["error"], job["pieces_paid"])
    [p1] = ok(i1.get("/v1/portfolio"), 200)["items"]
    assert p1["voucher_status"] == "overdue" and p1["discount_accrued"] == minor_text(
        minor(p1["face"]) - minor(p1["paid"])
    )
    expect_error(admin.post(f"/v1/offerings/{oid}/redemption-runs"), 409, "offering_not_settled")
    redemption = ok(i1.post(f"/v1/offerings/{oid}/redemptions"))
    assert (redemption["tokens"], redemption["cash"]) == ("1000000.00", "500000.00")
    offering = ok(i1.get(f"/v1/offerings/{oid}"), 200)
    assert offering["voucher_status"] == "overdue"
    assert (offering["cash_received"], offering["cash_redeemed"]) == ("1000000.00", "500000.00")


def minor_text(amount: int) -> str:
    return f"{Decimal(amount) / 100:.2f}"


def test_an_investor_with_its_own_wallet_signs_its_subscription(
    market: dict[str, Any], runtime: Runtime
) -> None:
    """It approves the vault on its cash itself (the ledger cannot), then signs the forward request the
    signing-request route prepares; an unsigned or altered request is refused."""
    admin, distributor = market["admin"], market["distributor"]
    voucher, due_at = market["voucher"], market["due_at"]
    body = {
        "amount": "1000000.00",
        "rate_bps": 600,
        "min_subscription": "100000.00",
        "closes_on": (due_at - timedelta(days=1)).date().isoformat(),
    }
    oid = ok(distributor.post(f"/v1/notes/{voucher['root_token_id']}/offerings", json=body))["id"]
    wallet = Account.create()
    investor = register(admin, "Own-wallet investor", "investor", address=wallet.address)
    credit(admin, investor, "1000000.00")
    path = f"/v1/offerings/{oid}/subscriptions"
    intent = {"amount": "500000.00", "max_cash": "500000.00"}
    expect_error(investor.post(path, json=intent), 422, "signature_required")  # no allowance yet

    # the wallet approves the vault on its cash by a transaction of its own
    runtime.rpc.request("anvil_setBalance", [wallet.address, hex(10**18)])
    cash_token = runtime.chain.contracts.cash("CNY")
    key = AccountKey(wallet.key, runtime.chain.chain_id)
    approval = key.sign(
        nonce=0,
        to=cash_token.address,
        data=cash_token.calldata("approve", runtime.chain.contracts["market"].address, 2**256 - 1),
        gas=100_000,
        max_fee_per_gas=int(runtime.rpc.request("eth_gasPrice"), 16) * 2 + 1,
        max_priority_fee_per_gas=1,
    )
    runtime.rpc.request("eth_sendRawTransaction", ["0x" + approval.raw.hex()])
    expect_error(investor.post(path, json=intent), 422, "signature_required")  # not signed

    request = ok(investor.post(f"{path}/signing-request", json=intent), 200)
    signature = Account.sign_message(
        encode_typed_data(full_message=request["typed_data"]), wallet.key
    ).signature
    signed = {"nonce": request["nonce"], "deadline": request["deadline"], "signature": "0x" + signature.hex()}
    altered = investor.post(path, json={**intent, "max_cash": "499999.99", "signed_request": signed})
    expect_error(altered, 422, "invalid_signature")
    trade = ok(investor.post(path, json={**intent, "signed_request": signed}))
    assert trade["buyer_participant_id"] == investor.participant_id
    assert minor(trade["cash"]) == compute_offer_price_minor(500_000_00, 600, trade["days_left"], 360)
    [held] = ok(investor.get("/v1/portfolio"), 200)["items"]
    assert held["tokens"] == "500000.00" and held["paid"] == trade["cash"]
