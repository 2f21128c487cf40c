"""Health and pausing of the whole ledger."""

from __future__ import annotations

from service.chain.abi import encode_call
from service.errors import LedgerAlreadyPaused, LedgerNotPaused
from service.ledger.schemas import HealthOut, PauseOut, WorkersOut
from service.runtime import Runtime, count_serving_workers


def fetch_paused(runtime: Runtime) -> bool:
    return bool(runtime.chain.read(runtime.chain.deployment.note, "paused()", [], ["bool"]))


def read_health(runtime: Runtime) -> HealthOut:
    head = runtime.chain.fetch_head()
    checkpoint = runtime.indexer.fetch_checkpoint()
    indexed = checkpoint[0] if checkpoint else None
    return HealthOut(
        status="ok",
        chain_id=runtime.chain.chain_id,
        chain_head=head,
        indexed_head=indexed,
        lag_blocks=None if indexed is None else max(head - indexed, 0),
        pending_operations=runtime.submitter.count_pending(),
        paused=fetch_paused(runtime),
        contracts=dict(runtime.chain.deployment.addresses),
        workers=_read_workers(runtime),
    )


def _read_workers(runtime: Runtime) -> WorkersOut:
    configured = runtime.settings.workers
    if runtime.worker_slot is None:  # the only process: the one answering
        return WorkersOut(configured=1, serving=1)
    return WorkersOut(configured=configured, serving=count_serving_workers(runtime.locks, configured))


def set_paused(runtime: Runtime, paused: bool, by: int) -> PauseOut:
    """Pauses or unpauses; asking for the state the ledger is in already is a 409 (one rule for both)."""
    if fetch_paused(runtime) == paused:
        if paused:
            raise LedgerAlreadyPaused("the ledger is paused already")
        raise LedgerNotPaused("the ledger is not paused")
    signature = "pause()" if paused else "unpause()"
    receipt = runtime.submitter.submit_operator_call(
        f"ledger.{signature[:-2]}", by, runtime.chain.deployment.note, encode_call(signature, [])
    )
    return PauseOut(paused=paused, transaction_hash=receipt.transaction_hash)
