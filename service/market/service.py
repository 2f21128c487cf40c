"""Model 2: a holder offers (part of) its piece as yield tokens; investors buy them at a price the
OfferingVault computes from the days left; holders trade them between themselves; at maturity the vault
is paid for its piece like any holder and token holders redeem pro rata.

Every write is one forward request signed for the acting participant (`act_as`), sent by the chain
writer. What a contract needs approved first (the note's approval of the vault for a seller, a buyer's
cash allowance, a lister's token allowance) is sent just before, once, when the chain says it is
missing: approving again is harmless, so those go outside the request's Idempotency-Key.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar, cast

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from service.api.acting import act_as, act_as_service, signed_forward, signing_request
from service.api.answers import Answer, responds_to
from service.api.auth import Caller
from service.api.csv_pages import neutralise_cell
from service.api.pagination import Page, PageRequest
from service.api.submit import carry_out, current_request, record_answer
from service.chain.abi import abi_decode, checksum_address, selector
from service.chain.contracts import ContractHandle
from service.chain.forwarder import FORWARDED_CALL_GAS
from service.db.models import Job, ListingRecord, OfferingRecord, Participant, TokenHolding, Voucher
from service.domain.market import (
    compute_accrued_discount_minor,
    compute_offer_price_minor,
    compute_premium_to_face,
    compute_yield_to_maturity,
)
from service.domain.money import (
    CURRENCIES,
    Currency,
    fetch_currency,
    format_minor,
    format_money,
    parse_amount_minor,
    require_unit_multiple,
)
from service.domain.pricing import DayCount
from service.domain.vouchers import compute_due_at
from service.errors import (
    Forbidden,
    InsufficientValue,
    InvalidCutoff,
    InvalidRequest,
    ListingNotFound,
    NotHolder,
    OfferingNotFound,
    OfferingNotOpen,
    OfferingNotSettled,
    SettlementNotMatured,
    SignatureRequired,
)
from service.ledger.clock import fetch_ledger_now
from service.market import repository
from service.market.projection import VAULT
from service.market.schemas import (
    CancellationOut,
    ClosureOut,
    CollectionOut,
    FiguresOut,
    FiguresRow,
    ListingCreate,
    ListingOut,
    OfferingCreate,
    OfferingOut,
    PortfolioItem,
    PriceOut,
    PurchaseCreate,
    RedemptionOut,
    RedemptionRun,
    SubscriptionCreate,
    TradeOut,
    WithdrawalCreate,
    WithdrawalOut,
)
from service.notes.service import load_held_note
from service.participants import repository as participants_repository
from service.participants.service import MAX_ALLOWANCE
from service.runtime import Runtime
from service.settlement.schemas import JobOut
from service.settlement.service import job_out, new_progress
from service.vouchers import repository as vouchers_repository
from service.vouchers.service import voucher_status
from service.writer.jobs import create_job
from service.writer.outbox import OperationIntent, OperationView

OPEN_KIND = "market.open"
SUBSCRIBE_KIND = "market.subscribe"
WITHDRAW_KIND = "market.withdraw"
CLOSE_KIND = "market.close"
LIST_KIND = "market.list"
BUY_KIND = "market.buy"
CANCEL_KIND = "market.cancel"
COLLECT_KIND = "market.collect"
REDEEM_KIND = "market.redeem"
APPROVE_KIND = "market.approve"
# Who may buy yield tokens: investors, and financiers acting as investors (docs/market.md).
BUYER_ROLES = ("investor", "financier")
# Opening clones a token, initialises it, moves the note value and mints: more than a forwarded call's
# usual allowance.
OPEN_GAS = 1_500_000
# Collecting claims the vault's piece from the settlement vault (a payout with its checks) and
# accounts it; redeeming may collect first.
SETTLEMENT_GAS = 1_000_000
ONE_UNIT_MINOR = 100  # 1.00 of face value, for the price per unit (two-decimal currencies)
_ALLOWED_COUNTRIES = selector("allowedCountries()")


# ---------------------------------------------------------------------------------- helpers


def _vault(runtime: Runtime) -> ContractHandle:
    return runtime.chain.contracts[VAULT]


def _token(runtime: Runtime, record: OfferingRecord, currency: str) -> ContractHandle:
    """The offering's yield token, through the ERC-20 functions every token shares (the cash token's ABI)."""
    abi = cast(list[dict[str, Any]], runtime.chain.contracts.cash(currency).contract.abi)
    return ContractHandle("yield_token", record.token_address, abi)


def _participant(session: Session, caller: Caller) -> Participant:
    participant = participants_repository.fetch_participant(session, caller.participant_id)
    assert participant is not None
    return participant


@dataclass(frozen=True)
class _Plan:
    """A market action as one forward request to the vault: its calldata and gas."""

    calldata: bytes
    gas: int = FORWARDED_CALL_GAS


def _act(
    session: Session, runtime: Runtime, caller: Caller, kind: str, plan: _Plan, body: Any
) -> OperationView:
    """The caller's action, signed by its managed key, or the request it signed itself (`signed_request`)."""
    intent = act_as(
        runtime,
        _participant(session, caller),
        kind,
        _vault(runtime).address,
        plan.calldata,
        signed=signed_forward(body),
        gas=plan.gas,
        payload={},
    )
    [done] = carry_out(runtime, [intent], participant_id=caller.participant_id, session=session)
    return done


def _participant_id(session: Session, address: str | None) -> int | None:
    if address is None:
        return None
    found = participants_repository.fetch_participants_by_addresses(session, {address})
    participant = found.get(address)
    return participant.id if participant is not None else None


def _voucher_of(session: Session, record: OfferingRecord) -> Voucher:
    voucher = vouchers_repository.fetch_voucher(session, record.voucher_id)
    assert voucher is not None
    return voucher


def require_offering(session: Session, offering_id: int) -> OfferingRecord:
    """Offerings are the market's shop window: every participant sees every one."""
    record = repository.fetch_offering(session, offering_id)
    if record is None:
        raise OfferingNotFound(f"offering {offering_id} does not exist", offering_id=offering_id)
    return record


def require_listing(session: Session, listing_id: int) -> ListingRecord:
    record = repository.fetch_listing(session, listing_id)
    if record is None:
        raise ListingNotFound(f"listing {listing_id} does not exist", listing_id=listing_id)
    return record


def _require_buyer(caller: Caller) -> None:
    if caller.role not in BUYER_ROLES:
        raise Forbidden(
            f"a {caller.role} does not buy yield tokens: investors and financiers do", role=caller.role
        )


def _require_seller(record: OfferingRecord, caller: Caller) -> None:
    if record.seller_address != caller.address:
        raise Forbidden("only the offering's seller does this", offering_id=record.id)


@contextmanager
def _outside_request_key() -> Iterator[None]:
    """Approvals a write needs first: sent under no Idempotency-Key (repeating one changes nothing)."""
    token = current_request.set(None)
    try:
        yield
    finally:
        current_request.reset(token)


def _approve_first(
    session: Session, runtime: Runtime, caller: Caller, target: str, calldata: bytes, what: str
) -> None:
    participant = _participant(session, caller)
    if participant.encrypted_private_key is None:
        # The ledger cannot sign the approval for a wallet it does not keep.
        raise SignatureRequired(
            f"with your own wallet, first approve the offering vault ({_vault(runtime).address}) on {what}"
        )
    intent = act_as(runtime, participant, APPROVE_KIND, target, calldata, payload={"what": what})
    with _outside_request_key():
        carry_out(runtime, [intent], participant_id=caller.participant_id, session=session)


def _ensure_cash_allowance(
    session: Session, runtime: Runtime, caller: Caller, currency: str, needed: int
) -> None:
    cash = runtime.chain.contracts.cash(currency)
    vault = _vault(runtime).address
    if int(runtime.chain.read(cash.call("allowance", caller.address, vault))) < needed:
        calldata = cash.calldata("approve", vault, MAX_ALLOWANCE)
        _approve_first(session, runtime, caller, cash.address, calldata, f"the {currency} cash token")


# A token's allowed countries never change after its initialisation: read once per offering (keyed by
# the transaction that opened it, so an offering replayed after a reorganisation is read again).
_COUNTRIES: dict[tuple[str, str], list[str]] = {}


def _allowed_countries(runtime: Runtime, record: OfferingRecord) -> list[str]:
    key = (record.token_address, record.opened_transaction_hash)
    if key not in _COUNTRIES:
        raw = runtime.chain.call(record.token_address, _ALLOWED_COUNTRIES)
        [codes] = abi_decode(["bytes2[]"], raw)
        _COUNTRIES[key] = [bytes(code).decode("ascii") for code in codes]
    return list(_COUNTRIES[key])


@dataclass(frozen=True)
class _Terms:
    currency: Currency
    cash: Currency
    day_count: DayCount
    maturity_at: datetime


def _terms(session: Session, record: OfferingRecord) -> _Terms:
    voucher = _voucher_of(session, record)
    return _Terms(
        fetch_currency(voucher.currency),
        fetch_currency(voucher.settlement_currency),
        DayCount.ACT_360 if record.basis_days == 360 else DayCount.ACT_365F,
        voucher.due_at.replace(tzinfo=UTC),
    )


def _days_left(now: datetime, maturity_at: datetime) -> int:
    return max(int(maturity_at.timestamp()) - int(now.timestamp()), 0) // 86_400


# ---------------------------------------------------------------------------------- offerings


def to_out(
    session: Session, runtime: Runtime, record: OfferingRecord, now: datetime | None = None
) -> OfferingOut:
    terms = _terms(session, record)
    voucher = _voucher_of(session, record)
    now = now or fetch_ledger_now(runtime)
    days = _days_left(now, terms.maturity_at)
    unit_price = compute_offer_price_minor(ONE_UNIT_MINOR, record.rate_bps, days, record.basis_days)
    is_open = not record.closed and now < record.closes_at.replace(tzinfo=UTC) and record.unsold_minor > 0
    return OfferingOut(
        id=record.id,
        voucher_id=record.voucher_id,
        note_token_id=record.vault_token_id,
        seller_participant_id=_participant_id(session, record.seller_address),
        token_address=record.token_address,
        currency=terms.currency.code,
        cash_currency=terms.cash.code,
        amount=format_minor(record.value_minor, terms.currency),
        rate_bps=record.rate_bps,
        day_count=terms.day_count,
        min_subscription=format_minor(record.min_subscription_minor, terms.currency),
        closes_at=record.closes_at.replace(tzinfo=UTC),
        maturity_at=terms.maturity_at,
        allowed_countries=_allowed_countries(runtime, record),
        open=is_open,
        closed=record.closed,
        sold=format_minor(record.sold_minor, terms.currency),
        available=format_minor(record.unsold_minor, terms.currency),
        withdrawn=format_minor(record.withdrawn_minor, terms.currency),
        cash_raised=format_minor(record.cash_raised_minor, terms.cash),
        days_left=days,
        price_per_unit=format_minor(unit_price, terms.cash),
        cash_received=format_minor(record.cash_received_minor, terms.cash),
        cash_redeemed=format_minor(record.cash_redeemed_minor, terms.cash),
        voucher_status=str(voucher_status(runtime.settings, voucher, now)),
        opened_transaction_hash=record.opened_transaction_hash,
    )


def plan_opening(
    session: Session, runtime: Runtime, caller: Caller, token_id: int, body: OfferingCreate
) -> _Plan:
    note, voucher = load_held_note(session, caller, token_id)
    currency = fetch_currency(voucher.currency)
    amount = parse_amount_minor(body.amount, currency)
    require_unit_multiple(amount, voucher.unit_minor, currency)
    if amount > note.value_minor:
        raise InsufficientValue(
            f"note {note.token_id} holds {format_money(note.value_minor, currency)}", token_id=note.token_id
        )
    minimum = parse_amount_minor(body.min_subscription, currency, field="min_subscription")
    if minimum > amount:
        raise InvalidRequest(
            f"the minimum subscription {format_money(minimum, currency)} exceeds the offered "
            f"{format_money(amount, currency)}",
            field="min_subscription",
        )
    closes_at = compute_due_at(body.closes_on)
    now, due_at = fetch_ledger_now(runtime), voucher.due_at.replace(tzinfo=UTC)
    if not now < closes_at <= due_at:
        # Checked here too (the vault checks it), before the seller's approval of the vault is sent.
        raise InvalidCutoff(
            f"the closing date {body.closes_on.isoformat()} must lie after today and no later than the "
            f"voucher's maturity {due_at.date().isoformat()}",
            closes_on=body.closes_on.isoformat(),
            due_date=due_at.date().isoformat(),
        )
    countries = [code.encode("ascii") for code in body.allowed_countries]
    calldata = _vault(runtime).calldata(
        "openOffering",
        note.token_id,
        amount,
        body.rate_bps,
        body.day_count.basis_days,
        minimum,
        int(closes_at.timestamp()),
        countries,
    )
    return _Plan(calldata, OPEN_GAS)


def open_offering(
    session: Session, runtime: Runtime, caller: Caller, token_id: int, body: OfferingCreate
) -> OfferingOut:
    plan = plan_opening(session, runtime, caller, token_id, body)
    note = runtime.chain.contracts.note
    vault = _vault(runtime).address
    if not runtime.chain.read(note.call("isApprovedForAll", caller.address, vault)):
        approval = note.calldata("setApprovalForAll", vault, True)
        _approve_first(session, runtime, caller, note.address, approval, "the note (setApprovalForAll)")
    return _opened_out(session, runtime, _act(session, runtime, caller, OPEN_KIND, plan, body))


def _opened_out(session: Session, runtime: Runtime, operation: OperationView) -> OfferingOut:
    [opened] = operation.events("OfferingOpened")
    return to_out(session, runtime, require_offering(session, int(opened["args"]["offeringId"])))


@responds_to(OPEN_KIND)
def answer_opening(runtime: Runtime, session: Session, operations: Sequence[OperationView]) -> Answer:
    return 201, _opened_out(session, runtime, operations[0]).model_dump(mode="json")


def list_offerings(
    session: Session, runtime: Runtime, voucher_id: int | None, page: PageRequest
) -> Page[OfferingOut]:
    fetched = repository.fetch_offerings(session, voucher_id, page.after_id, page.limit + 1)
    records, next_cursor = page.page(fetched, lambda record: (record.id,))
    now = fetch_ledger_now(runtime)
    return Page(items=[to_out(session, runtime, record, now) for record in records], next_cursor=next_cursor)


def read_offering(session: Session, runtime: Runtime, offering_id: int) -> OfferingOut:
    return to_out(session, runtime, require_offering(session, offering_id))


def price(session: Session, runtime: Runtime, offering_id: int, amount: str) -> PriceOut:
    """What `amount` costs now, as the vault prices it (read from the vault at the chain's clock)."""
    record = require_offering(session, offering_id)
    terms = _terms(session, record)
    amount_minor = parse_amount_minor(amount, terms.currency)
    vault = _vault(runtime)
    cash, days = runtime.chain.read_many(
        [vault.call("priceOf", record.id, amount_minor), vault.call("daysToMaturity", record.id)]
    )
    return PriceOut(
        offering_id=record.id,
        amount=format_minor(amount_minor, terms.currency),
        cash=format_minor(int(cash), terms.cash),
        cash_currency=terms.cash.code,
        discount=format_minor(amount_minor - int(cash), terms.currency),
        days_left=int(days),
        rate_bps=record.rate_bps,
        day_count=terms.day_count,
        yield_to_maturity=str(compute_yield_to_maturity(amount_minor, int(cash), int(days), terms.day_count)),
    )


# ---------------------------------------------------------------------------------- primary market


def plan_subscription(
    session: Session, runtime: Runtime, caller: Caller, offering_id: int, body: SubscriptionCreate
) -> tuple[_Plan, str, int]:
    """The subscription's request, the cash currency and `max_cash` (for the allowance it needs)."""
    _require_buyer(caller)
    record = require_offering(session, offering_id)
    terms = _terms(session, record)
    amount = parse_amount_minor(body.amount, terms.currency)
    max_cash = parse_amount_minor(body.max_cash, terms.cash, field="max_cash")
    closes_at = record.closes_at.replace(tzinfo=UTC)
    if record.closed or fetch_ledger_now(runtime) >= closes_at:
        # Refused here too (the vault refuses it), before a first buyer's cash allowance is sent.
        raise OfferingNotOpen(
            f"offering {record.id} takes no subscriptions (closed by its seller, or since "
            f"{closes_at.isoformat()})",
            offering_id=record.id,
        )
    return (
        _Plan(_vault(runtime).calldata("subscribe", record.id, amount, max_cash)),
        terms.cash.code,
        max_cash,
    )


def subscribe(
    session: Session, runtime: Runtime, caller: Caller, offering_id: int, body: SubscriptionCreate
) -> TradeOut:
    plan, currency, max_cash = plan_subscription(session, runtime, caller, offering_id, body)
    _ensure_cash_allowance(session, runtime, caller, currency, max_cash)
    return build_trade_out(session, _act(session, runtime, caller, SUBSCRIBE_KIND, plan, body))


def build_trade_out(session: Session, operation: OperationView) -> TradeOut:
    assert operation.transaction_hash is not None
    subscribed = operation.events("Subscribed")
    if subscribed:
        args = subscribed[0]["args"]
        record = require_offering(session, int(args["offeringId"]))
        buyer, seller, listing_id, market = args["investor"], record.seller_address, None, "primary"
        rate = int(args["rateBps"])
    else:
        [filled] = operation.events("ListingFilled")
        args = filled["args"]
        record = require_offering(session, int(args["offeringId"]))
        listing = require_listing(session, int(args["listingId"]))
        buyer, seller, listing_id, market = args["buyer"], args["seller"], listing.id, "secondary"
        rate = listing.rate_bps
    terms = _terms(session, record)
    return TradeOut(
        offering_id=record.id,
        listing_id=listing_id,
        market=market,
        buyer_participant_id=_participant_id(session, checksum_address(buyer)),
        seller_participant_id=_participant_id(session, checksum_address(seller)),
        amount=format_minor(int(args["amount"]), terms.currency),
        cash=format_minor(int(args["cash"]), terms.cash),
        cash_currency=terms.cash.code,
        rate_bps=rate,
        days_left=int(args["daysToMaturity"]),
        transaction_hash=operation.transaction_hash,
    )


@responds_to(SUBSCRIBE_KIND, BUY_KIND)
def answer_trade(_runtime: Runtime, session: Session, operations: Sequence[OperationView]) -> Answer:
    return 201, build_trade_out(session, operations[0]).model_dump(mode="json")


def plan_withdrawal(
    session: Session, runtime: Runtime, caller: Caller, offering_id: int, body: WithdrawalCreate
) -> _Plan:
    record = require_offering(session, offering_id)
    _require_seller(record, caller)
    amount = parse_amount_minor(body.amount, _terms(session, record).currency)
    return _Plan(_vault(runtime).calldata("withdraw", record.id, amount))


def withdraw(
    session: Session, runtime: Runtime, caller: Caller, offering_id: int, body: WithdrawalCreate
) -> WithdrawalOut:
    plan = plan_withdrawal(session, runtime, caller, offering_id, body)
    return build_withdrawal_out(session, _act(session, runtime, caller, WITHDRAW_KIND, plan, body))


def build_withdrawal_out(session: Session, operation: OperationView) -> WithdrawalOut:
    [withdrawn] = operation.events("OfferingWithdrawn")
    args = withdrawn["args"]
    record = require_offering(session, int(args["offeringId"]))
    assert operation.transaction_hash is not None
    return WithdrawalOut(
        offering_id=record.id,
        amount=format_minor(int(args["amount"]), _terms(session, record).currency),
        token_id=int(args["tokenId"]),
        transaction_hash=operation.transaction_hash,
    )


@responds_to(WITHDRAW_KIND)
def answer_withdrawal(_runtime: Runtime, session: Session, operations: Sequence[OperationView]) -> Answer:
    return 201, build_withdrawal_out(session, operations[0]).model_dump(mode="json")


def plan_closure(session: Session, runtime: Runtime, caller: Caller, offering_id: int) -> _Plan:
    record = require_offering(session, offering_id)
    _require_seller(record, caller)
    return _Plan(_vault(runtime).calldata("closeOffering", record.id))


def close(
    session: Session, runtime: Runtime, caller: Caller, offering_id: int, body: Any = None
) -> ClosureOut:
    plan = plan_closure(session, runtime, caller, offering_id)
    return build_closure_out(session, _act(session, runtime, caller, CLOSE_KIND, plan, body))


def build_closure_out(session: Session, operation: OperationView) -> ClosureOut:
    [closed] = operation.events("OfferingClosed")
    args = closed["args"]
    record = require_offering(session, int(args["offeringId"]))
    assert operation.transaction_hash is not None
    return ClosureOut(
        offering_id=record.id,
        unsold=format_minor(int(args["unsold"]), _terms(session, record).currency),
        transaction_hash=operation.transaction_hash,
    )


@responds_to(CLOSE_KIND)
def answer_closure(_runtime: Runtime, session: Session, operations: Sequence[OperationView]) -> Answer:
    return 200, build_closure_out(session, operations[0]).model_dump(mode="json")


# ---------------------------------------------------------------------------------- secondary market


def listing_out(session: Session, record: ListingRecord, now: datetime) -> ListingOut:
    offering = require_offering(session, record.offering_id)
    terms = _terms(session, offering)
    days = _days_left(now, terms.maturity_at)
    unit_price = compute_offer_price_minor(ONE_UNIT_MINOR, record.rate_bps, days, offering.basis_days)
    return ListingOut(
        id=record.id,
        offering_id=record.offering_id,
        seller_participant_id=_participant_id(session, record.seller_address),
        currency=terms.currency.code,
        cash_currency=terms.cash.code,
        amount=format_minor(record.amount_minor, terms.currency),
        remaining=format_minor(record.remaining_minor, terms.currency),
        rate_bps=record.rate_bps,
        active=not record.cancelled and record.remaining_minor > 0,
        price_per_unit=format_minor(unit_price, terms.cash),
        listed_at=record.listed_at.replace(tzinfo=UTC),
        transaction_hash=record.transaction_hash,
    )


def plan_listing(
    session: Session, runtime: Runtime, caller: Caller, offering_id: int, body: ListingCreate
) -> tuple[_Plan, OfferingRecord, int]:
    """The listing's request, its offering and the tokens it lists (for the allowance it needs)."""
    record = require_offering(session, offering_id)
    terms = _terms(session, record)
    amount = parse_amount_minor(body.amount, terms.currency)
    holding = repository.fetch_holding(session, record.id, caller.address)
    held = holding.tokens_minor if holding is not None else 0
    if held < amount:
        raise NotHolder(
            f"you hold {format_money(held, terms.currency)} of offering {record.id}'s tokens",
            offering_id=record.id,
        )
    return _Plan(_vault(runtime).calldata("listForSale", record.id, amount, body.rate_bps)), record, amount


def create_listing(
    session: Session, runtime: Runtime, caller: Caller, offering_id: int, body: ListingCreate
) -> ListingOut:
    plan, record, amount = plan_listing(session, runtime, caller, offering_id, body)
    token = _token(runtime, record, _terms(session, record).cash.code)
    vault = _vault(runtime).address
    if int(runtime.chain.read(token.call("allowance", caller.address, vault))) < amount:
        approval = token.calldata("approve", vault, MAX_ALLOWANCE)
        _approve_first(session, runtime, caller, token.address, approval, f"the yield token {token.address}")
    return _listed_out(session, runtime, _act(session, runtime, caller, LIST_KIND, plan, body))


def _listed_out(session: Session, runtime: Runtime, operation: OperationView) -> ListingOut:
    [created] = operation.events("ListingCreated")
    listing = require_listing(session, int(created["args"]["listingId"]))
    return listing_out(session, listing, fetch_ledger_now(runtime))


@responds_to(LIST_KIND)
def answer_listing(runtime: Runtime, session: Session, operations: Sequence[OperationView]) -> Answer:
    return 201, _listed_out(session, runtime, operations[0]).model_dump(mode="json")


def list_listings(
    session: Session, runtime: Runtime, offering_id: int, page: PageRequest
) -> Page[ListingOut]:
    require_offering(session, offering_id)
    fetched = repository.fetch_listings(session, offering_id, page.after_id, page.limit + 1)
    records, next_cursor = page.page(fetched, lambda record: (record.id,))
    now = fetch_ledger_now(runtime)
    return Page(items=[listing_out(session, record, now) for record in records], next_cursor=next_cursor)


def read_listing(session: Session, runtime: Runtime, listing_id: int) -> ListingOut:
    return listing_out(session, require_listing(session, listing_id), fetch_ledger_now(runtime))


def plan_purchase(
    session: Session, runtime: Runtime, caller: Caller, listing_id: int, body: PurchaseCreate
) -> tuple[_Plan, str, int]:
    _require_buyer(caller)
    listing = require_listing(session, listing_id)
    terms = _terms(session, require_offering(session, listing.offering_id))
    amount = parse_amount_minor(body.amount, terms.currency)
    max_cash = parse_amount_minor(body.max_cash, terms.cash, field="max_cash")
    return (
        _Plan(_vault(runtime).calldata("buyListing", listing.id, amount, max_cash)),
        terms.cash.code,
        max_cash,
    )


def buy_listing(
    session: Session, runtime: Runtime, caller: Caller, listing_id: int, body: PurchaseCreate
) -> TradeOut:
    plan, currency, max_cash = plan_purchase(session, runtime, caller, listing_id, body)
    _ensure_cash_allowance(session, runtime, caller, currency, max_cash)
    return build_trade_out(session, _act(session, runtime, caller, BUY_KIND, plan, body))


def plan_cancellation(session: Session, runtime: Runtime, caller: Caller, listing_id: int) -> _Plan:
    listing = require_listing(session, listing_id)
    if listing.seller_address != caller.address:
        raise Forbidden("only the lister cancels its listing", listing_id=listing_id)
    return _Plan(_vault(runtime).calldata("cancelListing", listing.id))


def cancel_listing(
    session: Session, runtime: Runtime, caller: Caller, listing_id: int, body: Any = None
) -> CancellationOut:
    plan = plan_cancellation(session, runtime, caller, listing_id)
    return build_cancellation_out(session, _act(session, runtime, caller, CANCEL_KIND, plan, body))


def build_cancellation_out(session: Session, operation: OperationView) -> CancellationOut:
    [cancelled] = operation.events("ListingCancelled")
    args = cancelled["args"]
    record = require_offering(session, int(args["offeringId"]))
    assert operation.transaction_hash is not None
    return CancellationOut(
        listing_id=int(args["listingId"]),
        remaining=format_minor(int(args["remaining"]), _terms(session, record).currency),
        transaction_hash=operation.transaction_hash,
    )


@responds_to(CANCEL_KIND)
def answer_cancellation(_runtime: Runtime, session: Session, operations: Sequence[OperationView]) -> Answer:
    return 200, build_cancellation_out(session, operations[0]).model_dump(mode="json")


# ---------------------------------------------------------------------------------- maturity


def collect(session: Session, runtime: Runtime, caller: Caller, offering_id: int) -> CollectionOut:
    """Claims the vault's piece's settlement cash (anyone may: it only moves cash to where it is owed).
    Sent by the service's settlement account for staff, by the caller's own key otherwise."""
    record = require_offering(session, offering_id)
    calldata = _vault(runtime).calldata("collect", record.id)
    target = _vault(runtime).address
    payload = {"offering_id": record.id}
    if caller.is_admin:
        intent = act_as_service(
            runtime, "settlement", COLLECT_KIND, target, calldata, gas=SETTLEMENT_GAS, payload=payload
        )
    else:
        participant = _participant(session, caller)
        intent = act_as(
            runtime, participant, COLLECT_KIND, target, calldata, gas=SETTLEMENT_GAS, payload=payload
        )
    [done] = carry_out(runtime, [intent], participant_id=caller.participant_id, session=session)
    return build_collection_out(session, done)


def build_collection_out(session: Session, operation: OperationView) -> CollectionOut:
    payload = operation.payload or {}
    record = require_offering(session, int(payload["offering_id"]))
    terms = _terms(session, record)
    received = sum(int(event["args"]["amount"]) for event in operation.events("OfferingCashReceived"))
    assert operation.transaction_hash is not None
    return CollectionOut(
        offering_id=record.id,
        received=format_minor(received, terms.cash),
        cash_received=format_minor(record.cash_received_minor, terms.cash),
        cash_currency=terms.cash.code,
        transaction_hash=operation.transaction_hash,
    )


@responds_to(COLLECT_KIND)
def answer_collection(_runtime: Runtime, session: Session, operations: Sequence[OperationView]) -> Answer:
    return 200, build_collection_out(session, operations[0]).model_dump(mode="json")


def plan_redemption(session: Session, runtime: Runtime, caller: Caller, offering_id: int) -> _Plan:
    record = require_offering(session, offering_id)
    return _Plan(_vault(runtime).calldata("redeem", record.id), SETTLEMENT_GAS)


def redeem(
    session: Session, runtime: Runtime, caller: Caller, offering_id: int, body: Any = None
) -> RedemptionOut:
    plan = plan_redemption(session, runtime, caller, offering_id)
    return build_redemption_out(session, _act(session, runtime, caller, REDEEM_KIND, plan, body))


def signing_request_for(
    session: Session, runtime: Runtime, caller: Caller, action: str, target_id: int, body: Any = None
) -> dict[str, Any]:
    """The forward request a participant with its own wallet signs for a market action (it approves
    the vault on the note, its cash or the yield token itself first: see docs/market.md)."""
    plans = {
        "open": lambda: plan_opening(session, runtime, caller, target_id, body),
        "subscribe": lambda: plan_subscription(session, runtime, caller, target_id, body)[0],
        "withdraw": lambda: plan_withdrawal(session, runtime, caller, target_id, body),
        "close": lambda: plan_closure(session, runtime, caller, target_id),
        "list": lambda: plan_listing(session, runtime, caller, target_id, body)[0],
        "buy": lambda: plan_purchase(session, runtime, caller, target_id, body)[0],
        "cancel": lambda: plan_cancellation(session, runtime, caller, target_id),
        "redeem": lambda: plan_redemption(session, runtime, caller, target_id),
    }
    plan: _Plan = plans[action]()
    return signing_request(
        runtime, _participant(session, caller), _vault(runtime).address, plan.calldata, plan.gas
    )


def build_redemption_out(session: Session, operation: OperationView) -> RedemptionOut:
    [redeemed] = operation.events("Redeemed")
    args = redeemed["args"]
    record = require_offering(session, int(args["offeringId"]))
    terms = _terms(session, record)
    assert operation.transaction_hash is not None
    return RedemptionOut(
        offering_id=record.id,
        holder_participant_id=_participant_id(session, checksum_address(args["holder"])),
        tokens=format_minor(int(args["tokens"]), terms.currency),
        cash=format_minor(int(args["cash"]), terms.cash),
        cash_currency=terms.cash.code,
        transaction_hash=operation.transaction_hash,
    )


@responds_to(REDEEM_KIND)
def answer_redemption(_runtime: Runtime, session: Session, operations: Sequence[OperationView]) -> Answer:
    return 201, build_redemption_out(session, operations[0]).model_dump(mode="json")


REDEMPTION_JOB = "market.redemption"
REDEEM_FOR_KIND = "market.redeem_for"
DEFAULT_REDEMPTION_BATCH = 50
REDEEM_FOR_BASE_GAS = 300_000
REDEEM_FOR_GAS_PER_HOLDER = 120_000


def start_redemption_run(
    session: Session, runtime: Runtime, caller: Caller, offering_id: int, body: RedemptionRun
) -> JobOut:
    """Once the offering's backing is paid in full, a job redeems every token holder (and the seller's
    unsold tokens) in batches, by the settlement account: no holder has to ask. Holders frozen or no
    longer verified are passed over (they redeem themselves later)."""
    record = require_offering(session, offering_id)
    if not caller.is_admin and record.seller_address != caller.address:
        raise Forbidden("a redemption run is started by an admin or the offering's seller")
    terms = _terms(session, record)
    now = fetch_ledger_now(runtime)
    if now < terms.maturity_at:
        raise SettlementNotMatured(
            f"offering {offering_id}'s voucher matures on {terms.maturity_at.isoformat()}",
            due_at=terms.maturity_at.isoformat(),
        )
    _status, unpaid, _received, _available, _outstanding = runtime.chain.read(
        _vault(runtime).call("redemptionStatus", record.id)
    )
    if int(unpaid) != 0:
        raise OfferingNotSettled(
            f"offering {offering_id}'s backing still waits for {format_money(int(unpaid), terms.currency)}",
            offering_id=offering_id,
        )
    params = {
        "offering_id": record.id,
        "voucher_id": record.voucher_id,
        "seller": record.seller_address,
        "currency": terms.cash.code,
        "batch_size": body.batch_size or DEFAULT_REDEMPTION_BATCH,
    }
    session.rollback()
    with runtime.database.transaction() as writing:
        connection = writing.connection()
        holders = repository.count_holders(connection, record.id) + (1 if record.unsold_minor > 0 else 0)
        job_id = create_job(
            connection,
            REDEMPTION_JOB,
            params,
            participant_id=caller.participant_id,
            request_key=None,
            progress={**new_progress(holders), "after_address": "", "seller_done": False},
        )
        job = writing.get(Job, job_id)
        assert job is not None
        out = job_out(job)
        record_answer(connection, 202, out.model_dump(mode="json"))
    runtime.wake_writer()
    return out


class RedemptionJob:
    """The steps of a redemption run: the next token holders by address (the seller's unsold tokens
    first), redeemed in one `redeemFor` signed by the service's settlement account."""

    kind: ClassVar[str] = REDEMPTION_JOB

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime

    def next_step(self, connection: Connection, job: Job) -> OperationIntent | None:
        params, progress = job.params, job.progress or {}
        offering_id, batch_size = int(params["offering_id"]), int(params["batch_size"])
        holders: list[str] = []
        if not progress.get("seller_done"):
            holders.append(str(params["seller"]))
        after = str(progress.get("after_address", ""))
        holders += [
            address
            for address in repository.fetch_holder_addresses_after(connection, offering_id, after, batch_size)
            if address != params["seller"]
        ]
        if not holders:
            return None
        vault = self._runtime.chain.contracts[VAULT]
        return act_as_service(
            self._runtime,
            "settlement",
            REDEEM_FOR_KIND,
            vault.address,
            vault.calldata("redeemFor", offering_id, holders),
            gas=REDEEM_FOR_BASE_GAS + REDEEM_FOR_GAS_PER_HOLDER * len(holders),
            payload={"offering_id": offering_id, "holders": holders},
        )

    def record_step(self, connection: Connection, job: Job, step: OperationView) -> dict[str, Any]:
        progress = dict(job.progress or new_progress(0))
        holders = [str(holder) for holder in (step.payload or {})["holders"]]
        redeemed = step.events("Redeemed")
        others = [holder for holder in holders if holder != job.params["seller"]]
        if others:
            progress["after_address"] = max(others)
        progress["seller_done"] = True
        progress["pieces_paid"] = int(progress.get("pieces_paid", 0)) + len(redeemed)
        progress["paid_minor"] = int(progress.get("paid_minor", 0)) + sum(
            int(event["args"]["cash"]) for event in redeemed
        )
        progress["withheld"] = int(progress.get("withheld", 0)) + len(step.events("RedemptionWithheld"))
        progress["batches"] = int(progress.get("batches", 0)) + 1
        progress["transaction_hashes"] = [*progress.get("transaction_hashes", []), step.transaction_hash]
        return progress


# ---------------------------------------------------------------------------------- portfolio, figures


def portfolio_item(session: Session, runtime: Runtime, holding: TokenHolding, now: datetime) -> PortfolioItem:
    record = require_offering(session, holding.offering_id)
    terms = _terms(session, record)
    voucher = _voucher_of(session, record)
    tokens, paid = holding.tokens_minor, holding.paid_minor
    days_at_purchase = holding.day_tokens // tokens if tokens else 0
    days_left = _days_left(now, terms.maturity_at)
    return PortfolioItem(
        offering_id=record.id,
        voucher_id=record.voucher_id,
        currency=terms.currency.code,
        cash_currency=terms.cash.code,
        tokens=format_minor(tokens, terms.currency),
        paid=format_minor(paid, terms.cash),
        face=format_minor(tokens, terms.currency),
        yield_to_maturity=str(compute_yield_to_maturity(tokens, paid, days_at_purchase, terms.day_count)),
        day_count=terms.day_count,
        discount_accrued=format_minor(
            compute_accrued_discount_minor(tokens, paid, days_at_purchase, days_left), terms.cash
        ),
        expected_payment_on=terms.maturity_at.date(),
        voucher_status=str(voucher_status(runtime.settings, voucher, now)),
        redeemed_tokens=format_minor(holding.redeemed_tokens_minor, terms.currency),
        redeemed_cash=format_minor(holding.redeemed_cash_minor, terms.cash),
    )


def portfolio(session: Session, runtime: Runtime, caller: Caller, page: PageRequest) -> Page[PortfolioItem]:
    fetched = repository.fetch_holdings_of(session, caller.address, page.after_id, page.limit + 1)
    holdings, next_cursor = page.page(fetched, lambda holding: (holding.offering_id,))
    now = fetch_ledger_now(runtime)
    return Page(
        items=[portfolio_item(session, runtime, holding, now) for holding in holdings],
        next_cursor=next_cursor,
    )


@dataclass
class _DayFigures:
    primary_cash: int = 0
    secondary_cash: int = 0
    primary_face: int = 0
    secondary_face: int = 0
    trades: int = 0
    rate_face: int = 0  # sum of rate_bps x face, for the face-weighted average rate

    def add(self, market: str, face: int, cash: int, rate_bps: int) -> None:
        if market == "primary":
            self.primary_cash += cash
            self.primary_face += face
        else:
            self.secondary_cash += cash
            self.secondary_face += face
        self.trades += 1
        self.rate_face += rate_bps * face


def _figures_key(row: FiguresRow) -> tuple[int, int, int]:
    """Rows by day, then each offering by id, then the platform's rows by currency."""
    if row.offering_id is not None:
        return (row.day.toordinal(), 0, row.offering_id)
    return (row.day.toordinal(), 1, sorted(CURRENCIES).index(row.currency))


def figures(
    session: Session, since: date, until: date, offering_id: int | None, page: PageRequest
) -> FiguresOut:
    """Per day (UTC) and offering, and per day and currency for the platform (offering_id None)."""
    if until < since:
        raise InvalidRequest("`to` is before `from`", field="to")
    if (until - since).days > 366:
        raise InvalidRequest("at most 366 days at a time", field="to")
    if offering_id is not None:
        require_offering(session, offering_id)
    start = datetime.combine(since, datetime.min.time(), tzinfo=UTC)
    end = datetime.combine(until + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    per_offering: dict[tuple[date, int], _DayFigures] = {}
    per_platform: dict[tuple[date, str], _DayFigures] = {}
    currencies: dict[int, str] = {}
    for trade in repository.fetch_trades(session, start, end, offering_id):
        if trade.offering_id not in currencies:
            offering = require_offering(session, trade.offering_id)
            currencies[trade.offering_id] = _voucher_of(session, offering).currency
        day = trade.traded_at.replace(tzinfo=UTC).date()
        args = (trade.market, trade.amount_minor, trade.cash_minor, trade.rate_bps)
        per_offering.setdefault((day, trade.offering_id), _DayFigures()).add(*args)
        per_platform.setdefault((day, currencies[trade.offering_id]), _DayFigures()).add(*args)
    rows = [
        _figures_row(day, offering, currencies[offering], day_figures)
        for (day, offering), day_figures in per_offering.items()
    ]
    if offering_id is None:
        rows += [
            _figures_row(day, None, currency, day_figures)
            for (day, currency), day_figures in per_platform.items()
        ]
    rows.sort(key=_figures_key)
    after = page.after
    if after is not None:
        rows = [row for row in rows if _figures_key(row) > after]
    items, next_cursor = page.page(rows[: page.limit + 1], _figures_key)
    return FiguresOut(rows=items, next_cursor=next_cursor)


def _figures_row(day: date, offering_id: int | None, code: str, figures_: _DayFigures) -> FiguresRow:
    currency = fetch_currency(code)
    face = figures_.primary_face + figures_.secondary_face
    cash = figures_.primary_cash + figures_.secondary_cash
    average = (Decimal(figures_.rate_face) / Decimal(face)).quantize(Decimal("0.01")) if face else Decimal(0)
    return FiguresRow(
        day=day,
        offering_id=offering_id,
        currency=currency.code,
        primary_volume=format_minor(figures_.primary_cash, currency),
        secondary_volume=format_minor(figures_.secondary_cash, currency),
        primary_face=format_minor(figures_.primary_face, currency),
        secondary_face=format_minor(figures_.secondary_face, currency),
        trades=figures_.trades,
        average_discount_rate_bps=str(average),
        premium_to_face=str(compute_premium_to_face(face, cash)),
    )


FIGURES_COLUMNS = (
    "day",
    "offering_id",
    "currency",
    "primary_volume",
    "secondary_volume",
    "primary_face",
    "secondary_face",
    "trades",
    "average_discount_rate_bps",
    "premium_to_face",
)


def render_figures_csv(report: FiguresOut) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(FIGURES_COLUMNS)
    for row in report.rows:
        values = row.model_dump(mode="json")
        writer.writerow(
            neutralise_cell(
                "platform" if column == "offering_id" and values[column] is None else values[column]
            )
            for column in FIGURES_COLUMNS
        )
    return buffer.getvalue()
