"""/v1/vouchers"""

from __future__ import annotations

from typing import Annotated

from service.api.auth import Caller, CallerDep, RuntimeDep, SessionDep, require_roles
from service.api.common import IdPath
from service.api.pagination import Page, PageDep
from service.api.routing import LedgerRouter
from service.vouchers import service
from service.vouchers.schemas import LineageOut, VoucherCreate, VoucherOut

router = LedgerRouter(prefix="/v1/vouchers", tags=["vouchers"])
IssuerDep = Annotated[Caller, require_roles("admin", "obligor")]


@router.post("", status_code=201, response_model=VoucherOut)
def issue_voucher(
    body: VoucherCreate, caller: IssuerDep, session: SessionDep, runtime: RuntimeDep
) -> VoucherOut:
    """Issues a voucher as one ERC-3525 slot whose root token holds the whole face value."""
    voucher_id = service.issue_voucher(session, runtime, caller, body)
    return service.read_voucher(session, runtime, caller, voucher_id)


@router.get("", response_model=Page[VoucherOut])
def list_vouchers(
    caller: CallerDep, session: SessionDep, runtime: RuntimeDep, page: PageDep
) -> Page[VoucherOut]:
    """Vouchers the caller may see: all for admins, its own for obligors, those it holds pieces of."""
    return service.list_vouchers(session, runtime, caller, page)


@router.get("/{voucher_id}", response_model=VoucherOut)
def read_voucher(
    voucher_id: IdPath, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> VoucherOut:
    return service.read_voucher(session, runtime, caller, voucher_id)


@router.get("/{voucher_id}/lineage", response_model=LineageOut)
def read_lineage(voucher_id: IdPath, caller: CallerDep, runtime: RuntimeDep, page: PageDep) -> LineageOut:
    """The voucher's pieces by token id, each with its parent's: holder, value, depth, the transaction of
    each step. A flat list, paginated, so that a tree of any depth the contract allows can be read."""
    # One snapshot: the voucher's outstanding value and its pieces' total come from separate reads.
    with runtime.database.snapshot() as session:
        return service.read_lineage(session, caller, voucher_id, page)
