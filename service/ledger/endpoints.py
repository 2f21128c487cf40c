"""/v1/health and /v1/ledger"""

from __future__ import annotations

from typing import Annotated

from service.api.auth import AdminDep, Caller, RuntimeDep, SessionDep, require_roles
from service.api.routing import LedgerRouter
from service.ledger import service
from service.ledger.reconcile import reconcile
from service.ledger.schemas import HealthOut, PauseOut, PauseRequest, ReconcileOut

router = LedgerRouter(prefix="/v1", tags=["ledger"])
# Pausing is an emergency brake: the administrator runs the ledger, a compliance agent may have to stop it
# at a regulator's request; either way the service's pauser account signs (docs/compliance.md).
PauserDep = Annotated[Caller, require_roles("admin", "compliance_agent")]


@router.get("/health", response_model=HealthOut)
def health(runtime: RuntimeDep) -> HealthOut:
    """Chain head, indexed head, their lag and operations still in flight. No key needed."""
    return service.read_health(runtime)


@router.post("/ledger/pause", response_model=PauseOut)
def pause(
    caller: PauserDep, session: SessionDep, runtime: RuntimeDep, body: PauseRequest | None = None
) -> PauseOut:
    """Stops issuance and every transfer on chain until unpaused (administrators and compliance agents;
    an optional reason is kept with the action in the compliance audit trail)."""
    return service.set_paused(session, runtime, True, caller.participant_id, body)


@router.post("/ledger/unpause", response_model=PauseOut)
def unpause(
    caller: PauserDep, session: SessionDep, runtime: RuntimeDep, body: PauseRequest | None = None
) -> PauseOut:
    return service.set_paused(session, runtime, False, caller.participant_id, body)


@router.get("/ledger/reconciliation", response_model=ReconcileOut)
def reconciliation(caller: AdminDep, runtime: RuntimeDep) -> ReconcileOut:
    """Compares every indexed token and voucher with the chain at the indexed block (admin only)."""
    report = reconcile(runtime)
    return ReconcileOut(
        clean=report.clean,
        block_number=report.block_number,
        tokens_checked=report.tokens_checked,
        vouchers_checked=report.vouchers_checked,
        operations_checked=report.operations_checked,
        quotes_checked=report.quotes_checked,
        differences=report.differences,
        differing_token_ids=report.differing_token_ids,
    )
