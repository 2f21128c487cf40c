"""Ledger-wide responses."""

from __future__ import annotations

from pydantic import BaseModel


class HealthOut(BaseModel):
    status: str
    chain_id: int
    chain_head: int
    indexed_head: int | None
    lag_blocks: int | None
    pending_operations: int
    paused: bool
    contracts: dict[str, str]


class PauseOut(BaseModel):
    paused: bool
    transaction_hash: str


class ReconcileOut(BaseModel):
    clean: bool
    block_number: int
    tokens_checked: int
    vouchers_checked: int
    differences: list[str]
