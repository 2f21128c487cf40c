"""Early-payment (dynamic discounting) requests and responses."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from service.api.common import Amount, Id, IsoDate, RateBps, SignedRequest, UtcDatetime
from service.domain.pricing import DayCount, QuoteBasis
from service.fx.schemas import FxRateOut


class ProgrammeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rate_bps: RateBps = Field(examples=[800], description="Annual rate in basis points: 800 = 8.00%.")
    quote_basis: QuoteBasis = QuoteBasis.DISCOUNT
    day_count: DayCount = DayCount.ACT_360
    budget: Amount = Field(examples=["20000000.00"], description="Cash escrowed for early payments.")
    cutoff_date: IsoDate = Field(description="Last day (00:00 UTC) on which holders may take early payment.")
    signed_request: SignedRequest | None = Field(
        default=None,
        description="Only for participants without a managed key; see the signing-request endpoint.",
    )


class ProgrammeOut(BaseModel):
    """Cash (budget, spent, remaining) is in `cash_currency`, the voucher's settlement currency; the value
    redeemed in the voucher's `currency`."""

    id: int
    voucher_id: int
    currency: str
    cash_currency: str
    rate_bps: int
    quote_basis: QuoteBasis
    day_count: DayCount
    budget: str
    spent: str
    remaining_budget: str
    redeemed: str
    cutoff_at: UtcDatetime
    closed: bool
    opened_transaction_hash: str


class EarlyPaymentQuoteOut(BaseModel):
    programme_id: int
    amount: str
    price: str = Field(description="The discounted price, in the voucher's currency.")
    discount: str
    days: int
    cash: str = Field(
        description="What the holder would be paid, in `cash_currency` (the price at the rate)."
    )
    cash_currency: str
    fx: FxRateOut | None = Field(description="The rate the cash is computed at (cross-border only).")


class RedemptionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token_id: Id
    amount: Amount = Field(examples=["5000000.00"])
    signed_request: SignedRequest | None = Field(
        default=None,
        description="Only for participants without a managed key; see the signing-request endpoint.",
    )


class RedemptionOut(BaseModel):
    programme_id: int
    token_id: int
    amount: str
    price: str
    discount: str
    days: int
    cash: str = Field(description="What the holder was paid, in `cash_currency`.")
    cash_currency: str
    fx: FxRateOut | None = Field(description="The rate the price was converted at (cross-border only).")
    remaining_value: str
    transaction_hash: str


class ClosureOut(BaseModel):
    programme_id: int
    refund: str = Field(description="The budget returned, in the settlement currency.")
    transaction_hash: str


class ClosureCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    signed_request: SignedRequest | None = Field(
        default=None,
        description="Only for participants without a managed key; see the signing-request endpoint.",
    )
