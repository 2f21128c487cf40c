"""Rules for issuing a voucher: its face value, minimum split unit and maturity."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from service.domain.money import Currency, format_minor
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
            f"minimum split unit {format_minor(unit_minor, currency)} exceeds the face value "
            f"{format_minor(face_value_minor, currency)}",
            field="minimum_unit",
        )
    if face_value_minor % unit_minor != 0:
        raise AmountNotUnitMultiple(
            f"face value {format_minor(face_value_minor, currency)} is not a whole multiple of the "
            f"minimum split unit {format_minor(unit_minor, currency)}",
            field="face_value",
        )
    due_at = compute_due_at(due_date)
    if due_at <= now:
        raise MaturityInPast(
            f"maturity {due_date.isoformat()} is not in the future", due_date=due_date.isoformat()
        )
    return IssuanceTerms(currency, face_value_minor, unit_minor, due_at)
