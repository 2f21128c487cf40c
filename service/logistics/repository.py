"""Milestone attestation queries."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from service.db.models import MilestoneAttestation


def fetch_attestations(
    session: Session, voucher_id: int, after: tuple[int, ...] | None, limit: int
) -> Sequence[MilestoneAttestation]:
    """The voucher's attestations in chain order after `after` (block, log index)."""
    query = select(MilestoneAttestation).where(MilestoneAttestation.voucher_id == voucher_id)
    if after is not None:
        query = query.where(
            tuple_(MilestoneAttestation.block_number, MilestoneAttestation.log_index) > tuple_(*after)
        )
    order = (MilestoneAttestation.block_number, MilestoneAttestation.log_index)
    return session.scalars(query.order_by(*order).limit(limit)).all()


def fetch_attestation_of_log(
    session: Session, transaction_hash: str, log_index: int
) -> MilestoneAttestation | None:
    return session.scalars(
        select(MilestoneAttestation).where(
            MilestoneAttestation.transaction_hash == transaction_hash,
            MilestoneAttestation.log_index == log_index,
        )
    ).one_or_none()
