"""Settlement requests and responses."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from service.api.common import Amount, ParticipantRef, UtcDatetime
from service.domain.vouchers import VoucherStatus


class FundingCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: Amount = Field(examples=["100000000.00"])


class PayoutRun(BaseModel):
    model_config = ConfigDict(extra="forbid")

    batch_size: int = Field(default=50, strict=True, ge=1, le=200, description="Pieces paid per transaction.")


class SettlementOut(BaseModel):
    voucher_id: int
    currency: str
    status: VoucherStatus
    due_at: UtcDatetime
    face_value: str
    outstanding: str
    funded: str
    paid_out: str
    available: str = Field(
        description="Funded cash not yet paid out (remainders of partial rounds stay here)."
    )


class PayoutRunOut(BaseModel):
    batches: int
    pieces_paid: int
    paid: str
    transaction_hashes: list[str]
    settlement: SettlementOut


class ClaimOut(BaseModel):
    token_id: int
    amount: str
    remaining_value: str
    transaction_hash: str


class ReportRow(BaseModel):
    kind: str
    token_id: int | None
    party: ParticipantRef | None
    cash: str
    value_redeemed: str
    transaction_hash: str
    block_number: int
    occurred_at: UtcDatetime


class SettlementReport(BaseModel):
    voucher_id: int
    currency: str
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
