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


class ParticipantCreated(ParticipantOut):
    api_key: str = Field(description="Shown once; the ledger keeps only its hash.")
    registration_transaction_hash: str | None
