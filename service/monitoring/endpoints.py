"""/v1/monitoring: cross-border payments for the regulator (administrators and compliance agents)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Depends, Header, Query
from fastapi.responses import PlainTextResponse
from pydantic import BeforeValidator

from service.api.auth import Caller, SessionDep, require_roles
from service.api.common import ID_LIMIT, plain_digits
from service.api.csv_pages import CSV_MEDIA_TYPE, CSV_PAGE_RESPONSES, csv_page
from service.api.pagination import PageDep, PageRequest, page_request
from service.api.routing import LedgerRouter
from service.monitoring import service
from service.monitoring.schemas import CrossBorderPaymentsPage, CrossBorderSummaryPage

router = LedgerRouter(prefix="/v1/monitoring", tags=["monitoring"])
MonitorDep = Annotated[Caller, require_roles("admin", "compliance_agent")]
StreamPageDep = Annotated[PageRequest, Depends(page_request(parts=2))]


def _wants_csv(format: str | None, accept: str | None) -> bool:
    """`?format=csv`, or no format and an Accept header that prefers CSV to JSON."""
    if format is not None:
        return format == "csv"
    return CSV_MEDIA_TYPE in (accept or "") and "application/json" not in (accept or "")


@router.get(
    "/cross-border-payments",
    response_model=CrossBorderPaymentsPage,
    responses=CSV_PAGE_RESPONSES,
)
def list_cross_border_payments(
    caller: MonitorDep,
    session: SessionDep,
    page: StreamPageDep,
    voucher_id: Annotated[
        int | None,
        Query(ge=1, lt=ID_LIMIT, description="Only this voucher's payments."),
        BeforeValidator(plain_digits),
    ] = None,
    format: Annotated[Literal["json", "csv"] | None, Query(description="Default: JSON.")] = None,
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> CrossBorderPaymentsPage | PlainTextResponse:
    """Every payment for note value that converted currencies or whose payer and payee are of different
    countries, in chain order: value and cash with their currencies, the rate, its round and time, both
    parties with their countries then, the transfer cap in force, the transaction. JSON, or CSV with
    `?format=csv` (or `Accept: text/csv`), whose next page's cursor is the `Next-Cursor` header."""
    built = service.list_payments(session, voucher_id, page)
    if _wants_csv(format, accept):
        return csv_page(service.render_payments_csv(built), built.next_cursor)
    return built


@router.get("/cross-border-summary", response_model=CrossBorderSummaryPage)
def cross_border_summary(caller: MonitorDep, session: SessionDep, page: PageDep) -> CrossBorderSummaryPage:
    """Per cross-border voucher: the value paid onshore in CNY (at maturity or early) and its share of the
    face value, and what financiers bought."""
    return service.list_summaries(session, page)
