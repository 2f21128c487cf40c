"""Health and pausing of the whole ledger."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.api.acting import act_as_service
from service.api.answers import Answer, responds_to
from service.api.submit import carry_out
from service.db.models import Operation
from service.domain.operations import OperationState
from service.errors import LedgerAlreadyPaused, LedgerNotPaused
from service.ledger.schemas import HealthOut, PauseOut, PauseRequest, WriterOut
from service.runtime import Runtime
from service.writer.outbox import OperationView

PAUSE_KIND = "ledger.pause"
UNPAUSE_KIND = "ledger.unpause"


def fetch_paused(runtime: Runtime) -> bool:
    return bool(runtime.chain.read(runtime.chain.contracts.note.call("paused")))


def read_health(runtime: Runtime) -> HealthOut:
    from service.index.indexer import Indexer

    head, ledger_time = runtime.chain.fetch_head_and_time()
    checkpoint = Indexer.read_checkpoint(runtime.database, runtime.chain.chain_id)
    indexed = checkpoint[0] if checkpoint else None
    return HealthOut(
        status="ok",
        chain_id=runtime.chain.chain_id,
        chain_head=head,
        ledger_time=datetime.fromtimestamp(ledger_time, UTC),
        indexed_head=indexed,
        lag_blocks=None if indexed is None else max(head - indexed, 0),
        pending_operations=_count_pending(runtime),
        paused=fetch_paused(runtime),
        contracts=dict(runtime.chain.deployment.addresses),
        writer=WriterOut(in_this_process=runtime.writer is not None and runtime.writer.running),
    )


def _count_pending(runtime: Runtime) -> int:
    with runtime.database.engine.connect() as connection:
        return int(
            connection.execute(
                select(func.count()).where(
                    Operation.state.in_([OperationState.QUEUED, OperationState.SIGNED])
                )
            ).scalar_one()
        )


def set_paused(
    session: Session, runtime: Runtime, paused: bool, by: int, body: PauseRequest | None = None
) -> PauseOut:
    """Pauses (or resumes) every movement of notes on chain, as the service's pauser account; asking for
    the state the ledger is in already is a 409 (one rule for both)."""
    if fetch_paused(runtime) == paused:
        if paused:
            raise LedgerAlreadyPaused("the ledger is paused already")
        raise LedgerNotPaused("the ledger is not paused")
    note = runtime.chain.contracts.note
    intent = act_as_service(
        runtime,
        "pauser",
        PAUSE_KIND if paused else UNPAUSE_KIND,
        note.address,
        note.calldata("pause" if paused else "unpause"),
        payload={
            "reason": body.reason.value if body and body.reason else None,
            "note": body.note if body else None,
        },
    )
    [done] = carry_out(runtime, [intent], participant_id=by, session=session)
    return build_pause_out(done)


def build_pause_out(operation: OperationView) -> PauseOut:
    assert operation.transaction_hash is not None
    return PauseOut(paused=operation.kind == PAUSE_KIND, transaction_hash=operation.transaction_hash)


@responds_to(PAUSE_KIND, UNPAUSE_KIND)
def answer_pause(_runtime: Runtime, _session: Session, operations: Sequence[OperationView]) -> Answer:
    return 200, build_pause_out(operations[0]).model_dump(mode="json")
