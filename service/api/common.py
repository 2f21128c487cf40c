"""Response pieces shared by several resources."""

from __future__ import annotations

from pydantic import BaseModel, Field

from service.db.models import Participant


class ParticipantRef(BaseModel):
    participant_id: int | None = Field(
        description="Null when the address belongs to no registered participant."
    )
    name: str | None
    address: str


def participant_ref(address: str, known: dict[str, Participant]) -> ParticipantRef:
    participant = known.get(address)
    return ParticipantRef(
        participant_id=participant.id if participant else None,
        name=participant.name if participant else None,
        address=address,
    )
