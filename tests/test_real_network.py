"""A real network: the ledger attached through CHAIN_RPC_URL to a chain that mines a block every second
on its own, behind a JSON-RPC filter that refuses every non-standard method (`evm_*`, `anvil_*`,
`hardhat_*`, `debug_*`, `eth_sendRawTransactionSync`), as a permissioned Besu or Geth network would.
Model 1 and a financing trade run end to end, and the filter must not have had to refuse anything."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from service.chain.anvil import AnvilProcess
from tests.conftest import free_port
from tests.harness import ServedLedger, call

pytestmark = pytest.mark.integration
NON_STANDARD = ("evm_", "anvil_", "hardhat_", "debug_", "eth_sendRawTransactionSync")


class StandardOnlyFilter:
    """A JSON-RPC proxy to `upstream` that answers a non-standard method with -32601, and counts them."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.refused: list[str] = []
        self.methods: set[str] = set()
        filter_ = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                answer = filter_.answer(body)
                payload = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def answer(self, body: Any) -> Any:
        if isinstance(body, list):
            return [self.answer(item) for item in body]
        method = str(body.get("method", ""))
        self.methods.add(method)
        if method.startswith(NON_STANDARD):
            self.refused.append(method)
            return {
                "jsonrpc": "2.0",
                "id": body.get("id"),
                "error": {"code": -32601, "message": "Method not found"},
            }
        return httpx.post(self.upstream, json=body, timeout=60).json()

    def __enter__(self) -> StandardOnlyFilter:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()


@pytest.fixture
def network(tmp_path: Path) -> Iterator[StandardOnlyFilter]:
    chain = AnvilProcess(free_port(), block_time_seconds=1, log_path=tmp_path / "anvil.log")
    chain.start()
    try:
        with StandardOnlyFilter(chain.rpc_url) as proxy:
            yield proxy
    finally:
        chain.stop()


def test_model1_and_a_financing_trade_on_a_network_that_mines_on_its_own(
    network: StandardOnlyFilter, tmp_path: Path
) -> None:
    served = ServedLedger(tmp_path / "data", workers=1, CHAIN_RPC_URL=network.url, RELAYER_COUNT="2")
    served.start()
    try:
        _model1_with_financing(served)
    finally:
        served.stop()
    assert network.refused == [], f"the ledger asked the network for non-standard methods: {network.refused}"
    assert "eth_sendRawTransaction" in network.methods


def _model1_with_financing(served: ServedLedger) -> None:
    admin = served.admin_key()

    def post(key: str, path: str, body: Any, idempotency_key: str) -> dict[str, Any]:
        response = call(served.url, key, "POST", path, body, idempotency_key)
        assert response.status_code in (200, 201), response.text
        result: dict[str, Any] = response.json()
        return result

    people = {
        name: post(admin, "/v1/participants", {"name": name, "role": role, "country": "CN"}, f"reg-{name}")
        for name, role in (
            ("Carmaker", "obligor"),
            ("T1", "supplier"),
            ("A", "supplier"),
            ("B", "supplier"),
            ("C", "supplier"),
            ("Bank", "financier"),
        )
    }
    due = (datetime.now(UTC) + timedelta(days=180)).date().isoformat()
    voucher = post(
        admin,
        "/v1/vouchers",
        {
            "obligor_participant_id": people["Carmaker"]["id"],
            "holder_participant_id": people["T1"]["id"],
            "currency": "CNY",
            "face_value": "100000000.00",
            "minimum_unit": "1000000.00",
            "due_date": due,
            "invoice_references": ["INV-NET"],
            "document_hash": "0x" + "33" * 32,
        },
        "voucher",
    )
    t1, a = people["T1"]["api_key"], people["A"]["api_key"]
    root = voucher["root_token_id"]
    to_a = post(
        t1,
        f"/v1/notes/{root}/transfers",
        {"to_participant_id": people["A"]["id"], "amount": "30000000.00"},
        "t1-a",
    )
    post(
        t1,
        f"/v1/notes/{root}/transfers",
        {"to_participant_id": people["B"]["id"], "amount": "20000000.00"},
        "t1-b",
    )
    to_c = post(
        a,
        f"/v1/notes/{to_a['token_id']}/transfers",
        {"to_participant_id": people["C"]["id"], "amount": "10000000.00"},
        "a-c",
    )
    assert to_c["remaining"] == "20000000.00"

    post(
        admin,
        "/v1/cash/credits",
        {"participant_id": people["Bank"]["id"], "currency": "CNY", "amount": "50000000.00"},
        "cash",
    )
    terms = post(
        people["Bank"]["api_key"],
        "/v1/financing/terms",
        {
            "currency": "CNY",
            "rate_bps": 600,
            "min_amount": "1000000.00",
            "max_amount": "50000000.00",
            "budget": "60000000.00",
        },
        "terms",
    )
    c = people["C"]["api_key"]
    quote = post(
        c,
        f"/v1/notes/{to_c['token_id']}/financing-quotes",
        {"terms_id": terms["id"], "amount": "10000000.00"},
        "quote",
    )
    trade = post(c, f"/v1/financing-quotes/{quote['id']}/execution", {}, "trade")
    assert trade["cash_received"] == quote["price"] and trade["seller_remaining"] == "0.00"
    [balance] = [b for b in call(served.url, c, "GET", "/v1/cash").json() if b["currency"] == "CNY"]
    assert balance["balance"] == quote["price"]
    lineage = call(
        served.url, people["Carmaker"]["api_key"], "GET", f"/v1/vouchers/{voucher['id']}/lineage"
    ).json()
    assert lineage["total_held"] == "100000000.00"
    report = served.reconcile()
    assert report.returncode == 0, report.stdout + report.stderr
