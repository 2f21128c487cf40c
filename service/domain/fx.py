"""Converting a cross-border voucher's value (its denomination currency) to its settlement currency at an
FX rate, exactly as the contracts do (`FxMath`), with each rounding's direction named.

A rate is `answer / 10**decimals` settlement minor units per denomination minor unit (both currencies
have two decimals). The contracts round:
- a settlement payout down (`FLOOR`: the vault never pays more than it holds);
- an early payment and a financing up (`CEIL`: the party that set the price bears the fraction).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum


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


def format_rate(answer: int, decimals: int) -> str:
    """A rate as a plain decimal string with all its decimals ("7.12345678")."""
    if decimals == 0:
        return str(answer)
    return str(Decimal(answer).scaleb(-decimals).quantize(Decimal(1).scaleb(-decimals)))
