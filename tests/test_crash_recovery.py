"""Requests interrupted by a crash are settled on restart: applied once, never twice, never lost."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from service.db.models import IdempotencyRecord, Operation
from service.recovery import recover_interrupted_requests
from service.runtime import Runtime
from tests.conftest import SeedLedger, transfer

pytestmark = pytest.mark.integration


def _simulate_crash_after_chain(runtime: Runtime, participant_id: int, key: str) -> None:
    """What a SIGKILL right after mining leaves behind: the key reserved, its response never stored."""
    with runtime.database.transaction() as session:
        record = session.scalars(
            select(IdempotencyRecord).where(
                IdempotencyRecord.participant_id == participant_id, IdempotencyRecord.key == key
            )
        ).one()
        record.state = "in_progress"
        record.response_status = None
        record.response_body = None


def test_interrupted_transfer_is_answered_not_repeated(seed: SeedLedger, runtime: Runtime) -> None:
    path = f"/v1/notes/{seed.voucher['root_token_id']}/transfers"
    body = {"to_participant_id": seed.a.participant_id, "amount": "30000000.00"}
    first = seed.t1.post(path, json=body, headers={"Idempotency-Key": "crash-1"}).json()
    with runtime.database.sessions() as session:
        [operation] = session.scalars(select(Operation).where(Operation.kind == "note.transfer")).all()
        assert operation.idempotency_key == f"{seed.t1.participant_id}:crash-1"
    _simulate_crash_after_chain(runtime, seed.t1.participant_id, "crash-1")
    assert recover_interrupted_requests(runtime) == 1  # at start-up
    retried = seed.t1.post(path, json=body, headers={"Idempotency-Key": "crash-1"})
    assert retried.status_code == 201, retried.text
    assert retried.json() == first
    assert [note["value"] for note in seed.a.get("/v1/notes").json()["items"]] == ["30000000.00"]

    # Without a restart, a retry finds the orphaned reservation and settles it on the spot.
    _simulate_crash_after_chain(runtime, seed.t1.participant_id, "crash-1")
    again = seed.t1.post(path, json=body, headers={"Idempotency-Key": "crash-1"})
    assert again.status_code == 201 and again.json() == first
    assert [note["value"] for note in seed.a.get("/v1/notes").json()["items"]] == ["30000000.00"]


def test_interrupted_request_that_never_reached_the_chain_runs_again(
    seed: SeedLedger, runtime: Runtime
) -> None:
    with runtime.database.transaction() as session:
        session.add(
            IdempotencyRecord(
                participant_id=seed.t1.participant_id,
                key="crash-2",
                request_fingerprint="x",
                state="in_progress",
            )
        )
    assert recover_interrupted_requests(runtime) == 1
    path = f"/v1/notes/{seed.voucher['root_token_id']}/transfers"
    response = seed.t1.post(
        path,
        json={"to_participant_id": seed.a.participant_id, "amount": "1000000.00"},
        headers={"Idempotency-Key": "crash-2"},
    )
    assert response.status_code == 201, response.text


def test_interrupted_issuance_is_not_repeated(seed: SeedLedger, runtime: Runtime) -> None:
    from tests.test_bad_input import _voucher_body

    response = seed.admin.post(
        "/v1/vouchers", json=_voucher_body(seed), headers={"Idempotency-Key": "issue-crash"}
    )
    assert response.status_code == 201
    _simulate_crash_after_chain(runtime, seed.admin.participant_id, "issue-crash")
    recover_interrupted_requests(runtime)
    retried = seed.admin.post(
        "/v1/vouchers", json=_voucher_body(seed), headers={"Idempotency-Key": "issue-crash"}
    )
    assert retried.status_code == 409 and retried.json()["code"] == "idempotency_request_recovered"
    assert retried.json()["details"]["transaction_hashes"] == [response.json()["issue_transaction_hash"]]
    assert len(seed.admin.get("/v1/vouchers").json()["items"]) == 2


def test_transfer_response_is_rebuilt_identically(seed: SeedLedger, runtime: Runtime) -> None:
    moved = transfer(seed.t1, seed.voucher["root_token_id"], seed.a, "2000000.00")
    assert moved["remaining"] == "98000000.00" and moved["kind"] == "split"


def test_the_indexer_marks_the_operations_of_the_block_it_applies(
    seed: SeedLedger, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A transfer's journal row turns `indexed` in the database transaction that applies its block, so
    there is no moment when the block is indexed and its operation still looks unfinished; a relayer
    writes the mark itself only for a transaction that logged none of the indexed events (test cash)."""
    from service.submission import Submitter
    from tests.test_financing import credit

    relayer_marks: list[str] = []
    original_mark = Submitter._mark

    def spy(self: Submitter, operation_ids: list[int], state: str, **fields: object) -> None:
        relayer_marks.append(state)
        original_mark(self, operation_ids, state, **fields)  # type: ignore[arg-type]

    monkeypatch.setattr(Submitter, "_mark", spy)
    moved = transfer(seed.t1, seed.voucher["root_token_id"], seed.a, "1000000.00")
    assert relayer_marks == []
    credit(seed.admin, seed.bank, "5.00")
    assert relayer_marks == ["indexed"]

    with runtime.database.sessions() as session:
        latest = {
            operation.kind: operation
            for operation in session.scalars(select(Operation).order_by(Operation.id))
        }
    transferred, credited = latest["note.transfer"], latest["cash.credit"]
    assert (transferred.state, transferred.block_number) == ("indexed", moved["block_number"])
    assert transferred.transaction_hash == moved["transaction_hash"]
    assert credited.state == "indexed" and credited.block_number is not None
