"""/v1/health and /v1/ledger"""

from __future__ import annotations

from service.api.auth import AdminDep, RuntimeDep, SessionDep
from service.api.routing import LedgerRouter
from service.ledger import service
from service.ledger.reconcile import reconcile
from service.ledger.schemas import HealthOut, PauseOut, ReconcileOut

router = LedgerRouter(prefix="/v1", tags=["ledger"])


@router.get("/health", response_model=HealthOut)
def health(runtime: RuntimeDep) -> HealthOut:
    """Chain head, indexed head, their lag and operations still in flight. No key needed."""
    return service.read_health(runtime)


@router.post("/ledger/pause", response_model=PauseOut)
def pause(caller: AdminDep, session: SessionDep, runtime: RuntimeDep) -> PauseOut:
    """Stops issuance and every transfer on chain until unpaused (admin only)."""
    return service.set_paused(session, runtime, True, caller.participant_id)


@router.post("/ledger/unpause", response_model=PauseOut)
def unpause(caller: AdminDep, session: SessionDep, runtime: RuntimeDep) -> PauseOut:
    return service.set_paused(session, runtime, False, caller.participant_id)


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
