"""/v1/notes/{token_id}/offerings, /v1/offerings, /v1/listings, /v1/portfolio, /v1/market/figures"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Depends, Query
from fastapi.responses import PlainTextResponse
from pydantic import BeforeValidator

from service.api.auth import CallerDep, RuntimeDep, SessionDep
from service.api.common import ID_LIMIT, Amount, IdPath, IsoDate, SigningRequestOut, plain_digits
from service.api.csv_pages import CSV_PAGE_RESPONSES, csv_page
from service.api.pagination import Page, PageDep, PageRequest, page_request
from service.api.routing import LedgerRouter
from service.market import service
from service.market.schemas import (
    ActionCreate,
    CancellationOut,
    ClosureOut,
    CollectionOut,
    FiguresOut,
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
from service.settlement.schemas import JobOut

router = LedgerRouter(tags=["market"])
QueryId = Annotated[int | None, Query(ge=1, lt=ID_LIMIT), BeforeValidator(plain_digits)]


@router.post("/v1/notes/{token_id}/offerings", status_code=201, response_model=OfferingOut)
def open_offering(
    token_id: IdPath, body: OfferingCreate, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> OfferingOut:
    """The holder (any tier) offers part or all of its piece as yield tokens, one per minor unit of face
    value, priced by the vault at its discount rate from the days left."""
    return service.open_offering(session, runtime, caller, token_id, body)


@router.get("/v1/offerings", response_model=Page[OfferingOut])
def list_offerings(
    caller: CallerDep, session: SessionDep, runtime: RuntimeDep, page: PageDep, voucher_id: QueryId = None
) -> Page[OfferingOut]:
    """Every offering by id (optionally one voucher's), with the price of 1.00 of face value now."""
    return service.list_offerings(session, runtime, voucher_id, page)


@router.get("/v1/offerings/{offering_id}", response_model=OfferingOut)
def read_offering(
    offering_id: IdPath, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> OfferingOut:
    return service.read_offering(session, runtime, offering_id)


@router.get("/v1/offerings/{offering_id}/price", response_model=PriceOut)
def price(
    offering_id: IdPath,
    caller: CallerDep,
    session: SessionDep,
    runtime: RuntimeDep,
    amount: Annotated[Amount, Query(examples=["1000000.00"])],
) -> PriceOut:
    """What `amount` of face value costs now (the vault's price at the chain's clock)."""
    return service.price(session, runtime, offering_id, amount)


@router.post("/v1/offerings/{offering_id}/subscriptions", status_code=201, response_model=TradeOut)
def subscribe(
    offering_id: IdPath, body: SubscriptionCreate, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> TradeOut:
    """An investor (or financier) buys tokens: its cash to the seller, the tokens to it, at once."""
    return service.subscribe(session, runtime, caller, offering_id, body)


@router.post("/v1/offerings/{offering_id}/withdrawal", status_code=201, response_model=WithdrawalOut)
def withdraw(
    offering_id: IdPath, body: WithdrawalCreate, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> WithdrawalOut:
    """The seller takes unsold tokens back as a note piece of its own (before maturity)."""
    return service.withdraw(session, runtime, caller, offering_id, body)


@router.post("/v1/offerings/{offering_id}/closure", response_model=ClosureOut)
def close(
    offering_id: IdPath,
    caller: CallerDep,
    session: SessionDep,
    runtime: RuntimeDep,
    body: ActionCreate | None = None,
) -> ClosureOut:
    """The seller stops subscriptions (the offering closes by itself on its closing date)."""
    return service.close(session, runtime, caller, offering_id, body)


@router.post("/v1/offerings/{offering_id}/listings", status_code=201, response_model=ListingOut)
def create_listing(
    offering_id: IdPath, body: ListingCreate, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> ListingOut:
    """A token holder offers tokens to other investors at its own discount rate."""
    return service.create_listing(session, runtime, caller, offering_id, body)


@router.get("/v1/offerings/{offering_id}/listings", response_model=Page[ListingOut])
def list_listings(
    offering_id: IdPath, caller: CallerDep, session: SessionDep, runtime: RuntimeDep, page: PageDep
) -> Page[ListingOut]:
    return service.list_listings(session, runtime, offering_id, page)


@router.get("/v1/listings/{listing_id}", response_model=ListingOut)
def read_listing(
    listing_id: IdPath, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> ListingOut:
    return service.read_listing(session, runtime, listing_id)


@router.post("/v1/listings/{listing_id}/purchases", status_code=201, response_model=TradeOut)
def buy_listing(
    listing_id: IdPath, body: PurchaseCreate, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> TradeOut:
    """Buys listed tokens at the listing's rate for the days left: delivery versus payment."""
    return service.buy_listing(session, runtime, caller, listing_id, body)


@router.post("/v1/listings/{listing_id}/cancellation", response_model=CancellationOut)
def cancel_listing(
    listing_id: IdPath,
    caller: CallerDep,
    session: SessionDep,
    runtime: RuntimeDep,
    body: ActionCreate | None = None,
) -> CancellationOut:
    return service.cancel_listing(session, runtime, caller, listing_id, body)


@router.post("/v1/offerings/{offering_id}/collection", response_model=CollectionOut)
def collect(
    offering_id: IdPath, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> CollectionOut:
    """From maturity: the vault claims its piece's settlement cash (anyone may ask) and accounts it."""
    return service.collect(session, runtime, caller, offering_id)


@router.post("/v1/offerings/{offering_id}/redemptions", status_code=201, response_model=RedemptionOut)
def redeem(
    offering_id: IdPath,
    caller: CallerDep,
    session: SessionDep,
    runtime: RuntimeDep,
    body: ActionCreate | None = None,
) -> RedemptionOut:
    """A token holder burns its tokens for its pro-rata share of the cash the offering received."""
    return service.redeem(session, runtime, caller, offering_id, body)


@router.post("/v1/offerings/{offering_id}/redemption-runs", status_code=202, response_model=JobOut)
def start_redemption_run(
    offering_id: IdPath,
    caller: CallerDep,
    session: SessionDep,
    runtime: RuntimeDep,
    body: RedemptionRun | None = None,
) -> JobOut:
    """Once the offering's backing is paid in full: a job redeems every token holder in batches (admin
    or the seller); follow it at `GET /v1/jobs/{id}` (`pieces_*` count token holders)."""
    return service.start_redemption_run(session, runtime, caller, offering_id, body or RedemptionRun())


@router.get("/v1/portfolio", response_model=Page[PortfolioItem])
def portfolio(
    caller: CallerDep, session: SessionDep, runtime: RuntimeDep, page: PageDep
) -> Page[PortfolioItem]:
    """Per offering: tokens held, what they cost, the face they pay, yield to maturity, discount accrued."""
    return service.portfolio(session, runtime, caller, page)


@router.get(
    "/v1/market/figures",
    response_model=FiguresOut,
    responses=CSV_PAGE_RESPONSES,
)
def market_figures(
    caller: CallerDep,
    session: SessionDep,
    since: Annotated[IsoDate, Query(alias="from")],
    until: Annotated[IsoDate, Query(alias="to")],
    page: Annotated[PageRequest, Depends(page_request(parts=3))],
    offering_id: QueryId = None,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> FiguresOut | PlainTextResponse:
    """Per day (UTC): per offering, and per currency for the platform (`offering_id` null), the volume
    traded on the primary and secondary markets, trades, the average discount rate and the premium to
    face. JSON, or CSV with `?format=csv`."""
    built = service.figures(session, since, until, offering_id, page)
    if format == "csv":
        return csv_page(service.render_figures_csv(built), built.next_cursor)
    return built


# ------------------------------------------------------------------ for participants with their own wallet


def _signing(path: str) -> str:
    return f"{path}/signing-request"


@router.post(_signing("/v1/notes/{token_id}/offerings"), response_model=SigningRequestOut)
def prepare_opening(
    token_id: IdPath, body: OfferingCreate, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> SigningRequestOut:
    """For a holder with its own wallet: the forward request to sign for opening this offering."""
    return SigningRequestOut(**service.signing_request_for(session, runtime, caller, "open", token_id, body))


@router.post(_signing("/v1/offerings/{offering_id}/subscriptions"), response_model=SigningRequestOut)
def prepare_subscription(
    offering_id: IdPath, body: SubscriptionCreate, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> SigningRequestOut:
    """For an investor with its own wallet: the forward request to sign for this subscription."""
    return SigningRequestOut(
        **service.signing_request_for(session, runtime, caller, "subscribe", offering_id, body)
    )


@router.post(_signing("/v1/offerings/{offering_id}/withdrawal"), response_model=SigningRequestOut)
def prepare_withdrawal(
    offering_id: IdPath, body: WithdrawalCreate, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> SigningRequestOut:
    return SigningRequestOut(
        **service.signing_request_for(session, runtime, caller, "withdraw", offering_id, body)
    )


@router.post(_signing("/v1/offerings/{offering_id}/closure"), response_model=SigningRequestOut)
def prepare_closure(
    offering_id: IdPath, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> SigningRequestOut:
    return SigningRequestOut(**service.signing_request_for(session, runtime, caller, "close", offering_id))


@router.post(_signing("/v1/offerings/{offering_id}/listings"), response_model=SigningRequestOut)
def prepare_listing(
    offering_id: IdPath, body: ListingCreate, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> SigningRequestOut:
    return SigningRequestOut(
        **service.signing_request_for(session, runtime, caller, "list", offering_id, body)
    )


@router.post(_signing("/v1/listings/{listing_id}/purchases"), response_model=SigningRequestOut)
def prepare_purchase(
    listing_id: IdPath, body: PurchaseCreate, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> SigningRequestOut:
    return SigningRequestOut(**service.signing_request_for(session, runtime, caller, "buy", listing_id, body))


@router.post(_signing("/v1/listings/{listing_id}/cancellation"), response_model=SigningRequestOut)
def prepare_cancellation(
    listing_id: IdPath, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> SigningRequestOut:
    return SigningRequestOut(**service.signing_request_for(session, runtime, caller, "cancel", listing_id))


@router.post(_signing("/v1/offerings/{offering_id}/redemptions"), response_model=SigningRequestOut)
def prepare_redemption(
    offering_id: IdPath, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> SigningRequestOut:
    return SigningRequestOut(**service.signing_request_for(session, runtime, caller, "redeem", offering_id))
