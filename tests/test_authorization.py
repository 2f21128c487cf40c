"""The authorization matrix: every route of the API's schema, called by every kind of caller, answers
the status this table says. A new route fails the test until it has its row.

Callers, in the order each route is called (so that a success of an earlier caller is what later ones
see, the same on every run): no key, an investor, the oracle, a supplier holding nothing, the financier,
the compliance agent, the obligor, the supplier holding the voucher's root piece, the admin. Every route
runs on a fresh ledger of its own: model 1's participants, the voucher, the financier's terms and a
quote for the holder, the obligor's early-payment programme.

The table is the access rule written out: 401 without a key, 403 for a role the route is not for, 404
for a resource the caller may not see (so that ids reveal nothing), and the route's own answer (2xx, or
a refusal about the request itself) for the callers it is for.
"""

# ruff: noqa: E501  (the table reads best one route to a line)
from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from service.runtime import Runtime
from tests.conftest import ApiUser, SeedLedger, register
from tests.test_edge_sweep import valid_bodies
from tests.test_financing import credit

pytestmark = pytest.mark.integration

CALLERS = (
    "anonymous",
    "investor",
    "oracle",
    "other",
    "financier",
    "compliance",
    "obligor",
    "holder",
    "admin",
)
SWEEP_ROLES = {"t1": "holder", "bank": "financier", "carmaker": "obligor"}

# route: the status each caller gets, in CALLERS order:
#   anonymous investor oracle other financier compliance obligor holder admin
EXPECTED: dict[str, str] = {
    "GET /v1/cash": "401 200 200 200 200 200 200 200 200",
    "GET /v1/compliance/actions": "401 403 403 403 403 200 403 403 200",
    "GET /v1/early-payment-programmes/{programme_id}": "401 404 404 404 404 200 200 200 200",
    "GET /v1/early-payment-programmes/{programme_id}/quote": "401 404 404 404 404 200 200 200 200",
    "GET /v1/financing-quotes/{quote_id}": "401 404 404 404 200 404 404 200 200",
    "GET /v1/financing/terms": "401 200 200 200 200 200 200 200 200",
    "GET /v1/fx/rates": "401 200 200 200 200 200 200 200 200",
    "GET /v1/fx/rates/{base}/{quote}/history": "401 200 200 200 200 200 200 200 200",
    "GET /v1/health": "200 200 200 200 200 200 200 200 200",
    "GET /v1/jobs/{job_id}": "401 404 404 404 404 404 404 404 404",
    "GET /v1/ledger/reconciliation": "401 403 403 403 403 403 403 403 200",
    "GET /v1/listings/{listing_id}": "401 200 200 200 200 200 200 200 200",
    "GET /v1/market/figures": "401 200 200 200 200 200 200 200 200",
    "GET /v1/monitoring/cross-border-payments": "401 403 403 403 403 200 403 403 200",
    "GET /v1/monitoring/cross-border-summary": "401 403 403 403 403 200 403 403 200",
    "GET /v1/notes": "401 200 200 200 200 200 200 200 200",
    "GET /v1/notes/{token_id}": "401 404 404 404 404 200 200 200 200",
    "GET /v1/offerings": "401 200 200 200 200 200 200 200 200",
    "GET /v1/offerings/{offering_id}": "401 200 200 200 200 200 200 200 200",
    "GET /v1/offerings/{offering_id}/listings": "401 200 200 200 200 200 200 200 200",
    "GET /v1/offerings/{offering_id}/price": "401 200 200 200 200 200 200 200 200",
    "GET /v1/participants": "401 403 403 403 403 200 403 403 200",
    "GET /v1/participants/me": "401 200 200 200 200 200 200 200 200",
    "GET /v1/participants/{participant_id}": "401 200 200 200 200 200 200 200 200",
    "GET /v1/participants/{participant_id}/identity-changes": "401 403 403 403 403 200 403 403 200",
    "GET /v1/participants/{participant_id}/transfer-limits/{currency}": "401 403 403 200 403 200 403 403 200",
    "GET /v1/portfolio": "401 200 200 200 200 200 200 200 200",
    "GET /v1/vouchers": "401 200 200 200 200 200 200 200 200",
    "GET /v1/vouchers/{voucher_id}": "401 404 404 404 404 200 200 200 200",
    "GET /v1/vouchers/{voucher_id}/early-payment-programmes": "401 404 404 404 404 200 200 200 200",
    "GET /v1/vouchers/{voucher_id}/lineage": "401 404 404 404 404 200 200 200 200",
    "GET /v1/vouchers/{voucher_id}/milestones": "401 404 200 404 404 200 200 200 200",
    "GET /v1/vouchers/{voucher_id}/settlement": "401 404 404 404 404 200 200 200 200",
    "GET /v1/vouchers/{voucher_id}/settlement/report": "401 404 404 404 404 200 200 200 200",
    "GET /v1/vouchers/{voucher_id}/transfer-cap": "401 404 404 404 404 200 200 200 200",
    "POST /v1/cash/credits": "401 403 403 403 403 403 403 403 201",
    "POST /v1/early-payment-programmes/{programme_id}/closure": "401 404 404 404 404 403 200 403 403",
    "POST /v1/early-payment-programmes/{programme_id}/closure/signing-request": "401 404 404 404 404 403 200 403 403",
    "POST /v1/early-payment-programmes/{programme_id}/redemptions": "401 404 404 404 404 403 403 201 403",
    "POST /v1/early-payment-programmes/{programme_id}/redemptions/signing-request": "401 404 404 404 404 403 403 200 403",
    "POST /v1/financing-quotes/{quote_id}/execution": "401 404 404 404 404 404 404 201 404",
    "POST /v1/financing-quotes/{quote_id}/execution/signing-request": "401 404 404 404 404 404 404 200 404",
    "POST /v1/financing/terms": "401 403 403 403 201 403 403 403 403",
    "POST /v1/financing/terms/{terms_id}/withdrawal": "401 403 403 403 200 403 403 403 403",
    "POST /v1/fx/rates/{base}/{quote}": "401 403 201 403 403 403 403 403 403",
    "POST /v1/ledger/pause": "401 403 403 403 403 200 403 403 409",
    "POST /v1/ledger/unpause": "401 403 403 403 403 409 403 403 409",
    "POST /v1/listings/{listing_id}/cancellation": "401 200 403 403 403 403 403 403 403",
    "POST /v1/listings/{listing_id}/cancellation/signing-request": "401 200 403 403 403 403 403 403 403",
    "POST /v1/listings/{listing_id}/purchases": "401 422 403 403 201 403 403 403 403",
    "POST /v1/listings/{listing_id}/purchases/signing-request": "401 200 403 403 200 403 403 403 403",
    "POST /v1/notes/{token_id}/financing-quotes": "401 404 404 404 404 403 403 201 403",
    "POST /v1/notes/{token_id}/forced-transfers": "401 403 403 403 403 201 403 403 403",
    "POST /v1/notes/{token_id}/freeze": "401 403 403 403 403 200 403 403 403",
    "POST /v1/notes/{token_id}/frozen-value": "401 403 403 403 403 200 403 403 403",
    "POST /v1/notes/{token_id}/offerings": "401 404 404 404 404 403 403 201 403",
    "POST /v1/notes/{token_id}/offerings/signing-request": "401 404 404 404 404 403 403 200 403",
    "POST /v1/notes/{token_id}/settlement-claims": "401 404 404 404 404 403 403 409 403",
    "POST /v1/notes/{token_id}/settlement-claims/signing-request": "401 404 404 404 404 403 403 200 403",
    "POST /v1/notes/{token_id}/transfers": "401 404 404 404 404 403 403 201 403",
    "POST /v1/notes/{token_id}/transfers/signing-request": "401 404 404 404 404 403 403 200 403",
    "POST /v1/notes/{token_id}/transfers:check": "401 404 404 404 404 200 403 200 403",
    "POST /v1/notes/{token_id}/unfreeze": "401 403 403 403 403 200 403 403 403",
    "POST /v1/offerings/{offering_id}/closure": "401 403 403 403 403 403 403 200 403",
    "POST /v1/offerings/{offering_id}/closure/signing-request": "401 403 403 403 403 403 403 200 403",
    "POST /v1/offerings/{offering_id}/collection": "401 409 409 409 409 409 409 409 409",
    "POST /v1/offerings/{offering_id}/listings": "401 201 403 403 403 403 403 403 403",
    "POST /v1/offerings/{offering_id}/listings/signing-request": "401 200 403 403 403 403 403 403 403",
    "POST /v1/offerings/{offering_id}/redemption-runs": "401 403 403 403 403 403 403 409 409",
    "POST /v1/offerings/{offering_id}/redemptions": "401 409 409 409 409 409 409 409 422",
    "POST /v1/offerings/{offering_id}/redemptions/signing-request": "401 200 200 200 200 200 200 200 200",
    "POST /v1/offerings/{offering_id}/subscriptions": "401 201 403 403 201 403 403 403 403",
    "POST /v1/offerings/{offering_id}/subscriptions/signing-request": "401 200 403 403 200 403 403 403 403",
    "POST /v1/offerings/{offering_id}/withdrawal": "401 403 403 403 403 403 403 201 403",
    "POST /v1/offerings/{offering_id}/withdrawal/signing-request": "401 403 403 403 403 403 403 200 403",
    "POST /v1/participants": "401 403 403 403 403 201 403 403 409",
    "POST /v1/participants/{participant_id}/freeze": "401 403 403 403 403 200 403 403 403",
    "POST /v1/participants/{participant_id}/identity": "401 403 403 403 403 200 403 403 403",
    "POST /v1/participants/{participant_id}/recovery": "401 403 403 403 403 422 403 403 403",
    "POST /v1/participants/{participant_id}/revocation": "401 403 403 403 403 200 403 403 403",
    "POST /v1/participants/{participant_id}/unfreeze": "401 403 403 403 403 200 403 403 403",
    "POST /v1/participants/{participant_id}/verification": "401 403 403 403 403 200 403 403 403",
    "POST /v1/transfer-batches": "401 422 422 422 422 422 422 201 422",
    "POST /v1/vouchers": "401 403 403 403 403 403 201 403 201",
    "POST /v1/vouchers/{voucher_id}/early-payment-programmes": "401 404 404 404 404 403 201 403 403",
    "POST /v1/vouchers/{voucher_id}/early-payment-programmes/signing-request": "401 404 404 404 404 403 200 403 403",
    "POST /v1/vouchers/{voucher_id}/milestones": "401 403 201 403 403 403 403 403 403",
    "POST /v1/vouchers/{voucher_id}/pause": "401 403 403 403 403 200 403 403 409",
    "POST /v1/vouchers/{voucher_id}/settlement/fundings": "401 404 404 404 404 403 201 403 403",
    "POST /v1/vouchers/{voucher_id}/settlement/fundings/signing-request": "401 404 404 404 404 403 200 403 403",
    "POST /v1/vouchers/{voucher_id}/settlement/payouts": "401 404 404 404 404 403 409 403 409",
    "POST /v1/vouchers/{voucher_id}/unpause": "401 403 403 403 403 409 403 403 409",
    "PUT /v1/participants/{participant_id}/transfer-limits/{currency}": "401 403 403 403 403 200 403 403 403",
    "PUT /v1/vouchers/{voucher_id}/transfer-cap": "401 403 403 403 403 200 403 403 403",
}


def _schema_routes(client: Any) -> list[str]:
    schema = client.get("/openapi.json").json()
    return sorted(
        f"{method.upper()} {path}"
        for path, operations in schema["paths"].items()
        for method in operations
        if method in ("get", "post", "put")
    )


def _concrete(path: str, seed: SeedLedger) -> str:
    values = {
        "participant_id": seed.b.participant_id,
        "voucher_id": seed.voucher["id"],
        "token_id": seed.voucher["root_token_id"],
        "terms_id": 1,
        "quote_id": 1,
        "programme_id": 1,
        "job_id": 1,
        "base": "USD",
        "quote": "CNY",
        "currency": "CNY",
        "offering_id": 1,
        "listing_id": 1,
    }
    for name, value in values.items():
        path = path.replace("{" + name + "}", str(value))
    if (path.endswith("/quote") and "early-payment" in path) or path.endswith("/price"):
        path += "?amount=1000000.00"
    if path.endswith("/market/figures"):
        today = datetime.now(UTC).date()
        path += f"?from={today - timedelta(days=7)}&to={today + timedelta(days=7)}"
    return path


def _world(seed: SeedLedger) -> dict[str, ApiUser | None]:
    investor = register(seed.admin, "Investor", "investor")
    oracle = register(seed.admin, "Oracle", "oracle")
    credit(seed.admin, seed.bank, "50000000.00")
    credit(seed.admin, seed.carmaker, "10000000.00")
    terms = {
        "currency": "CNY",
        "rate_bps": 600,
        "min_amount": "1000000.00",
        "max_amount": "50000000.00",
        "budget": "50000000.00",
    }
    assert seed.bank.post("/v1/financing/terms", json=terms).status_code == 201
    quote = {"terms_id": 1, "amount": "1000000.00"}
    root = seed.voucher["root_token_id"]
    assert seed.t1.post(f"/v1/notes/{root}/financing-quotes", json=quote).status_code == 201
    cutoff = (datetime.now(UTC) + timedelta(days=100)).date().isoformat()
    programme = {"rate_bps": 800, "budget": "1000000.00", "cutoff_date": cutoff}
    response = seed.carmaker.post(
        f"/v1/vouchers/{seed.voucher['id']}/early-payment-programmes", json=programme
    )
    assert response.status_code == 201, response.text
    _market(seed, investor)
    return {
        "anonymous": None,
        "investor": investor,
        "oracle": oracle,
        "other": seed.b,
        "financier": seed.bank,
        "compliance": seed.compliance,
        "obligor": seed.carmaker,
        "holder": seed.t1,
        "admin": seed.admin,
    }


def _market(seed: SeedLedger, investor: ApiUser) -> None:
    """Offering 1 of 10,000,000.00 of the holder's root piece; the investor buys 2,000,000.00 of it and
    lists 1,000,000.00 (listing 1)."""
    offering = {
        "amount": "10000000.00",
        "rate_bps": 600,
        "day_count": "ACT/360",
        "min_subscription": "100000.00",
        "closes_on": (datetime.now(UTC) + timedelta(days=90)).date().isoformat(),
    }
    root = seed.voucher["root_token_id"]
    response = seed.t1.post(f"/v1/notes/{root}/offerings", json=offering)
    assert response.status_code == 201, response.text
    credit(seed.admin, investor, "5000000.00")
    buy = {"amount": "2000000.00", "max_cash": "2000000.00"}
    response = investor.post("/v1/offerings/1/subscriptions", json=buy)
    assert response.status_code == 201, response.text
    response = investor.post("/v1/offerings/1/listings", json={"amount": "1000000.00", "rate_bps": 600})
    assert response.status_code == 201, response.text


def _body(seed: SeedLedger, route: str) -> dict[str, Any] | None:
    bodies = {
        **{label: case.body for label, case in valid_bodies(seed).items()},
        "PUT /v1/participants/{participant_id}/transfer-limits/{currency}": {
            "limit": "1000000.00",
            "window_seconds": 86_400,
            "reason": "court_order",
        },
        "PUT /v1/vouchers/{voucher_id}/transfer-cap": {"amount": "500000.00", "reason": "court_order"},
        # the sweep's body merges into token 1, which the recipient does not hold
        "POST /v1/notes/{token_id}/transfers": {
            "to_participant_id": seed.a.participant_id,
            "amount": "1000000.00",
        },
    }
    return bodies.get(route)


def _call(user: ApiUser | None, client: Any, route: str, path: str, body: Any) -> int:
    method = route.split(" ", 1)[0]
    headers = user.headers if user is not None else {}
    if method == "GET":
        return int(client.get(path, headers=headers).status_code)
    request = client.post if method == "POST" else client.put
    return int(request(path, json=body, headers=headers).status_code)


def observe(seed: SeedLedger, route: str) -> str:
    callers = _world(seed)
    path, body = _concrete(route.split(" ", 1)[1], seed), _body(seed, route)
    return " ".join(str(_call(callers[name], seed.admin.client, route, path, body)) for name in CALLERS)


def test_every_route_has_its_row(seed: SeedLedger) -> None:
    assert _schema_routes(seed.admin.client) == sorted(EXPECTED)


@pytest.mark.parametrize("route", sorted(EXPECTED))
def test_each_caller_gets_the_status_of_its_row(seed: SeedLedger, runtime: Runtime, route: str) -> None:
    observed = observe(seed, route)
    if os.environ.get("CASCADE_PRINT_MATRIX"):
        print(f"MATRIX {route!r}: {observed!r},")
    assert observed == EXPECTED[route], (
        f"{route}: callers {', '.join(CALLERS)} got {observed}, the table says {EXPECTED[route]}"
    )
