"""Ledger-wide responses."""

from __future__ import annotations

from pydantic import BaseModel, Field


class WriterOut(BaseModel):
    in_this_process: bool = Field(description="Whether the chain writer runs in the process that answered.")


class HealthOut(BaseModel):
    status: str
    chain_id: int
    chain_head: int
    indexed_head: int | None
    lag_blocks: int | None
    pending_operations: int
    paused: bool
    contracts: dict[str, str]
    writer: WriterOut


class PauseOut(BaseModel):
    paused: bool
    transaction_hash: str


class ReconcileOut(BaseModel):
    clean: bool
    block_number: int
    tokens_checked: int
    vouchers_checked: int
    operations_checked: int
    quotes_checked: int
    differences: list[str]
    differing_token_ids: list[int] = Field(description="Pieces whose index differs from the chain.")
