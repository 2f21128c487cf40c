"""Exchange rates: each pair's latest answer and its age by the ledger's clock, the answers' history, the
oracle's submissions to the ledger's own feeds, and a cross-border piece's value in its settlement
currency (converted as `service.domain.fx` mirrors the contracts)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from service.api.acting import act_as_service, service_account_address
from service.api.answers import Answer, responds_to
from service.api.auth import Caller
from service.api.pagination import Page, PageRequest
from service.api.submit import carry_out
from service.chain.abi import checksum_address
from service.chain.deploy import feed_name
from service.db.models import FxFeed, Voucher
from service.domain.fx import (
    SETTLEMENT_VALUE_ROUNDING,
    FxRate,
    compute_settlement_minor,
    format_rate,
    is_rate_stale,
    parse_rate,
)
from service.domain.money import fetch_currency, format_minor
from service.errors import FxFeedExternal, FxPairNotFound, FxRateStale, FxRateUnavailable, LedgerError
from service.fx import repository
from service.fx.schemas import (
    FxAnswerOut,
    FxRateStatusOut,
    FxRateSubmitted,
    RateSubmit,
    SettlementValueOut,
)
from service.ledger.clock import fetch_ledger_now
from service.runtime import Runtime
from service.writer.outbox import OperationView

SUBMIT_KIND = "fx.submit_answer"
Pair = tuple[str, str]


@dataclass(frozen=True)
class RateStatus:
    """A pair's feed and its latest answer, judged by the ledger's clock as a payment would be."""

    base: str
    quote: str
    feed_address: str
    decimals: int
    max_age_seconds: int
    rate: FxRate | None
    stale: bool

    @property
    def usable(self) -> bool:
        return self.rate is not None and not self.stale


# Feed decimals by (chain, feed): Chainlink's never change, and the ledger's own feeds fix them at deployment.
_DECIMALS: dict[tuple[int, str], int] = {}
# Feeds the ledger's oracle account answers on, by (chain, feed), once seen to hold the role.
_OWN_FEEDS: set[tuple[int, str]] = set()


def fetch_feed_decimals(runtime: Runtime, feed: FxFeed) -> int:
    key = (runtime.chain.chain_id, feed.feed_address)
    if key not in _DECIMALS:
        _DECIMALS[key] = int(
            runtime.chain.read(runtime.chain.contracts.feed_at(feed.feed_address).call("decimals"))
        )
    return _DECIMALS[key]


def is_own_feed(runtime: Runtime, feed: FxFeed) -> bool:
    """Whether the ledger's oracle account may answer on the pair's feed: one of the deployment's own
    feeds that granted it the oracle role (an external Chainlink feed has no such role)."""
    key = (runtime.chain.chain_id, feed.feed_address)
    if key in _OWN_FEEDS:
        return True
    addresses = runtime.chain.deployment.addresses
    name = feed_name(feed.base, feed.quote)
    if checksum_address(addresses.get(name, "0x" + "0" * 40)) != checksum_address(feed.feed_address):
        return False
    handle = runtime.chain.contracts[name]
    try:
        role = runtime.chain.read(handle.call("ORACLE_ROLE"))
        held = bool(
            runtime.chain.read(handle.call("hasRole", role, service_account_address(runtime, "oracle")))
        )
    except LedgerError:
        return False
    if held:
        _OWN_FEEDS.add(key)
    return held


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _external_answer(runtime: Runtime, feed: FxFeed, decimals: int) -> FxRate | None:
    """An external feed's latest round, read from the chain (its events are not indexed)."""
    handle = runtime.chain.contracts.feed_at(feed.feed_address)
    try:
        round_id, answer, _started, updated_at, _answered = runtime.chain.read(handle.call("latestRoundData"))
    except LedgerError:
        return None
    if int(answer) <= 0 or int(updated_at) == 0:
        return None
    return FxRate(int(answer), decimals, int(round_id), datetime.fromtimestamp(int(updated_at), UTC))


def fetch_rate_statuses(
    session: Session, runtime: Runtime, feeds: Sequence[FxFeed], now: datetime
) -> list[RateStatus]:
    """The feeds' latest answers (the index's for the ledger's own feeds), judged at `now`."""
    latest = repository.fetch_latest_answers(session, {feed.feed_address for feed in feeds})
    statuses = []
    for feed in feeds:
        decimals = fetch_feed_decimals(runtime, feed)
        answer = latest.get(feed.feed_address)
        rate = (
            FxRate(int(answer.answer), decimals, int(answer.round_id), _utc(answer.updated_at))
            if answer is not None
            else None
            if is_own_feed(runtime, feed)
            else _external_answer(runtime, feed, decimals)
        )
        statuses.append(
            RateStatus(
                base=feed.base,
                quote=feed.quote,
                feed_address=feed.feed_address,
                decimals=decimals,
                max_age_seconds=feed.max_age_seconds,
                rate=rate,
                stale=rate is not None and is_rate_stale(rate.updated_at, feed.max_age_seconds, now),
            )
        )
    return statuses


def fetch_rate_statuses_of_pairs(
    session: Session, runtime: Runtime, pairs: Iterable[Pair], now: datetime
) -> dict[Pair, RateStatus]:
    feeds = repository.fetch_feeds_of_pairs(session, pairs)
    statuses = fetch_rate_statuses(session, runtime, list(feeds.values()), now)
    return {(status.base, status.quote): status for status in statuses}


def status_out(runtime: Runtime, feed: FxFeed, status: RateStatus) -> FxRateStatusOut:
    rate = status.rate
    return FxRateStatusOut(
        base=status.base,
        quote=status.quote,
        rate=format_rate(rate.answer, rate.decimals) if rate else None,
        decimals=status.decimals,
        round_id=str(rate.round_id) if rate else None,
        updated_at=rate.updated_at if rate else None,
        max_age_seconds=status.max_age_seconds,
        stale=status.stale,
        usable=status.usable,
        feed_address=status.feed_address,
        own_feed=is_own_feed(runtime, feed),
    )


def _pair_key(feed: FxFeed) -> tuple[int, int]:
    """A pair as the listing's cursor holds it: each code's ASCII letters as one integer (ordered as the
    codes are)."""
    return int.from_bytes(feed.base.encode("ascii"), "big"), int.from_bytes(feed.quote.encode("ascii"), "big")


def _pair_of_key(key: tuple[int, ...]) -> Pair:
    def code(number: int) -> str:
        return number.to_bytes(max(1, (number.bit_length() + 7) // 8), "big").decode("ascii", "replace")

    return code(key[0]), code(key[1])


def list_rates(session: Session, runtime: Runtime, page: PageRequest) -> Page[FxRateStatusOut]:
    after = _pair_of_key(page.after) if page.after else None
    fetched = repository.fetch_feeds(session, after, page.limit + 1)
    feeds, next_cursor = page.page(fetched, _pair_key)
    statuses = fetch_rate_statuses(session, runtime, feeds, fetch_ledger_now(runtime))
    return Page(
        items=[status_out(runtime, feed, status) for feed, status in zip(feeds, statuses, strict=True)],
        next_cursor=next_cursor,
    )


def require_feed(session: Session, base: str, quote: str) -> FxFeed:
    feed = repository.fetch_feed(session, base, quote)
    if feed is None:
        raise FxPairNotFound(f"no feed gives the {base}/{quote} exchange rate", base=base, quote=quote)
    return feed


def list_history(
    session: Session, runtime: Runtime, base: str, quote: str, page: PageRequest
) -> Page[FxAnswerOut]:
    """The answers of the pair's feed, newest first (the ledger's own feeds: every answer is indexed)."""
    feed = require_feed(session, base, quote)
    decimals = fetch_feed_decimals(runtime, feed)
    fetched = repository.fetch_answers(session, feed.feed_address, page.after, page.limit + 1)
    answers, next_cursor = page.page(fetched, lambda row: (row.block_number, row.log_index))
    return Page(
        items=[
            FxAnswerOut(
                round_id=str(int(answer.round_id)),
                rate=format_rate(int(answer.answer), decimals),
                updated_at=_utc(answer.updated_at),
                oracle_address=answer.oracle_address,
                transaction_hash=answer.transaction_hash,
                block_number=answer.block_number,
            )
            for answer in answers
        ],
        next_cursor=next_cursor,
    )


def submit_rate(
    session: Session, runtime: Runtime, caller: Caller, base: str, quote: str, body: RateSubmit
) -> FxRateSubmitted:
    """The oracle's answer for the pair, submitted to the ledger's own feed by the service's oracle
    account: a new round, which every payment converts at from then on (until it is too old)."""
    feed = require_feed(session, base, quote)
    if not is_own_feed(runtime, feed):
        raise FxFeedExternal(
            f"the {base}/{quote} rate comes from an external feed: the ledger's oracle cannot answer on it",
            base=base,
            quote=quote,
        )
    decimals = fetch_feed_decimals(runtime, feed)
    answer = parse_rate(body.rate, decimals)
    handle = runtime.chain.contracts[feed_name(base, quote)]
    intent = act_as_service(
        runtime,
        "oracle",
        SUBMIT_KIND,
        handle.address,
        handle.calldata("submitAnswer", answer),
        payload={"base": base, "quote": quote, "decimals": decimals},
    )
    [done] = carry_out(runtime, [intent], participant_id=caller.participant_id, session=session)
    return build_submitted(done)


def build_submitted(operation: OperationView) -> FxRateSubmitted:
    payload = operation.payload or {}
    [submitted] = operation.events("FxAnswerSubmitted")
    args = submitted["args"]
    assert operation.transaction_hash is not None and operation.block_number is not None
    return FxRateSubmitted(
        base=str(payload["base"]),
        quote=str(payload["quote"]),
        rate=format_rate(int(args["answer"]), int(payload["decimals"])),
        round_id=str(int(args["roundId"])),
        updated_at=datetime.fromtimestamp(int(args["updatedAt"]), UTC),
        transaction_hash=operation.transaction_hash,
        block_number=operation.block_number,
    )


@responds_to(SUBMIT_KIND)
def answer_submission(_runtime: Runtime, _session: Session, operations: Sequence[OperationView]) -> Answer:
    return 201, build_submitted(operations[0]).model_dump(mode="json")


# ------------------------------------------------------------------------- value in settlement currency


def settlement_value(
    value_minor: int, voucher: Voucher, status: RateStatus | None
) -> tuple[SettlementValueOut | None, str | None]:
    """A cross-border piece's value in the settlement currency at the latest rate, rounded down as a
    payout would pay it; or None and why not (the code a payment would be refused with)."""
    if status is None or status.rate is None:
        return None, FxRateUnavailable.code
    if status.stale:
        return None, FxRateStale.code
    rate = status.rate
    cash = fetch_currency(voucher.settlement_currency)
    return (
        SettlementValueOut(
            amount=format_minor(compute_settlement_minor(value_minor, rate, SETTLEMENT_VALUE_ROUNDING), cash),
            currency=cash.code,
            rate=format_rate(rate.answer, rate.decimals),
            round_id=str(rate.round_id),
            as_of=rate.updated_at,
            rounding=SETTLEMENT_VALUE_ROUNDING,
        ),
        None,
    )
