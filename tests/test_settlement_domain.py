"""Pro-rata payments and voucher lifecycle (pure rules)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from service.domain.settlement import SettlementStatus, compute_pro_rata_payment, compute_settlement_status

DUE = datetime(2027, 5, 30, tzinfo=UTC)
GRACE, DEFAULT = timedelta(days=7), timedelta(days=30)


def test_lifecycle_after_maturity() -> None:
    def status(at: datetime, outstanding: int = 100) -> SettlementStatus:
        return compute_settlement_status(DUE, at, GRACE, DEFAULT, outstanding)

    assert status(DUE - timedelta(seconds=1)) is SettlementStatus.ACTIVE
    assert status(DUE) is SettlementStatus.MATURED
    assert status(DUE + GRACE) is SettlementStatus.OVERDUE
    assert status(DUE + DEFAULT) is SettlementStatus.DEFAULTED
    assert status(DUE + DEFAULT, outstanding=0) is SettlementStatus.SETTLED


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
