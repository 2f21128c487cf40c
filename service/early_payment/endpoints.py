"""/v1/vouchers/{voucher_id}/early-payment-programmes, /v1/early-payment-programmes"""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from service.api.auth import CallerDep, RuntimeDep, SessionDep
from service.api.common import Amount, IdPath, SigningRequestOut
from service.api.pagination import Page, PageDep
from service.api.routing import LedgerRouter
from service.early_payment import service
from service.early_payment.schemas import (
    ClosureCreate,
    ClosureOut,
    EarlyPaymentQuoteOut,
    ProgrammeCreate,
    ProgrammeOut,
    RedemptionCreate,
    RedemptionOut,
)

router = LedgerRouter(tags=["early payment"])


@router.post(
    "/v1/vouchers/{voucher_id}/early-payment-programmes", status_code=201, response_model=ProgrammeOut
)
def open_programme(
    voucher_id: IdPath, body: ProgrammeCreate, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> ProgrammeOut:
    """The obligor escrows a budget and offers early payment at an annual rate until the cut-off date."""
    return service.open_programme(session, runtime, caller, voucher_id, body)


@router.get("/v1/vouchers/{voucher_id}/early-payment-programmes", response_model=Page[ProgrammeOut])
def list_programmes(
    voucher_id: IdPath, caller: CallerDep, session: SessionDep, page: PageDep
) -> Page[ProgrammeOut]:
    """The voucher's programmes by id."""
    return service.list_programmes(session, caller, voucher_id, page)


@router.get("/v1/early-payment-programmes/{programme_id}", response_model=ProgrammeOut)
def read_programme(programme_id: IdPath, caller: CallerDep, session: SessionDep) -> ProgrammeOut:
    return service.read_programme(session, caller, programme_id)


@router.get("/v1/early-payment-programmes/{programme_id}/quote", response_model=EarlyPaymentQuoteOut)
def quote(
    programme_id: IdPath,
    caller: CallerDep,
    session: SessionDep,
    runtime: RuntimeDep,
    amount: Annotated[Amount, Query(examples=["5000000.00"])],
) -> EarlyPaymentQuoteOut:
    """What taking early payment on `amount` pays today: the earlier, the bigger the discount."""
    return service.quote_early_payment(session, runtime, caller, programme_id, amount)


@router.post(
    "/v1/early-payment-programmes/{programme_id}/redemptions", status_code=201, response_model=RedemptionOut
)
def take_early_payment(
    programme_id: IdPath, body: RedemptionCreate, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> RedemptionOut:
    """A holder at any tier redeems (part of) its piece now: value burned, discounted cash paid."""
    return service.take_early_payment(session, runtime, caller, programme_id, body)


@router.post("/v1/early-payment-programmes/{programme_id}/closure", response_model=ClosureOut)
def close_programme(
    programme_id: IdPath,
    caller: CallerDep,
    session: SessionDep,
    runtime: RuntimeDep,
    body: ClosureCreate | None = None,
) -> ClosureOut:
    """The obligor closes the programme and takes back the unspent budget."""
    return service.close_programme(session, runtime, caller, programme_id, body)


@router.post(
    "/v1/vouchers/{voucher_id}/early-payment-programmes/signing-request", response_model=SigningRequestOut
)
def prepare_opening_signing(
    voucher_id: IdPath, body: ProgrammeCreate, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> SigningRequestOut:
    """For an obligor with its own wallet: the forward request to sign for opening this programme."""
    return SigningRequestOut(
        **service.signing_request_for(session, runtime, caller, "open", voucher_id, body)
    )


@router.post(
    "/v1/early-payment-programmes/{programme_id}/redemptions/signing-request",
    response_model=SigningRequestOut,
)
def prepare_redemption_signing(
    programme_id: IdPath, body: RedemptionCreate, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> SigningRequestOut:
    """For a holder with its own wallet: the forward request to sign for this early payment."""
    return SigningRequestOut(
        **service.signing_request_for(session, runtime, caller, "take", programme_id, body)
    )


@router.post(
    "/v1/early-payment-programmes/{programme_id}/closure/signing-request", response_model=SigningRequestOut
)
def prepare_closure_signing(
    programme_id: IdPath, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> SigningRequestOut:
    """For an obligor with its own wallet: the forward request to sign for closing the programme."""
    return SigningRequestOut(**service.signing_request_for(session, runtime, caller, "close", programme_id))
