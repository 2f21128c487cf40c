"""/v1/participants"""

from __future__ import annotations

from service.api.auth import AdminDep, CallerDep, RuntimeDep, SessionDep
from service.api.common import IdPath
from service.api.pagination import Page, PageDep
from service.api.routing import LedgerRouter
from service.db.models import Participant
from service.errors import ParticipantNotFound
from service.participants import repository, service
from service.participants.schemas import ParticipantCreate, ParticipantCreated, ParticipantOut

router = LedgerRouter(prefix="/v1/participants", tags=["participants"])


@router.post("", status_code=201, response_model=ParticipantCreated)
def create_participant(
    body: ParticipantCreate, caller: AdminDep, session: SessionDep, runtime: RuntimeDep
) -> ParticipantCreated:
    """Registers a participant (admin only): an on-chain address, verification, and an API key shown once."""
    return service.register_participant(session, runtime, body, caller.participant_id)


@router.get("", response_model=Page[ParticipantOut])
def list_participants(caller: AdminDep, session: SessionDep, page: PageDep) -> Page[ParticipantOut]:
    """Every participant, by id (admin only)."""
    fetched = repository.fetch_participants(session, page.after_id, page.limit + 1)
    rows, next_cursor = page.page(fetched, _key)
    return Page(items=[service.to_out(row) for row in rows], next_cursor=next_cursor)


def _key(participant: Participant) -> tuple[int]:
    return (participant.id,)


@router.get("/me", response_model=ParticipantOut)
def read_me(caller: CallerDep, session: SessionDep) -> ParticipantOut:
    participant = repository.fetch_participant(session, caller.participant_id)
    assert participant is not None
    return service.to_out(participant)


@router.get("/{participant_id}", response_model=ParticipantOut)
def read_participant(participant_id: IdPath, caller: CallerDep, session: SessionDep) -> ParticipantOut:
    """Participants are visible to each other by id, so a supplier can check whom it pays."""
    participant = repository.fetch_participant(session, participant_id)
    if participant is None:
        raise ParticipantNotFound(
            f"participant {participant_id} does not exist", participant_id=participant_id
        )
    return service.to_out(participant)


@router.post("/{participant_id}/revocation", response_model=ParticipantOut)
def revoke_participant(
    participant_id: IdPath, caller: AdminDep, session: SessionDep, runtime: RuntimeDep
) -> ParticipantOut:
    """Revokes the participant's on-chain verification: it can then neither send nor receive notes."""
    participant = service.set_verification(session, runtime, participant_id, False, caller.participant_id)
    return service.to_out(participant)


@router.post("/{participant_id}/verification", response_model=ParticipantOut)
def verify_participant(
    participant_id: IdPath, caller: AdminDep, session: SessionDep, runtime: RuntimeDep
) -> ParticipantOut:
    participant = service.set_verification(session, runtime, participant_id, True, caller.participant_id)
    return service.to_out(participant)
