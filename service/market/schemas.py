"""Market (model 2) requests and responses: token amounts are face value (one token = one minor unit of
the voucher's currency, shown as a decimal amount), cash is the voucher's settlement currency."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from service.api.common import Amount, IsoDate, RateBps, SignedRequest, UtcDatetime
from service.domain.pricing import DayCount
from service.participants.schemas import CountryCode


class OfferingCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: Amount = Field(examples=["20000000.00"], description="Face value of the piece to offer.")
    rate_bps: RateBps = Field(examples=[600], description="Annual discount rate: 600 = 6.00%.")
    day_count: DayCount = DayCount.ACT_360
    min_subscription: Amount = Field(examples=["100000.00"], description="Least face value per purchase.")
    closes_on: IsoDate = Field(
        description="Subscriptions close at 00:00 UTC that day (at most the maturity)."
    )
    allowed_countries: list[CountryCode] = Field(
        default_factory=list, max_length=16, description="Investor countries (empty: any)."
    )
    signed_request: SignedRequest | None = Field(
        default=None,
        description="Only for participants without a managed key; see the signing-request endpoint.",
    )


class OfferingOut(BaseModel):
    id: int
    voucher_id: int
    note_token_id: int = Field(description="The vault's piece backing the tokens.")
    seller_participant_id: int | None
    token_address: str
    currency: str
    cash_currency: str
    amount: str = Field(description="Face value offered.")
    rate_bps: int
    day_count: DayCount
    min_subscription: str
    closes_at: UtcDatetime
    maturity_at: UtcDatetime
    allowed_countries: list[str]
    open: bool
    closed: bool
    sold: str
    available: str = Field(description="Tokens (face value) still for sale.")
    withdrawn: str
    cash_raised: str
    days_left: int
    price_per_unit: str = Field(description="What 1.00 of face value costs now.")
    cash_received: str
    cash_redeemed: str
    voucher_status: str
    opened_transaction_hash: str


class PriceOut(BaseModel):
    offering_id: int
    amount: str
    cash: str
    cash_currency: str
    discount: str
    days_left: int
    rate_bps: int
    day_count: DayCount
    yield_to_maturity: str = Field(description="Simple annual yield under the day count, as a fraction.")


class SubscriptionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: Amount = Field(examples=["5000000.00"], description="Face value of the tokens to buy.")
    max_cash: Amount = Field(examples=["4900000.00"], description="Most cash to pay (refused above).")
    signed_request: SignedRequest | None = Field(
        default=None,
        description="Only for participants without a managed key; see the signing-request endpoint.",
    )


class TradeOut(BaseModel):
    offering_id: int
    listing_id: int | None
    market: str
    buyer_participant_id: int | None
    seller_participant_id: int | None
    amount: str
    cash: str
    cash_currency: str
    rate_bps: int
    days_left: int
    transaction_hash: str


class WithdrawalCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: Amount = Field(examples=["1000000.00"], description="Unsold face value to take back.")
    signed_request: SignedRequest | None = Field(
        default=None,
        description="Only for participants without a managed key; see the signing-request endpoint.",
    )


class WithdrawalOut(BaseModel):
    offering_id: int
    amount: str
    token_id: int = Field(description="The seller's new note piece.")
    transaction_hash: str


class ActionCreate(BaseModel):
    """The optional body of an action that takes no other input (closure, cancellation, redemption)."""

    model_config = ConfigDict(extra="forbid")

    signed_request: SignedRequest | None = Field(
        default=None,
        description="Only for participants without a managed key; see the signing-request endpoint.",
    )


class ClosureOut(BaseModel):
    offering_id: int
    unsold: str
    transaction_hash: str


class ListingCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: Amount = Field(examples=["1000000.00"])
    rate_bps: RateBps = Field(examples=[550], description="The lister's annual discount rate.")
    signed_request: SignedRequest | None = Field(
        default=None,
        description="Only for participants without a managed key; see the signing-request endpoint.",
    )


class ListingOut(BaseModel):
    id: int
    offering_id: int
    seller_participant_id: int | None
    currency: str
    cash_currency: str
    amount: str
    remaining: str
    rate_bps: int
    active: bool
    price_per_unit: str = Field(description="What 1.00 of face value costs now at the listing's rate.")
    listed_at: UtcDatetime
    transaction_hash: str


class PurchaseCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: Amount = Field(examples=["500000.00"])
    max_cash: Amount = Field(examples=["495000.00"])
    signed_request: SignedRequest | None = Field(
        default=None,
        description="Only for participants without a managed key; see the signing-request endpoint.",
    )


class CancellationOut(BaseModel):
    listing_id: int
    remaining: str
    transaction_hash: str


class CollectionOut(BaseModel):
    offering_id: int
    received: str = Field(description="Cash newly accounted for the offering by this collection.")
    cash_received: str
    cash_currency: str
    transaction_hash: str


class RedemptionOut(BaseModel):
    offering_id: int
    holder_participant_id: int | None
    tokens: str
    cash: str
    cash_currency: str
    transaction_hash: str


class RedemptionRun(BaseModel):
    model_config = ConfigDict(extra="forbid")

    batch_size: int | None = Field(
        default=None,
        strict=True,
        ge=1,
        le=100,
        description="Token holders redeemed per operation (default: 50).",
    )


class PortfolioItem(BaseModel):
    offering_id: int
    voucher_id: int
    currency: str
    cash_currency: str
    tokens: str = Field(description="Tokens held: the face value they will receive.")
    paid: str = Field(description="What the tokens held cost (average cost).")
    face: str
    yield_to_maturity: str = Field(description="Simple annual yield from purchase, as a fraction.")
    day_count: DayCount
    discount_accrued: str = Field(description="Discount earned to date, straight-line by days held.")
    expected_payment_on: IsoDate
    voucher_status: str
    redeemed_tokens: str
    redeemed_cash: str


class FiguresRow(BaseModel):
    day: IsoDate
    offering_id: int | None = Field(description="None: the platform's row for the day.")
    currency: str
    primary_volume: str = Field(description="Cash paid in subscriptions.")
    secondary_volume: str = Field(description="Cash paid for listings.")
    primary_face: str
    secondary_face: str
    trades: int
    average_discount_rate_bps: str = Field(description="Face-weighted annual discount rate of the trades.")
    premium_to_face: str = Field(description="(cash - face) / face of the day's trades: below 0 a discount.")


class FiguresOut(BaseModel):
    rows: list[FiguresRow]
    next_cursor: str | None = Field(
        description="Pass it as `cursor` for the next page; null on the last page."
    )
