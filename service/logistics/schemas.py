"""Logistics milestones: an oracle's attestation and the voucher's record of them."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from service.api.common import UtcDatetime
from service.domain.logistics import Milestone

AttestableMilestone = Literal["shipped", "customs_cleared", "delivered"]
EVIDENCE_HASH_PATTERN = r"^0x[0-9a-fA-F]{64}$"


class MilestoneAttest(BaseModel):
    """Exactly one of `evidence_hash` and `evidence`."""

    model_config = ConfigDict(extra="forbid")

    milestone: AttestableMilestone = Field(
        description="Milestones only move forward; a later one may be attested without the earlier ones."
    )
    evidence_hash: str | None = Field(
        default=None,
        max_length=66,
        pattern=EVIDENCE_HASH_PATTERN,
        description="The hash of the evidence (a bill of lading, a customs declaration, a delivery note).",
    )
    evidence: str | None = Field(
        default=None,
        min_length=1,
        max_length=2_000,
        description="The evidence as text (e.g. a bill of lading number and carrier); its SHA-256 is what "
        "is recorded on chain, not the text.",
    )


class MilestoneOut(BaseModel):
    voucher_id: int
    milestone: Milestone
    evidence_hash: str
    oracle_address: str
    transaction_hash: str
    block_number: int
    attested_at: UtcDatetime


class MilestonesOut(BaseModel):
    """The voucher's milestone now and every attestation, oldest first (one page)."""

    voucher_id: int
    milestone: Milestone = Field(description="The latest milestone attested.")
    items: list[MilestoneOut]
    next_cursor: str | None = Field(description="Pass it as `cursor` for the next page; null on the last.")
