"""Ledger-wide responses."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, Strict

from service.api.common import UtcDatetime
from service.domain.identity import ComplianceReason


class WriterOut(BaseModel):
    in_this_process: bool = Field(description="Whether the chain writer runs in the process that answered.")


class HealthOut(BaseModel):
    status: str
    chain_id: int
    chain_head: int
    ledger_time: UtcDatetime = Field(
        description="The ledger's one clock (maturity, expiry, days left): the later of the latest block's "
        "time and the wall clock."
    )
    indexed_head: int | None
    lag_blocks: int | None
    pending_operations: int
    paused: bool
    contracts: dict[str, str]
    writer: WriterOut


class PauseRequest(BaseModel):
    """Why the ledger is paused or resumed: the contract's pause takes no reason, so the service keeps it
    with the action (GET /v1/compliance/actions)."""

    model_config = ConfigDict(extra="forbid")

    reason: ComplianceReason | None = None
    note: Annotated[str, Strict(), Field(min_length=1, max_length=500)] | None = None


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
