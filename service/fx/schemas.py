"""How an FX rate a payment used is shown: the pair, the rate as a decimal string, its round and time."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from service.api.common import UtcDatetime
from service.domain.fx import RATE_PATTERN, Rounding, format_rate


class FxRateOut(BaseModel):
    base: str = Field(description="The voucher's currency (what values count in).", examples=["USD"])
    quote: str = Field(description="The settlement currency (what is paid).", examples=["CNY"])
    rate: str = Field(description="Units of `quote` per unit of `base`, exactly as the feed answered.")
    round_id: str = Field(description="The feed's round (a decimal string: Chainlink's ids exceed 2**53).")
    as_of: UtcDatetime = Field(description="When the feed's answer was updated.")


def fx_rate_out(base: str, quote: str, args: dict[str, Any]) -> FxRateOut | None:
    """The rate a payment event recorded, or None for a domestic payment (the identity rate)."""
    rate, decimals, round_id = int(args["fxRate"]), int(args["fxRateDecimals"]), int(args["fxRoundId"])
    if base == quote and (rate, decimals, round_id) == (1, 0, 0):
        return None
    return FxRateOut(
        base=base,
        quote=quote,
        rate=format_rate(rate, decimals),
        round_id=str(round_id),
        as_of=datetime.fromtimestamp(int(args["fxUpdatedAt"]), UTC),
    )


class FxRateStatusOut(BaseModel):
    """A currency pair's latest rate as the ledger's payments would take it now."""

    base: str = Field(examples=["USD"])
    quote: str = Field(examples=["CNY"])
    rate: str | None = Field(
        description="Units of `quote` per unit of `base`, with all the feed's decimals; null: no answer yet."
    )
    decimals: int = Field(description="The feed's decimals.")
    round_id: str | None = Field(description="The latest answer's round (a decimal string).")
    updated_at: UtcDatetime | None = Field(description="When the latest answer was given.")
    max_age_seconds: int = Field(description="The oldest answer a payment accepts (the rate directory's).")
    stale: bool = Field(
        description="The latest answer is older than `max_age_seconds` by the ledger's clock: a payment "
        "now would be refused (fx_rate_stale) until the oracle answers again."
    )
    usable: bool = Field(description="There is an answer and it is not stale.")
    feed_address: str
    own_feed: bool = Field(
        description="The ledger's own feed (its oracle account submits answers); false: an external one."
    )


class FxAnswerOut(BaseModel):
    """One answer an oracle submitted to the pair's feed."""

    round_id: str
    rate: str
    updated_at: UtcDatetime
    oracle_address: str
    transaction_hash: str
    block_number: int


class RateSubmit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rate: str = Field(
        max_length=49,
        pattern=RATE_PATTERN,
        examples=["7.12345678"],
        description="Units of the quote currency per unit of the base currency, a positive decimal string "
        "with at most the feed's decimals (8 for the ledger's own feeds). Never a number.",
    )


class FxRateSubmitted(BaseModel):
    base: str
    quote: str
    rate: str
    round_id: str
    updated_at: UtcDatetime
    transaction_hash: str
    block_number: int


class SettlementValueOut(BaseModel):
    """What a piece of a cross-border voucher is worth in its settlement currency at the latest rate."""

    amount: str = Field(description="In `currency`, the settlement currency.")
    currency: str = Field(examples=["CNY"])
    rate: str = Field(description="The pair's latest rate (settlement units per voucher unit).")
    round_id: str
    as_of: UtcDatetime = Field(description="When the rate was given.")
    rounding: Rounding = Field(
        description="floor: rounded down to the minor unit, as a settlement payout at this rate would pay."
    )
