"""Pro-rata payments and voucher lifecycle (pure rules)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from service.domain.settlement import compute_pro_rata_payment
from service.domain.vouchers import NEXT_STATUSES, VoucherStatus, compute_voucher_status

DUE = datetime(2027, 5, 30, tzinfo=UTC)
GRACE, DEFAULT = timedelta(days=7), timedelta(days=30)


def test_lifecycle_after_maturity() -> None:
    def status(at: datetime, outstanding: int = 100) -> VoucherStatus:
        return compute_voucher_status(DUE, at, GRACE, DEFAULT, outstanding)

    assert status(DUE - timedelta(seconds=1)) is VoucherStatus.ACTIVE
    assert status(DUE) is VoucherStatus.MATURED
    assert status(DUE + GRACE) is VoucherStatus.OVERDUE
    assert status(DUE + DEFAULT) is VoucherStatus.DEFAULTED
    assert status(DUE + DEFAULT, outstanding=0) is VoucherStatus.SETTLED
    assert status(DUE - timedelta(days=1), outstanding=0) is VoucherStatus.SETTLED  # paid early in full


def test_the_lifecycle_moves_only_forward_and_ends_settled() -> None:
    assert set(NEXT_STATUSES) == set(VoucherStatus)
    assert NEXT_STATUSES[VoucherStatus.SETTLED] == frozenset()
    for status in VoucherStatus:
        assert status.can_become(status) and status.can_become(VoucherStatus.SETTLED)
        assert not VoucherStatus.SETTLED.can_become(status) or status is VoucherStatus.SETTLED
    assert not VoucherStatus.MATURED.can_become(VoucherStatus.ACTIVE)
    assert not VoucherStatus.DEFAULTED.can_become(VoucherStatus.OVERDUE)


@given(
    moments=st.lists(st.integers(-40 * 86_400, 40 * 86_400), min_size=2, max_size=12),
    payments=st.lists(st.integers(0, 40), min_size=12, max_size=12),
)
def test_every_observed_change_of_status_is_an_allowed_transition(
    moments: list[int], payments: list[int]
) -> None:
    """Time only moves on and what is outstanding only shrinks: each status read later is reachable."""
    outstanding, seen = 100, []
    for moment, paid in zip(sorted(moments), payments, strict=False):
        outstanding = max(outstanding - paid, 0)
        seen.append(compute_voucher_status(DUE, DUE + timedelta(seconds=moment), GRACE, DEFAULT, outstanding))
    for earlier, later in pairwise(seen):
        assert earlier.can_become(later), (earlier, later)


@given(
    unit=st.integers(1, 10**6),
    units=st.lists(st.integers(1, 1_000), min_size=1, max_size=60),
    funded_share=st.fractions(min_value=0, max_value=1),
)
def test_pro_rata_never_pays_more_than_the_cash_and_loses_nothing(
    unit: int, units: list[int], funded_share: object
) -> None:
    values = [count * unit for count in units]
    outstanding = sum(values)
    available = int(outstanding * funded_share)  # type: ignore[operator]
    payments = [compute_pro_rata_payment(value, available, outstanding, unit) for value in values]
    assert sum(payments) <= available
    assert all(
        payment % unit == 0 and 0 <= payment <= value for payment, value in zip(payments, values, strict=True)
    )
    # What stays in the vault is less than one unit per piece: nothing is lost, it waits for the next round.
    assert available - sum(payments) < unit * len(values) or available == outstanding
    if available == outstanding:
        assert payments == values
