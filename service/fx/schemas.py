"""How an FX rate a payment used is shown: the pair, the rate as a decimal string, its round and time."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field

from service.api.common import UtcDatetime
from service.domain.fx import format_rate


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
