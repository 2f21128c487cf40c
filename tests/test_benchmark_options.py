"""The benchmark harness's options for partial runs, its derived figures, and the framework floor's apps
(no chain)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from benchmarks.__main__ import FULL, _client_operations, _section_names, _with_clients
from benchmarks.floor_app import READY_DIR_VARIABLE, ROUTE, create_bare_app, create_ledger_shape_app
from benchmarks.framework_floor import compute_ledger_room
from benchmarks.note_ceiling import compute_budget
from service.notes.endpoints import router as notes_router


def test_client_counts_and_transfers_are_parsed() -> None:
    assert _client_operations("16:100,64:30") == {16: 100, 64: 30}
    assert _client_operations(" 1:5 ,") == {1: 5}


@pytest.mark.parametrize("text", ["16x100", "16:", ":3", "0:5", "16:0", ""])
def test_malformed_client_counts_are_refused(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        _client_operations(text)


def test_sections_must_exist() -> None:
    assert _section_names("e2e-sqlite,scale") == ("e2e-sqlite", "scale")
    with pytest.raises(argparse.ArgumentTypeError, match="bogus"):
        _section_names("e2e-sqlite,bogus")


def test_keyed_runs_follow_only_the_client_counts_asked_for() -> None:
    assert _with_clients(FULL.e2e, {16: 10}).runs == [(16, False), (16, True)]
    assert _with_clients(FULL.e2e, {64: 10}).runs == [(64, False)]


def test_the_budget_at_half_the_ceiling_takes_the_chains_own_cpu_out() -> None:
    # 2,000 tx/s ceiling -> 1,000 transfers/s; Anvil 0.5 ms each -> half a core; 1.5 cores left.
    assert compute_budget(2_000.0, 0.5, cores=2) == {
        "transfers_per_second": 1_000.0,
        "cores": 2,
        "anvil_cores": 0.5,
        "cpu_ms_left_per_transfer": 1.5,
    }


def test_no_budget_is_left_when_the_chain_alone_needs_every_core() -> None:
    assert compute_budget(2_000.0, 2.5, cores=2)["cpu_ms_left_per_transfer"] == 0.0  # type: ignore[index]
    assert compute_budget(None, 0.5, cores=2) is None
    assert compute_budget(2_000.0, None, cores=2) is None


def test_the_ledger_gets_what_the_budget_leaves_after_the_web_stack_and_the_load_generator() -> None:
    floor = {"server_cpu_ms_per_request": 1.2, "load_generator_cpu_ms_per_request": 0.2}
    assert compute_ledger_room(1.8, floor) == 0.4
    assert compute_ledger_room(1.0, floor) == 0.0  # a floor above the budget leaves nothing
    assert compute_ledger_room(None, floor) is None
    assert compute_ledger_room(1.8, {}) is None
    assert (
        compute_ledger_room(
            1.8, {"server_cpu_ms_per_request": None, "load_generator_cpu_ms_per_request": 0.2}
        )
        is None
    )


@pytest.mark.parametrize("factory", [create_bare_app, create_ledger_shape_app])
def test_the_floor_validates_and_answers_what_the_services_transfer_route_does(
    factory: Callable[[], FastAPI], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(READY_DIR_VARIABLE, raising=False)
    service = FastAPI()
    service.include_router(notes_router)

    def route(app: FastAPI) -> dict[str, Any]:
        operation = app.openapi()["paths"][ROUTE]["post"]
        return {
            "parameters": [
                parameter["schema"] for parameter in operation["parameters"] if parameter["in"] == "path"
            ],
            "body": operation["requestBody"]["content"]["application/json"]["schema"],
            "answer": operation["responses"]["201"]["content"]["application/json"]["schema"],
        }

    floor = factory()
    assert route(floor) == route(service)
    client = TestClient(floor)
    answer = client.post(
        "/v1/notes/5/transfers",
        json={"to_participant_id": 2, "amount": "1.00"},
        headers={"Authorization": "Bearer k"},
    )
    assert answer.status_code == 201
    assert answer.json()["from_token_id"] == 5
    refused = client.post("/v1/notes/5/transfers", json={"to_participant_id": 0, "amount": "1.00"})
    assert refused.status_code == 422
