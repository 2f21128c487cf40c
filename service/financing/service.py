"""Factoring at any tier: a financier's terms, a signed expiring quote, and an atomic DvP trade."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from service.api.acting import act_as, signed_forward, signing_request
from service.api.answers import Answer, responds_to
from service.api.auth import Caller
from service.api.common import participant_ref
from service.api.submit import await_outcome, carry_out, record_answer, submit
from service.cash.service import fetch_cash_token
from service.chain.forwarder import build_typed_data, sign_typed_data
from service.db.models import FinancingQuote, FinancingTerms, Participant, Voucher
from service.domain.logistics import (
    FULL_SHARE_BPS,
    Milestone,
    compute_financed_share_cap,
    has_reached,
    milestone_code,
    milestone_of,
)
from service.domain.money import (
    fetch_currency,
    format_minor,
    format_money,
    parse_amount_minor,
    require_unit_multiple,
)
from service.domain.pricing import ROUNDING, DayCount, QuoteBasis, compute_days, compute_quote
from service.errors import (
    BudgetExceeded,
    FinancedShareExceeded,
    Forbidden,
    InsufficientValue,
    InvalidAmount,
    MilestoneNotReached,
    NotEligible,
    QuoteAlreadyUsed,
    QuoteExpired,
    QuoteNotFound,
    TermsNotFound,
    TermsWithdrawn,
    VoucherMatured,
    WrongCurrency,
)
from service.financing import repository
from service.financing.schemas import ExecutionOut, QuoteCreate, QuoteOut, TermsCreate, TermsOut
from service.fx.schemas import fx_rate_out
from service.ledger.clock import fetch_ledger_now
from service.notes import repository as notes_repository
from service.notes.service import load_held_note
from service.participants import repository as participants_repository
from service.runtime import Runtime
from service.writer.outbox import OperationIntent, OperationView

DESK_DOMAIN_NAME = "CascadeFinancingDesk"
DESK_DOMAIN_VERSION = "1"
QUOTE_TYPE = [
    {"name": "financier", "type": "address"},
    {"name": "seller", "type": "address"},
    {"name": "tokenId", "type": "uint256"},
    {"name": "value", "type": "uint256"},
    {"name": "price", "type": "uint256"},
    {"name": "cashToken", "type": "address"},
    {"name": "expiry", "type": "uint256"},
    {"name": "nonce", "type": "uint256"},
    {"name": "requiredMilestone", "type": "uint8"},
    {"name": "maxFinancedShareBps", "type": "uint16"},
]
EXECUTE_KIND = "financing.execute"
CANCEL_KIND = "financing.cancel_quote"


# ------------------------------------------------------------------------------------------- terms


def terms_to_out(session: Session, terms: FinancingTerms) -> TermsOut:
    currency = fetch_currency(terms.currency)
    financier = participants_repository.fetch_participant(session, terms.financier_participant_id)
    assert financier is not None
    return TermsOut(
        id=terms.id,
        financier=participant_ref(financier.address, {financier.address: financier}),
        currency=terms.currency,
        rate_bps=terms.rate_bps,
        quote_basis=QuoteBasis(terms.quote_basis),
        day_count=DayCount(terms.day_count),
        eligible_obligor_ids=list(terms.eligible_obligor_ids),
        min_amount=format_minor(terms.min_amount_minor, currency),
        max_amount=format_minor(terms.max_amount_minor, currency),
        budget=format_minor(terms.budget_minor, currency),
        used=format_minor(terms.used_minor, currency),
        remaining_budget=format_minor(terms.budget_minor - terms.used_minor, currency),
        active=terms.active,
        required_milestone=milestone_of(terms.required_milestone),
        max_financed_share_bps=terms.max_financed_share_bps,
    )


def create_terms(session: Session, runtime: Runtime, caller: Caller, body: TermsCreate) -> TermsOut:
    currency = fetch_currency(body.currency)
    fetch_cash_token(runtime, currency.code)
    min_minor = parse_amount_minor(body.min_amount, currency, field="min_amount")
    max_minor = parse_amount_minor(body.max_amount, currency, field="max_amount")
    budget_minor = parse_amount_minor(body.budget, currency, field="budget")
    if min_minor > max_minor:
        raise InvalidAmount("min_amount exceeds max_amount", field="min_amount")
    for obligor_id in body.eligible_obligor_ids:
        obligor = participants_repository.fetch_participant(session, obligor_id)
        if obligor is None or obligor.role != "obligor":
            raise NotEligible(f"participant {obligor_id} is not an obligor", participant_id=obligor_id)
    session.rollback()
    with runtime.database.transaction() as writing:
        terms = FinancingTerms(
            financier_participant_id=caller.participant_id,
            currency=currency.code,
            rate_bps=body.rate_bps,
            quote_basis=body.quote_basis.value,
            day_count=body.day_count.value,
            eligible_obligor_ids=sorted(set(body.eligible_obligor_ids)),
            min_amount_minor=min_minor,
            max_amount_minor=max_minor,
            budget_minor=budget_minor,
            used_minor=0,
            active=True,
            required_milestone=milestone_code(body.required_milestone),
            max_financed_share_bps=body.max_financed_share_bps,
        )
        writing.add(terms)
        writing.flush()
        out = terms_to_out(writing, terms)
        record_answer(writing.connection(), 201, out.model_dump(mode="json"))
    return out


def withdraw_terms(session: Session, runtime: Runtime, caller: Caller, terms_id: int) -> TermsOut:
    """Stops new quotes at once, and voids every quote still open on chain (the financier cancels its
    nonce on the desk), so that no quote signed earlier can be executed, through the API or directly."""
    terms = repository.fetch_terms(session, terms_id)
    # Active terms are public; withdrawn ones only their financier sees.
    mine = terms is not None and terms.financier_participant_id == caller.participant_id
    if terms is None or not (mine or terms.active):
        raise TermsNotFound(f"financing terms {terms_id} do not exist", terms_id=terms_id)
    if not mine:
        raise Forbidden("only the financier that published these terms may withdraw them")
    financier = participants_repository.fetch_participant(session, caller.participant_id)
    assert financier is not None
    open_quotes = repository.fetch_open_quotes(session, terms_id)
    desk = runtime.chain.contracts.desk
    cancels = [
        act_as(
            runtime,
            financier,
            CANCEL_KIND,
            desk.address,
            desk.calldata("cancelNonce", int(quote.nonce)),
            payload={"terms_id": terms_id, "quote_id": quote.id},
        )
        for quote in open_quotes
    ]

    def withdraw(connection: Any) -> list[OperationIntent]:
        repository.deactivate_terms(connection, terms_id)
        return cancels

    if not cancels:
        session.rollback()
        with runtime.database.transaction() as writing:
            withdraw(writing.connection())
            out = terms_to_out(writing, _require_terms(writing, terms_id))
            record_answer(writing.connection(), 200, out.model_dump(mode="json"))
        return out
    # A cancellation refused because its quote ran meanwhile is fine: that quote is decided either way.
    await_outcome(runtime, submit(runtime, withdraw, participant_id=caller.participant_id, session=session))
    with runtime.database.snapshot() as reading:
        return terms_to_out(reading, _require_terms(reading, terms_id))


def _require_terms(session: Session, terms_id: int) -> FinancingTerms:
    terms = repository.fetch_terms(session, terms_id)
    assert terms is not None
    return terms


@responds_to(CANCEL_KIND, failures_answered=True)
def answer_withdrawal(_runtime: Runtime, session: Session, operations: Sequence[OperationView]) -> Answer:
    terms_id = int(operations[0].payload["terms_id"])  # type: ignore[index]
    return 200, terms_to_out(session, _require_terms(session, terms_id)).model_dump(mode="json")


# ------------------------------------------------------------------------------------------- quotes


def quote_typed_data(chain_id: int, desk: str, message: dict[str, Any]) -> dict[str, Any]:
    return build_typed_data(
        (DESK_DOMAIN_NAME, DESK_DOMAIN_VERSION, chain_id, desk), "Quote", QUOTE_TYPE, message
    )


def _quote_message(
    quote: FinancingQuote, financier: Participant, seller: Participant, cash_token: str
) -> dict[str, Any]:
    return {
        "financier": financier.address,
        "seller": seller.address,
        "tokenId": quote.token_id,
        "value": quote.value_minor,
        "price": quote.price_minor,
        "cashToken": cash_token,
        "expiry": int(quote.expires_at.replace(tzinfo=UTC).timestamp()),
        "nonce": int(quote.nonce),
        "requiredMilestone": quote.required_milestone,
        "maxFinancedShareBps": quote.max_financed_share_bps,
    }


def quote_state(quote: FinancingQuote, now: datetime) -> str:
    """open, executed or cancelled as the desk's events say; an open quote past its expiry: expired."""
    if quote.state == "open" and quote.expires_at.replace(tzinfo=UTC) < now:
        return "expired"
    return quote.state


def quote_to_out(session: Session, quote: FinancingQuote, now: datetime) -> QuoteOut:
    terms = repository.fetch_terms(session, quote.terms_id)
    financier = participants_repository.fetch_participant(session, quote.financier_participant_id)
    note = notes_repository.fetch_note(session, quote.token_id)
    assert terms is not None and financier is not None and note is not None
    currency = fetch_currency(terms.currency)
    priced = compute_quote(
        quote.value_minor,
        terms.rate_bps,
        quote.days,
        DayCount(terms.day_count),
        QuoteBasis(terms.quote_basis),
    )
    return QuoteOut(
        id=quote.id,
        terms_id=terms.id,
        token_id=quote.token_id,
        voucher_id=note.voucher_id,
        financier=participant_ref(financier.address, {financier.address: financier}),
        currency=terms.currency,
        amount=format_minor(quote.value_minor, currency),
        price=format_minor(quote.price_minor, currency),
        discount=format_minor(quote.value_minor - quote.price_minor, currency),
        days=quote.days,
        day_count=DayCount(terms.day_count),
        basis_days=DayCount(terms.day_count).basis_days,
        quote_basis=QuoteBasis(terms.quote_basis),
        rate_bps=terms.rate_bps,
        effective_annual_yield=str(priced.effective_annual_yield),
        rounding=ROUNDING,
        required_milestone=milestone_of(quote.required_milestone),
        max_financed_share_bps=quote.max_financed_share_bps,
        expires_at=quote.expires_at.replace(tzinfo=UTC),
        nonce=quote.nonce,
        signature=quote.signature,
        state=quote_state(quote, now),
    )


def create_quote(
    session: Session, runtime: Runtime, caller: Caller, token_id: int, body: QuoteCreate
) -> QuoteOut:
    # load
    note, voucher = load_held_note(session, caller, token_id)
    terms = repository.fetch_terms(session, body.terms_id)
    if terms is None:
        raise TermsNotFound(f"financing terms {body.terms_id} do not exist", terms_id=body.terms_id)
    if not terms.active:
        raise TermsWithdrawn(f"financing terms {terms.id} were withdrawn", terms_id=terms.id)
    financier = participants_repository.fetch_participant(session, terms.financier_participant_id)
    seller = participants_repository.fetch_participant(session, caller.participant_id)
    obligor = participants_repository.fetch_participant_by_address(session, voucher.obligor_address)
    assert financier is not None and seller is not None
    if financier.encrypted_private_key is None:
        raise NotEligible("this financier signs its quotes itself; ask it directly")
    if financier.id == seller.id:
        raise NotEligible("a financier cannot finance its own piece")

    # compute
    currency = fetch_currency(voucher.currency)
    if terms.currency != voucher.currency:
        raise WrongCurrency(
            f"these terms pay {terms.currency}; voucher {voucher.id} is in {voucher.currency}",
            currency=voucher.currency,
        )
    if terms.eligible_obligor_ids and (obligor is None or obligor.id not in terms.eligible_obligor_ids):
        raise NotEligible("the voucher's obligor is not eligible under these terms", voucher_id=voucher.id)
    amount_minor = parse_amount_minor(body.amount, currency)
    require_unit_multiple(amount_minor, voucher.unit_minor, currency)
    if amount_minor > note.value_minor:
        raise InsufficientValue(
            f"note {token_id} holds {format_money(note.value_minor, currency)}", token_id=token_id
        )
    if not terms.min_amount_minor <= amount_minor <= terms.max_amount_minor:
        raise NotEligible(
            f"these terms finance between {format_money(terms.min_amount_minor, currency)} and "
            f"{format_money(terms.max_amount_minor, currency)}",
            terms_id=terms.id,
        )
    now = fetch_ledger_now(runtime)
    due_at = voucher.due_at.replace(tzinfo=UTC)
    if now >= due_at:
        raise VoucherMatured(f"voucher {voucher.id} matured on {due_at.date()}: it is paid, not financed")
    priced = compute_quote(
        amount_minor,
        terms.rate_bps,
        compute_days(now, due_at),
        DayCount(terms.day_count),
        QuoteBasis(terms.quote_basis),
    )

    # sign
    quote = FinancingQuote(
        terms_id=terms.id,
        token_id=token_id,
        seller_participant_id=seller.id,
        financier_participant_id=financier.id,
        value_minor=amount_minor,
        price_minor=priced.price_minor,
        days=priced.days,
        required_milestone=terms.required_milestone,
        max_financed_share_bps=terms.max_financed_share_bps,
        nonce=str(secrets.randbits(64)),
        expires_at=datetime.fromtimestamp(int(now.timestamp()) + runtime.settings.quote_ttl_seconds, UTC),
        signature="",
        state="open",
    )
    cash_token = fetch_cash_token(runtime, voucher.settlement_currency)
    typed = quote_typed_data(
        runtime.chain.chain_id,
        runtime.chain.deployment.addresses["desk"],
        _quote_message(quote, financier, seller, cash_token),
    )
    assert financier.encrypted_private_key is not None
    key = runtime.key_vault.signing_key(financier.encrypted_private_key, financier.address)
    quote.signature = sign_typed_data(typed, key)

    # persist: a firm quote commits the financier's cash until it is executed, voided or expires, so
    # the budget is checked against what executed and what open quotes may still take, in the write
    # transaction that records the quote (one at a time per terms)
    session.rollback()
    with runtime.database.transaction() as writing:
        locked = repository.lock_terms(writing, terms.id)
        if not locked.active:
            raise TermsWithdrawn(f"financing terms {terms.id} were withdrawn", terms_id=terms.id)
        committed = repository.sum_open_quotes(writing, terms.id, now)
        left = locked.budget_minor - locked.used_minor - committed
        if priced.price_minor > left:
            raise BudgetExceeded(
                f"these terms have {format_money(max(left, 0), currency)} budget left",
                terms_id=terms.id,
                remaining_budget=format_minor(max(left, 0), currency),
            )
        writing.add(quote)
        writing.flush()
        out = quote_to_out(writing, quote, now)
        record_answer(writing.connection(), 201, out.model_dump(mode="json"))
    return out


def read_quote(session: Session, caller: Caller, quote_id: int) -> FinancingQuote:
    quote = repository.fetch_quote(session, quote_id)
    parties = (quote.seller_participant_id, quote.financier_participant_id) if quote else ()
    if quote is None or not (caller.is_admin or caller.participant_id in parties):
        raise QuoteNotFound(f"quote {quote_id} does not exist", quote_id=quote_id)
    return quote


def plan_execution(
    session: Session, runtime: Runtime, caller: Caller, quote_id: int
) -> tuple[FinancingQuote, Any, bytes]:
    """The seller's executeQuote call for a quote that is still open."""
    quote = repository.fetch_quote(session, quote_id)
    if quote is None or quote.seller_participant_id != caller.participant_id:
        raise QuoteNotFound(f"quote {quote_id} does not exist", quote_id=quote_id)
    if quote.state != "open":
        raise QuoteAlreadyUsed(f"quote {quote_id} is {quote.state}", quote_id=quote_id)
    expiry = quote.expires_at.replace(tzinfo=UTC)
    if fetch_ledger_now(runtime) > expiry:
        raise QuoteExpired(f"quote {quote_id} expired at {expiry.isoformat()}", quote_id=quote_id)
    terms = repository.fetch_terms(session, quote.terms_id)
    seller = participants_repository.fetch_participant(session, quote.seller_participant_id)
    financier = participants_repository.fetch_participant(session, quote.financier_participant_id)
    found = notes_repository.fetch_note_with_voucher(session, quote.token_id)
    assert terms is not None and seller is not None and financier is not None and found is not None
    require_logistics_terms(runtime, quote, found[1], seller)
    cash_token = fetch_cash_token(runtime, found[1].settlement_currency)
    message = _quote_message(quote, financier, seller, cash_token)
    quote_tuple = tuple(message[field["name"]] for field in QUOTE_TYPE)
    calldata = runtime.chain.contracts.desk.calldata(
        "executeQuote", quote_tuple, bytes.fromhex(quote.signature[2:])
    )
    return quote, seller, calldata


# Sellers whose trades move no new money against the goods (resales): the desk neither counts nor caps them.
_RESELLERS = frozenset({"financier", "investor"})


def require_logistics_terms(
    runtime: Runtime, quote: FinancingQuote, voucher: Voucher, seller: Participant
) -> None:
    """The quote's logistics terms, as the desk checks them at execution (before anything is recorded):
    the voucher reached the required milestone, and before delivery the value advanced to the supply
    chain stays within the quote's share of the face value (what others financed is not told)."""
    required, current = milestone_of(quote.required_milestone), milestone_of(voucher.milestone)
    if not has_reached(current, required):
        raise MilestoneNotReached(
            f"voucher {voucher.id} has reached {current.value}; the quote requires {required.value}",
            voucher_id=voucher.id,
            required=required.value,
            current=current.value,
        )
    if current is Milestone.DELIVERED or seller.role in _RESELLERS:
        return
    if quote.max_financed_share_bps >= FULL_SHARE_BPS:
        return
    currency = fetch_currency(voucher.currency)
    cap = compute_financed_share_cap(voucher.face_value_minor, quote.max_financed_share_bps)
    financed = int(runtime.chain.read(runtime.chain.contracts.desk.call("financedValueOf", voucher.id)))
    if financed + quote.value_minor > cap:
        raise FinancedShareExceeded(
            f"financing {format_money(quote.value_minor, currency)} more of voucher {voucher.id} exceeds the "
            f"quote's cap of {format_money(cap, currency)} before delivery",
            voucher_id=voucher.id,
            value=format_minor(quote.value_minor, currency),
            cap=format_minor(cap, currency),
        )


def prepare_execution_signing(
    session: Session, runtime: Runtime, caller: Caller, quote_id: int
) -> dict[str, Any]:
    _quote, seller, calldata = plan_execution(session, runtime, caller, quote_id)
    return signing_request(runtime, seller, runtime.chain.deployment.addresses["desk"], calldata)


def execute_quote(
    session: Session, runtime: Runtime, caller: Caller, quote_id: int, body: Any = None
) -> ExecutionOut:
    """Delivery versus payment: the note value and the cash move in one transaction, or neither does.
    Whether it ran, and the quote's and budget's new state, come from the desk's events."""
    quote, seller, calldata = plan_execution(session, runtime, caller, quote_id)
    intent = act_as(
        runtime,
        seller,
        EXECUTE_KIND,
        runtime.chain.deployment.addresses["desk"],
        calldata,
        signed=signed_forward(body),
        payload={"quote_id": quote.id},
    )
    [done] = carry_out(runtime, [intent], participant_id=caller.participant_id, session=session)
    return build_execution_out(session, done)


def build_execution_out(session: Session, operation: OperationView) -> ExecutionOut:
    quote = repository.fetch_quote(session, int(operation.payload["quote_id"]))  # type: ignore[index]
    terms = repository.fetch_terms(session, quote.terms_id) if quote else None
    assert quote is not None and terms is not None
    assert operation.block_number is not None and operation.transaction_hash is not None
    currency = fetch_currency(terms.currency)
    [executed] = operation.events("QuoteExecuted")
    remaining = notes_repository.compute_value_after_block(session, quote.token_id, operation.block_number)
    found = notes_repository.fetch_note_with_voucher(session, quote.token_id)
    assert found is not None
    cash_currency = found[1].settlement_currency
    return ExecutionOut(
        quote_id=quote.id,
        financier_token_id=int(executed["args"]["financierTokenId"]),
        seller_token_id=quote.token_id,
        seller_remaining=format_minor(remaining, currency),
        amount=format_minor(quote.value_minor, currency),
        price=format_minor(quote.price_minor, currency),
        cash_received=format_minor(int(executed["args"]["amount"]), fetch_currency(cash_currency)),
        cash_currency=cash_currency,
        fx=fx_rate_out(terms.currency, cash_currency, executed["args"]),
        transaction_hash=operation.transaction_hash,
        block_number=operation.block_number,
    )


@responds_to(EXECUTE_KIND)
def answer_execution(_runtime: Runtime, session: Session, operations: Sequence[OperationView]) -> Answer:
    return 201, build_execution_out(session, operations[0]).model_dump(mode="json")
