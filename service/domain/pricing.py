"""Discount pricing of receivables: day counts, two quoting bases, exact rounding.

This module and `contracts/src/libraries/DiscountMath.sol` compute the same integers: the contract
prices early payments on chain, the service prices financing quotes off chain, and a test checks
the two agree.

Rounding (named, one direction only): ``TOWARD_SELLER``. The party that sets the price (financier,
or obligor in an early-payment programme) never gains from rounding: the discount is rounded down
and the price up, to the currency's minor unit. Days are whole days, rounded down, which also
lowers the discount.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from enum import StrEnum

SECONDS_PER_DAY = 86_400
BASIS_POINTS = 10_000
ROUNDING = "TOWARD_SELLER"


class DayCount(StrEnum):
    ACT_360 = "ACT/360"
    ACT_365F = "ACT/365F"

    @property
    def basis_days(self) -> int:
        return 360 if self is DayCount.ACT_360 else 365


class QuoteBasis(StrEnum):
    DISCOUNT = "discount"  # price = face x (1 - r x d / basis), as bills are discounted
    YIELD = "yield"  # price = face / (1 + r x d / basis), as a financing rate is quoted

    @property
    def chain_code(self) -> int:
        return 0 if self is QuoteBasis.DISCOUNT else 1


@dataclass(frozen=True)
class Quote:
    face_minor: int
    price_minor: int
    discount_minor: int
    days: int
    rate_bps: int
    day_count: DayCount
    basis: QuoteBasis
    effective_annual_yield: Decimal

    @property
    def basis_days(self) -> int:
        return self.day_count.basis_days


def compute_days(at: datetime, due_at: datetime) -> int:
    """Whole days from `at` to `due_at`, rounded down; zero once due (as DiscountMath.daysUntil)."""
    seconds = int(due_at.timestamp()) - int(at.timestamp())
    return max(seconds, 0) // SECONDS_PER_DAY


def compute_discount_price_minor(face_minor: int, rate_bps: int, days: int, basis_days: int) -> int:
    discount = face_minor * rate_bps * days // (BASIS_POINTS * basis_days)
    return max(face_minor - discount, 0)


def compute_offering_price_minor(amount_minor: int, rate_bps: int, days: int, basis_days: int) -> int:
    """What `amount_minor` yield tokens of an offering cost now (OfferingVault.priceOf, the on-chain
    DiscountMath.discountPriceDown): the seller sets the rate, so rounding goes the buyer's way, the
    opposite of ``TOWARD_SELLER``: the discount is rounded up and the price down."""
    discount = -(-(amount_minor * rate_bps * days) // (BASIS_POINTS * basis_days))
    return max(amount_minor - discount, 0)


def compute_yield_price_minor(face_minor: int, rate_bps: int, days: int, basis_days: int) -> int:
    numerator = face_minor * BASIS_POINTS * basis_days
    denominator = BASIS_POINTS * basis_days + rate_bps * days
    return -(-numerator // denominator)  # ceiling division: the price is rounded up


def compute_effective_annual_yield(face_minor: int, price_minor: int, days: int) -> Decimal:
    """(face / price)^(365 / days) - 1: what the buyer earns a year, compounded; reporting only."""
    if days == 0 or price_minor == 0 or price_minor >= face_minor:
        return Decimal(0)
    with localcontext() as context:
        context.prec = 34
        growth = Decimal(face_minor) / Decimal(price_minor)
        annual = growth ** (Decimal(365) / Decimal(days)) - 1
    return annual.quantize(Decimal("0.000001"), rounding=ROUND_HALF_EVEN)


def compute_quote(
    face_minor: int,
    rate_bps: int,
    days: int,
    day_count: DayCount = DayCount.ACT_360,
    basis: QuoteBasis = QuoteBasis.DISCOUNT,
) -> Quote:
    if face_minor <= 0 or rate_bps < 0 or days < 0:
        raise ValueError("face must be positive, rate and days non-negative")
    if basis is QuoteBasis.DISCOUNT:
        price = compute_discount_price_minor(face_minor, rate_bps, days, day_count.basis_days)
    else:
        price = compute_yield_price_minor(face_minor, rate_bps, days, day_count.basis_days)
    return Quote(
        face_minor=face_minor,
        price_minor=price,
        discount_minor=face_minor - price,
        days=days,
        rate_bps=rate_bps,
        day_count=day_count,
        basis=basis,
        effective_annual_yield=compute_effective_annual_yield(face_minor, price, days),
    )


def compute_equivalent_yield_rate(discount_rate: Decimal, days: int, basis_days: int) -> Decimal:
    """The yield-basis rate that prices like `discount_rate` over `days`: y = d / (1 - d t)."""
    fraction = Decimal(days) / Decimal(basis_days)
    return discount_rate / (1 - discount_rate * fraction)
