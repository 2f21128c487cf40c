"""Exact money: integer minor units inside, decimal strings in major units at the edge.

Parsing never rounds. An amount with more decimals than its currency has is rejected rather than
rounded, because silently dropping a fraction of a cent is how ledgers stop adding up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

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

# An amount's one spelling: ASCII digits, no leading zero, optionally "." and more digits. No sign, no
# exponent, no separators, no spaces, no other scripts' digits (Python's Decimal reads all of those).
AMOUNT_PATTERN = r"^(0|[1-9][0-9]*)(\.[0-9]+)?$"
_AMOUNT = re.compile(r"(0|[1-9][0-9]*)(\.[0-9]+)?", re.ASCII)
# Long enough for every amount the ledger stores and its decimals; longer is not an amount.
MAX_AMOUNT_LENGTH = 40


def is_amount_spelling(text: object) -> bool:
    return isinstance(text, str) and len(text) <= MAX_AMOUNT_LENGTH and _AMOUNT.fullmatch(text) is not None


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


def encode_currency(code: str) -> bytes:
    """A currency code as the contracts keep it: ASCII, right-padded with zero bytes to a bytes8."""
    return code.encode("ascii").ljust(8, b"\0")


def decode_currency(raw: bytes | str) -> str:
    """A bytes8 currency code (bytes, or hex as events decode it) back to its letters."""
    data = bytes.fromhex(raw[2:]) if isinstance(raw, str) else raw
    return data.rstrip(b"\0").decode("ascii", errors="replace")


def fetch_currency(code: str) -> Currency:
    currency = CURRENCIES.get(code) if isinstance(code, str) else None
    if currency is None:
        raise UnsupportedCurrency(
            f"currency {code!r} is not supported; use one of {', '.join(sorted(CURRENCIES))}",
            currency=code,
        )
    return currency


def parse_amount_minor(text: str, currency: Currency, *, field: str = "amount") -> int:
    """Parses a positive decimal string in major units into minor units, exactly.

    Only the one spelling is read (`is_amount_spelling`), with at most the currency's decimals:
    "1000000.0000000" is refused (too precise) rather than read as 1,000,000.00.
    """
    if not is_amount_spelling(text):
        raise InvalidAmount(
            f'{field} must be a decimal string of ASCII digits with an optional ".", such as "1000.00"',
            field=field,
        )
    whole, _, fraction = text.partition(".")
    # Before any arithmetic: the digits alone tell an amount beyond what the ledger stores.
    if len(whole.lstrip("0")) > len(str(MAX_AMOUNT_MINOR)) or (
        int(whole) * currency.minor_per_major > MAX_AMOUNT_MINOR
    ):
        raise AmountTooLarge(f"{field} {text} exceeds the largest amount the ledger stores", field=field)
    if len(fraction) > currency.decimals:
        raise AmountTooPrecise(
            f"{field} {text} has more decimals than {currency.code} allows ({currency.decimals})",
            field=field,
            decimals=currency.decimals,
        )
    amount_minor = int(whole) * currency.minor_per_major + int(fraction.ljust(currency.decimals, "0") or 0)
    if amount_minor == 0:
        raise AmountNotPositive(f"{field} must be greater than zero, got {text}", field=field)
    if amount_minor > MAX_AMOUNT_MINOR:
        raise AmountTooLarge(f"{field} {text} exceeds the largest amount the ledger stores", field=field)
    return amount_minor


def format_minor(amount_minor: int, currency: Currency) -> str:
    """Renders minor units as a major-unit decimal string with exactly the currency's decimals."""
    return str(
        Decimal(amount_minor).scaleb(-currency.decimals).quantize(Decimal(1).scaleb(-currency.decimals))
    )


def format_money(amount_minor: int, currency: Currency) -> str:
    """An amount as a message says it: the decimal string and the currency, "1000000.00 CNY"."""
    return f"{format_minor(amount_minor, currency)} {currency.code}"


def to_decimal(amount_minor: int, currency: Currency) -> Decimal:
    return Decimal(amount_minor).scaleb(-currency.decimals)


def require_unit_multiple(
    amount_minor: int, unit_minor: int, currency: Currency, *, field: str = "amount"
) -> None:
    if amount_minor % unit_minor != 0:
        raise AmountNotUnitMultiple(
            f"{field} {format_money(amount_minor, currency)} is not a whole multiple of the voucher's "
            f"minimum split unit {format_money(unit_minor, currency)}",
            field=field,
            unit=format_minor(unit_minor, currency),
            currency=currency.code,
        )
