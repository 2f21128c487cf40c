"""Voucher requests and responses. Amounts are decimal strings in major units."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from service.api.common import Amount, CurrencyCode, Id, IsoDate, ParticipantRef, Reference, UtcDatetime
from service.domain.logistics import Milestone
from service.domain.notes import PieceView
from service.domain.vouchers import VoucherStatus


class VoucherCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    obligor_participant_id: Id | None = Field(
        default=None, description="Required for admins; an obligor always issues on its own behalf."
    )
    holder_participant_id: Id = Field(description="The tier-1 supplier receiving the whole voucher.")
    currency: CurrencyCode
    face_value: Amount = Field(examples=["100000000.00"])
    minimum_unit: Amount = Field(
        examples=["1000000.00"], description="Every transfer is a whole multiple of this."
    )
    due_date: IsoDate = Field(description="Maturity date; the voucher falls due at 00:00 UTC that day.")
    settlement_currency: CurrencyCode | None = Field(
        default=None,
        description="What payments are made in (CNY for a USD voucher settled in e-CNY, at the FX feed's "
        "rate); default: the voucher's own currency.",
    )
    transfer_cap: Amount | None = Field(
        default=None,
        examples=["500000.00"],
        description="The most value one transfer between two holders may move, in the voucher's currency.",
    )
    invoice_references: list[Reference] = Field(
        min_length=1, max_length=50, examples=[["INV-2026-0001"]], description="1 to 50 references."
    )
    document_hash: str = Field(
        max_length=66,
        pattern=r"^0x[0-9a-fA-F]{64}$",
        description="SHA-256 or keccak of the voucher document.",
    )


class VoucherOut(BaseModel):
    id: int
    obligor: ParticipantRef
    initial_holder: ParticipantRef
    currency: str
    settlement_currency: str
    cross_border: bool = Field(description="Settled in another currency than it is denominated in.")
    transfer_cap: str | None = Field(
        description="Per-transfer maximum in the voucher's currency; null: none."
    )
    paused: bool = Field(description="Paused by the ledger's pauser: its pieces neither move nor are paid.")
    milestone: Milestone = Field(description="The latest logistics milestone attested on chain.")
    face_value: str
    minimum_unit: str
    unit_count: int
    outstanding: str
    redeemed: str
    status: VoucherStatus
    issued_at: UtcDatetime
    due_at: UtcDatetime
    document_hash: str
    invoice_references: list[str]
    root_token_id: int
    issue_transaction_hash: str


# Merges listed per piece of the lineage; `merged_in_count` says how many there were in all.
MAX_INFLOWS_SHOWN = 10


class LineageInflow(BaseModel):
    from_token_id: int
    amount: str
    transaction_hash: str


class LineagePieceOut(BaseModel):
    """One piece of the lineage; its place in the tree is `parent_token_id` (null for the root).

    `view` says what is shown (docs/visibility.md): `full`, the piece as it is now; `provenance`, a piece
    another participant holds that one of the viewer's pieces came from or went to, as it was created
    (its holder then, the value it received), without its value now or its merges."""

    token_id: int
    view: PieceView
    holder: ParticipantRef = Field(description="Its holder now (full), or whom it was created for.")
    value: str | None = Field(description="What it holds now; null in the provenance view.")
    depth: int
    parent_token_id: int | None
    created_transaction_hash: str
    created_block_number: int
    received: str = Field(description="Value this piece received when it was created (or issued).")
    merged_in: list[LineageInflow] = Field(
        description=f"The first {MAX_INFLOWS_SHOWN} merges of value into this piece after it was created."
    )
    merged_in_count: int | None = Field(
        description="How many merges of value into this piece there were; null in the provenance view."
    )


class LineageOut(BaseModel):
    """A voucher's pieces as a flat list by token id, one page at a time: a tree of any depth the
    contract allows (up to 65,535) is its pieces with their parents' ids."""

    voucher_id: int
    currency: str
    face_value: str
    outstanding: str
    total_held: str
    piece_count: int | None = Field(
        description="Pieces holding value; null for a viewer who sees only part of the tree."
    )
    pieces: list[LineagePieceOut] = Field(description="The pieces the caller may see, by token id.")
    next_cursor: str | None = Field(description="Pass it as `cursor` for the next page; null on the last.")
