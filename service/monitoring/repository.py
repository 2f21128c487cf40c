"""Cross-border payment queries, over the index's cash movements.

A payment's parties are its payer (the financier of a financing; the obligor of a settlement or early
payment, which the vault and the programme pay on its behalf) and its payee; each party's country is the
one its identity record had when the payment ran (the registry's audit trail), so a later change of
country does not rewrite what was reported.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, case, func, literal, or_, select, tuple_
from sqlalchemy.orm import Session, aliased

from service.db.models import CashMovement, IdentityChange, Participant, Voucher, VoucherTransferCap

# Movements of note value against cash, by the kind the export names them.
PAYMENT_KINDS = {
    "settlement_payment": "settlement",
    "early_payment": "early_payment",
    "financing": "financing",
}
ONSHORE_CURRENCY = "CNY"


def _at_payment() -> Any:
    return tuple_(CashMovement.block_number, CashMovement.log_index)


def _payer() -> Any:
    return case((CashMovement.kind == "financing", CashMovement.payer_address), else_=Voucher.obligor_address)


def _country_as_of(address: Any) -> Any:
    """The address's country by its latest identity change at or before the payment's log; its record's
    now if the trail has none (a participant registered before trails were kept)."""
    change = aliased(IdentityChange)
    at_payment = (
        select(change.country)
        .where(
            change.account_address == address,
            tuple_(change.block_number, change.log_index) <= _at_payment(),
        )
        .order_by(change.block_number.desc(), change.log_index.desc())
        .limit(1)
        .scalar_subquery()
    )
    now = select(Participant.country).where(Participant.address == address).scalar_subquery()
    return func.coalesce(at_payment, now)


def _cap_in_force() -> Any:
    cap = aliased(VoucherTransferCap)
    then = (
        select(cap.cap_minor)
        .where(
            cap.voucher_id == CashMovement.voucher_id,
            tuple_(cap.block_number, cap.log_index) <= _at_payment(),
        )
        .order_by(cap.block_number.desc(), cap.log_index.desc())
        .limit(1)
        .scalar_subquery()
    )
    return func.coalesce(then, Voucher.transfer_cap_minor)


def fetch_cross_border_payments(
    session: Session, voucher_id: int | None, after: tuple[int, ...] | None, limit: int
) -> Sequence[Row[Any]]:
    """Payments that converted currencies or whose payer and payee are of different countries, in chain
    order after `after` (block, log index): each movement with its voucher's currency, its payer, both
    parties' countries then and the transfer cap in force."""
    payer = _payer()
    payer_country, payee_country = _country_as_of(payer), _country_as_of(CashMovement.payee_address)
    query = (
        select(
            CashMovement,
            Voucher.currency.label("currency"),
            payer.label("payer_address"),
            payer_country.label("payer_country"),
            payee_country.label("payee_country"),
            _cap_in_force().label("cap_minor"),
        )
        .join(Voucher, Voucher.id == CashMovement.voucher_id)
        .where(
            CashMovement.kind.in_(list(PAYMENT_KINDS)),
            or_(
                CashMovement.fx_rate.is_not(None),
                Voucher.settlement_currency != Voucher.currency,
                func.coalesce(payer_country, literal("")) != func.coalesce(payee_country, literal("")),
            ),
        )
    )
    if voucher_id is not None:
        query = query.where(CashMovement.voucher_id == voucher_id)
    if after is not None:
        query = query.where(_at_payment() > tuple_(*after))
    order = (CashMovement.block_number, CashMovement.log_index)
    return session.execute(query.order_by(*order).limit(limit)).all()


def fetch_cross_border_vouchers(session: Session, after_id: int | None, limit: int) -> Sequence[Voucher]:
    query = select(Voucher).where(Voucher.settlement_currency != Voucher.currency)
    if after_id is not None:
        query = query.where(Voucher.id > after_id)
    return session.scalars(query.order_by(Voucher.id).limit(limit)).all()


def fetch_payment_totals(
    session: Session, voucher_ids: set[int]
) -> dict[int, dict[tuple[str, str | None], tuple[int, int, int]]]:
    """Per voucher, per (kind, cash currency): value paid for, cash paid, and how many payments."""
    if not voucher_ids:
        return {}
    rows = session.execute(
        select(
            CashMovement.voucher_id,
            CashMovement.kind,
            CashMovement.cash_currency,
            func.sum(CashMovement.value_minor),
            func.sum(CashMovement.cash_minor),
            func.count(),
        )
        .where(CashMovement.voucher_id.in_(voucher_ids), CashMovement.kind.in_(list(PAYMENT_KINDS)))
        .group_by(CashMovement.voucher_id, CashMovement.kind, CashMovement.cash_currency)
    ).all()
    totals: dict[int, dict[tuple[str, str | None], tuple[int, int, int]]] = {}
    for voucher, kind, currency, value, cash, count in rows:
        totals.setdefault(int(voucher), {})[(kind, currency)] = (int(value or 0), int(cash or 0), int(count))
    return totals
