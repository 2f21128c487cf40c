"""Participant requests and responses."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, Strict

from service.api.common import IsoDate, Name, UtcDatetime
from service.domain.identity import ComplianceReason, ParticipantRole

CountryCode = Annotated[
    str,
    Strict(),
    Field(
        min_length=2,
        max_length=2,
        pattern=r"^[A-Z]{2}$",
        description="ISO 3166-1 alpha-2, an assigned code (the registry refuses others).",
        examples=["CN"],
    ),
]
Note = Annotated[str, Strict(), Field(min_length=1, max_length=500)]


class ParticipantCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    role: ParticipantRole
    address: str | None = Field(
        default=None,
        max_length=42,
        pattern=r"^0x[0-9a-fA-F]{40}$",
        description="The participant's own wallet; omit it and the ledger keeps a managed key for it.",
    )
    country: CountryCode | None = Field(
        default=None, description="Required for every role but the staff's (admin, compliance_agent, oracle)."
    )
    kyc_expires_on: IsoDate | None = Field(
        default=None,
        description="When its KYC check lapses (00:00 UTC that day); default: KYC_VALIDITY_DAYS from today.",
    )


class IdentityUpdate(BaseModel):
    """A compliance agent's change of a participant's identity record; what is omitted stays."""

    model_config = ConfigDict(extra="forbid")

    verified: bool | None = Field(default=None, strict=True)
    kyc_expires_on: IsoDate | None = None
    country: CountryCode | None = None
    reason: ComplianceReason
    note: Note | None = Field(default=None, description="Free text kept with the audit trail (not on chain).")


class ParticipantOut(BaseModel):
    id: int
    name: str
    role: ParticipantRole
    address: str
    verified: bool = Field(description="Verified in the registry (as recorded, whatever the KYC expiry).")
    kyc_expires_at: UtcDatetime | None
    kyc_expired: bool = Field(description="Its KYC has lapsed: it can neither send nor receive.")
    country: str | None
    frozen: bool = Field(description="Frozen by a compliance agent: nothing moves in or out.")
    managed_key: bool
    created_at: UtcDatetime


class IdentityChangeOut(BaseModel):
    """One change of an identity record, as the registry's event recorded it."""

    participant_id: int
    verified: bool
    kyc_expires_at: UtcDatetime | None
    country: str | None
    reason: str
    note: str | None
    requested_by_participant_id: int | None = Field(description="Who asked for it through the API.")
    transaction_hash: str
    block_number: int
    occurred_at: UtcDatetime


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
