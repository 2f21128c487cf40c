"""Yield-token pricing (service.domain.market): the vault's formula, its rounding, and the reporting
figures, checked by hand and by property."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from service.domain.market import (
    compute_accrued_discount_minor,
    compute_implied_rate_bps,
    compute_offer_price_minor,
    compute_premium_to_face,
    compute_yield_to_maturity,
    price_offer,
    split_pro_rata,
)
from service.domain.pricing import DayCount, compute_offering_price_minor

amounts = st.integers(min_value=1, max_value=10**15)
rates = st.integers(min_value=0, max_value=5_000)
days_left = st.integers(min_value=0, max_value=720)
counts = st.sampled_from(list(DayCount))


def test_model_2_figures_by_hand() -> None:
    """20,000,000.00 of tokens at 6% ACT/360: 180 days out cost 19,400,000.00, 90 days out 19,700,000.00."""
    face = 20_000_000_00
    assert compute_offer_price_minor(face, 600, 180, 360) == 19_400_000_00
    assert compute_offer_price_minor(face, 600, 90, 360) == 19_700_000_00
    assert compute_offer_price_minor(face, 600, 0, 360) == face
    # one token (0.01) 100 days out at 5% ACT/365F: the discount 0.0137 of a minor unit rounds up to 1
    assert compute_offer_price_minor(1, 500, 100, 365) == 0


def test_price_by_the_clock_counts_whole_days() -> None:
    maturity = datetime(2027, 6, 30, tzinfo=UTC)
    at = maturity - timedelta(days=30, hours=23)
    offer = price_offer(1_000_000_00, 730, DayCount.ACT_365F, at, maturity)
    assert offer.days == 30
    assert offer.price_minor == 1_000_000_00 - 6_000_00
    assert offer.discount_minor == 6_000_00
    assert offer.premium_to_face == Decimal("-0.006000")


@given(amounts, rates, days_left, counts)
def test_rounding_favours_the_buyer_by_under_one_minor_unit(
    amount: int, rate: int, days: int, count: DayCount
) -> None:
    if rate * days > 10_000 * count.basis_days:
        return
    exact = Fraction(amount) * (1 - Fraction(rate * days, 10_000 * count.basis_days))
    price = compute_offer_price_minor(amount, rate, days, count.basis_days)
    assert exact - 1 < price <= exact


@given(amounts, rates, days_left, counts)
def test_later_purchases_pay_more(amount: int, rate: int, days: int, count: DayCount) -> None:
    if rate * (days + 1) > 10_000 * count.basis_days:
        return
    later = compute_offer_price_minor(amount, rate, days, count.basis_days)
    earlier = compute_offer_price_minor(amount, rate, days + 1, count.basis_days)
    assert earlier <= later <= amount


def test_yield_to_maturity_is_simple_annual_under_the_convention() -> None:
    # pay 97.00 for 100.00 over 180 days, ACT/360: 3/97 * 2 = 6.1856%
    assert compute_yield_to_maturity(100_00, 97_00, 180, DayCount.ACT_360) == Decimal("0.061856")
    assert compute_yield_to_maturity(100_00, 97_00, 180, DayCount.ACT_365F) == Decimal("0.062715")
    assert compute_yield_to_maturity(100_00, 100_00, 0, DayCount.ACT_360) == Decimal(0)


def test_accrued_discount_is_straight_line_by_days_held() -> None:
    assert compute_accrued_discount_minor(100_00, 97_00, 180, 180) == 0
    assert compute_accrued_discount_minor(100_00, 97_00, 180, 120) == 1_00
    assert compute_accrued_discount_minor(100_00, 97_00, 180, 0) == 3_00


def test_implied_rate_and_premium() -> None:
    assert compute_implied_rate_bps(20_000_000_00, 19_400_000_00, 180, DayCount.ACT_360) == Decimal("600.00")
    assert compute_premium_to_face(100_00, 103_00) == Decimal("0.030000")


@given(st.lists(st.integers(min_value=1, max_value=10**12), min_size=1, max_size=8), st.integers(0, 10**14))
def test_pro_rata_shares_never_exceed_the_cash(holdings: list[int], cash: int) -> None:
    outstanding, left, paid = sum(holdings), cash, 0
    for index, held in enumerate(holdings):
        share = left if index == len(holdings) - 1 else split_pro_rata(left, held, outstanding)
        paid += share
        left -= share
        outstanding -= held
    assert paid == cash and left == 0


@given(amounts, rates, days_left, counts)
def test_the_same_rule_as_the_contract_helpers_mirror(
    amount: int, rate: int, days: int, count: DayCount
) -> None:
    """service.domain.pricing's mirror of the vault's price clamps at zero where the vault reverts; this
    module refuses there (DiscountMathDiscountExceedsValue): elsewhere they are the same integers."""
    if rate * days > 10_000 * count.basis_days:
        return
    ours = compute_offer_price_minor(amount, rate, days, count.basis_days)
    assert ours == compute_offering_price_minor(amount, rate, days, count.basis_days)
