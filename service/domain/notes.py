"""Pieces of a voucher: transfer rules, splits, and how much of a piece a participant may see.

A *piece* is one ERC-3525 token: a part of one voucher's face value held by one participant.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from service.domain.money import Currency, format_minor, format_money, require_unit_multiple
from service.errors import InsufficientValue, SelfTransfer, SlotMismatch, VoucherNotActive


@dataclass(frozen=True)
class Piece:
    token_id: int
    voucher_id: int
    holder_address: str
    value_minor: int
    parent_token_id: int | None
    root_token_id: int
    depth: int


@dataclass(frozen=True)
class SplitResult:
    remaining_minor: int
    moved_minor: int


def compute_split(balance_minor: int, amount_minor: int, unit_minor: int) -> SplitResult:
    """Splits `amount_minor` off a piece holding `balance_minor`; value is conserved exactly."""
    if amount_minor <= 0 or amount_minor % unit_minor != 0 or amount_minor > balance_minor:
        raise ValueError("split amount must be a positive unit multiple within the balance")
    return SplitResult(remaining_minor=balance_minor - amount_minor, moved_minor=amount_minor)


def check_transfer(
    piece: Piece,
    *,
    sender_address: str,
    recipient_address: str,
    amount_minor: int,
    unit_minor: int,
    currency: Currency,
    voucher_active: bool,
    into_piece: Piece | None = None,
) -> SplitResult:
    """Everything a transfer must satisfy before it is signed; the contract enforces it again."""
    if not voucher_active:
        raise VoucherNotActive(f"voucher {piece.voucher_id} no longer moves", voucher_id=piece.voucher_id)
    if recipient_address.lower() == sender_address.lower() and into_piece is None:
        raise SelfTransfer("a participant cannot transfer a piece to itself")
    require_unit_multiple(amount_minor, unit_minor, currency)
    if amount_minor > piece.value_minor:
        raise InsufficientValue(
            f"note {piece.token_id} holds {format_money(piece.value_minor, currency)}, "
            f"less than {format_money(amount_minor, currency)}",
            token_id=piece.token_id,
            balance=format_minor(piece.value_minor, currency),
            needed=format_minor(amount_minor, currency),
            currency=currency.code,
        )
    if into_piece is not None:
        if into_piece.voucher_id != piece.voucher_id:
            raise SlotMismatch(
                f"note {into_piece.token_id} belongs to another voucher",
                from_voucher_id=piece.voucher_id,
                to_voucher_id=into_piece.voucher_id,
            )
        if into_piece.token_id == piece.token_id:
            raise SelfTransfer("a note cannot transfer value into itself")
        if into_piece.holder_address.lower() != recipient_address.lower():
            raise SlotMismatch(
                f"note {into_piece.token_id} is not held by the recipient", into_token_id=into_piece.token_id
            )
    return compute_split(piece.value_minor, amount_minor, unit_minor)


class PieceView(StrEnum):
    """How much of a piece a participant sees (docs/visibility.md).

    The voucher's obligor and the administrators see every piece in full. Any other participant sees
    its own pieces (those it holds, emptied ones too) in full, and where they came from (their
    ancestors) and where they went (the pieces split off them, one level down) as provenance: who the
    piece was created for and the value it received then, not who holds it or what it holds now.
    """

    FULL = "full"
    PROVENANCE = "provenance"


def compute_piece_view(*, sees_whole_tree: bool, holder_address: str, viewer_address: str) -> PieceView:
    """The view of a piece the viewer may see at all (the whole tree, or one of the pieces above)."""
    if sees_whole_tree or holder_address == viewer_address:
        return PieceView.FULL
    return PieceView.PROVENANCE
