"""The regulator's view of cross-border payments (SAFE's cross-border payment monitoring)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from service.api.common import UtcDatetime

PaymentKind = Literal["settlement", "early_payment", "financing"]


class PartyOut(BaseModel):
    participant_id: int | None = Field(description="Null when the address is no registered participant.")
    name: str | None
    address: str
    country: str | None = Field(
        description="ISO 3166-1 alpha-2, as its identity record said when the payment ran."
    )


class CrossBorderPaymentOut(BaseModel):
    """One payment for note value that crossed a border: converted between currencies, or between parties
    of different countries (or both)."""

    kind: PaymentKind = Field(
        description="settlement (paid at maturity), early_payment (paid by the obligor before maturity) or "
        "financing (a financier bought the value)."
    )
    voucher_id: int
    token_id: int | None = Field(
        description="The piece paid (settlement, early payment) or bought (financing)."
    )
    value: str = Field(description="Note value paid for, in `currency` (the voucher's).")
    currency: str
    cash: str = Field(description="Cash paid, in `cash_currency` (the voucher's settlement currency).")
    cash_currency: str
    rate: str | None = Field(description="The FX rate the conversion used (null: no conversion).")
    round_id: str | None = Field(description="The rate's round on its feed.")
    rate_as_of: UtcDatetime | None = Field(description="When the rate was given.")
    conversion: bool = Field(description="Cash in another currency than the value.")
    countries_differ: bool = Field(description="Payer and payee are of different countries.")
    payer: PartyOut = Field(description="Who paid: the obligor (settlement, early payment) or the financier.")
    payee: PartyOut = Field(description="Who was paid: the piece's holder, or the seller.")
    transfer_cap: str | None = Field(
        description="The voucher's per-transfer cap in force then, in `currency` (null: none). It bounds "
        "value moving between holders (a financing); paid value is redeemed, not moved."
    )
    transaction_hash: str
    block_number: int
    occurred_at: UtcDatetime


class CrossBorderPaymentsPage(BaseModel):
    items: list[CrossBorderPaymentOut] = Field(description="In chain order.")
    next_cursor: str | None = Field(description="Pass it as `cursor` for the next page; null on the last.")


class CrossBorderSummaryOut(BaseModel):
    """How much of a cross-border voucher was paid onshore, in CNY."""

    voucher_id: int
    currency: str
    settlement_currency: str
    face_value: str = Field(description="In `currency`.")
    outstanding: str = Field(description="Value not paid yet, in `currency`.")
    transfer_cap: str | None = Field(description="The per-transfer cap now, in `currency` (null: none).")
    settled_onshore_value: str = Field(
        description="Value paid (at maturity or early) with CNY cash, in `currency`."
    )
    settled_onshore_cash: str = Field(description="The CNY cash those payments paid.")
    onshore_share: str = Field(
        description="settled_onshore_value / face_value, 4 decimals, rounded down (1.0000: all of it)."
    )
    financed_value: str = Field(description="Value financiers bought, in `currency`.")
    financed_cash: str = Field(description="The cash they paid for it, in `settlement_currency`.")
    payments: int = Field(description="Payments of note value (settlement, early payment, financing).")


class CrossBorderSummaryPage(BaseModel):
    items: list[CrossBorderSummaryOut] = Field(description="Cross-border vouchers by id.")
    next_cursor: str | None = Field(description="Pass it as `cursor` for the next page; null on the last.")
