"""Participant requests and responses."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from service.api.common import Name, UtcDatetime

Role = Literal["admin", "obligor", "supplier", "financier"]


class ParticipantCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    role: Role
    address: str | None = Field(
        default=None,
        max_length=42,
        pattern=r"^0x[0-9a-fA-F]{40}$",
        description="The participant's own wallet; omit it and the ledger keeps a managed key for it.",
    )


class ParticipantOut(BaseModel):
    id: int
    name: str
    role: Role
    address: str
    verified: bool
    managed_key: bool
    created_at: UtcDatetime


API_KEY_SHOWN_ONCE = "the API key is shown in this answer only: the ledger keeps only its hash; store it now"
API_KEY_NOT_REPEATED = (
    "the API key was shown in the first answer only and is not repeated: the ledger keeps its hash"
)


class ParticipantCreated(ParticipantOut):
    api_key: str | None = Field(
        description="The participant's API key, shown in this answer only. The ledger keeps its hash, not "
        "the key: an Idempotency-Key replay of the registration answers null here."
    )
    api_key_note: str = Field(description="Says whether the key is shown here, or was shown once before.")
    registration_transaction_hash: str | None
