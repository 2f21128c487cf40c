"""Rules of a voucher: issuing it (face value, minimum split unit, maturity) and its lifecycle."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from service.domain.money import Currency, format_money
from service.errors import AmountNotUnitMultiple, InvalidAmount, MaturityInPast


@dataclass(frozen=True)
class IssuanceTerms:
    currency: Currency
    face_value_minor: int
    unit_minor: int
    due_at: datetime

    @property
    def unit_count(self) -> int:
        return self.face_value_minor // self.unit_minor


def compute_due_at(due_date: date) -> datetime:
    """A voucher falls due at 00:00 UTC of its maturity date."""
    return datetime.combine(due_date, time(0, 0), tzinfo=UTC)


def compute_issuance_terms(
    currency: Currency, face_value_minor: int, unit_minor: int, due_date: date, now: datetime
) -> IssuanceTerms:
    if unit_minor > face_value_minor:
        raise InvalidAmount(
            f"minimum split unit {format_money(unit_minor, currency)} exceeds the face value "
            f"{format_money(face_value_minor, currency)}",
            field="minimum_unit",
        )
    if face_value_minor % unit_minor != 0:
        raise AmountNotUnitMultiple(
            f"face value {format_money(face_value_minor, currency)} is not a whole multiple of the "
            f"minimum split unit {format_money(unit_minor, currency)}",
            field="face_value",
        )
    due_at = compute_due_at(due_date)
    if due_at <= now:
        raise MaturityInPast(
            f"maturity {due_date.isoformat()} is not in the future", due_date=due_date.isoformat()
        )
    return IssuanceTerms(currency, face_value_minor, unit_minor, due_at)


class VoucherStatus(StrEnum):
    """A voucher's one lifecycle, the same word in the voucher, its notes, its settlement and the CLI."""

    ACTIVE = "active"  # before maturity, not fully paid: its pieces move, are financed, paid early
    MATURED = "matured"  # due, within the grace period: the obligor pays, holders are paid
    OVERDUE = "overdue"  # the grace period is over, not fully paid
    DEFAULTED = "defaulted"  # the default period is over, not fully paid
    SETTLED = "settled"  # every unit paid (at maturity, early, or late): nothing is outstanding

    def can_become(self, later: VoucherStatus) -> bool:
        """Whether a voucher in this status may later be in `later` (itself included): time only moves
        it on, and payment only ends it; nothing goes back."""
        return later is self or later in _REACHABLE[self]


# Each status's next steps; a reader that looks rarely may see several steps taken at once.
NEXT_STATUSES: dict[VoucherStatus, frozenset[VoucherStatus]] = {
    VoucherStatus.ACTIVE: frozenset({VoucherStatus.MATURED, VoucherStatus.SETTLED}),
    VoucherStatus.MATURED: frozenset({VoucherStatus.OVERDUE, VoucherStatus.SETTLED}),
    VoucherStatus.OVERDUE: frozenset({VoucherStatus.DEFAULTED, VoucherStatus.SETTLED}),
    VoucherStatus.DEFAULTED: frozenset({VoucherStatus.SETTLED}),
    VoucherStatus.SETTLED: frozenset(),
}


def _reachable(status: VoucherStatus) -> frozenset[VoucherStatus]:
    found: set[VoucherStatus] = set()
    pending = list(NEXT_STATUSES[status])
    while pending:
        step = pending.pop()
        if step not in found:
            found.add(step)
            pending.extend(NEXT_STATUSES[step])
    return frozenset(found)


_REACHABLE = {status: _reachable(status) for status in VoucherStatus}


def compute_voucher_status(
    due_at: datetime, now: datetime, grace: timedelta, default_after: timedelta, outstanding_minor: int
) -> VoucherStatus:
    """By the ledger's clock (`service.domain.clock`) and what is still outstanding."""
    if outstanding_minor == 0:
        return VoucherStatus.SETTLED
    if now < due_at:
        return VoucherStatus.ACTIVE
    if now < due_at + grace:
        return VoucherStatus.MATURED
    if now < due_at + default_after:
        return VoucherStatus.OVERDUE
    return VoucherStatus.DEFAULTED
