"""API fuzzing with schemathesis: every operation of the OpenAPI schema, through the real app on Anvil.

Each operation is fuzzed against its own copy of one seeded ledger (model 1's participants, the
CNY 100,000,000 voucher with a piece at tier 2, cash, financing terms and a quote, an early-payment
programme: id 1 of everything exists), by a caller drawn from the admin, the obligor, the tier-1
supplier, the financier and nobody. Every answer must be documented: no 5xx, a documented status
code and content type, a body that matches the response schema, and invalid input refused with a 4xx.
As random input mostly earns error answers, a tour also takes every operation down its success path.

`CASCADE_FUZZ_EXAMPLES` bounds the generated examples per operation (a few in `make test`);
`make fuzz` runs many more. The coverage phase (boundary and invalid values) always runs in full.
"""

from __future__ import annotations

import os
import shutil
import time
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis import APIOperation
from schemathesis.checks import not_a_server_error
from schemathesis.core import NOT_SET
from schemathesis.core.errors import InvalidSchema
from schemathesis.core.jsonschema.types import JsonValue
from schemathesis.core.result import Ok, Result
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from service.chain.anvil import AnvilProcess
from service.chain.client import Deployment
from service.chain.rpc import JsonRpc
from service.main import create_app
from service.participants.service import create_admin
from service.runtime import Runtime, start_runtime
from service.settings import Settings
from tests.conftest import (
    ApiUser,
    issue_voucher,
    ledger_settings,
    record_session_deployment,
    register,
    transfer,
)

pytestmark = pytest.mark.integration

FUZZ_EXAMPLES = int(os.environ.get("CASCADE_FUZZ_EXAMPLES", "10"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
# Weighted towards the roles most operations need, so most requests get past authorisation.
ROLES = (
    "admin",
    "admin",
    "compliance",
    "oracle",
    "obligor",
    "supplier",
    "supplier",
    "financier",
    "anonymous",
)

schema = schemathesis.openapi.from_dict(
    create_app().openapi(),
    config=schemathesis.Config.from_dict(
        {
            # the test sends the caller's key itself: no generated (or deliberately missing) Authorization
            "generation": {"mode": "all", "max-examples": FUZZ_EXAMPLES, "with-security-parameters": False},
            "phases": {"stateful": {"enabled": False}},
        }
    ),
)


def _settings(anvil: AnvilProcess, directory: Path) -> Settings:
    return ledger_settings(anvil, f"sqlite:///{directory / 'cascade.db'}", directory / "data")


def _post(user: ApiUser, path: str, body: dict[str, object]) -> dict[str, object]:
    response = user.post(path, json=body)
    assert response.status_code == 201, response.text
    result: dict[str, object] = response.json()
    return result


def _build_seed(runtime: Runtime, client: TestClient) -> dict[str, str]:
    """Participant 1 to 5, voucher 1 (tokens 1 and 2), terms 1, quote 1, programme 1; the callers' keys."""
    address, _ = runtime.key_vault.create_account()
    with runtime.database.connection_transaction() as connection:
        participant, secret = create_admin(connection, "Fuzz admin", address)
        admin = ApiUser(client, secret, participant.id, address)
    compliance = register(admin, "Compliance", "compliance_agent")
    oracle = register(admin, "Oracle", "oracle")
    carmaker = register(admin, "Carmaker", "obligor")
    t1 = register(admin, "T1", "supplier")
    a = register(admin, "A", "supplier")
    bank = register(admin, "Bank", "financier")
    investor = register(admin, "Investor", "investor")
    voucher = issue_voucher(admin, carmaker, t1)
    transfer(t1, voucher["root_token_id"], a, "30000000.00")
    for user in (bank, carmaker, investor):
        body = {"participant_id": user.participant_id, "currency": "CNY", "amount": "100000000.00"}
        _post(admin, "/v1/cash/credits", body)
    offer = {"currency": "CNY", "rate_bps": 600, "min_amount": "1000000.00", "max_amount": "50000000.00"}
    terms = _post(bank, "/v1/financing/terms", {**offer, "budget": "60000000.00"})
    token = voucher["root_token_id"]
    _post(t1, f"/v1/notes/{token}/financing-quotes", {"terms_id": terms["id"], "amount": "10000000.00"})
    cutoff = datetime.fromtimestamp(runtime.chain.fetch_time(), UTC) + timedelta(days=90)
    _post(
        carmaker,
        f"/v1/vouchers/{voucher['id']}/early-payment-programmes",
        {"rate_bps": 800, "budget": "15000000.00", "cutoff_date": cutoff.date().isoformat()},
    )
    return {
        "admin": admin.key,
        "compliance": compliance.key,
        "oracle": oracle.key,
        "obligor": carmaker.key,
        "supplier": t1.key,
        "financier": bank.key,
        "investor": investor.key,
    }


@dataclass
class SeededLedger:
    """The seeded ledger every operation starts from: a chain snapshot, a database and data directory."""

    directory: Path
    snapshot: dict[str, str]
    keys: dict[str, str]


@pytest.fixture(scope="module")
def seeded_ledger(
    anvil: AnvilProcess,
    deployment: Deployment,
    service_accounts: dict[str, tuple[str, str]],
    chain_baseline: dict[str, str],
    sqlite_template: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[SeededLedger]:
    directory = tmp_path_factory.mktemp("fuzz-seed")
    shutil.copy(sqlite_template, directory / "cascade.db")
    seed_settings = _settings(anvil, directory)
    record_session_deployment(seed_settings.resolved_database_url, deployment, service_accounts)
    runtime = start_runtime(seed_settings, writer=True)
    try:
        with TestClient(create_app(runtime)) as client:
            keys = _build_seed(runtime, client)
    finally:
        runtime.close()
    rpc = JsonRpc(anvil.rpc_url)
    try:
        yield SeededLedger(directory, {"id": rpc.request("evm_snapshot")}, keys)
        # back to the deployment baseline for the tests after this module
        assert rpc.request("evm_revert", [chain_baseline["id"]]) is True
        chain_baseline["id"] = rpc.request("evm_snapshot")
    finally:
        rpc.close()


@dataclass
class FuzzTarget:
    runtime: Runtime
    app: FastAPI
    keys: dict[str, str]

    def headers(self, role: str) -> dict[str, str]:
        return {} if role == "anonymous" else {"Authorization": f"Bearer {self.keys[role]}"}


@pytest.fixture
def fuzz_target(anvil: AnvilProcess, seeded_ledger: SeededLedger, tmp_path: Path) -> Iterator[FuzzTarget]:
    """A fresh copy of the seeded ledger: the chain back at its snapshot, the database and keys copied."""
    rpc = JsonRpc(anvil.rpc_url)
    try:
        assert rpc.request("evm_revert", [seeded_ledger.snapshot["id"]]) is True
        seeded_ledger.snapshot["id"] = rpc.request("evm_snapshot")
    finally:
        rpc.close()
    shutil.copy(seeded_ledger.directory / "cascade.db", tmp_path / "cascade.db")
    shutil.copytree(seeded_ledger.directory / "data", tmp_path / "data")
    runtime = start_runtime(_settings(anvil, tmp_path), writer=True)
    try:
        yield FuzzTarget(runtime, create_app(runtime), seeded_ledger.keys)
    finally:
        runtime.close()


def caller_role(case: schemathesis.Case) -> str:
    """The caller is a function of the generated request, so Hypothesis can replay and shrink it."""
    request = repr((case.path_parameters, case.query, case.headers, case.body))
    return ROLES[zlib.crc32(request.encode()) % len(ROLES)]


@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case: schemathesis.Case, fuzz_target: FuzzTarget) -> None:
    role = caller_role(case)
    try:
        case.call_and_validate(app=fuzz_target.app, headers=fuzz_target.headers(role), checks=CHECKS)
    except BaseException as failure:
        failure.add_note(f"caller role: {role}")
        raise


def _loaded(result: Result[APIOperation, InvalidSchema]) -> APIOperation:
    """The operation a schema lookup found; the schema under test loads without errors."""
    assert isinstance(result, Ok), result.err()
    return result.ok()


class Tour:
    """Calls operations with chosen, valid data and checks each answer is a success that fits the schema."""

    def __init__(self, target: FuzzTarget) -> None:
        self.target = target
        self.visited: set[str] = set()

    def call(
        self,
        label: str,
        role: str,
        *,
        query: dict[str, str] | None = None,
        body: Mapping[str, object] | None = None,
        **path_parameters: object,
    ) -> Any:
        operation = schema.find_operation_by_label(label)
        assert operation is not None, label
        case = operation.Case(
            path_parameters=path_parameters or None,
            query=query,
            # schemathesis types a JSON body as the invariant `dict[str, JsonValue]`, which no mapping
            # typed with `object` values can satisfy; it takes any JSON-serialisable mapping.
            body=NOT_SET if body is None else cast("JsonValue", body),
            media_type=None if body is None else "application/json",
        )
        response = case.call_and_validate(
            app=self.target.app, headers=self.target.headers(role), checks=CHECKS
        )
        assert response.status_code < 300, f"{label}: {response.status_code} {response.text}"
        self.visited.add(label)
        [content_type] = response.headers["content-type"]
        result: Any = response.json() if content_type == "application/json" else response.text
        return result


def test_every_operation_succeeds_and_conforms(fuzz_target: FuzzTarget) -> None:
    """Every operation once with valid data, in an order that makes each succeed (voucher 1 is the seed's)."""
    runtime, tour = fuzz_target.runtime, Tour(fuzz_target)
    today = datetime.fromtimestamp(runtime.chain.fetch_time(), UTC).date()
    tour.call("GET /v1/health", "anonymous")
    ids = {row["name"]: row["id"] for row in tour.call("GET /v1/participants", "admin")["items"]}
    t1, a, carmaker = ids["T1"], ids["A"], ids["Carmaker"]
    body = {"name": "D", "role": "supplier", "country": "SG"}
    d = tour.call("POST /v1/participants", "admin", body=body)["id"]
    tour.call("GET /v1/participants/me", "supplier")
    tour.call("GET /v1/participants/{participant_id}", "supplier", participant_id=d)
    tour.call("POST /v1/participants/{participant_id}/revocation", "compliance", participant_id=d)
    tour.call("POST /v1/participants/{participant_id}/verification", "compliance", participant_id=d)
    renewal = {"kyc_expires_on": (today + timedelta(days=400)).isoformat(), "reason": "kyc_renewed"}
    label = "POST /v1/participants/{participant_id}/identity"
    tour.call(label, "compliance", participant_id=d, body=renewal)
    tour.call("GET /v1/participants/{participant_id}/identity-changes", "compliance", participant_id=d)

    issue = {
        "holder_participant_id": t1,
        "currency": "CNY",
        "face_value": "1000000.00",
        "minimum_unit": "1000.00",
        "due_date": (today + timedelta(days=30)).isoformat(),
        "invoice_references": ["INV-TOUR"],
        "document_hash": "0x" + "ef" * 32,
    }
    voucher = tour.call("POST /v1/vouchers", "obligor", body=issue)
    root = voucher["root_token_id"]
    tour.call("GET /v1/vouchers", "obligor")
    seeded = tour.call("GET /v1/vouchers/{voucher_id}", "supplier", voucher_id=1)
    tour.call("GET /v1/vouchers/{voucher_id}/lineage", "supplier", voucher_id=voucher["id"])
    tour.call("GET /v1/notes", "supplier")
    tour.call("GET /v1/notes/{token_id}", "supplier", token_id=root)
    move = {"to_participant_id": a, "amount": "400000.00"}
    tour.call("POST /v1/notes/{token_id}/transfers/signing-request", "supplier", token_id=root, body=move)
    moved = tour.call("POST /v1/notes/{token_id}/transfers", "supplier", token_id=root, body=move)
    # Merged into the piece just made, so that the pieces the tour settles later stay the same.
    half = {**move, "amount": "100000.00", "into_token_id": moved["token_id"]}
    batch = {"items": [{"from_token_id": root, **half}, {"from_token_id": root, **half}]}
    assert tour.call("POST /v1/transfer-batches", "supplier", body=batch)["executed"] == 2

    tour.call("GET /v1/cash", "financier")
    credit = {"participant_id": carmaker, "currency": "CNY", "amount": "1000000.00"}
    tour.call("POST /v1/cash/credits", "admin", body=credit)

    tour.call("GET /v1/financing/terms", "supplier")
    offer = {"currency": "CNY", "rate_bps": 700, "min_amount": "1000000.00", "max_amount": "2000000.00"}
    terms = tour.call("POST /v1/financing/terms", "financier", body={**offer, "budget": "5000000.00"})
    ask = {"terms_id": terms["id"], "amount": "1000000.00"}
    label = "POST /v1/notes/{token_id}/financing-quotes"
    quote = tour.call(label, "supplier", token_id=seeded["root_token_id"], body=ask)
    tour.call("GET /v1/financing-quotes/{quote_id}", "supplier", quote_id=quote["id"])
    label = "POST /v1/financing-quotes/{quote_id}/execution/signing-request"
    tour.call(label, "supplier", quote_id=quote["id"])
    tour.call("POST /v1/financing-quotes/{quote_id}/execution", "supplier", quote_id=quote["id"])
    tour.call("POST /v1/financing/terms/{terms_id}/withdrawal", "financier", terms_id=terms["id"])

    cutoff = (today + timedelta(days=20)).isoformat()
    terms_of_offer = {"rate_bps": 500, "budget": "2000000.00", "cutoff_date": cutoff}
    label = "POST /v1/vouchers/{voucher_id}/early-payment-programmes"
    tour.call(f"{label}/signing-request", "obligor", voucher_id=seeded["id"], body=terms_of_offer)
    programme = tour.call(label, "obligor", voucher_id=seeded["id"], body=terms_of_offer)["id"]
    tour.call("GET /v1/vouchers/{voucher_id}/early-payment-programmes", "obligor", voucher_id=seeded["id"])
    tour.call("GET /v1/early-payment-programmes/{programme_id}", "supplier", programme_id=programme)
    amount = {"amount": "1000000.00"}
    label = "GET /v1/early-payment-programmes/{programme_id}/quote"
    tour.call(label, "supplier", programme_id=programme, query=amount)
    label = "POST /v1/early-payment-programmes/{programme_id}/redemptions"
    redeem = {"token_id": seeded["root_token_id"], **amount}
    tour.call(f"{label}/signing-request", "supplier", programme_id=programme, body=redeem)
    tour.call(label, "supplier", programme_id=programme, body=redeem)
    label = "POST /v1/early-payment-programmes/{programme_id}/closure"
    tour.call(f"{label}/signing-request", "obligor", programme_id=programme)
    tour.call(label, "obligor", programme_id=programme)

    settled = {"voucher_id": voucher["id"]}
    tour.call("GET /v1/vouchers/{voucher_id}/settlement", "obligor", **settled)
    funding = {"amount": "1000000.00"}
    label = "POST /v1/vouchers/{voucher_id}/settlement/fundings"
    tour.call(f"{label}/signing-request", "obligor", body=funding, **settled)
    tour.call(label, "obligor", body=funding, **settled)
    runtime.rpc.request("evm_setNextBlockTimestamp", [runtime.chain.fetch_time() + 31 * 86_400])
    runtime.rpc.request("evm_mine")
    label = "POST /v1/notes/{token_id}/settlement-claims"
    tour.call(f"{label}/signing-request", "supplier", token_id=root)
    tour.call(label, "supplier", token_id=root)
    label = "POST /v1/vouchers/{voucher_id}/settlement/payouts"
    job = tour.call(label, "obligor", body={"batch_size": 10}, **settled)
    for _ in range(600):
        job = tour.call("GET /v1/jobs/{job_id}", "obligor", job_id=job["id"])
        if job["state"] not in ("queued", "running"):
            break
        time.sleep(0.05)
    assert job["state"] == "completed" and job["pieces_paid"] == 1, job
    label = "GET /v1/vouchers/{voucher_id}/settlement/report"
    tour.call(label, "obligor", **settled)
    tour.call(label, "obligor", query={"format": "csv"}, **settled)

    tour_market(tour, runtime, t1=t1)

    tour.call("POST /v1/fx/rates/{base}/{quote}", "oracle", body={"rate": "7.1"}, base="USD", quote="CNY")
    tour.call("GET /v1/fx/rates", "supplier")
    tour.call("GET /v1/fx/rates/{base}/{quote}/history", "supplier", base="USD", quote="CNY")
    shipped = {"milestone": "shipped", "evidence": "B/L 1"}
    tour.call("POST /v1/vouchers/{voucher_id}/milestones", "oracle", body=shipped, voucher_id=1)
    tour.call("GET /v1/vouchers/{voucher_id}/milestones", "supplier", voucher_id=1)
    tour.call("GET /v1/monitoring/cross-border-payments", "compliance")
    tour.call("GET /v1/monitoring/cross-border-payments", "admin", query={"format": "csv"})
    tour.call("GET /v1/monitoring/cross-border-summary", "admin")
    tour_compliance(tour, seeded["root_token_id"], t1=t1, a=a, d=d)

    tour.call("POST /v1/ledger/pause", "admin")
    tour.call("POST /v1/ledger/unpause", "admin")
    assert tour.call("GET /v1/ledger/reconciliation", "admin")["clean"] is True
    assert tour.visited == {_loaded(result).label for result in schema.get_all_operations()}


def tour_market(tour: Tour, runtime: Runtime, *, t1: int) -> None:
    """Model 2 (service/market): an offering of T1's piece of a fresh voucher, bought, traded, redeemed."""
    now = datetime.fromtimestamp(runtime.chain.fetch_time(), UTC)
    issue = {
        "holder_participant_id": t1,
        "currency": "CNY",
        "face_value": "2000000.00",
        "minimum_unit": "1000.00",
        "due_date": (now + timedelta(days=20)).date().isoformat(),
        "invoice_references": ["INV-MARKET"],
        "document_hash": "0x" + "ab" * 32,
    }
    voucher = tour.call("POST /v1/vouchers", "obligor", body=issue)
    offer = {
        "amount": "1000000.00",
        "rate_bps": 600,
        "min_subscription": "1000.00",
        "closes_on": (now + timedelta(days=10)).date().isoformat(),
        "allowed_countries": ["CN"],
    }
    label = "POST /v1/notes/{token_id}/offerings"
    tour.call(f"{label}/signing-request", "supplier", token_id=voucher["root_token_id"], body=offer)
    offering = tour.call(label, "supplier", token_id=voucher["root_token_id"], body=offer)["id"]
    tour.call("GET /v1/offerings", "investor", query={"voucher_id": str(voucher["id"])})
    tour.call("GET /v1/offerings/{offering_id}", "investor", offering_id=offering)
    tour.call(
        "GET /v1/offerings/{offering_id}/price", "investor", offering_id=offering, query={"amount": "10.00"}
    )
    buy = {"amount": "500000.00", "max_cash": "500000.00"}
    label = "POST /v1/offerings/{offering_id}/subscriptions"
    tour.call(f"{label}/signing-request", "investor", offering_id=offering, body=buy)
    tour.call(label, "investor", offering_id=offering, body=buy)
    tour.call(label, "financier", offering_id=offering, body={"amount": "100000.00", "max_cash": "100000.00"})
    label = "POST /v1/offerings/{offering_id}/withdrawal"
    tour.call(f"{label}/signing-request", "supplier", offering_id=offering, body={"amount": "100000.00"})
    tour.call(label, "supplier", offering_id=offering, body={"amount": "100000.00"})
    label = "POST /v1/offerings/{offering_id}/closure"
    tour.call(f"{label}/signing-request", "supplier", offering_id=offering)
    tour.call(label, "supplier", offering_id=offering)
    sale = {"amount": "200000.00", "rate_bps": 500}
    label = "POST /v1/offerings/{offering_id}/listings"
    tour.call(f"{label}/signing-request", "investor", offering_id=offering, body=sale)
    listing = tour.call(label, "investor", offering_id=offering, body=sale)
    tour.call("GET /v1/offerings/{offering_id}/listings", "financier", offering_id=offering)
    tour.call("GET /v1/listings/{listing_id}", "financier", listing_id=listing["id"])
    purchase = {"amount": "100000.00", "max_cash": "100000.00"}
    label = "POST /v1/listings/{listing_id}/purchases"
    tour.call(f"{label}/signing-request", "financier", listing_id=listing["id"], body=purchase)
    tour.call(label, "financier", listing_id=listing["id"], body=purchase)
    label = "POST /v1/listings/{listing_id}/cancellation"
    tour.call(f"{label}/signing-request", "investor", listing_id=listing["id"])
    tour.call(label, "investor", listing_id=listing["id"])
    tour.call("GET /v1/portfolio", "investor")
    day = now.date().isoformat()
    tour.call("GET /v1/market/figures", "investor", query={"from": day, "to": day})
    tour.call("GET /v1/market/figures", "admin", query={"from": day, "to": day, "format": "csv"})
    runtime.rpc.request("evm_setNextBlockTimestamp", [runtime.chain.fetch_time() + 21 * 86_400])
    runtime.rpc.request("evm_mine")
    label = "POST /v1/vouchers/{voucher_id}/settlement/fundings"
    tour.call(label, "obligor", body={"amount": "2000000.00"}, voucher_id=voucher["id"])
    tour.call("POST /v1/offerings/{offering_id}/collection", "admin", offering_id=offering)
    label = "POST /v1/offerings/{offering_id}/redemptions"
    tour.call(f"{label}/signing-request", "investor", offering_id=offering)
    tour.call(label, "investor", offering_id=offering)
    label = "POST /v1/offerings/{offering_id}/redemption-runs"
    job = tour.call(label, "admin", offering_id=offering, body={"batch_size": 10})
    for _ in range(600):
        job = tour.call("GET /v1/jobs/{job_id}", "admin", job_id=job["id"])
        if job["state"] not in ("queued", "running"):
            break
        time.sleep(0.05)
    assert job["state"] == "completed" and job["pieces_paid"] == 2, job  # the financier and the seller


def tour_compliance(tour: Tour, token: int, *, t1: int, a: int, d: int) -> None:
    """The compliance controls (service/compliance) on the seeded voucher 1 and T1's piece `token`."""
    why = {"reason": "court_order", "note": "tour"}
    move = {"to_participant_id": a, "amount": "1000000.00"}
    tour.call("POST /v1/notes/{token_id}/transfers:check", "supplier", token_id=token, body=move)
    for action in ("freeze", "unfreeze"):
        tour.call(
            f"POST /v1/participants/{{participant_id}}/{action}", "compliance", participant_id=a, body=why
        )
        tour.call(f"POST /v1/notes/{{token_id}}/{action}", "compliance", token_id=token, body=why)
    frozen = {"amount": "1000000.00", "action": "freeze", **why}
    tour.call("POST /v1/notes/{token_id}/frozen-value", "compliance", token_id=token, body=frozen)
    forced = {**move, "to_participant_id": d, **why}
    tour.call("POST /v1/notes/{token_id}/forced-transfers", "compliance", token_id=token, body=forced)
    cap = {"amount": "50000000.00", **why}
    tour.call("PUT /v1/vouchers/{voucher_id}/transfer-cap", "compliance", voucher_id=1, body=cap)
    tour.call("GET /v1/vouchers/{voucher_id}/transfer-cap", "supplier", voucher_id=1)
    label = "/v1/participants/{participant_id}/transfer-limits/{currency}"
    limit = {"limit": "90000000.00", "window_seconds": 86_400, **why}
    tour.call(f"PUT {label}", "compliance", participant_id=t1, currency="CNY", body=limit)
    tour.call(f"GET {label}", "supplier", participant_id=t1, currency="CNY")
    tour.call("POST /v1/vouchers/{voucher_id}/pause", "admin", voucher_id=1, body={"reason": "dispute"})
    tour.call("POST /v1/vouchers/{voucher_id}/unpause", "compliance", voucher_id=1)
    e = tour.call("POST /v1/participants", "admin", body={"name": "E", "role": "supplier", "country": "SG"})
    recovery = {"new_participant_id": e["id"], "reason": "lost_key"}
    tour.call(
        "POST /v1/participants/{participant_id}/recovery", "compliance", participant_id=d, body=recovery
    )
    tour.call("GET /v1/compliance/actions", "compliance", query={"participant_id": str(d)})
