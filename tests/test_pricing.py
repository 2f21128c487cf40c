"""Pricing properties (Hypothesis) and the seed article's figures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from hypothesis import assume, given
from hypothesis import strategies as st

from service.domain.pricing import (
    DayCount,
    QuoteBasis,
    compute_days,
    compute_equivalent_yield_rate,
    compute_offering_price_minor,
    compute_quote,
)

faces = st.integers(min_value=1, max_value=10**15)
rates = st.integers(min_value=0, max_value=5_000)  # up to 50% a year
days_left = st.integers(min_value=0, max_value=720)
day_counts = st.sampled_from(list(DayCount))
bases = st.sampled_from(list(QuoteBasis))


def test_seed_figures_tier3_supplier_saves_half_its_financing_cost() -> None:
    """C holds CNY 10,000,000 with 180 days left: 6% instead of 12% (discount basis, ACT/360)."""
    face = 10_000_000_00
    at_six = compute_quote(face, 600, 180)
    at_twelve = compute_quote(face, 1_200, 180)
    assert at_six.price_minor == 9_700_000_00
    assert at_twelve.price_minor == 9_400_000_00
    assert at_six.price_minor - at_twelve.price_minor == 300_000_00
    assert at_six.discount_minor == 300_000_00
    assert Decimal("0.0635") < at_six.effective_annual_yield < Decimal("0.0645")


def test_days_are_whole_days_rounded_down() -> None:
    due = datetime(2027, 5, 30, tzinfo=UTC)
    assert compute_days(due - timedelta(days=180), due) == 180
    assert compute_days(due - timedelta(days=180, seconds=-1), due) == 179
    assert compute_days(due + timedelta(days=3), due) == 0


@given(faces, rates, days_left, day_counts, bases)
def test_price_never_exceeds_face(
    face: int, rate: int, days: int, day_count: DayCount, basis: QuoteBasis
) -> None:
    quote = compute_quote(face, rate, days, day_count, basis)
    assert 0 <= quote.price_minor <= face
    assert quote.price_minor + quote.discount_minor == face


@given(faces, rates, day_counts, bases)
def test_price_is_face_at_zero_days(face: int, rate: int, day_count: DayCount, basis: QuoteBasis) -> None:
    assert compute_quote(face, rate, 0, day_count, basis).price_minor == face


@given(faces, rates, days_left, day_counts, bases)
def test_price_falls_as_days_rise(
    face: int, rate: int, days: int, day_count: DayCount, basis: QuoteBasis
) -> None:
    assert (
        compute_quote(face, rate, days + 1, day_count, basis).price_minor
        <= compute_quote(face, rate, days, day_count, basis).price_minor
    )


@given(faces, rates, days_left, day_counts, bases)
def test_price_falls_as_rate_rises(
    face: int, rate: int, days: int, day_count: DayCount, basis: QuoteBasis
) -> None:
    assert (
        compute_quote(face, rate + 1, days, day_count, basis).price_minor
        <= compute_quote(face, rate, days, day_count, basis).price_minor
    )


@given(faces, rates, days_left, day_counts)
def test_rounding_is_within_one_minor_unit_and_toward_the_seller(
    face: int, rate: int, days: int, day_count: DayCount
) -> None:
    basis_days = day_count.basis_days
    exact_discount_price = Fraction(face) * (1 - Fraction(rate, 10_000) * Fraction(days, basis_days))
    exact_yield_price = Fraction(face) / (1 + Fraction(rate, 10_000) * Fraction(days, basis_days))
    discount = compute_quote(face, rate, days, day_count, QuoteBasis.DISCOUNT).price_minor
    yielded = compute_quote(face, rate, days, day_count, QuoteBasis.YIELD).price_minor
    assume(exact_discount_price >= 0)
    assert 0 <= discount - exact_discount_price < 1  # rounded up: never below the exact price
    assert 0 <= yielded - exact_yield_price < 1


@given(faces, st.integers(min_value=1, max_value=3_000), st.integers(min_value=1, max_value=365), day_counts)
def test_yield_and_discount_bases_agree_through_their_conversion(
    face: int, rate: int, days: int, day_count: DayCount
) -> None:
    discount_rate = Decimal(rate) / 10_000
    assume(discount_rate * days / day_count.basis_days < Decimal("0.9"))
    by_discount = compute_quote(face, rate, days, day_count, QuoteBasis.DISCOUNT).price_minor
    yield_rate = compute_equivalent_yield_rate(discount_rate, days, day_count.basis_days)
    exact = Fraction(face) / (1 + Fraction(yield_rate) * Fraction(days, day_count.basis_days))
    assert abs(Fraction(by_discount) - exact) <= 1


@given(faces, rates, days_left, day_counts)
def test_offering_price_rounds_toward_the_buyer(face: int, rate: int, days: int, day_count: DayCount) -> None:
    """Yield-token offerings (OfferingVault.priceOf): the seller sets the rate, so the price is the exact
    discount price or less than one minor unit below it, and never rises with more days to run."""
    basis_days = day_count.basis_days
    exact = Fraction(face) * (1 - Fraction(rate, 10_000) * Fraction(days, basis_days))
    assume(exact >= 0)
    price = compute_offering_price_minor(face, rate, days, basis_days)
    assert 0 <= exact - price < 1
    assert compute_offering_price_minor(face, rate, days + 1, basis_days) <= price


def test_offering_price_matches_the_contracts_worked_examples() -> None:
    """The figures of contracts/test/market/OfferingPrimary.t.sol (test_PriceOf_WorkedExamples)."""
    assert compute_offering_price_minor(100_000_000, 500, 180, 360) == 97_500_000
    assert compute_offering_price_minor(333, 500, 180, 360) == 324
    assert compute_offering_price_minor(100_000_000, 500, 90, 360) == 98_750_000
    assert compute_offering_price_minor(100_000_000, 500, 0, 360) == 100_000_000
