"""Financing requests and responses. Amounts are decimal strings in major units; rates in basis points."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from service.api.common import Amount, CurrencyCode, Id, ParticipantRef, RateBps, SignedRequest, UtcDatetime
from service.domain.logistics import FULL_SHARE_BPS, Milestone
from service.domain.pricing import DayCount, QuoteBasis
from service.fx.schemas import FxRateOut


class TermsCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    currency: CurrencyCode
    rate_bps: RateBps = Field(examples=[600], description="Annual rate in basis points: 600 = 6.00%.")
    quote_basis: QuoteBasis = QuoteBasis.DISCOUNT
    day_count: DayCount = DayCount.ACT_360
    eligible_obligor_ids: list[Id] = Field(
        default_factory=list, max_length=100, description="Up to 100 obligors; empty: any obligor."
    )
    min_amount: Amount = Field(examples=["1000000.00"])
    max_amount: Amount = Field(examples=["50000000.00"])
    budget: Amount = Field(
        examples=["100000000.00"],
        description="What this offer may pay in total, in `currency` (the vouchers' currency: a price; a "
        "cross-border voucher's cash is that price converted at the FX feed's rate).",
    )
    required_milestone: Milestone = Field(
        default=Milestone.NONE,
        description="A quote under these terms executes only once the voucher's shipment reached this.",
    )
    max_financed_share_bps: int = Field(
        default=FULL_SHARE_BPS,
        strict=True,
        ge=1,
        le=FULL_SHARE_BPS,
        examples=[8_000],
        description="Before delivery, the desk finances at most this share of the voucher's face value "
        "(all financiers together, in basis points: 8000 = 80%); after delivery, all of it.",
    )


class TermsOut(BaseModel):
    id: int
    financier: ParticipantRef
    currency: str
    rate_bps: int
    quote_basis: QuoteBasis
    day_count: DayCount
    eligible_obligor_ids: list[int]
    min_amount: str
    max_amount: str
    budget: str
    used: str
    remaining_budget: str
    active: bool
    required_milestone: Milestone
    max_financed_share_bps: int


class QuoteCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    terms_id: Id
    amount: Amount = Field(
        examples=["10000000.00"], description="Face value of the part of the piece to sell."
    )


class QuoteOut(BaseModel):
    id: int
    terms_id: int
    token_id: int
    voucher_id: int
    financier: ParticipantRef
    currency: str
    amount: str
    price: str
    discount: str
    days: int
    day_count: DayCount
    basis_days: int
    quote_basis: QuoteBasis
    rate_bps: int
    effective_annual_yield: str = Field(description="(face / price)^(365 / days) - 1, for comparison only.")
    rounding: str = Field(description="Direction of every rounding: the price never favours the financier.")
    required_milestone: Milestone
    max_financed_share_bps: int
    expires_at: UtcDatetime
    nonce: str
    signature: str = Field(description="The financier's EIP-712 signature of the quote.")
    state: str


class ExecutionOut(BaseModel):
    quote_id: int
    financier_token_id: int
    seller_token_id: int
    seller_remaining: str
    amount: str
    price: str
    cash_received: str = Field(description="What the seller received, in `cash_currency`.")
    cash_currency: str = Field(description="The voucher's settlement currency.")
    fx: FxRateOut | None = Field(description="The rate the price was converted at (cross-border only).")
    transaction_hash: str
    block_number: int


class ExecutionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    signed_request: SignedRequest | None = Field(
        default=None, description="Only for sellers without a managed key; see the signing-request endpoint."
    )
