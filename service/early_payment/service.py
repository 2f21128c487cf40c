"""Dynamic discounting: the obligor escrows a budget; any holder at any tier takes early payment.

The programme contract prices each redemption on chain from the days left (the same integer
arithmetic as `service.domain.pricing`), burns the redeemed value and pays the holder. Programmes,
their spending and their closure are projected from its events.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from service.api.acting import act_as, signed_forward, signing_request
from service.api.answers import Answer, responds_to
from service.api.auth import Caller
from service.api.pagination import Page, PageRequest
from service.api.submit import carry_out
from service.db.models import EarlyPaymentProgrammeRecord
from service.domain.money import (
    encode_currency,
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
from service.fx.schemas import fx_rate_out
from service.ledger.clock import fetch_ledger_now
from service.notes import repository as notes_repository
from service.notes.service import load_held_note
from service.participants import repository as participants_repository
from service.runtime import Runtime
from service.vouchers import repository as vouchers_repository
from service.vouchers.service import can_view_voucher, require_visible_voucher
from service.writer.outbox import OperationView

OPEN_KIND = "early_payment.open"
TAKE_KIND = "early_payment.take"
CLOSE_KIND = "early_payment.close"


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


def to_out(session: Session, record: EarlyPaymentProgrammeRecord) -> ProgrammeOut:
    voucher = vouchers_repository.fetch_voucher(session, record.voucher_id)
    assert voucher is not None
    currency, cash = fetch_currency(voucher.currency), fetch_currency(voucher.settlement_currency)
    return ProgrammeOut(
        id=record.id,
        voucher_id=record.voucher_id,
        currency=voucher.currency,
        cash_currency=cash.code,
        rate_bps=record.rate_bps,
        quote_basis=QuoteBasis.DISCOUNT if record.quoting == 0 else QuoteBasis.YIELD,
        day_count=DayCount.ACT_360 if record.basis_days == 360 else DayCount.ACT_365F,
        budget=format_minor(record.budget_minor, cash),
        spent=format_minor(record.spent_minor, cash),
        remaining_budget=format_minor(0 if record.closed else record.budget_minor - record.spent_minor, cash),
        redeemed=format_minor(record.redeemed_minor, currency),
        cutoff_at=record.cutoff_at.replace(tzinfo=UTC),
        closed=record.closed,
        opened_transaction_hash=record.opened_transaction_hash,
    )


def _obligor_of(session: Session, caller: Caller) -> Any:
    obligor = participants_repository.fetch_participant(session, caller.participant_id)
    assert obligor is not None
    return obligor


def plan_opening(
    session: Session, runtime: Runtime, caller: Caller, voucher_id: int, body: Any
) -> tuple[Any, bytes]:
    voucher = require_visible_voucher(session, caller, voucher_id)
    if voucher.obligor_address != caller.address:
        raise NotObligor(
            "only the voucher's obligor opens early-payment programmes on it", voucher_id=voucher_id
        )
    budget_minor = parse_amount_minor(
        body.budget, fetch_currency(voucher.settlement_currency), field="budget"
    )
    cutoff_at = compute_due_at(body.cutoff_date)
    check_cutoff(cutoff_at, fetch_ledger_now(runtime), voucher.due_at.replace(tzinfo=UTC))
    calldata = runtime.chain.contracts.programme.calldata(
        "openProgramme",
        voucher_id,
        body.rate_bps,
        body.day_count.basis_days,
        body.quote_basis.chain_code,
        budget_minor,
        int(cutoff_at.timestamp()),
    )
    return _obligor_of(session, caller), calldata


def open_programme(
    session: Session, runtime: Runtime, caller: Caller, voucher_id: int, body: ProgrammeCreate
) -> ProgrammeOut:
    obligor, calldata = plan_opening(session, runtime, caller, voucher_id, body)
    intent = act_as(
        runtime,
        obligor,
        OPEN_KIND,
        runtime.chain.contracts.programme.address,
        calldata,
        signed=signed_forward(body),
    )
    [done] = carry_out(runtime, [intent], participant_id=caller.participant_id, session=session)
    return _opened_out(session, done)


def _opened_out(session: Session, operation: OperationView) -> ProgrammeOut:
    [opened] = operation.events("EarlyPaymentProgrammeOpened")
    return to_out(session, _require_record(session, int(opened["args"]["programmeId"])))


@responds_to(OPEN_KIND)
def answer_opening(_runtime: Runtime, session: Session, operations: Sequence[OperationView]) -> Answer:
    return 201, _opened_out(session, operations[0]).model_dump(mode="json")


def list_programmes(
    session: Session, caller: Caller, voucher_id: int, page: PageRequest
) -> Page[ProgrammeOut]:
    require_visible_voucher(session, caller, voucher_id)
    fetched = repository.fetch_programmes_of_voucher(session, voucher_id, page.after_id, page.limit + 1)
    records, next_cursor = page.page(fetched, lambda record: (record.id,))
    return Page(items=[to_out(session, record) for record in records], next_cursor=next_cursor)


def read_programme(session: Session, caller: Caller, programme_id: int) -> ProgrammeOut:
    return to_out(session, _require_visible_record(session, caller, programme_id))


def quote_early_payment(
    session: Session, runtime: Runtime, caller: Caller, programme_id: int, amount: str
) -> EarlyPaymentQuoteOut:
    record = _require_visible_record(session, caller, programme_id)
    voucher = require_visible_voucher(session, caller, record.voucher_id)
    currency = fetch_currency(voucher.currency)
    amount_minor = parse_amount_minor(amount, currency)
    require_unit_multiple(amount_minor, voucher.unit_minor, currency)
    contracts = runtime.chain.contracts
    cross_border = voucher.settlement_currency != voucher.currency
    calls = [contracts.programme.call("quoteEarlyPayment", programme_id, amount_minor)]
    if cross_border:
        pair = (encode_currency(voucher.currency), encode_currency(voucher.settlement_currency))
        calls.append(contracts.fx.call("rateOf", *pair))
    # One block for both, so that the cash shown is the price at the rate shown.
    answers = runtime.chain.read_many(calls)
    price, days, cash_minor = answers[0]
    fx = None
    if cross_border:
        answer, decimals, round_id, updated_at = answers[1]
        args = {
            "fxRate": answer,
            "fxRateDecimals": decimals,
            "fxRoundId": round_id,
            "fxUpdatedAt": updated_at,
        }
        fx = fx_rate_out(voucher.currency, voucher.settlement_currency, args)
    return EarlyPaymentQuoteOut(
        programme_id=programme_id,
        amount=format_minor(amount_minor, currency),
        price=format_minor(price, currency),
        discount=format_minor(amount_minor - price, currency),
        days=days,
        cash=format_minor(cash_minor, fetch_currency(voucher.settlement_currency)),
        cash_currency=voucher.settlement_currency,
        fx=fx,
    )


def plan_redemption(
    session: Session, runtime: Runtime, caller: Caller, programme_id: int, body: Any
) -> tuple[Any, bytes, dict[str, Any]]:
    record = _require_visible_record(session, caller, programme_id)
    note, voucher = load_held_note(session, caller, body.token_id)
    currency = fetch_currency(voucher.currency)
    amount_minor = parse_amount_minor(body.amount, currency)
    require_unit_multiple(amount_minor, voucher.unit_minor, currency)
    if amount_minor > note.value_minor:
        raise InsufficientValue(
            f"note {note.token_id} holds {format_money(note.value_minor, currency)}",
            token_id=note.token_id,
        )
    holder = participants_repository.fetch_participant(session, caller.participant_id)
    calldata = runtime.chain.contracts.programme.calldata(
        "takeEarlyPayment", record.id, note.token_id, amount_minor
    )
    payload = {
        "programme_id": record.id,
        "token_id": note.token_id,
        "currency": currency.code,
        "cash_currency": voucher.settlement_currency,
    }
    return holder, calldata, payload


def take_early_payment(
    session: Session, runtime: Runtime, caller: Caller, programme_id: int, body: RedemptionCreate
) -> RedemptionOut:
    holder, calldata, payload = plan_redemption(session, runtime, caller, programme_id, body)
    intent = act_as(
        runtime,
        holder,
        TAKE_KIND,
        runtime.chain.contracts.programme.address,
        calldata,
        signed=signed_forward(body),
        payload=payload,
    )
    [done] = carry_out(runtime, [intent], participant_id=caller.participant_id, session=session)
    return build_redemption_out(session, done)


def build_redemption_out(session: Session, operation: OperationView) -> RedemptionOut:
    payload = operation.payload or {}
    currency = fetch_currency(payload["currency"])
    [taken] = operation.events("EarlyPaymentTaken")
    args = taken["args"]
    assert operation.block_number is not None and operation.transaction_hash is not None
    value, price = int(args["value"]), int(args["price"])
    cash_currency = str(payload.get("cash_currency", currency.code))
    remaining = notes_repository.compute_value_after_block(
        session, int(payload["token_id"]), operation.block_number
    )
    return RedemptionOut(
        programme_id=int(payload["programme_id"]),
        token_id=int(payload["token_id"]),
        amount=format_minor(value, currency),
        price=format_minor(price, currency),
        discount=format_minor(value - price, currency),
        days=int(args["days_"]),
        cash=format_minor(int(args["amount"]), fetch_currency(cash_currency)),
        cash_currency=cash_currency,
        fx=fx_rate_out(currency.code, cash_currency, args),
        remaining_value=format_minor(remaining, currency),
        transaction_hash=operation.transaction_hash,
    )


@responds_to(TAKE_KIND)
def answer_redemption(_runtime: Runtime, session: Session, operations: Sequence[OperationView]) -> Answer:
    return 201, build_redemption_out(session, operations[0]).model_dump(mode="json")


def plan_closure(
    session: Session, runtime: Runtime, caller: Caller, programme_id: int
) -> tuple[Any, bytes, dict[str, Any]]:
    record = _require_visible_record(session, caller, programme_id)
    if record.obligor_address != caller.address:
        raise NotObligor("only the obligor that opened the programme closes it", programme_id=programme_id)
    voucher = vouchers_repository.fetch_voucher(session, record.voucher_id)
    assert voucher is not None
    calldata = runtime.chain.contracts.programme.calldata("closeProgramme", programme_id)
    return (
        _obligor_of(session, caller),
        calldata,
        {"programme_id": programme_id, "currency": voucher.settlement_currency},
    )


def close_programme(
    session: Session, runtime: Runtime, caller: Caller, programme_id: int, body: Any = None
) -> ClosureOut:
    obligor, calldata, payload = plan_closure(session, runtime, caller, programme_id)
    intent = act_as(
        runtime,
        obligor,
        CLOSE_KIND,
        runtime.chain.contracts.programme.address,
        calldata,
        signed=signed_forward(body),
        payload=payload,
    )
    [done] = carry_out(runtime, [intent], participant_id=caller.participant_id, session=session)
    return build_closure_out(done)


def build_closure_out(operation: OperationView) -> ClosureOut:
    payload = operation.payload or {}
    [closed] = operation.events("EarlyPaymentProgrammeClosed")
    assert operation.transaction_hash is not None
    return ClosureOut(
        programme_id=int(payload["programme_id"]),
        refund=format_minor(int(closed["args"]["refund"]), fetch_currency(payload["currency"])),
        transaction_hash=operation.transaction_hash,
    )


@responds_to(CLOSE_KIND)
def answer_closure(_runtime: Runtime, _session: Session, operations: Sequence[OperationView]) -> Answer:
    return 200, build_closure_out(operations[0]).model_dump(mode="json")


def signing_request_for(
    session: Session, runtime: Runtime, caller: Caller, action: str, target_id: int, body: Any = None
) -> dict[str, Any]:
    """The forward request a participant with its own wallet signs for an early-payment action."""
    programme = runtime.chain.contracts.programme.address
    if action == "open":
        actor, calldata = plan_opening(session, runtime, caller, target_id, body)
    elif action == "take":
        actor, calldata, _payload = plan_redemption(session, runtime, caller, target_id, body)
    else:
        actor, calldata, _payload = plan_closure(session, runtime, caller, target_id)
    return signing_request(runtime, actor, programme, calldata)
