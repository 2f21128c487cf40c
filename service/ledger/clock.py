"""Reading the ledger's clock (`service.domain.clock`): the wall clock and the chain's latest block."""

from __future__ import annotations

from datetime import UTC, datetime

from service.runtime import Runtime


def fetch_ledger_now(runtime: Runtime) -> datetime:
    """The ledger's clock as a datetime (`ChainClient.fetch_time`)."""
    return datetime.fromtimestamp(runtime.chain.fetch_time(), UTC)
