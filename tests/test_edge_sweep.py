"""The bad-input sweep: every route of the OpenAPI schema, every field, the spellings that must be refused.

The routes and their fields come from the app's own schema, so a new route or field is swept the day it
is added (a POST route without a valid body below fails the test). Each bad form must earn a 4xx with a
machine-readable `code` and change nothing: not the chain (its block number) and not the database (the
row count of every table).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select

from service.db.models import Base
from service.domain.money import AMOUNT_PATTERN
from service.runtime import Runtime
from tests.conftest import ApiUser, SeedLedger, register, six_months_ahead

pytestmark = pytest.mark.integration

# Spellings of a positive amount that are not its one spelling (the first six once read as 1,000,000.00).
MISSPELT_AMOUNTS: tuple[Any, ...] = (
    "1e6",
    "1E+6",
    "+1000000.00",
    " 1000000.00 ",
    "1_000_000",
    "1000000.",
    ".5",
    "\uff11\uff10\uff10\uff10",  # full-width digits
    "\u0661\u0660\u0660\u0660",  # Arabic-Indic digits
    "\U0001d7cf\U0001d7ce",  # mathematical bold digits
    "1,000.00",
    "-1000000.00",
)
# Amounts spelt rightly that the currency or the ledger refuses (with its own codes, once the rest of the
# request is right: `test_bad_input.test_transfer_amount_errors`).
REFUSED_AMOUNTS = ("1000000.0000000", "1000000.001", "0.00", "123456789012345678901234567890")
# An id or a rate is a JSON integer; none of these is one.
NOT_INTEGERS: tuple[Any, ...] = (True, False, 2.0, "2", "02", " 2", None, [2], {"id": 2})
# A path id is plain ASCII digits: Python's int() reads each of these as 10 or 2.
MISSPELT_PATH_IDS = ("1_0", "02", "+2", "%202", "2%20", "\uff12", "0x2", "2.0")


@dataclass(frozen=True)
class RouteCase:
    """Who may call a POST route, and a body it accepts (None: the route takes no body)."""

    role: str
    body: dict[str, Any] | None


def valid_bodies(seed: SeedLedger) -> dict[str, RouteCase]:
    """A body each POST route accepts, by route label; ids are the seed's (they need not exist for a
    body to be refused, but the right role must call, as a role is checked before the body)."""
    voucher = {
        "obligor_participant_id": seed.carmaker.participant_id,
        "holder_participant_id": seed.t1.participant_id,
        "currency": "CNY",
        "face_value": "1000.00",
        "minimum_unit": "1.00",
        "due_date": six_months_ahead().isoformat(),
        "invoice_references": ["INV-1"],
        "document_hash": "0x" + "cd" * 32,
    }
    terms = {
        "currency": "CNY",
        "rate_bps": 600,
        "quote_basis": "discount",
        "day_count": "ACT/360",
        "eligible_obligor_ids": [seed.carmaker.participant_id],
        "min_amount": "1000000.00",
        "max_amount": "50000000.00",
        "budget": "60000000.00",
    }
    move = {"to_participant_id": seed.a.participant_id, "amount": "1000000.00"}
    cutoff = {"rate_bps": 800, "budget": "1000000.00", "cutoff_date": six_months_ahead().isoformat()}
    return {
        "POST /v1/participants": RouteCase("admin", {"name": "Dora", "role": "supplier", "country": "CN"}),
        "POST /v1/participants/{participant_id}/identity": RouteCase(
            "compliance", {"kyc_expires_on": six_months_ahead().isoformat(), "reason": "kyc_renewed"}
        ),
        "POST /v1/participants/{participant_id}/revocation": RouteCase("compliance", None),
        "POST /v1/participants/{participant_id}/verification": RouteCase("compliance", None),
        "POST /v1/vouchers": RouteCase("admin", voucher),
        "POST /v1/notes/{token_id}/transfers": RouteCase("t1", {**move, "into_token_id": 1}),
        "POST /v1/notes/{token_id}/transfers/signing-request": RouteCase("t1", move),
        "POST /v1/transfer-batches": RouteCase(
            "t1", {"items": [{"from_token_id": seed.voucher["root_token_id"], **move}]}
        ),
        "POST /v1/cash/credits": RouteCase(
            "admin", {"participant_id": seed.bank.participant_id, "currency": "CNY", "amount": "1.00"}
        ),
        "POST /v1/financing/terms": RouteCase("bank", terms),
        "POST /v1/financing/terms/{terms_id}/withdrawal": RouteCase("bank", None),
        "POST /v1/notes/{token_id}/financing-quotes": RouteCase(
            "t1", {"terms_id": 1, "amount": "1000000.00"}
        ),
        "POST /v1/financing-quotes/{quote_id}/execution": RouteCase("t1", None),
        "POST /v1/financing-quotes/{quote_id}/execution/signing-request": RouteCase("t1", None),
        "POST /v1/vouchers/{voucher_id}/early-payment-programmes": RouteCase("carmaker", cutoff),
        "POST /v1/early-payment-programmes/{programme_id}/redemptions": RouteCase(
            "t1", {"token_id": 1, "amount": "1000000.00"}
        ),
        "POST /v1/early-payment-programmes/{programme_id}/closure": RouteCase("carmaker", None),
        "POST /v1/vouchers/{voucher_id}/early-payment-programmes/signing-request": RouteCase(
            "carmaker", cutoff
        ),
        "POST /v1/early-payment-programmes/{programme_id}/redemptions/signing-request": RouteCase(
            "t1", {"token_id": 1, "amount": "1000000.00"}
        ),
        "POST /v1/early-payment-programmes/{programme_id}/closure/signing-request": RouteCase(
            "carmaker", None
        ),
        "POST /v1/vouchers/{voucher_id}/settlement/fundings/signing-request": RouteCase(
            "carmaker", {"amount": "1.00"}
        ),
        "POST /v1/notes/{token_id}/settlement-claims/signing-request": RouteCase("t1", None),
        "POST /v1/vouchers/{voucher_id}/settlement/fundings": RouteCase("carmaker", {"amount": "1.00"}),
        "POST /v1/vouchers/{voucher_id}/settlement/payouts": RouteCase("admin", {"batch_size": 10}),
        "POST /v1/notes/{token_id}/settlement-claims": RouteCase("t1", None),
        "POST /v1/fx/rates/{base}/{quote}": RouteCase("oracle", {"rate": "7.12345678"}),
        "POST /v1/vouchers/{voucher_id}/milestones": RouteCase(
            "oracle", {"milestone": "shipped", "evidence_hash": "0x" + "ab" * 32}
        ),
        "POST /v1/ledger/pause": RouteCase("admin", None),
        "POST /v1/ledger/unpause": RouteCase("admin", None),
        **compliance_bodies(seed),
        **market_bodies(),
    }


def market_bodies() -> dict[str, RouteCase]:
    """Model 2's routes (service/market)."""
    offering = {
        "amount": "1000000.00",
        "rate_bps": 600,
        "day_count": "ACT/360",
        "min_subscription": "100000.00",
        "closes_on": six_months_ahead().isoformat(),
        "allowed_countries": ["CN"],
    }
    buy = {"amount": "1000000.00", "max_cash": "1000000.00"}
    return {
        "POST /v1/notes/{token_id}/offerings": RouteCase("t1", offering),
        "POST /v1/offerings/{offering_id}/subscriptions": RouteCase("bank", buy),
        "POST /v1/offerings/{offering_id}/withdrawal": RouteCase("t1", {"amount": "1000000.00"}),
        "POST /v1/offerings/{offering_id}/closure": RouteCase("t1", None),
        "POST /v1/offerings/{offering_id}/listings": RouteCase(
            "bank", {"amount": "1000000.00", "rate_bps": 500}
        ),
        "POST /v1/listings/{listing_id}/purchases": RouteCase("bank", buy),
        "POST /v1/listings/{listing_id}/cancellation": RouteCase("bank", None),
        "POST /v1/offerings/{offering_id}/collection": RouteCase("admin", None),
        "POST /v1/offerings/{offering_id}/redemptions": RouteCase("bank", None),
        "POST /v1/offerings/{offering_id}/redemption-runs": RouteCase("admin", {"batch_size": 10}),
        "POST /v1/notes/{token_id}/offerings/signing-request": RouteCase("t1", offering),
        "POST /v1/offerings/{offering_id}/subscriptions/signing-request": RouteCase("bank", buy),
        "POST /v1/offerings/{offering_id}/withdrawal/signing-request": RouteCase(
            "t1", {"amount": "1000000.00"}
        ),
        "POST /v1/offerings/{offering_id}/closure/signing-request": RouteCase("t1", None),
        "POST /v1/offerings/{offering_id}/listings/signing-request": RouteCase(
            "bank", {"amount": "1000000.00", "rate_bps": 500}
        ),
        "POST /v1/listings/{listing_id}/purchases/signing-request": RouteCase("bank", buy),
        "POST /v1/listings/{listing_id}/cancellation/signing-request": RouteCase("bank", None),
        "POST /v1/offerings/{offering_id}/redemptions/signing-request": RouteCase("bank", None),
    }


def compliance_bodies(seed: SeedLedger) -> dict[str, RouteCase]:
    """The compliance controls' routes (service/compliance)."""
    why = {"reason": "court_order", "note": "case 1"}
    move = {"to_participant_id": seed.a.participant_id, "amount": "1000000.00"}
    return {
        "POST /v1/participants/{participant_id}/freeze": RouteCase("compliance", why),
        "POST /v1/participants/{participant_id}/unfreeze": RouteCase("compliance", why),
        "POST /v1/participants/{participant_id}/recovery": RouteCase(
            "compliance", {"new_participant_id": seed.b.participant_id, **why}
        ),
        "POST /v1/notes/{token_id}/freeze": RouteCase("compliance", why),
        "POST /v1/notes/{token_id}/unfreeze": RouteCase("compliance", why),
        "POST /v1/notes/{token_id}/frozen-value": RouteCase(
            "compliance", {"amount": "1000000.00", "action": "freeze", **why}
        ),
        "POST /v1/notes/{token_id}/forced-transfers": RouteCase("compliance", {**move, **why}),
        "POST /v1/notes/{token_id}/transfers:check": RouteCase("t1", {**move, "into_token_id": 1}),
        "POST /v1/vouchers/{voucher_id}/pause": RouteCase("admin", None),
        "POST /v1/vouchers/{voucher_id}/unpause": RouteCase("admin", None),
    }


# The seed has no oracle: one is registered per seed the first time a sweep needs its callers.
_ORACLES: dict[str, ApiUser] = {}


def callers(seed: SeedLedger) -> dict[str, ApiUser]:
    if seed.admin.key not in _ORACLES:
        _ORACLES.clear()
        _ORACLES[seed.admin.key] = register(seed.admin, "Sweep oracle", "oracle")
    return {
        "admin": seed.admin,
        "compliance": seed.compliance,
        "oracle": _ORACLES[seed.admin.key],
        "t1": seed.t1,
        "bank": seed.bank,
        "carmaker": seed.carmaker,
    }


# ------------------------------------------------------------------------------------ the schema


def openapi(seed: SeedLedger) -> dict[str, Any]:
    schema: dict[str, Any] = seed.admin.client.get("/openapi.json").json()
    return schema


def resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def alternatives(schema: dict[str, Any], node: dict[str, Any]) -> list[dict[str, Any]]:
    """The non-null alternatives of a property's schema (`X | None` is an anyOf)."""
    node = resolve(schema, node)
    options = node.get("anyOf", [node])
    return [resolve(schema, option) for option in options if option.get("type") != "null"]


def nullable(schema: dict[str, Any], node: dict[str, Any]) -> bool:
    return any(option.get("type") == "null" for option in resolve(schema, node).get("anyOf", []))


def body_model(schema: dict[str, Any], label: str) -> dict[str, Any] | None:
    method, path = label.split(" ", 1)
    operation = schema["paths"][path][method.lower()]
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    return None if content is None else alternatives(schema, content["schema"])[0]


def body_fields(schema: dict[str, Any], label: str) -> dict[str, list[dict[str, Any]]]:
    model = body_model(schema, label)
    if model is None:
        return {}
    return {name: alternatives(schema, prop) for name, prop in model.get("properties", {}).items()}


def kind_of(name: str, options: list[dict[str, Any]]) -> str | None:
    for option in options:
        if option.get("pattern") == AMOUNT_PATTERN:
            return "amount"
        if option.get("type") == "integer":
            return "rate" if name.endswith("_bps") else "integer"
        if option.get("type") == "array" and option.get("items", {}).get("type") == "integer":
            return "integer_list"
    return None


def post_labels(schema: dict[str, Any]) -> list[str]:
    return sorted(f"POST {path}" for path, operations in schema["paths"].items() if "post" in operations)


def all_operations(schema: dict[str, Any]) -> list[tuple[str, str]]:
    return sorted(
        (method.upper(), path)
        for path, operations in schema["paths"].items()
        for method in operations
        if method in ("get", "post")
    )


def concrete(path: str, value: str = "1") -> str:
    for name in (
        "participant_id",
        "voucher_id",
        "token_id",
        "terms_id",
        "quote_id",
        "programme_id",
        "offering_id",
        "listing_id",
    ):
        path = path.replace("{" + name + "}", value)
    # a currency pair: the local deployment's, or the bad spelling swept
    for name, currency in (("base", "USD"), ("quote", "CNY")):
        path = path.replace("{" + name + "}", currency if value == "1" else value)
    return path


# ------------------------------------------------------------------------------------ no change


def state(runtime: Runtime) -> tuple[int, dict[str, int]]:
    with runtime.database.sessions() as session:
        counts = {
            table.name: int(session.scalar(select(func.count()).select_from(table)) or 0)
            for table in Base.metadata.sorted_tables
        }
    return runtime.chain.fetch_head(), counts


@contextmanager
def nothing_changes(runtime: Runtime) -> Iterator[None]:
    before = state(runtime)
    yield
    assert state(runtime) == before, "a refused request changed the chain or the database"


def refused(response: Any, status: int | None = None, code: str | None = None) -> dict[str, Any]:
    assert 400 <= response.status_code < 500, f"{response.status_code}: {response.text[:500]}"
    if status is not None:
        assert response.status_code == status, response.text[:500]
    body: dict[str, Any] = response.json()
    assert isinstance(body.get("code"), str) and body["code"], body
    assert isinstance(body.get("message"), str) and body["message"], body
    if code is not None:
        assert body["code"] == code, body
    return body


# ------------------------------------------------------------------------------------ the sweeps


def test_every_post_route_has_a_valid_body(seed: SeedLedger) -> None:
    assert post_labels(openapi(seed)) == sorted(valid_bodies(seed))


def test_amounts_ids_and_rates_have_one_spelling(seed: SeedLedger, runtime: Runtime) -> None:
    """Every amount, id and rate field of every POST route refuses every other spelling."""
    schema, cases, users = openapi(seed), valid_bodies(seed), callers(seed)
    swept: set[tuple[str, str]] = set()
    with nothing_changes(runtime):
        for label, case in cases.items():
            if case.body is None:
                continue
            path = concrete(label.split(" ", 1)[1])
            model = body_model(schema, label)
            assert model is not None
            for name, options in body_fields(schema, label).items():
                kind = kind_of(name, options)
                if kind is None:
                    continue
                swept.add((label, name))
                optional = nullable(schema, model["properties"][name])
                for bad, status, code in _bad_values(kind):
                    if bad is None and optional:
                        continue
                    response = users[case.role].post(path, json={**case.body, name: bad})
                    refused(response, status, code)
                    assert "details" in response.json(), response.text
    # the sweep reached the fields the issue names
    assert {
        ("POST /v1/notes/{token_id}/transfers", "amount"),
        ("POST /v1/vouchers", "face_value"),
        ("POST /v1/cash/credits", "participant_id"),
        ("POST /v1/financing/terms", "rate_bps"),
        ("POST /v1/financing/terms", "eligible_obligor_ids"),
        ("POST /v1/vouchers/{voucher_id}/early-payment-programmes", "budget"),
        ("POST /v1/vouchers/{voucher_id}/settlement/payouts", "batch_size"),
    } <= swept


def _bad_values(kind: str) -> list[tuple[Any, int | None, str | None]]:
    if kind == "amount":
        return [
            *((bad, 422, "invalid_amount") for bad in MISSPELT_AMOUNTS),
            *((bad, None, None) for bad in REFUSED_AMOUNTS),
            *((bad, 422, "invalid_request") for bad in (1000000, 1000000.0, True, None, ["1.00"])),
        ]
    if kind == "integer_list":
        return [([bad], 422, "invalid_request") for bad in NOT_INTEGERS if bad is not None]
    return [(bad, 422, "invalid_request") for bad in NOT_INTEGERS]


def test_path_ids_have_one_spelling(seed: SeedLedger, runtime: Runtime) -> None:
    """`POST /v1/notes/1_0/transfers` moved value from token 10 once: no path id but plain digits."""
    schema, users = openapi(seed), callers(seed)
    cases = valid_bodies(seed)
    with nothing_changes(runtime):
        for method, path in all_operations(schema):
            if "{" not in path:
                continue
            case = cases.get(f"{method} {path}", RouteCase("admin", None))
            user = users[case.role]
            for bad in MISSPELT_PATH_IDS:
                url = concrete(path, bad)
                response = user.get(url) if method == "GET" else user.post(url, json=case.body)
                refused(response, 422, "invalid_request")


def test_query_amount_has_one_spelling(seed: SeedLedger, runtime: Runtime) -> None:
    with nothing_changes(runtime):
        for bad in MISSPELT_AMOUNTS:
            response = seed.t1.get("/v1/early-payment-programmes/1/quote", params={"amount": bad})
            refused(response, 422, "invalid_amount")


def test_dates_have_one_spelling(seed: SeedLedger, runtime: Runtime) -> None:
    """A date is YYYY-MM-DD from 1970-01-02: a cut-off before 1970 was a 500 (a negative timestamp)."""
    body = valid_bodies(seed)["POST /v1/vouchers/{voucher_id}/early-payment-programmes"].body
    assert body is not None
    voucher = valid_bodies(seed)["POST /v1/vouchers"].body
    assert voucher is not None
    bad_dates = ("1969-12-31", "0001-01-01", "2027-5-31", "20270531", "2027-05-31T00:00:00", 1830000000)
    with nothing_changes(runtime):
        for bad in bad_dates:
            path = f"/v1/vouchers/{seed.voucher['id']}/early-payment-programmes"
            refused(seed.carmaker.post(path, json={**body, "cutoff_date": bad}), 422, "invalid_request")
            refused(
                seed.admin.post("/v1/vouchers", json={**voucher, "due_date": bad}), 422, "invalid_request"
            )


def _bounded(option: dict[str, Any]) -> bool:
    if option.get("type") == "string":
        return any(key in option for key in ("maxLength", "enum", "const")) or option.get("format") == "date"
    if option.get("type") == "array":
        return "maxItems" in option
    return True


def test_strings_and_lists_are_bounded(seed: SeedLedger, runtime: Runtime) -> None:
    """The schema bounds every string and list of every body, and the service holds to it."""
    schema, cases, users = openapi(seed), valid_bodies(seed), callers(seed)
    with nothing_changes(runtime):
        for label, case in cases.items():
            if case.body is None:
                continue
            path = concrete(label.split(" ", 1)[1])
            for name, options in body_fields(schema, label).items():
                for option in options:
                    assert _bounded(option), f"{label} {name}: unbounded {option}"
                    if option.get("type") == "string" and "enum" not in option:
                        oversized: Any = "9" * (option.get("maxLength", 64) + 1)
                        refused(users[case.role].post(path, json={**case.body, name: oversized}), 422)
                        huge = "9" * 60_000
                        refused(users[case.role].post(path, json={**case.body, name: huge}), 422)
                    if option.get("type") == "array":
                        item = case.body[name][0]
                        oversized = [item] * (option["maxItems"] + 1)
                        refused(users[case.role].post(path, json={**case.body, name: oversized}), 422)


def test_validation_errors_are_bounded(seed: SeedLedger, runtime: Runtime) -> None:
    """A body of thousands of extra keys came back as an error many times its size, echoing every key."""
    extra = {f"key-{index:05d}": index for index in range(3_000)}
    long_key = "k" * 20_000
    with nothing_changes(runtime):
        response = seed.admin.post("/v1/participants", json={"name": "D", "role": "supplier", **extra})
        body = refused(response, 422, "invalid_request")
        assert len(body["details"]["errors"]) == 10 and body["details"]["error_count"] == 3_000
        assert len(response.content) < 4_000
        response = seed.admin.post("/v1/participants", json={"name": "D", "role": "supplier", long_key: 1})
        body = refused(response, 422, "invalid_request")
        assert len(response.content) < 1_000 and long_key not in response.text


def _wrong_types(options: list[dict[str, Any]]) -> list[Any]:
    """JSON values of every type the field's schema does not allow."""
    allowed = {option.get("type") for option in options} | {
        "string" for option in options if "enum" in option or "const" in option
    }
    candidates: dict[str, list[Any]] = {
        "string": ["x" * 3, "not-one-of-the-options"],
        "integer": [7, 2**70, -1],
        "number": [1.5],
        "boolean": [True],
        "array": [[1, "x"]],
        "object": [{"nested": {"key": 1}}],
    }
    wrong: list[Any] = []
    for json_type, values in candidates.items():
        if json_type not in allowed and not (json_type == "integer" and "number" in allowed):
            wrong += values
    if any("enum" in option for option in options):
        wrong.append("not-one-of-the-options")
    return wrong


def _nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


def test_every_post_route_refuses_every_bad_shape_and_changes_nothing(
    seed: SeedLedger, runtime: Runtime
) -> None:
    """Per POST route of the schema: an extra key, each field of a wrong type, nested deep, or missing
    if required, and the body as another JSON value: a 4xx with a code, nothing on chain or in the
    database. (Deeper than the bound, a body is malformed before anything parses it.)"""
    schema, cases, users = openapi(seed), valid_bodies(seed), callers(seed)
    requests = 0
    with nothing_changes(runtime):
        for label, case in cases.items():
            if case.body is None:
                continue
            user, path = users[case.role], concrete(label.split(" ", 1)[1])
            model = body_model(schema, label)
            assert model is not None
            forms: list[tuple[Any, int]] = [({**case.body, "unexpected": 1}, 422)]
            forms += [(value, 400) for value in ([case.body], "a body", 42, _nested(40))]
            for name, options in body_fields(schema, label).items():
                forms += [({**case.body, name: wrong}, 422) for wrong in _wrong_types(options)]
                forms += [({**case.body, name: _nested(20)}, 422), ({**case.body, name: _nested(40)}, 400)]
                if name in model.get("required", []):
                    forms.append(({key: value for key, value in case.body.items() if key != name}, 422))
            for body, status in forms:
                refused(user.post(path, json=body), status)
                requests += 1
    assert requests > 300
