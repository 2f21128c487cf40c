"""Financing (factoring) at any tier through HTTP on Anvil: signed expiring quotes, atomic DvP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from service.api.acting import act_as
from service.api.submit import carry_out
from service.errors import InvalidSignature, QuoteAlreadyUsed
from service.financing.service import QUOTE_TYPE, _quote_message
from service.participants import repository as participants_repository
from service.runtime import Runtime
from tests.conftest import ApiUser, SeedLedger, issue_voucher, register, transfer
from tests.test_bad_input import expect_error, unchanged

pytestmark = pytest.mark.integration


def chain_today(runtime: Runtime) -> datetime:
    return datetime.fromtimestamp(runtime.chain.fetch_time(), UTC)


def warp(runtime: Runtime, seconds: int) -> None:
    """Moves the chain's clock `seconds` past the ledger's clock now. (Anvil's own increaseTime adds to
    the wall clock, which an automined chain that minted many blocks in a second runs ahead of.)"""
    runtime.rpc.request("evm_setNextBlockTimestamp", [runtime.chain.fetch_time() + seconds])
    runtime.rpc.request("evm_mine")


def credit(admin: ApiUser, user: ApiUser, amount: str, currency: str = "CNY") -> None:
    response = admin.post(
        "/v1/cash/credits",
        json={"participant_id": user.participant_id, "currency": currency, "amount": amount},
    )
    assert response.status_code == 201, response.text


def cash(user: ApiUser, currency: str = "CNY") -> Decimal:
    [balance] = [item for item in user.get("/v1/cash").json() if item["currency"] == currency]
    return Decimal(balance["balance"])


def publish_terms(financier: ApiUser, rate_bps: int, **overrides: Any) -> dict[str, Any]:
    body = {
        "currency": "CNY",
        "rate_bps": rate_bps,
        "quote_basis": "discount",
        "day_count": "ACT/360",
        "min_amount": "1000000.00",
        "max_amount": "50000000.00",
        "budget": "60000000.00",
        **overrides,
    }
    response = financier.post("/v1/financing/terms", json=body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


@pytest.fixture
def tier3(seed: SeedLedger, runtime: Runtime) -> dict[str, Any]:
    """Model 1's chain with exactly 180 days left: C (tier 3) holds CNY 10,000,000.00; the Bank has cash."""
    due = (chain_today(runtime) + timedelta(days=181)).date()  # 180 whole days, and a part of a day
    voucher = issue_voucher(seed.admin, seed.carmaker, seed.t1, due_date=due.isoformat())
    to_a = transfer(seed.t1, voucher["root_token_id"], seed.a, "30000000.00")
    transfer(seed.t1, voucher["root_token_id"], seed.b, "20000000.00")
    to_c = transfer(seed.a, to_a["token_id"], seed.c, "10000000.00")
    credit(seed.admin, seed.bank, "100000000.00")
    return {"voucher": voucher, "c_token": to_c["token_id"], "a_token": to_a["token_id"]}


def test_seed_figures_tier3_supplier_finances_at_6_instead_of_12_percent(
    seed: SeedLedger, runtime: Runtime, tier3: dict[str, Any]
) -> None:
    cheap = publish_terms(seed.bank, 600)
    dear = publish_terms(seed.bank, 1_200)
    path = f"/v1/notes/{tier3['c_token']}/financing-quotes"
    at_six = seed.c.post(path, json={"terms_id": cheap["id"], "amount": "10000000.00"}).json()
    at_twelve = seed.c.post(path, json={"terms_id": dear["id"], "amount": "10000000.00"}).json()
    assert (at_six["days"], at_six["day_count"], at_six["basis_days"]) == (180, "ACT/360", 360)
    assert at_six["price"] == "9700000.00" and at_six["discount"] == "300000.00"
    assert at_twelve["price"] == "9400000.00" and at_twelve["discount"] == "600000.00"
    assert Decimal(at_six["price"]) - Decimal(at_twelve["price"]) == Decimal("300000.00")  # the saving
    assert at_six["rounding"] == "TOWARD_SELLER"
    assert (
        Decimal("0.06")
        < Decimal(at_six["effective_annual_yield"])
        < Decimal(at_twelve["effective_annual_yield"])
    )

    bank_cash = cash(seed.bank)
    executed = seed.c.post(f"/v1/financing-quotes/{at_six['id']}/execution")
    assert executed.status_code == 201, executed.text
    trade = executed.json()
    assert trade["cash_received"] == "9700000.00" and trade["seller_remaining"] == "0.00"
    # delivery versus payment: both legs in the same transaction
    assert cash(seed.c) == Decimal("9700000.00")
    assert cash(seed.bank) == bank_cash - Decimal("9700000.00")
    [bank_note] = seed.bank.get("/v1/notes").json()["items"]
    assert bank_note["value"] == "10000000.00" and bank_note["token_id"] == trade["financier_token_id"]
    assert bank_note["parent_token_id"] == tier3["c_token"] and bank_note["depth"] == 3
    assert seed.c.get("/v1/notes").json()["items"] == []
    # the same value can never be financed twice: C holds nothing of it any more
    expect_error(
        seed.c.post(path, json={"terms_id": dear["id"], "amount": "10000000.00"}), 422, "insufficient_value"
    )
    terms = {t["id"]: t for t in seed.c.get("/v1/financing/terms").json()["items"]}
    assert terms[cheap["id"]]["used"] == "9700000.00"


def test_partial_financing_of_a_piece(seed: SeedLedger, runtime: Runtime, tier3: dict[str, Any]) -> None:
    terms = publish_terms(seed.bank, 600, quote_basis="yield", day_count="ACT/365F")
    quote = seed.a.post(
        f"/v1/notes/{tier3['a_token']}/financing-quotes",
        json={"terms_id": terms["id"], "amount": "5000000.00"},
    ).json()
    # yield basis: 5,000,000 / (1 + 0.06 x 180 / 365), rounded up to the cent
    assert quote["price"] == "4856306.55"
    trade = seed.a.post(f"/v1/financing-quotes/{quote['id']}/execution").json()
    assert trade["seller_remaining"] == "15000000.00"
    assert cash(seed.a) == Decimal("4856306.55")


def test_quote_errors_change_nothing(seed: SeedLedger, runtime: Runtime, tier3: dict[str, Any]) -> None:
    terms = publish_terms(seed.bank, 600, budget="5000000.00", max_amount="20000000.00")
    usd_terms = publish_terms(seed.bank, 600, currency="USD")
    path = f"/v1/notes/{tier3['c_token']}/financing-quotes"
    with unchanged(runtime):
        expect_error(
            seed.c.post(path, json={"terms_id": terms["id"], "amount": "20000000.00"}),
            422,
            "insufficient_value",
        )
        expect_error(
            seed.c.post(path, json={"terms_id": terms["id"], "amount": "10000000.00"}), 422, "budget_exceeded"
        )
        expect_error(
            seed.c.post(path, json={"terms_id": usd_terms["id"], "amount": "1000000.00"}),
            422,
            "wrong_currency",
        )
        expect_error(
            seed.c.post(path, json={"terms_id": terms["id"], "amount": "1500000.00"}),
            422,
            "amount_not_unit_multiple",
        )
        expect_error(
            seed.c.post(path, json={"terms_id": 999, "amount": "1000000.00"}),
            404,
            "financing_terms_not_found",
        )
        # A split C's piece off its own, so sees it; B does not see it at all (docs/visibility.md)
        expect_error(
            seed.a.post(path, json={"terms_id": terms["id"], "amount": "1000000.00"}), 403, "not_holder"
        )
        expect_error(
            seed.b.post(path, json={"terms_id": terms["id"], "amount": "1000000.00"}), 404, "note_not_found"
        )
        expect_error(seed.c.post("/v1/financing/terms", json={}), 403, "forbidden")


def test_expired_quote_cannot_be_executed(seed: SeedLedger, runtime: Runtime, tier3: dict[str, Any]) -> None:
    terms = publish_terms(seed.bank, 600)
    quote = seed.c.post(
        f"/v1/notes/{tier3['c_token']}/financing-quotes",
        json={"terms_id": terms["id"], "amount": "10000000.00"},
    ).json()
    # past the expiry by the chain's clock too (after a test's snapshot is restored it may lag the wall's)
    expires_at = datetime.fromisoformat(quote["expires_at"])
    warp(runtime, int(expires_at.timestamp()) - runtime.chain.fetch_time() + 1)
    with unchanged(runtime):
        expect_error(seed.c.post(f"/v1/financing-quotes/{quote['id']}/execution"), 422, "quote_expired")
    assert cash(seed.c) == 0


def test_replayed_and_altered_quotes_revert_on_chain(
    seed: SeedLedger, runtime: Runtime, tier3: dict[str, Any]
) -> None:
    terms = publish_terms(seed.bank, 600)
    quote = seed.c.post(
        f"/v1/notes/{tier3['c_token']}/financing-quotes",
        json={"terms_id": terms["id"], "amount": "5000000.00"},
    ).json()
    assert seed.c.post(f"/v1/financing-quotes/{quote['id']}/execution").status_code == 201
    expect_error(seed.c.post(f"/v1/financing-quotes/{quote['id']}/execution"), 409, "quote_already_used")

    # Skipping the service's own bookkeeping, the desk itself refuses a replay and an altered price.
    with runtime.database.sessions() as session:
        from service.financing.repository import fetch_quote

        stored = fetch_quote(session, quote["id"])
        seller = participants_repository.fetch_participant(session, seed.c.participant_id)
        financier = participants_repository.fetch_participant(session, seed.bank.participant_id)
        assert stored is not None and seller is not None and financier is not None
        message = _quote_message(stored, financier, seller, runtime.chain.deployment.addresses["cash:CNY"])
    desk = runtime.chain.contracts.desk
    signature = bytes.fromhex(quote["signature"][2:])
    replay = desk.calldata("executeQuote", tuple(message[f["name"]] for f in QUOTE_TYPE), signature)
    with unchanged(runtime), pytest.raises(QuoteAlreadyUsed):
        carry_out(
            runtime, [act_as(runtime, seller, "test.replay", desk.address, replay)], participant_id=seller.id
        )
    altered = {**message, "nonce": message["nonce"] + 1, "price": message["price"] + 100_000_00}
    tampered = desk.calldata("executeQuote", tuple(altered[f["name"]] for f in QUOTE_TYPE), signature)
    with unchanged(runtime), pytest.raises(InvalidSignature):
        carry_out(
            runtime, [act_as(runtime, seller, "test.alter", desk.address, tampered)], participant_id=seller.id
        )


def test_matured_piece_cannot_be_financed(seed: SeedLedger, runtime: Runtime, tier3: dict[str, Any]) -> None:
    terms = publish_terms(seed.bank, 600)
    warp(runtime, 182 * 86_400)
    with unchanged(runtime):
        expect_error(
            seed.c.post(
                f"/v1/notes/{tier3['c_token']}/financing-quotes",
                json={"terms_id": terms["id"], "amount": "1000000.00"},
            ),
            409,
            "voucher_matured",
        )


def test_terms_withdrawal_and_eligibility(seed: SeedLedger, runtime: Runtime, tier3: dict[str, Any]) -> None:
    other_obligor_only = publish_terms(seed.bank, 500, eligible_obligor_ids=[])
    withdrawn = seed.bank.post(f"/v1/financing/terms/{other_obligor_only['id']}/withdrawal").json()
    assert withdrawn["active"] is False
    path = f"/v1/notes/{tier3['c_token']}/financing-quotes"
    expect_error(
        seed.c.post(path, json={"terms_id": withdrawn["id"], "amount": "1000000.00"}),
        409,
        "financing_terms_withdrawn",
    )
    carmaker_only = publish_terms(seed.bank, 500, eligible_obligor_ids=[seed.carmaker.participant_id])
    assert (
        seed.c.post(path, json={"terms_id": carmaker_only["id"], "amount": "1000000.00"}).status_code == 201
    )
    expect_error(
        seed.bank.post(
            "/v1/financing/terms", json={**carmaker_only, "eligible_obligor_ids": [seed.t1.participant_id]}
        ),
        422,
        "invalid_request",
    )


def idle_chain(runtime: Runtime, seconds: int) -> datetime:
    """The chain as an embedded Anvil leaves it after `seconds` without a transaction: its latest block
    that much older than the wall clock, its next block at the wall clock's time."""
    now = int(datetime.now(UTC).timestamp())
    runtime.rpc.request("evm_setTime", [now - seconds])
    runtime.rpc.request("evm_mine")
    runtime.rpc.request("evm_setTime", [now])
    return datetime.fromtimestamp(runtime.chain.fetch_latest_block_time(), UTC)


def test_a_fresh_quote_lives_its_whole_ttl_on_an_idle_chain(
    seed: SeedLedger, runtime: Runtime, tier3: dict[str, Any]
) -> None:
    """Its expiry was the latest block's time plus the TTL: after five idle minutes a new quote was dead
    on arrival (quote_expired). It is now judged by the ledger's clock, the later of the wall clock and
    the latest block's time, as everything else is."""
    terms = publish_terms(seed.bank, 600)
    latest_block_at = idle_chain(runtime, 600)
    asked_at = datetime.now(UTC)
    assert latest_block_at < asked_at - timedelta(seconds=590)
    response = seed.c.post(
        f"/v1/notes/{tier3['c_token']}/financing-quotes",
        json={"terms_id": terms["id"], "amount": "10000000.00"},
    )
    assert response.status_code == 201, response.text
    quote = response.json()
    expires_at = datetime.fromisoformat(quote["expires_at"])
    ttl = timedelta(seconds=runtime.settings.quote_ttl_seconds)
    assert expires_at >= asked_at.replace(microsecond=0) + ttl
    executed = seed.c.post(f"/v1/financing-quotes/{quote['id']}/execution")
    assert executed.status_code == 201, executed.text


def test_maturity_is_judged_by_the_ledger_clock_when_the_chain_runs_ahead(
    seed: SeedLedger, runtime: Runtime
) -> None:
    """Issuance checked maturity against the wall clock, everything else against the chain: with the
    chain two days ahead, a voucher due tomorrow by the wall clock is already due by the ledger's clock."""
    warp(runtime, 2 * 86_400)
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    body = {
        "obligor_participant_id": seed.carmaker.participant_id,
        "holder_participant_id": seed.t1.participant_id,
        "currency": "CNY",
        "face_value": "1000.00",
        "minimum_unit": "1.00",
        "due_date": tomorrow,
        "invoice_references": ["INV-1"],
        "document_hash": "0x" + "cd" * 32,
    }
    with unchanged(runtime):
        expect_error(seed.admin.post("/v1/vouchers", json=body), 422, "maturity_in_past")


def test_a_failed_trade_speaks_the_apis_units_and_keeps_the_financiers_cash_to_itself(
    seed: SeedLedger, runtime: Runtime, tier3: dict[str, Any]
) -> None:
    """The desk's insufficient_cash told the seller the financier's cash in minor units ("holds
    8000000000 cash, needs 9500000000") and named it by its address."""
    poor = register(seed.admin, "Poor bank", "financier")
    credit(seed.admin, poor, "1234567.89")
    terms = publish_terms(poor, 600)
    quote = seed.c.post(
        f"/v1/notes/{tier3['c_token']}/financing-quotes",
        json={"terms_id": terms["id"], "amount": "10000000.00"},
    ).json()
    with unchanged(runtime):
        refused = expect_error(
            seed.c.post(f"/v1/financing-quotes/{quote['id']}/execution"), 422, "insufficient_cash"
        )
    assert (
        refused["message"]
        == f"participant {poor.participant_id} does not hold the 9700000.00 CNY of cash this needs"
    )
    assert refused["details"] == {
        "error": "ERC20InsufficientBalance",
        "sender": poor.participant_id,
        "needed": "9700000.00",
        "currency": "CNY",
    }
    assert (
        "1234567.89" not in repr(refused) and "123456789" not in repr(refused) and "0x" not in repr(refused)
    )
