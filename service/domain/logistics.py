"""Logistics milestones an oracle attests on chain per voucher, and the financing conditions on them."""

from __future__ import annotations

from enum import IntEnum, StrEnum


class Milestone(StrEnum):
    """The shipment's progress, the same words in the API, the CLI and the README. Milestones only move
    forward (a step may be skipped)."""

    NONE = "none"
    SHIPPED = "shipped"
    CUSTOMS_CLEARED = "customs_cleared"
    DELIVERED = "delivered"


class MilestoneCode(IntEnum):
    """The LogisticsOracle's codes."""

    NONE = 0
    SHIPPED = 1
    CUSTOMS_CLEARED = 2
    DELIVERED = 3


_CODES = {milestone: MilestoneCode[milestone.name] for milestone in Milestone}


def milestone_code(milestone: Milestone) -> int:
    return int(_CODES[milestone])


def milestone_of(code: int) -> Milestone:
    return Milestone[MilestoneCode(code).name]


def has_reached(current: Milestone, required: Milestone) -> bool:
    return milestone_code(current) >= milestone_code(required)


FULL_SHARE_BPS = 10_000


def compute_financed_share_cap(face_value_minor: int, max_share_bps: int) -> int:
    """The most value of a voucher financed before delivery: face * bps / 10,000, rounded down (in the
    lender's favour: never more than the share), as the financing desk computes it."""
    return face_value_minor * max_share_bps // FULL_SHARE_BPS
