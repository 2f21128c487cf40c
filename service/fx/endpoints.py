"""/v1/fx/rates"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path

from service.api.auth import Caller, CallerDep, RuntimeDep, SessionDep, require_roles
from service.api.pagination import Page, PageRequest, page_request
from service.api.routing import LedgerRouter
from service.fx import service
from service.fx.schemas import FxAnswerOut, FxRateStatusOut, FxRateSubmitted, RateSubmit

router = LedgerRouter(prefix="/v1/fx", tags=["fx"])
OracleDep = Annotated[Caller, require_roles("oracle")]
PairPageDep = Annotated[PageRequest, Depends(page_request(parts=2))]
CurrencyPath = Annotated[str, Path(min_length=3, max_length=3, pattern=r"^[A-Z]{3}$", examples=["USD"])]


@router.get("/rates", response_model=Page[FxRateStatusOut])
def list_rates(
    caller: CallerDep, session: SessionDep, runtime: RuntimeDep, page: PairPageDep
) -> Page[FxRateStatusOut]:
    """Every configured currency pair's latest rate, round and time, and whether it is stale by the
    ledger's clock (a payment converting at it would be refused), by pair."""
    return service.list_rates(session, runtime, page)


@router.get("/rates/{base}/{quote}/history", response_model=Page[FxAnswerOut])
def list_history(
    base: CurrencyPath,
    quote: CurrencyPath,
    caller: CallerDep,
    session: SessionDep,
    runtime: RuntimeDep,
    page: PairPageDep,
) -> Page[FxAnswerOut]:
    """The answers the pair's feed was given, newest first."""
    return service.list_history(session, runtime, base, quote, page)


@router.post("/rates/{base}/{quote}", status_code=201, response_model=FxRateSubmitted)
def submit_rate(
    base: CurrencyPath,
    quote: CurrencyPath,
    body: RateSubmit,
    caller: OracleDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> FxRateSubmitted:
    """The oracle's new rate for the pair (oracles only): a new round on the ledger's own feed, sent by
    the service's oracle account. Pairs pointed at an external feed (Chainlink) are answered there."""
    return service.submit_rate(session, runtime, caller, base, quote, body)
