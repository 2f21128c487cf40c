"""Request and response pieces shared by several resources."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Path
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from service.db.models import Participant

# Ids (participants, vouchers, tokens, terms, quotes, programmes) are positive and stored as BIGINT:
# nothing at or beyond 2**63 can exist, and SQLite would fail on such a number with a 500. (`lt=2**63`
# rather than `le=2**63 - 1`: FastAPI passes schema bounds through floats, which hold 2**63 exactly.)
ID_LIMIT = 2**63
Id = Annotated[int, Field(ge=1, lt=ID_LIMIT)]
IdPath = Annotated[int, Path(ge=1, lt=ID_LIMIT)]


def _as_utc(value: datetime) -> datetime:
    """Every stored timestamp is UTC, but SQLite hands it back without its offset."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


UtcDatetime = Annotated[datetime, AfterValidator(_as_utc)]
"""A timestamp that always serialises with its UTC offset, as the `date-time` format requires."""


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


class ErrorBody(BaseModel):
    """Every error: a machine-readable `code` to branch on and a `message` for people."""

    code: str = Field(examples=["amount_not_unit_multiple"])
    message: str
    details: dict[str, Any] | None = Field(
        default=None, description="What the error is about, e.g. the field or the Solidity error."
    )


class SignedRequest(BaseModel):
    """For participants with their own wallet: the EIP-712 forward request they signed."""

    model_config = ConfigDict(extra="forbid")

    # A forwarder nonce counts one per request: far below what the ledger stores (BIGINT).
    nonce: int = Field(ge=0, lt=2**63)
    deadline: int = Field(gt=0, lt=2**48)
    signature: str = Field(pattern=r"^0x[0-9a-fA-F]{130}$")


class SigningRequestOut(BaseModel):
    typed_data: dict[str, Any] = Field(description="Sign with eth_signTypedData_v4, then POST the action.")
    nonce: int
    deadline: int
