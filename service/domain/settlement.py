"""Settlement rules: a voucher's lifecycle after maturity and the pro-rata share of a partial payment.

The settlement vault enforces both on chain; these pure versions serve previews and statuses in
the API, and tests check they agree with the contract.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum


class SettlementStatus(StrEnum):
    ACTIVE = "active"  # before maturity
    MATURED = "matured"  # due, within the grace period
    OVERDUE = "overdue"  # grace period over, not fully paid
    DEFAULTED = "defaulted"  # default period over, not fully paid
    SETTLED = "settled"  # every unit paid

    @classmethod
    def from_chain(cls, code: int) -> SettlementStatus:
        return list(cls)[code]


def compute_settlement_status(
    due_at: datetime, now: datetime, grace: timedelta, default_after: timedelta, outstanding_minor: int
) -> SettlementStatus:
    if outstanding_minor == 0:
        return SettlementStatus.SETTLED
    if now < due_at:
        return SettlementStatus.ACTIVE
    if now < due_at + grace:
        return SettlementStatus.MATURED
    if now < due_at + default_after:
        return SettlementStatus.OVERDUE
    return SettlementStatus.DEFAULTED


def compute_pro_rata_payment(
    value_minor: int, available_minor: int, outstanding_minor: int, unit_minor: int
) -> int:
    """A piece's payment from `available` cash against `outstanding` value, in whole units, rounded down.

    Whole units because the paid value is burned and pieces stay unit multiples; rounded down so
    the sum over all pieces never exceeds the cash. The remainder stays in the vault for the next
    round (after more funding, or once the admin closes the round), so no minor unit is lost.
    """
    if available_minor >= outstanding_minor:
        return value_minor
    return value_minor * available_minor // outstanding_minor // unit_minor * unit_minor
