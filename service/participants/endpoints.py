"""/v1/participants"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from service.api.auth import Caller, CallerDep, RuntimeDep, SessionDep, require_roles
from service.api.common import IdPath
from service.api.pagination import Page, PageDep, PageRequest, page_request
from service.api.routing import LedgerRouter
from service.db.models import Participant
from service.domain.identity import ComplianceReason
from service.errors import ParticipantNotFound
from service.ledger.clock import fetch_ledger_now
from service.participants import repository, service
from service.participants.schemas import (
    IdentityChangeOut,
    IdentityUpdate,
    ParticipantCreate,
    ParticipantCreated,
    ParticipantOut,
)

router = LedgerRouter(prefix="/v1/participants", tags=["participants"])
RegistrarDep = Annotated[Caller, require_roles("admin", "compliance_agent")]
ComplianceDep = Annotated[Caller, require_roles("compliance_agent")]
StreamPageDep = Annotated[PageRequest, Depends(page_request(parts=2))]


@router.post("", status_code=201, response_model=ParticipantCreated)
def create_participant(
    body: ParticipantCreate, caller: RegistrarDep, session: SessionDep, runtime: RuntimeDep
) -> ParticipantCreated:
    """Registers a participant (an admin or a compliance agent): an address, its identity on chain
    (country, KYC expiry, role; not for staff), and an API key shown once."""
    return service.register_participant(session, runtime, body, caller.participant_id)


@router.get("", response_model=Page[ParticipantOut])
def list_participants(
    caller: RegistrarDep, session: SessionDep, runtime: RuntimeDep, page: PageDep
) -> Page[ParticipantOut]:
    """Every participant, by id (administrators and compliance agents)."""
    fetched = repository.fetch_participants(session, page.after_id, page.limit + 1)
    rows, next_cursor = page.page(fetched, _key)
    now = fetch_ledger_now(runtime)
    return Page(items=[service.to_out(row, now) for row in rows], next_cursor=next_cursor)


def _key(participant: Participant) -> tuple[int]:
    return (participant.id,)


@router.get("/me", response_model=ParticipantOut)
def read_me(caller: CallerDep, session: SessionDep, runtime: RuntimeDep) -> ParticipantOut:
    participant = repository.fetch_participant(session, caller.participant_id)
    assert participant is not None
    return service.to_out(participant, fetch_ledger_now(runtime))


@router.get("/{participant_id}", response_model=ParticipantOut)
def read_participant(
    participant_id: IdPath, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> ParticipantOut:
    """Participants are visible to each other by id, so a supplier can check whom it pays."""
    participant = repository.fetch_participant(session, participant_id)
    if participant is None:
        raise ParticipantNotFound(
            f"participant {participant_id} does not exist", participant_id=participant_id
        )
    return service.to_out(participant, fetch_ledger_now(runtime))


@router.post("/{participant_id}/identity", response_model=ParticipantOut)
def update_identity(
    participant_id: IdPath,
    body: IdentityUpdate,
    caller: ComplianceDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> ParticipantOut:
    """Changes the participant's identity record on chain (verified, KYC expiry, country), with a
    reason code recorded on chain and a note kept with the audit trail (compliance agents only)."""
    return service.update_identity(session, runtime, participant_id, body, caller.participant_id)


@router.get("/{participant_id}/identity-changes", response_model=Page[IdentityChangeOut])
def list_identity_changes(
    participant_id: IdPath, caller: RegistrarDep, session: SessionDep, page: StreamPageDep
) -> Page[IdentityChangeOut]:
    """The audit trail of the participant's identity: every change, by whom, why, oldest first."""
    return service.list_identity_changes(session, participant_id, page)


@router.post("/{participant_id}/revocation", response_model=ParticipantOut)
def revoke_participant(
    participant_id: IdPath, caller: ComplianceDep, session: SessionDep, runtime: RuntimeDep
) -> ParticipantOut:
    """Revokes the participant's verification on chain: it can then neither send nor receive notes."""
    update = IdentityUpdate(verified=False, reason=ComplianceReason.KYC_REVOKED)
    return service.update_identity(session, runtime, participant_id, update, caller.participant_id)


@router.post("/{participant_id}/verification", response_model=ParticipantOut)
def verify_participant(
    participant_id: IdPath, caller: ComplianceDep, session: SessionDep, runtime: RuntimeDep
) -> ParticipantOut:
    """Verifies the participant again (its KYC must not have lapsed: renew it with the identity route)."""
    update = IdentityUpdate(verified=True, reason=ComplianceReason.KYC_RENEWED)
    return service.update_identity(session, runtime, participant_id, update, caller.participant_id)
