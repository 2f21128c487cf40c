"""/v1/vouchers/{voucher_id}/settlement..., /v1/notes/{token_id}/settlement-claims"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Depends, Query
from fastapi.responses import PlainTextResponse

from service.api.auth import CallerDep, RuntimeDep, SessionDep
from service.api.common import IdPath
from service.api.pagination import PageRequest, page_request
from service.api.routing import LedgerRouter
from service.settlement import service
from service.settlement.schemas import (
    ClaimOut,
    FundingCreate,
    PayoutRun,
    PayoutRunOut,
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


@router.post("/v1/vouchers/{voucher_id}/settlement/payouts", response_model=PayoutRunOut)
def run_payouts(
    voucher_id: IdPath,
    caller: CallerDep,
    session: SessionDep,
    runtime: RuntimeDep,
    body: PayoutRun | None = None,
) -> PayoutRunOut:
    """On or after maturity, pays every holder of every piece from the funded cash, in batches."""
    return service.run_payouts(session, runtime, caller, voucher_id, body or PayoutRun())


@router.post("/v1/notes/{token_id}/settlement-claims", status_code=201, response_model=ClaimOut)
def claim(token_id: IdPath, caller: CallerDep, session: SessionDep, runtime: RuntimeDep) -> ClaimOut:
    """A holder collects its piece's payment itself."""
    return service.claim(session, runtime, caller, token_id)


NEXT_CURSOR_HEADER = "Next-Cursor"


@router.get(
    "/v1/vouchers/{voucher_id}/settlement/report",
    response_model=SettlementReport,
    responses={
        200: {
            "content": {"text/csv": {"schema": {"type": "string"}}},
            "headers": {
                NEXT_CURSOR_HEADER: {
                    "description": "CSV only: the cursor of the next page of rows, absent on the last.",
                    "schema": {"type": "string"},
                }
            },
        }
    },
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
        headers = {NEXT_CURSOR_HEADER: built.next_cursor} if built.next_cursor else None
        return PlainTextResponse(service.render_report_csv(built), media_type="text/csv", headers=headers)
    return built
