"""Yield-token pricing (model 2): what a buyer pays for offered tokens at the chain's clock.

Mirrors the OfferingVault's `priceOf` exactly (`DiscountMath.discountPriceDown`): one token is one minor
unit of the voucher's face value; `amount` tokens cost

    days     = (maturity - now) // 86400           (0 once due: whole days, rounded down)
    discount = ceil(amount * rate_bps * days / (10000 * basis))
    price    = amount - discount

The seller sets the rate, so rounding favours the buyer (the other side of `service.domain.pricing`,
where the price setter is the financier): the discount is rounded up and the price down, by less than
one minor unit. The same token costs more as maturity nears, because `days` falls.

Reporting figures (never used to move money):
- yield to maturity: simple annual yield under the offering's day count,
  `(face - paid) / paid * basis / days`, from the purchase date (days at purchase);
- discount accrued to date: the discount earned straight-line by whole days held,
  `floor((face - paid) * days_held / days_at_purchase)` (all of it once due);
- premium to face: `(price - face) / face`, negative for a discount.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal, localcontext

from service.domain.pricing import BASIS_POINTS, DayCount, compute_days

RATIO_PLACES = Decimal("0.000001")


def compute_offer_discount_minor(amount: int, rate_bps: int, days: int, basis_days: int) -> int:
    """The discount on `amount` tokens, rounded up (the buyer's favour): ceil(a * r * d / (10000 * b))."""
    if amount < 0 or rate_bps < 0 or days < 0:
        raise ValueError("amount, rate and days must be non-negative")
    return -(-(amount * rate_bps * days) // (BASIS_POINTS * basis_days))


def compute_offer_price_minor(amount: int, rate_bps: int, days: int, basis_days: int) -> int:
    """What `amount` tokens cost with `days` whole days to maturity (the vault's `priceOf`)."""
    discount = compute_offer_discount_minor(amount, rate_bps, days, basis_days)
    if discount > amount:
        raise ValueError("the discount exceeds the value: rate times term above 100%")
    return amount - discount


@dataclass(frozen=True)
class OfferPrice:
    amount_minor: int
    price_minor: int
    days: int
    rate_bps: int
    day_count: DayCount

    @property
    def discount_minor(self) -> int:
        return self.amount_minor - self.price_minor

    @property
    def premium_to_face(self) -> Decimal:
        return compute_premium_to_face(self.amount_minor, self.price_minor)


def price_offer(
    amount: int, rate_bps: int, day_count: DayCount, at: datetime, maturity: datetime
) -> OfferPrice:
    """The price of `amount` tokens at chain time `at` for a voucher maturing at `maturity`."""
    days = compute_days(at, maturity)
    price = compute_offer_price_minor(amount, rate_bps, days, day_count.basis_days)
    return OfferPrice(amount, price, days, rate_bps, day_count)


def compute_yield_to_maturity(face_minor: int, paid_minor: int, days: int, day_count: DayCount) -> Decimal:
    """Simple annual yield under the day count: (face - paid) / paid * basis / days; 0 without a term."""
    if days <= 0 or paid_minor <= 0:
        return Decimal(0)
    with localcontext() as context:
        context.prec = 34
        value = Decimal(face_minor - paid_minor) / Decimal(paid_minor) * Decimal(day_count.basis_days) / days
    return value.quantize(RATIO_PLACES, rounding=ROUND_HALF_EVEN)


def compute_accrued_discount_minor(
    face_minor: int, paid_minor: int, days_at_purchase: int, days_left: int
) -> int:
    """The discount earned so far, straight-line by whole days held, rounded down; all of it once due."""
    discount = face_minor - paid_minor
    if days_at_purchase <= 0 or days_left <= 0:
        return discount
    held = max(days_at_purchase - days_left, 0)
    return discount * held // days_at_purchase


def compute_premium_to_face(face_minor: int, price_minor: int) -> Decimal:
    """(price - face) / face: below zero when tokens trade at a discount to face."""
    if face_minor <= 0:
        return Decimal(0)
    with localcontext() as context:
        context.prec = 34
        value = Decimal(price_minor - face_minor) / Decimal(face_minor)
    return value.quantize(RATIO_PLACES, rounding=ROUND_HALF_EVEN)


def compute_implied_rate_bps(face_minor: int, price_minor: int, days: int, day_count: DayCount) -> Decimal:
    """The annual discount rate a trade implies: (face - price) / face * basis / days, in basis points."""
    if face_minor <= 0 or days <= 0:
        return Decimal(0)
    with localcontext() as context:
        context.prec = 34
        value = (
            Decimal(face_minor - price_minor) / Decimal(face_minor) * Decimal(day_count.basis_days) / days
        ) * BASIS_POINTS
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)


def split_pro_rata(total_minor: int, held_minor: int, outstanding_minor: int) -> int:
    """A holder's share of `total_minor` for `held_minor` of `outstanding_minor` tokens, rounded down:
    the remainder (under one minor unit per holder) stays with the vault for the last redeemer."""
    if outstanding_minor <= 0:
        return 0
    return total_minor * held_minor // outstanding_minor
