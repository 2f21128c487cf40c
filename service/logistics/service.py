"""Logistics milestones of a voucher's goods, attested on chain by the service's oracle account at an
oracle's request; financing quotes may require one (checked on chain by the financing desk)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC

from sqlalchemy.orm import Session

from service.api.acting import act_as_service
from service.api.answers import Answer, responds_to
from service.api.auth import Caller
from service.api.pagination import PageRequest
from service.api.submit import carry_out
from service.db.models import MilestoneAttestation, Voucher
from service.domain.logistics import Milestone, has_reached, milestone_code, milestone_of
from service.errors import Conflict, InvalidRequest, VoucherNotFound
from service.logistics import repository
from service.logistics.schemas import MilestoneAttest, MilestoneOut, MilestonesOut
from service.runtime import Runtime
from service.vouchers import repository as vouchers_repository
from service.vouchers.service import require_visible_voucher
from service.writer.outbox import OperationView

ATTEST_KIND = "logistics.attest"
# Staff who follow every voucher's shipment.
STAFF_VIEWERS = frozenset({"admin", "compliance_agent", "oracle"})


def evidence_hash_of(body: MilestoneAttest) -> str:
    """The hash recorded on chain: as given, or the SHA-256 of the evidence text (UTF-8)."""
    if (body.evidence_hash is None) == (body.evidence is None):
        raise InvalidRequest("send exactly one of evidence_hash and evidence", field="evidence_hash")
    if body.evidence_hash is not None:
        if int(body.evidence_hash, 16) == 0:
            raise InvalidRequest("the evidence hash must not be zero", field="evidence_hash")
        return body.evidence_hash.lower()
    assert body.evidence is not None
    return "0x" + hashlib.sha256(body.evidence.encode("utf-8")).hexdigest()


def _require_voucher(session: Session, caller: Caller, voucher_id: int) -> Voucher:
    if caller.role in STAFF_VIEWERS:
        voucher = vouchers_repository.fetch_voucher(session, voucher_id)
        if voucher is None:
            raise VoucherNotFound(f"voucher {voucher_id} does not exist", voucher_id=voucher_id)
        return voucher
    return require_visible_voucher(session, caller, voucher_id)


def attest(
    session: Session, runtime: Runtime, caller: Caller, voucher_id: int, body: MilestoneAttest
) -> MilestoneOut:
    """Records on chain that the voucher's goods reached `milestone`, with the evidence's hash."""
    voucher = _require_voucher(session, caller, voucher_id)
    milestone = Milestone(body.milestone)
    current = milestone_of(voucher.milestone)
    if has_reached(current, milestone):
        # as the oracle contract refuses it (LogisticsMilestoneNotForward), before anything is sent
        raise Conflict(
            f"voucher {voucher_id} has reached {current.value} already: milestones only move forward, "
            f"not to {milestone.value}",
            voucher_id=voucher_id,
            current=current.value,
            milestone=milestone.value,
        )
    evidence = evidence_hash_of(body)
    logistics = runtime.chain.contracts.logistics
    intent = act_as_service(
        runtime,
        "oracle",
        ATTEST_KIND,
        logistics.address,
        logistics.calldata("attest", voucher_id, milestone_code(milestone), bytes.fromhex(evidence[2:])),
        payload={"voucher_id": voucher_id},
    )
    [done] = carry_out(runtime, [intent], participant_id=caller.participant_id, session=session)
    return build_attestation_out(session, done)


def to_out(row: MilestoneAttestation) -> MilestoneOut:
    return MilestoneOut(
        voucher_id=row.voucher_id,
        milestone=milestone_of(row.milestone),
        evidence_hash=row.evidence_hash,
        oracle_address=row.oracle_address,
        transaction_hash=row.transaction_hash,
        block_number=row.block_number,
        attested_at=row.occurred_at.replace(tzinfo=UTC),
    )


def build_attestation_out(session: Session, operation: OperationView) -> MilestoneOut:
    [attested] = operation.events("MilestoneAttested")
    assert operation.transaction_hash is not None
    row = repository.fetch_attestation_of_log(session, operation.transaction_hash, int(attested["log_index"]))
    assert row is not None, "an indexed operation's attestation is indexed"
    return to_out(row)


@responds_to(ATTEST_KIND)
def answer_attestation(_runtime: Runtime, session: Session, operations: Sequence[OperationView]) -> Answer:
    return 201, build_attestation_out(session, operations[0]).model_dump(mode="json")


def list_milestones(session: Session, caller: Caller, voucher_id: int, page: PageRequest) -> MilestonesOut:
    voucher = _require_voucher(session, caller, voucher_id)
    fetched = repository.fetch_attestations(session, voucher_id, page.after, page.limit + 1)
    rows, next_cursor = page.page(fetched, lambda row: (row.block_number, row.log_index))
    return MilestonesOut(
        voucher_id=voucher_id,
        milestone=milestone_of(voucher.milestone),
        items=[to_out(row) for row in rows],
        next_cursor=next_cursor,
    )
