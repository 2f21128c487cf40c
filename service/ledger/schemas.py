"""Ledger-wide responses."""

from __future__ import annotations

from pydantic import BaseModel, Field


class WorkersOut(BaseModel):
    configured: int = Field(description="Worker processes `cascade serve` runs (WORKERS).")
    serving: int = Field(description="Of those, how many are up and serving (restarted ones included).")


class HealthOut(BaseModel):
    status: str
    chain_id: int
    chain_head: int
    indexed_head: int | None
    lag_blocks: int | None
    pending_operations: int
    paused: bool
    contracts: dict[str, str]
    workers: WorkersOut


class PauseOut(BaseModel):
    paused: bool
    transaction_hash: str


class ReconcileOut(BaseModel):
    clean: bool
    block_number: int
    tokens_checked: int
    vouchers_checked: int
    differences: list[str]
