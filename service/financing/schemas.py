"""Financing requests and responses. Amounts are decimal strings in major units; rates in basis points."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from service.api.common import Amount, CurrencyCode, Id, ParticipantRef, RateBps, SignedRequest, UtcDatetime
from service.domain.pricing import DayCount, QuoteBasis


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
    budget: Amount = Field(examples=["100000000.00"], description="Cash this offer may pay out in total.")


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
    cash_received: str
    transaction_hash: str
    block_number: int


class ExecutionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    signed_request: SignedRequest | None = Field(
        default=None, description="Only for sellers without a managed key; see the signing-request endpoint."
    )
