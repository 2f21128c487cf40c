"""Settlement requests and responses."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from service.api.common import Amount, ParticipantRef, SignedRequest, UtcDatetime
from service.domain.operations import JobState
from service.domain.vouchers import VoucherStatus
from service.fx.schemas import FxRateOut


class FundingCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: Amount = Field(examples=["100000000.00"])
    signed_request: SignedRequest | None = Field(
        default=None, description="Only for obligors without a managed key; see the signing-request endpoint."
    )


class PayoutRun(BaseModel):
    model_config = ConfigDict(extra="forbid")

    batch_size: int | None = Field(
        default=None,
        strict=True,
        ge=1,
        le=200,
        description="Pieces paid per operation (default: as many as the block's gas allows).",
    )


class SettlementOut(BaseModel):
    """Value (face, outstanding) is in the voucher's `currency`; cash (funded, paid out, available) in its
    `cash_currency`, the settlement currency (the same for a domestic voucher)."""

    voucher_id: int
    currency: str
    cash_currency: str
    status: VoucherStatus
    due_at: UtcDatetime
    face_value: str
    outstanding: str
    funded: str
    paid_out: str
    available: str = Field(
        description="Funded cash not yet paid out (remainders of partial rounds stay here)."
    )


class JobOut(BaseModel):
    """A job the chain writer runs off the request (`GET /v1/jobs/{id}` to follow it)."""

    id: int
    kind: str
    state: JobState = Field(description="queued, running, completed or failed.")
    voucher_id: int
    currency: str = Field(description="The currency of `paid`: the voucher's settlement currency.")
    pieces_total: int = Field(description="Pieces holding value when the job started: what it will pay.")
    pieces_paid: int
    paid: str = Field(description="Cash paid so far.")
    batches: int
    transaction_hashes: list[str]
    error: dict[str, Any] | None
    created_at: UtcDatetime
    updated_at: UtcDatetime


class ClaimCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    signed_request: SignedRequest | None = Field(
        default=None, description="Only for holders without a managed key; see the signing-request endpoint."
    )


class ClaimOut(BaseModel):
    token_id: int
    value_redeemed: str = Field(description="Value of the piece paid, in the voucher's currency.")
    amount: str = Field(description="Cash paid, in `cash_currency`.")
    cash_currency: str
    fx: FxRateOut | None = Field(description="The rate of the distribution round (cross-border only).")
    remaining_value: str
    transaction_hash: str


class ReportRow(BaseModel):
    kind: str
    token_id: int | None
    party: ParticipantRef | None
    cash: str = Field(description="In the report's `cash_currency`.")
    value_redeemed: str = Field(description="In the report's `currency`.")
    fx: FxRateOut | None = Field(description="The rate a conversion used, recorded by the payment.")
    transaction_hash: str
    block_number: int
    occurred_at: UtcDatetime


class SettlementReport(BaseModel):
    voucher_id: int
    currency: str
    cash_currency: str
    face_value: str
    status: VoucherStatus
    funded: str
    paid_at_maturity: str
    paid_early: str
    outstanding: str
    rows: list[ReportRow] = Field(
        description="One page of the payments in chain order: every one for the voucher's obligor and the "
        "administrators, a holder's own for a holder (docs/visibility.md)."
    )
    next_cursor: str | None = Field(description="Pass it as `cursor` for the next page; null on the last.")
