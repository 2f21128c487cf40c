"""Exact money: integer minor units inside, decimal strings in major units at the edge.

Parsing never rounds. An amount with more decimals than its currency has is rejected rather than
rounded, because silently dropping a fraction of a cent is how ledgers stop adding up.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from service.errors import (
    AmountNotPositive,
    AmountNotUnitMultiple,
    AmountTooLarge,
    AmountTooPrecise,
    InvalidAmount,
    UnsupportedCurrency,
)

# Largest value a token holds on chain is uint96, but the database stores BIGINT (int64), so the
# ledger caps every amount at the smaller of the two.
MAX_AMOUNT_MINOR = 2**63 - 1


@dataclass(frozen=True)
class Currency:
    code: str
    decimals: int

    @property
    def minor_per_major(self) -> int:
        return 10**self.decimals


# The note contract's valueDecimals is 2, so only two-decimal currencies can be vouchers' currencies.
NOTE_VALUE_DECIMALS = 2
CURRENCIES: dict[str, Currency] = {
    code: Currency(code, NOTE_VALUE_DECIMALS) for code in ("CNY", "USD", "EUR", "HKD", "SGD")
}


def fetch_currency(code: str) -> Currency:
    currency = CURRENCIES.get(code.upper()) if isinstance(code, str) else None
    if currency is None:
        raise UnsupportedCurrency(
            f"currency {code!r} is not supported; use one of {', '.join(sorted(CURRENCIES))}",
            currency=code,
        )
    return currency


def parse_amount_minor(text: str, currency: Currency, *, field: str = "amount") -> int:
    """Parses a positive decimal string in major units into minor units, exactly."""
    if not isinstance(text, str):
        raise InvalidAmount(f'{field} must be a decimal string such as "1000.00"', field=field)
    try:
        amount = Decimal(text.strip())
    except InvalidOperation:
        raise InvalidAmount(f"{field} {text!r} is not a decimal number", field=field) from None
    if not amount.is_finite():
        raise InvalidAmount(f"{field} {text!r} is not a finite number", field=field)
    if amount <= 0:
        raise AmountNotPositive(f"{field} must be greater than zero, got {text}", field=field)
    # Before any arithmetic: "1e999999999" overflows scaleb and 30 digits overflow quantize's precision.
    if amount > Decimal(MAX_AMOUNT_MINOR).scaleb(-currency.decimals):
        raise AmountTooLarge(f"{field} {text} exceeds the largest amount the ledger stores", field=field)
    exponent = amount.as_tuple().exponent
    assert isinstance(exponent, int)
    if -exponent > currency.decimals and amount != amount.quantize(Decimal(1).scaleb(-currency.decimals)):
        raise AmountTooPrecise(
            f"{field} {text} has more decimals than {currency.code} allows ({currency.decimals})",
            field=field,
            decimals=currency.decimals,
        )
    return int(amount.scaleb(currency.decimals))


def format_minor(amount_minor: int, currency: Currency) -> str:
    """Renders minor units as a major-unit decimal string with exactly the currency's decimals."""
    return str(
        Decimal(amount_minor).scaleb(-currency.decimals).quantize(Decimal(1).scaleb(-currency.decimals))
    )


def to_decimal(amount_minor: int, currency: Currency) -> Decimal:
    return Decimal(amount_minor).scaleb(-currency.decimals)


def require_unit_multiple(
    amount_minor: int, unit_minor: int, currency: Currency, *, field: str = "amount"
) -> None:
    if amount_minor % unit_minor != 0:
        raise AmountNotUnitMultiple(
            f"{field} {format_minor(amount_minor, currency)} is not a whole multiple of the voucher's "
            f"minimum split unit {format_minor(unit_minor, currency)}",
            field=field,
            unit=format_minor(unit_minor, currency),
        )
