"""Tables. Amounts are integer minor units (BIGINT); addresses are EIP-55 checksummed strings."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utc_now() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class Participant(Base):
    __tablename__ = "participants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(42), unique=True)
    # Null for participants that sign with their own wallet.
    encrypted_private_key: Mapped[str | None] = mapped_column(Text, nullable=True)
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    key_prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Voucher(Base):
    """One e-debt voucher = one ERC-3525 slot; `id` is the slot number."""

    __tablename__ = "vouchers"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    obligor_address: Mapped[str] = mapped_column(String(42), index=True)
    initial_holder_address: Mapped[str] = mapped_column(String(42))
    currency: Mapped[str] = mapped_column(String(8))
    face_value_minor: Mapped[int] = mapped_column(BigInteger)
    unit_minor: Mapped[int] = mapped_column(BigInteger)
    redeemed_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    root_token_id: Mapped[int] = mapped_column(BigInteger)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    document_hash: Mapped[str] = mapped_column(String(66))
    status: Mapped[str] = mapped_column(String(20), default="active")
    issue_transaction_hash: Mapped[str] = mapped_column(String(66))
    issue_block_number: Mapped[int] = mapped_column(BigInteger)


class VoucherDocument(Base):
    """Off-chain record of a voucher: the invoices it stands for. Survives a re-index of the chain."""

    __tablename__ = "voucher_documents"

    voucher_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    invoice_references: Mapped[list[Any]] = mapped_column(JSON)
    issued_by_participant_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class Note(Base):
    """One piece of a voucher (one ERC-3525 token), as last indexed from the chain."""

    __tablename__ = "notes"

    token_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    # No foreign key: within one block a token's mint is indexed before its voucher's issuance event.
    voucher_id: Mapped[int] = mapped_column(BigInteger, index=True)
    holder_address: Mapped[str] = mapped_column(String(42), index=True)
    value_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    parent_token_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    root_token_id: Mapped[int] = mapped_column(BigInteger)
    depth: Mapped[int] = mapped_column(Integer, default=0)
    created_transaction_hash: Mapped[str] = mapped_column(String(66))
    created_block_number: Mapped[int] = mapped_column(BigInteger)


class ValueMovement(Base):
    """Every change of value or holder, one row per chain log (idempotent by transaction and index)."""

    __tablename__ = "value_movements"
    # A note's movements after a block (a transfer's remaining value): token first, then block.
    __table_args__ = (
        UniqueConstraint("transaction_hash", "log_index", name="uq_movement_log"),
        Index("ix_value_movements_from_token_block", "from_token_id", "block_number"),
        Index("ix_value_movements_to_token_block", "to_token_id", "block_number"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    voucher_id: Mapped[int] = mapped_column(BigInteger, index=True)
    kind: Mapped[str] = mapped_column(String(20))
    from_token_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    to_token_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    from_address: Mapped[str | None] = mapped_column(String(42), nullable=True)
    to_address: Mapped[str | None] = mapped_column(String(42), nullable=True)
    value_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    transaction_hash: Mapped[str] = mapped_column(String(66))
    log_index: Mapped[int] = mapped_column(Integer)
    block_number: Mapped[int] = mapped_column(BigInteger)


class ChainCheckpoint(Base):
    __tablename__ = "chain_checkpoints"

    chain_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    block_number: Mapped[int] = mapped_column(BigInteger)
    block_hash: Mapped[str] = mapped_column(String(66))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class IndexedBlock(Base):
    """Hashes of the blocks whose events were applied, to find the fork point after a reorganisation."""

    __tablename__ = "indexed_blocks"

    chain_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    block_number: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    block_hash: Mapped[str] = mapped_column(String(66))


class DeployedContract(Base):
    __tablename__ = "deployed_contracts"

    chain_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    address: Mapped[str] = mapped_column(String(42))
    block_number: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("participant_id", "key", name="uq_idempotency_participant_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    participant_id: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(200))
    request_fingerprint: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(20))
    response_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    response_body: Mapped[Any | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class JournaledTransaction(Base):
    """A transaction the service signed, as sent: one row however many operations it carries (a relay
    batch holds up to 48 requests, and its bytes grow with them)."""

    __tablename__ = "journaled_transactions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sender_address: Mapped[str] = mapped_column(String(42))
    nonce: Mapped[int] = mapped_column(BigInteger)
    # The latest version (or, once known, the one that ran), 0x-prefixed.
    raw_transaction: Mapped[str] = mapped_column(Text)
    # Versions it replaced under the same nonce (raw, space-separated, oldest first): whichever of
    # them was mined is the one that ran, even if the process died before it knew.
    replaced_transactions: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class Operation(Base):
    """Journal of every transaction the service signs: written before it is sent, one row per
    operation (a participant's request, or an operator call) with the transaction that carries it."""

    __tablename__ = "operations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(40))
    participant_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # The Idempotency-Key of the request that caused it: after a crash, a retry finds its outcome here.
    idempotency_key: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    state: Mapped[str] = mapped_column(String(20), index=True)
    sender_address: Mapped[str | None] = mapped_column(String(42), nullable=True)
    nonce: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    transaction_hash: Mapped[str | None] = mapped_column(String(66), nullable=True)
    journaled_transaction_id: Mapped[int | None] = mapped_column(
        ForeignKey("journaled_transactions.id"), nullable=True
    )
    block_number: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    error_code: Mapped[str | None] = mapped_column(String(60), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now, onupdate=utc_now)


class CashMovement(Base):
    """Cash paid for notes, indexed from the financing, early-payment and settlement contracts."""

    __tablename__ = "cash_movements"
    __table_args__ = (UniqueConstraint("transaction_hash", "log_index", name="uq_cash_movement_log"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    voucher_id: Mapped[int] = mapped_column(BigInteger, index=True)
    # settlement_funding, settlement_payment, settlement_withheld, early_payment, financing
    kind: Mapped[str] = mapped_column(String(30))
    token_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    payer_address: Mapped[str | None] = mapped_column(String(42), nullable=True)
    payee_address: Mapped[str | None] = mapped_column(String(42), nullable=True)
    cash_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    value_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    transaction_hash: Mapped[str] = mapped_column(String(66))
    log_index: Mapped[int] = mapped_column(Integer)
    block_number: Mapped[int] = mapped_column(BigInteger)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class EarlyPaymentProgrammeRecord(Base):
    """An obligor's early-payment programme as opened on chain; live budget figures are read from chain."""

    __tablename__ = "early_payment_programmes"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    voucher_id: Mapped[int] = mapped_column(BigInteger, index=True)
    obligor_address: Mapped[str] = mapped_column(String(42))
    rate_bps: Mapped[int] = mapped_column(Integer)
    basis_days: Mapped[int] = mapped_column(Integer)
    quoting: Mapped[int] = mapped_column(Integer)
    budget_minor: Mapped[int] = mapped_column(BigInteger)
    cutoff_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    opened_transaction_hash: Mapped[str] = mapped_column(String(66))
    opened_block_number: Mapped[int] = mapped_column(BigInteger)


class FinancingTerms(Base):
    """A financier's published terms (off-chain): rate, conventions, eligibility and budget."""

    __tablename__ = "financing_terms"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    financier_participant_id: Mapped[int] = mapped_column(Integer, index=True)
    currency: Mapped[str] = mapped_column(String(8))
    rate_bps: Mapped[int] = mapped_column(Integer)
    quote_basis: Mapped[str] = mapped_column(String(10))
    day_count: Mapped[str] = mapped_column(String(10))
    eligible_obligor_ids: Mapped[list[Any]] = mapped_column(JSON)
    min_amount_minor: Mapped[int] = mapped_column(BigInteger)
    max_amount_minor: Mapped[int] = mapped_column(BigInteger)
    budget_minor: Mapped[int] = mapped_column(BigInteger)
    used_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class FinancingQuote(Base):
    """A quote signed by the financier's key (EIP-712), valid until `expires_at`."""

    __tablename__ = "financing_quotes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    terms_id: Mapped[int] = mapped_column(Integer, index=True)
    token_id: Mapped[int] = mapped_column(BigInteger)
    seller_participant_id: Mapped[int] = mapped_column(Integer, index=True)
    financier_participant_id: Mapped[int] = mapped_column(Integer)
    value_minor: Mapped[int] = mapped_column(BigInteger)
    price_minor: Mapped[int] = mapped_column(BigInteger)
    days: Mapped[int] = mapped_column(Integer)
    nonce: Mapped[str] = mapped_column(String(80))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    signature: Mapped[str] = mapped_column(String(140))
    state: Mapped[str] = mapped_column(String(20), default="open")
    executed_transaction_hash: Mapped[str | None] = mapped_column(String(66), nullable=True)
    financier_token_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
