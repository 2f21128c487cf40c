"""/v1/vouchers/{voucher_id}/milestones"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from service.api.auth import Caller, CallerDep, RuntimeDep, SessionDep, require_roles
from service.api.common import IdPath
from service.api.pagination import PageRequest, page_request
from service.api.routing import LedgerRouter
from service.logistics import service
from service.logistics.schemas import MilestoneAttest, MilestoneOut, MilestonesOut

router = LedgerRouter(tags=["logistics"])
OracleDep = Annotated[Caller, require_roles("oracle")]
StreamPageDep = Annotated[PageRequest, Depends(page_request(parts=2))]


@router.post("/v1/vouchers/{voucher_id}/milestones", status_code=201, response_model=MilestoneOut)
def attest_milestone(
    voucher_id: IdPath, body: MilestoneAttest, caller: OracleDep, session: SessionDep, runtime: RuntimeDep
) -> MilestoneOut:
    """An oracle attests that the voucher's goods were shipped, cleared customs or were delivered, with
    the evidence's hash (or the evidence text, hashed with SHA-256); recorded on chain by the service's
    oracle account. Financing quotes that require the milestone can be executed from then on."""
    return service.attest(session, runtime, caller, voucher_id, body)


@router.get("/v1/vouchers/{voucher_id}/milestones", response_model=MilestonesOut)
def list_milestones(
    voucher_id: IdPath, caller: CallerDep, session: SessionDep, page: StreamPageDep
) -> MilestonesOut:
    """The voucher's milestone and its attestations, oldest first (its obligor and holders, and staff)."""
    return service.list_milestones(session, caller, voucher_id, page)
