"""Reading the ledger's clock (`service.domain.clock`): the wall clock and the chain's latest block."""

from __future__ import annotations

from datetime import UTC, datetime

from service.domain.clock import compute_ledger_now
from service.runtime import Runtime


def fetch_ledger_now(runtime: Runtime) -> datetime:
    latest_block_at = datetime.fromtimestamp(runtime.chain.fetch_time(), UTC)
    return compute_ledger_now(datetime.now(UTC), latest_block_at)
