"""/v1/vouchers/{voucher_id}/settlement..., /v1/notes/{token_id}/settlement-claims"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Depends, Query
from fastapi.responses import PlainTextResponse

from service.api.auth import CallerDep, RuntimeDep, SessionDep
from service.api.common import IdPath, SigningRequestOut
from service.api.csv_pages import CSV_PAGE_RESPONSES, csv_page
from service.api.pagination import PageRequest, page_request
from service.api.routing import LedgerRouter
from service.errors import JobNotFound
from service.settlement import repository, service
from service.settlement.schemas import (
    ClaimCreate,
    ClaimOut,
    FundingCreate,
    JobOut,
    PayoutRun,
    SettlementOut,
    SettlementReport,
)

router = LedgerRouter(tags=["settlement"])


@router.get("/v1/vouchers/{voucher_id}/settlement", response_model=SettlementOut)
def read_settlement(
    voucher_id: IdPath, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> SettlementOut:
    """Status (active, matured, overdue, defaulted, settled) and the cash funded, paid and available."""
    return service.read_settlement(session, runtime, caller, voucher_id)


@router.post("/v1/vouchers/{voucher_id}/settlement/fundings", status_code=201, response_model=SettlementOut)
def fund(
    voucher_id: IdPath, body: FundingCreate, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> SettlementOut:
    """The obligor pays (part of) what the voucher owes into its settlement, before or after maturity."""
    return service.fund(session, runtime, caller, voucher_id, body)


@router.post(
    "/v1/vouchers/{voucher_id}/settlement/fundings/signing-request", response_model=SigningRequestOut
)
def prepare_funding_signing(
    voucher_id: IdPath, body: FundingCreate, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> SigningRequestOut:
    """For an obligor with its own wallet: the forward request to sign for this funding."""
    return SigningRequestOut(
        **service.signing_request_for(session, runtime, caller, "fund", voucher_id, body)
    )


@router.post("/v1/vouchers/{voucher_id}/settlement/payouts", status_code=202, response_model=JobOut)
def run_payouts(
    voucher_id: IdPath,
    caller: CallerDep,
    session: SessionDep,
    runtime: RuntimeDep,
    body: PayoutRun | None = None,
) -> JobOut:
    """On or after maturity, starts a job that pays every holder of every piece from the funded cash, in
    batches sized to the block's gas; follow it at `GET /v1/jobs/{id}`."""
    return service.start_payouts(session, runtime, caller, voucher_id, body or PayoutRun())


@router.get("/v1/jobs/{job_id}", response_model=JobOut)
def read_job(job_id: IdPath, caller: CallerDep, session: SessionDep) -> JobOut:
    """A job's state and progress (pieces paid, cash paid, transactions): its starter and admins see it."""
    job = repository.fetch_job(session, job_id)
    if job is None or not (caller.is_admin or job.participant_id == caller.participant_id):
        raise JobNotFound(f"job {job_id} does not exist", job_id=job_id)
    return service.job_out(job)


@router.post("/v1/notes/{token_id}/settlement-claims", status_code=201, response_model=ClaimOut)
def claim(
    token_id: IdPath,
    caller: CallerDep,
    session: SessionDep,
    runtime: RuntimeDep,
    body: ClaimCreate | None = None,
) -> ClaimOut:
    """A holder collects its piece's payment itself."""
    return service.claim(session, runtime, caller, token_id, body)


@router.post("/v1/notes/{token_id}/settlement-claims/signing-request", response_model=SigningRequestOut)
def prepare_claim_signing(
    token_id: IdPath, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> SigningRequestOut:
    """For a holder with its own wallet: the forward request to sign for this claim."""
    return SigningRequestOut(**service.signing_request_for(session, runtime, caller, "claim", token_id))


@router.get(
    "/v1/vouchers/{voucher_id}/settlement/report",
    response_model=SettlementReport,
    responses=CSV_PAGE_RESPONSES,
)
def report(
    voucher_id: IdPath,
    caller: CallerDep,
    runtime: RuntimeDep,
    page: Annotated[PageRequest, Depends(page_request(parts=2))],
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> SettlementReport | PlainTextResponse:
    """Who was paid what and when, with transaction hashes, a page of rows at a time (JSON, or CSV with
    `?format=csv`, whose next page's cursor is the `Next-Cursor` header)."""
    # One snapshot: the outstanding value and the payments come from separate reads.
    with runtime.database.snapshot() as session:
        built = service.build_report(session, runtime, caller, voucher_id, page)
    if format == "csv":
        return csv_page(service.render_report_csv(built), built.next_cursor)
    return built
