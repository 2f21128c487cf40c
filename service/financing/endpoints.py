"""/v1/financing/terms, /v1/notes/{token_id}/financing-quotes, /v1/financing-quotes"""

from __future__ import annotations

from typing import Annotated

from service.api.auth import Caller, CallerDep, RuntimeDep, SessionDep, require_roles
from service.api.common import IdPath, SigningRequestOut
from service.api.pagination import Page, PageDep
from service.api.routing import LedgerRouter
from service.financing import repository, service
from service.financing.schemas import (
    ExecutionCreate,
    ExecutionOut,
    QuoteCreate,
    QuoteOut,
    TermsCreate,
    TermsOut,
)
from service.ledger.clock import fetch_ledger_now

router = LedgerRouter(tags=["financing"])
FinancierDep = Annotated[Caller, require_roles("financier")]


@router.post("/v1/financing/terms", status_code=201, response_model=TermsOut)
def publish_terms(
    body: TermsCreate, caller: FinancierDep, session: SessionDep, runtime: RuntimeDep
) -> TermsOut:
    """A financier publishes the terms on which it buys pieces: rate, conventions, eligibility, budget."""
    return service.create_terms(session, runtime, caller, body)


@router.get("/v1/financing/terms", response_model=Page[TermsOut])
def list_terms(caller: CallerDep, session: SessionDep, page: PageDep) -> Page[TermsOut]:
    """Every active offer, by id, so a holder at any tier can compare financiers."""
    fetched = repository.fetch_active_terms(session, page.after_id, page.limit + 1)
    rows, next_cursor = page.page(fetched, lambda terms: (terms.id,))
    return Page(items=[service.terms_to_out(session, terms) for terms in rows], next_cursor=next_cursor)


@router.post("/v1/financing/terms/{terms_id}/withdrawal", response_model=TermsOut)
def withdraw_terms(
    terms_id: IdPath, caller: FinancierDep, session: SessionDep, runtime: RuntimeDep
) -> TermsOut:
    """Stops new quotes and voids the open ones on chain, so none signed earlier can still be executed."""
    return service.withdraw_terms(session, runtime, caller, terms_id)


@router.post("/v1/notes/{token_id}/financing-quotes", status_code=201, response_model=QuoteOut)
def request_quote(
    token_id: IdPath, body: QuoteCreate, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> QuoteOut:
    """A holder asks for a quote on (part of) its piece; the financier's key signs it, valid a few minutes."""
    return service.create_quote(session, runtime, caller, token_id, body)


@router.get("/v1/financing-quotes/{quote_id}", response_model=QuoteOut)
def read_quote(quote_id: IdPath, caller: CallerDep, session: SessionDep, runtime: RuntimeDep) -> QuoteOut:
    return service.quote_to_out(
        session, service.read_quote(session, caller, quote_id), fetch_ledger_now(runtime)
    )


@router.post("/v1/financing-quotes/{quote_id}/execution", status_code=201, response_model=ExecutionOut)
def execute_quote(
    quote_id: IdPath,
    caller: CallerDep,
    session: SessionDep,
    runtime: RuntimeDep,
    body: ExecutionCreate | None = None,
) -> ExecutionOut:
    """Sells the quoted value: note value to the financier, cash to the seller, one transaction (T+0, DvP)."""
    return service.execute_quote(session, runtime, caller, quote_id, body)


@router.post("/v1/financing-quotes/{quote_id}/execution/signing-request", response_model=SigningRequestOut)
def prepare_execution_signing(
    quote_id: IdPath, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> SigningRequestOut:
    """For a seller with its own wallet: the EIP-712 forward request to sign for this execution."""
    return SigningRequestOut(**service.prepare_execution_signing(session, runtime, caller, quote_id))
