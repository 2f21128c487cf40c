"""Dynamic discounting: the obligor escrows a budget; any holder at any tier takes early payment.

The programme contract prices each redemption on chain from the days left (the same integer
arithmetic as `service.domain.pricing`), burns the redeemed value and pays the holder.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from eth_abi import decode as abi_decode
from sqlalchemy.orm import Session

from service.api.auth import Caller
from service.api.pagination import Page, PageRequest
from service.api.relay import relay_as
from service.chain.abi import encode_call
from service.db.models import EarlyPaymentProgrammeRecord
from service.domain.money import (
    fetch_currency,
    format_minor,
    format_money,
    parse_amount_minor,
    require_unit_multiple,
)
from service.domain.pricing import DayCount, QuoteBasis
from service.domain.vouchers import compute_due_at
from service.early_payment import repository
from service.early_payment.schemas import (
    ClosureOut,
    EarlyPaymentQuoteOut,
    ProgrammeCreate,
    ProgrammeOut,
    RedemptionCreate,
    RedemptionOut,
)
from service.errors import InsufficientValue, InvalidCutoff, NotObligor, ProgrammeNotFound
from service.ledger.clock import fetch_ledger_now
from service.notes import repository as notes_repository
from service.notes.service import load_held_note
from service.participants import repository as participants_repository
from service.runtime import Runtime
from service.vouchers import repository as vouchers_repository
from service.vouchers.service import can_view_voucher, require_visible_voucher

PROGRAMME_VIEW = "(uint256,address,address,uint16,uint16,uint8,bool,uint40,uint40,uint256,uint256,uint256)"
OPEN_SIGNATURE = "openProgramme(uint256,uint256,uint256,uint8,uint256,uint256)"


def _programme_address(runtime: Runtime) -> str:
    return runtime.chain.deployment.addresses["programme"]


def fetch_programme_state(runtime: Runtime, programme_id: int) -> dict[str, Any]:
    raw = runtime.chain.call(_programme_address(runtime), encode_call("programme(uint256)", [programme_id]))
    (values,) = abi_decode([PROGRAMME_VIEW], raw)
    names = (
        "slot",
        "obligor",
        "cash_token",
        "rate_bps",
        "basis_days",
        "quoting",
        "closed",
        "cutoff_at",
        "maturity_at",
        "budget",
        "spent",
        "redeemed",
    )
    return dict(zip(names, values, strict=True))


def _require_record(session: Session, programme_id: int) -> EarlyPaymentProgrammeRecord:
    record = session.get(EarlyPaymentProgrammeRecord, programme_id)
    if record is None:
        raise ProgrammeNotFound(
            f"early-payment programme {programme_id} does not exist", programme_id=programme_id
        )
    return record


def _require_visible_record(
    session: Session, caller: Caller, programme_id: int
) -> EarlyPaymentProgrammeRecord:
    """A programme of a voucher the caller sees; any other answers as one that does not exist."""
    record = session.get(EarlyPaymentProgrammeRecord, programme_id)
    voucher = vouchers_repository.fetch_voucher(session, record.voucher_id) if record else None
    if record is None or voucher is None or not can_view_voucher(session, caller, voucher):
        raise ProgrammeNotFound(
            f"early-payment programme {programme_id} does not exist", programme_id=programme_id
        )
    return record


def to_out(session: Session, runtime: Runtime, record: EarlyPaymentProgrammeRecord) -> ProgrammeOut:
    voucher = vouchers_repository.fetch_voucher(session, record.voucher_id)
    assert voucher is not None
    currency = fetch_currency(voucher.currency)
    state = fetch_programme_state(runtime, record.id)
    return ProgrammeOut(
        id=record.id,
        voucher_id=record.voucher_id,
        currency=voucher.currency,
        rate_bps=record.rate_bps,
        quote_basis=QuoteBasis.DISCOUNT if record.quoting == 0 else QuoteBasis.YIELD,
        day_count=DayCount.ACT_360 if record.basis_days == 360 else DayCount.ACT_365F,
        budget=format_minor(state["budget"], currency),
        spent=format_minor(state["spent"], currency),
        remaining_budget=format_minor(state["budget"] - state["spent"], currency),
        redeemed=format_minor(state["redeemed"], currency),
        cutoff_at=record.cutoff_at.replace(tzinfo=UTC),
        closed=state["closed"],
        opened_transaction_hash=record.opened_transaction_hash,
    )


def open_programme(
    session: Session, runtime: Runtime, caller: Caller, voucher_id: int, body: ProgrammeCreate
) -> EarlyPaymentProgrammeRecord:
    voucher = require_visible_voucher(session, caller, voucher_id)
    if voucher.obligor_address != caller.address:
        raise NotObligor(
            "only the voucher's obligor opens early-payment programmes on it", voucher_id=voucher_id
        )
    obligor = participants_repository.fetch_participant(session, caller.participant_id)
    assert obligor is not None
    currency = fetch_currency(voucher.currency)
    budget_minor = parse_amount_minor(body.budget, currency, field="budget")
    cutoff_at = compute_due_at(body.cutoff_date)
    check_cutoff(cutoff_at, fetch_ledger_now(runtime), voucher.due_at.replace(tzinfo=UTC))
    calldata = encode_call(
        OPEN_SIGNATURE,
        [
            voucher_id,
            body.rate_bps,
            body.day_count.basis_days,
            body.quote_basis.chain_code,
            budget_minor,
            int(cutoff_at.timestamp()),
        ],
    )
    session.commit()
    receipt = relay_as(runtime, obligor, "early_payment.open", _programme_address(runtime), calldata)
    [opened] = receipt.events_named("EarlyPaymentProgrammeOpened")
    return _require_record(session, int(opened.args["programmeId"]))


def check_cutoff(cutoff_at: datetime, now: datetime, due_at: datetime) -> None:
    """A programme's cut-off lies after now and no later than the voucher's maturity (as the contract
    requires): refused here in the API's terms, dates, before anything is sent."""
    if not now < cutoff_at <= due_at:
        raise InvalidCutoff(
            f"the cut-off {cutoff_at.date().isoformat()} must lie after {now.isoformat(timespec='seconds')} "
            f"and no later than the voucher's maturity {due_at.date().isoformat()}",
            cutoff_date=cutoff_at.date().isoformat(),
            due_date=due_at.date().isoformat(),
        )


def list_programmes(
    session: Session, runtime: Runtime, caller: Caller, voucher_id: int, page: PageRequest
) -> Page[ProgrammeOut]:
    require_visible_voucher(session, caller, voucher_id)
    fetched = repository.fetch_programmes_of_voucher(session, voucher_id, page.after_id, page.limit + 1)
    records, next_cursor = page.page(fetched, lambda record: (record.id,))
    return Page(items=[to_out(session, runtime, record) for record in records], next_cursor=next_cursor)


def read_programme(session: Session, runtime: Runtime, caller: Caller, programme_id: int) -> ProgrammeOut:
    return to_out(session, runtime, _require_visible_record(session, caller, programme_id))


def quote_early_payment(
    session: Session, runtime: Runtime, caller: Caller, programme_id: int, amount: str
) -> EarlyPaymentQuoteOut:
    record = _require_visible_record(session, caller, programme_id)
    voucher = vouchers_repository.fetch_voucher(session, record.voucher_id)
    assert voucher is not None
    currency = fetch_currency(voucher.currency)
    amount_minor = parse_amount_minor(amount, currency)
    require_unit_multiple(amount_minor, voucher.unit_minor, currency)
    price, days = runtime.chain.read(
        _programme_address(runtime),
        "quoteEarlyPayment(uint256,uint256)",
        [programme_id, amount_minor],
        ["uint256", "uint256"],
    )
    return EarlyPaymentQuoteOut(
        programme_id=programme_id,
        amount=format_minor(amount_minor, currency),
        price=format_minor(price, currency),
        discount=format_minor(amount_minor - price, currency),
        days=days,
    )


def take_early_payment(
    session: Session, runtime: Runtime, caller: Caller, programme_id: int, body: RedemptionCreate
) -> RedemptionOut:
    record = _require_visible_record(session, caller, programme_id)
    note, voucher = load_held_note(session, caller, body.token_id)
    currency = fetch_currency(voucher.currency)
    amount_minor = parse_amount_minor(body.amount, currency)
    require_unit_multiple(amount_minor, voucher.unit_minor, currency)
    if amount_minor > note.value_minor:
        raise InsufficientValue(
            f"note {note.token_id} holds {format_money(note.value_minor, currency)}", token_id=note.token_id
        )
    holder = participants_repository.fetch_participant(session, caller.participant_id)
    assert holder is not None
    calldata = encode_call(
        "takeEarlyPayment(uint256,uint256,uint256)", [record.id, note.token_id, amount_minor]
    )
    session.commit()
    receipt = relay_as(runtime, holder, "early_payment.take", _programme_address(runtime), calldata)
    [taken] = receipt.events_named("EarlyPaymentTaken")
    remaining = notes_repository.fetch_note(session, note.token_id)
    assert remaining is not None
    session.refresh(remaining)
    price = int(taken.args["price"])
    return RedemptionOut(
        programme_id=record.id,
        token_id=note.token_id,
        amount=format_minor(amount_minor, currency),
        price=format_minor(price, currency),
        discount=format_minor(amount_minor - price, currency),
        days=int(taken.args["days_"]),
        remaining_value=format_minor(remaining.value_minor, currency),
        transaction_hash=receipt.transaction_hash,
    )


def close_programme(session: Session, runtime: Runtime, caller: Caller, programme_id: int) -> ClosureOut:
    record = _require_visible_record(session, caller, programme_id)
    if record.obligor_address != caller.address:
        raise NotObligor("only the obligor that opened the programme closes it", programme_id=programme_id)
    voucher = vouchers_repository.fetch_voucher(session, record.voucher_id)
    obligor = participants_repository.fetch_participant(session, caller.participant_id)
    assert voucher is not None and obligor is not None
    session.commit()
    receipt = relay_as(
        runtime,
        obligor,
        "early_payment.close",
        _programme_address(runtime),
        encode_call("closeProgramme(uint256)", [programme_id]),
    )
    [closed] = receipt.events_named("EarlyPaymentProgrammeClosed")
    return ClosureOut(
        programme_id=programme_id,
        refund=format_minor(int(closed.args["refund"]), fetch_currency(voucher.currency)),
        transaction_hash=receipt.transaction_hash,
    )
