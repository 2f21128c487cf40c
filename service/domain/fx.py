"""Converting a cross-border voucher's value (its denomination currency) to its settlement currency at an
FX rate, exactly as the contracts do (`FxMath`), with each rounding's direction named.

A rate is `answer / 10**decimals` settlement minor units per denomination minor unit (both currencies
have two decimals). The contracts round:
- a settlement payout down (`FLOOR`: the vault never pays more than it holds);
- an early payment and a financing up (`CEIL`: the party that set the price bears the fraction).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from service.errors import InvalidRate


class Rounding(StrEnum):
    FLOOR = "floor"  # toward zero: the payer keeps the fraction
    CEIL = "ceil"  # away from zero: the payee gets the fraction


@dataclass(frozen=True)
class FxRate:
    """A feed's answer as a payment used it: the rate, its decimals, round and time."""

    answer: int
    decimals: int
    round_id: int
    updated_at: datetime

    @property
    def value(self) -> Decimal:
        """Settlement units per denomination unit, exactly."""
        return Decimal(self.answer).scaleb(-self.decimals)


def compute_settlement_minor(value_minor: int, rate: FxRate, rounding: Rounding) -> int:
    """`value_minor` of the denomination currency in minor units of the settlement currency."""
    product = value_minor * rate.answer
    scale = 10**rate.decimals
    return product // scale if rounding is Rounding.FLOOR else -(-product // scale)


# The value of a note as shown before it is paid is what a settlement payout would pay: rounded down.
SETTLEMENT_VALUE_ROUNDING = Rounding.FLOOR
# Chainlink answers are int256; the ledger's own feeds store int192 (IFxPriceFeed).
MAX_FEED_ANSWER = 2**191 - 1
RATE_PATTERN = r"^(0|[1-9][0-9]{0,29})(\.[0-9]{1,18})?$"
_RATE = re.compile(RATE_PATTERN[1:-1], re.ASCII)


def parse_rate(text: str, decimals: int) -> int:
    """A rate written as a decimal string ("7.1234") as the feed's integer answer with `decimals`
    decimals. Never rounds: more decimals than the feed has are refused, as is a rate of zero."""
    if not _RATE.fullmatch(text):
        raise InvalidRate(f"{text[:40]!r} is not a decimal rate such as 7.1234", rate=text[:40])
    whole, _, fraction = text.partition(".")
    if len(fraction) > decimals:
        raise InvalidRate(f"the feed has {decimals} decimals: {text} has more", rate=text, decimals=decimals)
    answer = int(whole + fraction.ljust(decimals, "0"))
    if answer <= 0:
        raise InvalidRate(f"a rate must be positive, not {text}", rate=text)
    if answer > MAX_FEED_ANSWER:
        raise InvalidRate(f"{text} exceeds what the feed can hold", rate=text)
    return answer


def is_rate_stale(updated_at: datetime, max_age_seconds: int, now: datetime) -> bool:
    """As the rate directory judges it: older than the maximum age, or stamped in the future."""
    return updated_at > now or now - updated_at > timedelta(seconds=max_age_seconds)


def format_rate(answer: int, decimals: int) -> str:
    """A rate as a plain decimal string with all its decimals ("7.12345678")."""
    if decimals == 0:
        return str(answer)
    return str(Decimal(answer).scaleb(-decimals).quantize(Decimal(1).scaleb(-decimals)))
