"""The ledger's one clock, by which every lifecycle rule is judged: issuance (is the maturity in the
future?), quotes (their days to maturity and expiry), programmes (their cut-off), maturity and
settlement status.

It is the later of the wall clock and the latest block's timestamp: the least time the next block
will carry, and so the time a transaction sent now is judged by. The latest block alone runs slow
on a chain that mines only when there is a transaction (an embedded Anvil idle for five minutes
dated a fresh quote five minutes back, so it expired before its TTL); the wall clock alone runs
slow against a chain moved ahead (a test network's `evm_increaseTime`, or a node's clock ahead of
ours).
"""

from __future__ import annotations

from datetime import datetime


def compute_ledger_now(wall_clock: datetime, latest_block_at: datetime) -> datetime:
    return max(wall_clock, latest_block_at)
