"""Compliance requests and responses. Amounts are decimal strings in major units of the voucher's
(denomination) currency; reasons are codes of `ComplianceReason`, recorded on chain as a bytes32."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, Strict

from service.api.common import Amount, Id, ParticipantRef, UtcDatetime
from service.domain.compliance import MAX_LIMIT_WINDOW_SECONDS, MIN_LIMIT_WINDOW_SECONDS, ActionKind
from service.domain.identity import ComplianceReason

Note = Annotated[
    str,
    Strict(),
    Field(min_length=1, max_length=500, description="Free text kept with the audit trail (not on chain)."),
]
REASON_DESCRIPTION = (
    "Why: one of the ledger's reason codes, recorded on chain with the action (its ASCII word as a bytes32)."
)


class ReasonBody(BaseModel):
    """A compliance control's why."""

    model_config = ConfigDict(extra="forbid")

    reason: ComplianceReason = Field(description=REASON_DESCRIPTION)
    note: Note | None = None


class PauseBody(BaseModel):
    """A pause's why: the note's pause takes no reason, so the service keeps it with the action."""

    model_config = ConfigDict(extra="forbid")

    reason: ComplianceReason | None = Field(
        default=None, description="Why (kept by the service with the action; the contract records none)."
    )
    note: Note | None = None


class FrozenValueChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: Amount = Field(examples=["1000000.00"], description="A whole multiple of the minimum unit.")
    action: Literal["freeze", "unfreeze"]
    reason: ComplianceReason = Field(description=REASON_DESCRIPTION)
    note: Note | None = None


class ForcedTransferCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to_participant_id: Id
    amount: Amount = Field(examples=["1000000.00"])
    reason: ComplianceReason = Field(description=REASON_DESCRIPTION)
    note: Note | None = None


class RecoveryCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    new_participant_id: Id = Field(
        description="The participant (registered for the new wallet, same role, verified, holding nothing "
        "and without rolling limits) that receives every piece."
    )
    reason: ComplianceReason = Field(description=REASON_DESCRIPTION)
    note: Note | None = None


class TransferCapUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: Amount | None = Field(
        examples=["500000.00"],
        description="The most value one transfer between two holders may move; null removes the cap.",
    )
    reason: ComplianceReason = Field(description=REASON_DESCRIPTION)
    note: Note | None = None


WindowSeconds = Annotated[int, Strict(), Field(ge=MIN_LIMIT_WINDOW_SECONDS, le=MAX_LIMIT_WINDOW_SECONDS)]


class TransferLimitUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: Amount | None = Field(
        examples=["1000000.00"],
        description="The most the participant may send in vouchers of this currency within any window; "
        "null removes the limit (then window_seconds must be null too).",
    )
    window_seconds: WindowSeconds | None = Field(
        default=None, examples=[86_400], description="The rolling window, 3,600 s (1 hour) to 366 days."
    )
    reason: ComplianceReason = Field(description=REASON_DESCRIPTION)
    note: Note | None = None


class TransferCheckCreate(BaseModel):
    """The same body as a transfer's (without a signed request: a dry run signs nothing)."""

    model_config = ConfigDict(extra="forbid")

    to_participant_id: Id
    amount: Amount = Field(examples=["1000000.00"])
    into_token_id: Id | None = None


# --------------------------------------------------------------------------------------- answers


class ParticipantControlOut(BaseModel):
    participant_id: int
    frozen: bool
    reason: ComplianceReason
    transaction_hash: str
    block_number: int


class NoteControlOut(BaseModel):
    token_id: int
    voucher_id: int
    currency: str
    frozen: bool = Field(description="The whole piece is frozen.")
    value: str
    frozen_value: str = Field(description="Value frozen by freezePartialValue.")
    movable_value: str = Field(description="What may still move: nothing while frozen whole.")
    reason: ComplianceReason
    transaction_hash: str
    block_number: int


class ForcedTransferOut(BaseModel):
    token_id: int = Field(description="The recipient's new piece, a child of the source piece.")
    from_token_id: int
    voucher_id: int
    currency: str
    amount: str
    remaining: str = Field(description="What the source piece holds after the transfer.")
    released_frozen_value: str = Field(description="Frozen value of the source the transfer unfroze.")
    from_participant_id: int | None
    to_participant_id: int
    reason: ComplianceReason
    transaction_hash: str
    block_number: int


class RecoveredPiece(BaseModel):
    token_id: int
    voucher_id: int
    currency: str
    value: str


class RecoveryOut(BaseModel):
    lost_participant_id: int
    new_participant_id: int
    pieces: list[RecoveredPiece] = Field(description="Every piece moved, whole, ids and lineage unchanged.")
    lost_wallet_frozen: bool
    new_wallet_frozen: bool = Field(description="A freeze of the lost wallet carries over to the new one.")
    reason: ComplianceReason
    transaction_hash: str
    block_number: int


class TransferCapOut(BaseModel):
    voucher_id: int
    currency: str
    transfer_cap: str | None = Field(description="Per-transfer maximum; null: none.")
    transaction_hash: str | None = Field(description="The transaction that set it (a change's answer).")


class TransferLimitOut(BaseModel):
    participant_id: int
    currency: str
    limit: str | None = Field(description="Null: no limit in this currency.")
    window_seconds: int | None
    sent_in_window: str = Field(
        description="What the limit counts as sent in the current window, read from the chain (counted "
        "conservatively in quarter-window buckets)."
    )
    available: str | None = Field(description="What may still be sent now; null without a limit.")
    transaction_hash: str | None = Field(description="The transaction that set it (a change's answer).")


class VoucherPauseOut(BaseModel):
    voucher_id: int
    paused: bool
    transaction_hash: str


class TransferCheckReason(BaseModel):
    code: str = Field(description="The error code a real transfer is refused with for this reason.")
    message: str
    check: str = Field(
        description="The note's TransferCheck bit name, or `service` for a check the service makes."
    )


class TransferCheckOut(BaseModel):
    would_pass: bool
    reasons: list[TransferCheckReason] = Field(description="Every reason the transfer would be refused.")


class ComplianceActionOut(BaseModel):
    id: int
    kind: ActionKind
    participant: ParticipantRef | None = Field(description="The account acted on (freeze, limit, recovery).")
    token_id: int | None
    voucher_id: int | None
    reason: str | None
    note: str | None
    details: dict[str, Any] = Field(description="What was set, in API units (amounts with their currency).")
    agent_address: str = Field(description="The account that signed it on chain (the ledger's role account).")
    requested_by_participant_id: int | None = Field(description="Who asked for it through the API.")
    transaction_hash: str
    block_number: int
    log_index: int
    occurred_at: UtcDatetime
