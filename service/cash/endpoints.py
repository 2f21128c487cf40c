"""/v1/cash"""

from __future__ import annotations

from service.api.auth import AdminDep, CallerDep, RuntimeDep, SessionDep
from service.api.routing import LedgerRouter
from service.cash import service
from service.cash.schemas import CashBalance, CashCredit, CashCreditOut

router = LedgerRouter(prefix="/v1/cash", tags=["cash"])


@router.get("", response_model=list[CashBalance])
def list_balances(caller: CallerDep, runtime: RuntimeDep) -> list[CashBalance]:
    """The caller's settlement-cash balances, one per currency, read from the chain."""
    return service.list_balances(runtime, caller.address)


@router.post("/credits", status_code=201, response_model=CashCreditOut)
def credit(body: CashCredit, caller: AdminDep, session: SessionDep, runtime: RuntimeDep) -> CashCreditOut:
    """Credits test cash to a participant (admin, local chain only)."""
    return service.credit_test_cash(session, runtime, body, caller.participant_id)
