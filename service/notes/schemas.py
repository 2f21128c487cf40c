"""Note requests and responses. Amounts are decimal strings in major units."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from service.api.common import Amount, Id, ParticipantRef, SignedRequest, UtcDatetime
from service.domain.notes import PieceView
from service.domain.vouchers import VoucherStatus
from service.fx.schemas import SettlementValueOut


class NoteOut(BaseModel):
    """A piece: `full` for the caller's own pieces (and every piece for its voucher's obligor and the
    administrators), `provenance` for one its own pieces came from or went to (docs/visibility.md)."""

    token_id: int
    view: PieceView
    voucher_id: int
    currency: str
    value: str | None = Field(description="What it holds now; null in the provenance view.")
    holder: ParticipantRef = Field(description="Its holder now (full), or whom it was created for.")
    obligor: ParticipantRef
    parent_token_id: int | None
    root_token_id: int
    depth: int
    due_at: UtcDatetime
    voucher_status: VoucherStatus = Field(
        description="The voucher's lifecycle status, as the voucher shows it."
    )
    created_transaction_hash: str
    settlement_value: SettlementValueOut | None = Field(
        default=None,
        description="A cross-border voucher's piece: its value in the settlement currency at the pair's "
        "latest rate (rounded down, as a payout pays). Null for a domestic voucher, in the provenance "
        "view, and when no usable rate exists (`settlement_value_unavailable` says why).",
    )
    settlement_value_unavailable: Literal["fx_rate_stale", "fx_rate_unavailable"] | None = Field(
        default=None,
        description="Why a cross-border piece has no settlement value: the rate is older than its maximum "
        "age (fx_rate_stale) or there is none (fx_rate_unavailable), as a payment would be refused.",
    )


class TransferCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to_participant_id: Id
    amount: Amount = Field(examples=["30000000.00"])
    into_token_id: Id | None = Field(
        default=None,
        description="Merge into this piece of the recipient (same voucher) instead of creating one.",
    )
    signed_request: SignedRequest | None = Field(
        default=None,
        description="Only for participants without a managed key; see the signing-request endpoint.",
    )


class TransferIntent(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to_participant_id: Id
    amount: Amount
    into_token_id: Id | None = None


class TransferOut(BaseModel):
    kind: Literal["split", "merge"]
    token_id: int = Field(description="The recipient's piece: new for a split, existing for a merge.")
    from_token_id: int
    voucher_id: int
    amount: str
    remaining: str = Field(description="What the sender's piece holds after the transfer.")
    to_participant_id: int
    transaction_hash: str
    block_number: int


MAX_BATCH_ITEMS = 1_000


class BulkTransferItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    from_token_id: Id = Field(description="One of the caller's pieces.")
    to_participant_id: Id
    amount: Amount = Field(examples=["1000000.00"])
    into_token_id: Id | None = Field(default=None, description="Merge into this piece of the recipient.")


class BulkTransferCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[BulkTransferItem] = Field(
        min_length=1,
        max_length=MAX_BATCH_ITEMS,
        description=f"1 to {MAX_BATCH_ITEMS} transfers, applied in this order (two drawing on one piece "
        "must fit in it together).",
    )


class BulkItemOut(BaseModel):
    index: int = Field(description="The item's position in the request, from 0.")
    state: Literal["executed", "failed"]
    kind: Literal["split", "merge"] | None = None
    from_token_id: int
    to_participant_id: int
    voucher_id: int
    token_id: int | None = Field(default=None, description="The recipient's piece (null if it failed).")
    amount: str | None = None
    transaction_hash: str | None = None
    block_number: int | None = None
    error: dict[str, Any] | None = Field(default=None, description="Why it failed on chain.")


class BulkTransferOut(BaseModel):
    items: list[BulkItemOut]
    transactions: list[str] = Field(description="The relay transactions that carried the batch.")
    executed: int
    failed: int
