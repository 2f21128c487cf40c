"""Tables. Amounts are integer minor units (BIGINT); addresses are EIP-55 checksummed strings."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
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
    # The registry's identity record (projected from IdentityUpdated): ISO 3166-1 alpha-2 country and
    # KYC expiry; staff roles (admin, compliance agent, oracle) have none.
    country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    kyc_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # Frozen by the compliance agent (the note's AddressFrozen): nothing in or out.
    frozen: Mapped[bool] = mapped_column(Boolean, default=False)
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
    # What payments are made in (e-CNY for a USD voucher); the denomination `currency` when domestic.
    settlement_currency: Mapped[str] = mapped_column(String(8))
    face_value_minor: Mapped[int] = mapped_column(BigInteger)
    unit_minor: Mapped[int] = mapped_column(BigInteger)
    redeemed_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    # The per-transaction maximum of value moving between two holders (0: none), and the voucher pause.
    transfer_cap_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    # The latest logistics milestone attested on chain (0 none, 1 shipped, 2 customs cleared, 3 delivered).
    milestone: Mapped[int] = mapped_column(Integer, default=0)
    root_token_id: Mapped[int] = mapped_column(BigInteger)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    document_hash: Mapped[str] = mapped_column(String(66))
    status: Mapped[str] = mapped_column(String(20), default="active")
    issue_transaction_hash: Mapped[str] = mapped_column(String(66))
    issue_block_number: Mapped[int] = mapped_column(BigInteger)


class VoucherDocument(Base):
    """Off-chain record of a voucher: the invoices it stands for. Written with the issuing operation,
    tied to its voucher by the projection of the issuance event (so a voucher lost with its block loses
    its link too, and the link comes back with the block)."""

    __tablename__ = "voucher_documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # Null for documents of vouchers issued before operations were journaled this way.
    operation_id: Mapped[int | None] = mapped_column(Integer, nullable=True, unique=True)
    voucher_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True, unique=True)
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
    # The compliance agent's freezes: the whole piece, or part of its value.
    frozen: Mapped[bool] = mapped_column(Boolean, default=False)
    frozen_value_minor: Mapped[int] = mapped_column(BigInteger, default=0)


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


class Operation(Base):
    """The outbox and journal of every chain write: one row per operation an API request (or a job)
    asked for. Each is one EIP-712 forward request: signed by its `signer_address` (a participant's
    managed key, one of the service's role accounts, or a participant's own wallet) and relayed by the
    chain writer. The forwarder's nonce of the signer makes it run at most once, whatever is re-sent;
    its outcome comes from the chain's `ExecutedForwardRequest(signer, nonce, success)` event, applied
    by the indexer (see `service.writer.outbox.OperationState` for the lifecycle)."""

    __tablename__ = "operations"
    __table_args__ = (
        Index("ix_operations_state_id", "state", "id"),
        Index("ix_operations_signer_nonce", "signer_address", "nonce"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(20))
    # Who asked for it: the participant whose request it serves, and the request's key
    # ("participant_id:Idempotency-Key") when it had one; or the job it is a step of.
    participant_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    request_key: Mapped[str | None] = mapped_column(String(220), nullable=True, index=True)
    job_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    # Who signs: a managed participant (`signer_participant_id`), a service role account
    # (`signer_account`), or neither: the participant signed it with its own wallet (signature given).
    signer_address: Mapped[str] = mapped_column(String(42))
    signer_participant_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    signer_account: Mapped[str | None] = mapped_column(String(40), nullable=True)
    target_address: Mapped[str] = mapped_column(String(42))
    calldata: Mapped[str] = mapped_column(Text)
    gas: Mapped[int] = mapped_column(BigInteger)
    # The signed forward request, once signed.
    nonce: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    deadline: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    signature: Mapped[str | None] = mapped_column(String(132), nullable=True)
    # Off-chain data its projections and answer need (e.g. a voucher's invoice references).
    payload: Mapped[Any | None] = mapped_column(JSON, nullable=True)
    # Where it ran (the ExecutedForwardRequest log), and the events its call emitted.
    block_number: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    transaction_hash: Mapped[str | None] = mapped_column(String(66), nullable=True)
    log_index: Mapped[int | None] = mapped_column(Integer, nullable=True)
    result: Mapped[Any | None] = mapped_column(JSON, nullable=True)
    # Why it did not take effect: a LedgerError code and its stored form (decoded revert or message).
    error_code: Mapped[str | None] = mapped_column(String(60), nullable=True)
    error: Mapped[Any | None] = mapped_column(JSON, nullable=True)
    # Set when a reorganisation (or the embedded chain's restart) undid its block: the position it ran
    # at, so that the writer sends it again in the original order.
    replay_rank: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    relay_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now, onupdate=utc_now)


class RelayTransaction(Base):
    """A transaction a relayer account signed to carry signed operations (`executeBatch`), journaled
    before it is sent. A replacement (same nonce, higher fees) is a row of its own naming the one it
    replaces. Relay transactions are transport only: whether an operation ran is read from the chain's
    events, so a lost or refused relay transaction just means its operations are relayed again."""

    __tablename__ = "relay_transactions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    relayer_address: Mapped[str] = mapped_column(String(42))
    nonce: Mapped[int] = mapped_column(BigInteger)
    transaction_hash: Mapped[str] = mapped_column(String(66), unique=True)
    raw_transaction: Mapped[str] = mapped_column(Text)
    # sent -> mined | dropped (its nonce went to another transaction, or the node lost it for good)
    state: Mapped[str] = mapped_column(String(20), index=True)
    replaces_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    block_number: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now, onupdate=utc_now)


class RelayCarriage(Base):
    """Which operations a relay transaction carries (an operation relayed again has several)."""

    __tablename__ = "relay_carriages"

    relay_transaction_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    operation_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False, index=True)


class OperationAudit(Base):
    """What happened to an operation after it was answered: its block lost in a reorganisation, run
    again, its answer changed, or its outcome changed. Never updated, only added to."""

    __tablename__ = "operation_audits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    operation_id: Mapped[int] = mapped_column(Integer, index=True)
    event: Mapped[str] = mapped_column(String(40))
    detail: Mapped[Any | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class Job(Base):
    """Long work run by the chain writer off the request (e.g. a settlement payout over many pieces)."""

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(20), index=True)
    participant_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    request_key: Mapped[str | None] = mapped_column(String(220), nullable=True, index=True)
    params: Mapped[Any] = mapped_column(JSON)
    progress: Mapped[Any] = mapped_column(JSON)
    error_code: Mapped[str | None] = mapped_column(String(60), nullable=True)
    error: Mapped[Any | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now, onupdate=utc_now)


class ServiceAccount(Base):
    """The service's own role accounts on a chain (issuer, compliance agent, oracle, pauser, minter,
    settlement agent), one key per role, encrypted with the master key like managed participant keys.
    They sign forward requests; the relayers pay the gas, so they hold no ether."""

    __tablename__ = "service_accounts"

    chain_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    address: Mapped[str] = mapped_column(String(42))
    encrypted_private_key: Mapped[str] = mapped_column(Text)


class ChainEndpoint(Base):
    """Where the service reached its chain last, so that `cascade reconcile` run beside a running service
    attaches to the same node instead of starting another."""

    __tablename__ = "chain_endpoints"

    chain_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    rpc_url: Mapped[str] = mapped_column(String(300))
    embedded: Mapped[bool] = mapped_column(Boolean, default=False)
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
    # The cash's currency (the voucher's settlement currency), and the FX rate a conversion used: the
    # feed's answer, its decimals, round id (uint80: wider than BIGINT) and time; null without one.
    cash_currency: Mapped[str | None] = mapped_column(String(8), nullable=True)
    fx_rate: Mapped[Decimal | None] = mapped_column(Numeric(40, 0), nullable=True)
    fx_rate_decimals: Mapped[int | None] = mapped_column(Integer, nullable=True)
    fx_round_id: Mapped[Decimal | None] = mapped_column(Numeric(30, 0), nullable=True)
    fx_updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # The programme (early payment) or quote (financing) the payment belongs to.
    reference_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True, index=True)
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
    # Kept by the projection of EarlyPaymentTaken and EarlyPaymentProgrammeClosed.
    spent_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    redeemed_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    closed: Mapped[bool] = mapped_column(Boolean, default=False)
    refund_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    closed_block_number: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class FinancingTerms(Base):
    """A financier's published terms (off-chain): rate, conventions, eligibility and budget. `used_minor`
    is kept by the projection of the desk's QuoteExecuted events (cash paid under these terms)."""

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
    # Logistics conditions every quote under these terms carries (signed into it, checked on chain).
    required_milestone: Mapped[int] = mapped_column(Integer, default=0)
    max_financed_share_bps: Mapped[int] = mapped_column(Integer, default=10_000)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class FinancingQuote(Base):
    """A quote signed by the financier's key (EIP-712), valid until `expires_at`. `state` (open, executed,
    cancelled) and the execution's columns are kept by the projection of the desk's events, found by
    (financier, nonce); an open quote past `expires_at` reads as expired."""

    __tablename__ = "financing_quotes"
    __table_args__ = (UniqueConstraint("financier_participant_id", "nonce", name="uq_quote_financier_nonce"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    terms_id: Mapped[int] = mapped_column(Integer, index=True)
    token_id: Mapped[int] = mapped_column(BigInteger)
    seller_participant_id: Mapped[int] = mapped_column(Integer, index=True)
    financier_participant_id: Mapped[int] = mapped_column(Integer)
    value_minor: Mapped[int] = mapped_column(BigInteger)
    price_minor: Mapped[int] = mapped_column(BigInteger)
    days: Mapped[int] = mapped_column(Integer)
    required_milestone: Mapped[int] = mapped_column(Integer, default=0)
    max_financed_share_bps: Mapped[int] = mapped_column(Integer, default=10_000)
    nonce: Mapped[str] = mapped_column(String(80))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    signature: Mapped[str] = mapped_column(String(140))
    state: Mapped[str] = mapped_column(String(20), default="open")
    executed_transaction_hash: Mapped[str | None] = mapped_column(String(66), nullable=True)
    financier_token_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # The block that executed or cancelled it (null while open).
    decided_block_number: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class IdentityChange(Base):
    """The registry's audit trail (IdentityUpdated): each change of an account's identity record, by
    which compliance agent, why, and at whose request (the operation, when the service relayed it)."""

    __tablename__ = "identity_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_address: Mapped[str] = mapped_column(String(42), index=True)
    verified: Mapped[bool] = mapped_column(Boolean)
    kyc_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    role_code: Mapped[int] = mapped_column(Integer)
    agent_address: Mapped[str] = mapped_column(String(42))
    reason: Mapped[str] = mapped_column(String(32))
    operation_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    transaction_hash: Mapped[str] = mapped_column(String(66))
    log_index: Mapped[int] = mapped_column(Integer)
    block_number: Mapped[int] = mapped_column(BigInteger, index=True)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ComplianceAction(Base):
    """Every compliance control applied on chain (freezes, forced transfers, recoveries, caps, limits,
    voucher pauses), from the note's events: the agent, the reason code, what it applied to."""

    __tablename__ = "compliance_actions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(30))
    account_address: Mapped[str | None] = mapped_column(String(42), nullable=True, index=True)
    token_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    voucher_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True, index=True)
    agent_address: Mapped[str] = mapped_column(String(42))
    reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    details: Mapped[Any] = mapped_column(JSON)
    operation_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    transaction_hash: Mapped[str] = mapped_column(String(66))
    log_index: Mapped[int] = mapped_column(Integer)
    block_number: Mapped[int] = mapped_column(BigInteger, index=True)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class TransferLimit(Base):
    """A participant's rolling limit per denomination currency (the note's TransferLimitSet)."""

    __tablename__ = "transfer_limits"

    account_address: Mapped[str] = mapped_column(String(42), primary_key=True)
    currency: Mapped[str] = mapped_column(String(8), primary_key=True)
    limit_minor: Mapped[int] = mapped_column(BigInteger)
    window_seconds: Mapped[int] = mapped_column(BigInteger)
    block_number: Mapped[int] = mapped_column(BigInteger)


class FxFeed(Base):
    """Which price feed gives a currency pair's rate, and the oldest answer accepted (FxFeedSet)."""

    __tablename__ = "fx_feeds"

    base: Mapped[str] = mapped_column(String(8), primary_key=True)
    quote: Mapped[str] = mapped_column(String(8), primary_key=True)
    feed_address: Mapped[str] = mapped_column(String(42), index=True)
    max_age_seconds: Mapped[int] = mapped_column(BigInteger)
    block_number: Mapped[int] = mapped_column(BigInteger)


class FxAnswer(Base):
    """An answer an oracle submitted to one of the ledger's own feeds (FxAnswerSubmitted)."""

    __tablename__ = "fx_answers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    feed_address: Mapped[str] = mapped_column(String(42), index=True)
    round_id: Mapped[Decimal] = mapped_column(Numeric(30, 0))
    answer: Mapped[Decimal] = mapped_column(Numeric(80, 0))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    oracle_address: Mapped[str] = mapped_column(String(42))
    transaction_hash: Mapped[str] = mapped_column(String(66))
    log_index: Mapped[int] = mapped_column(Integer)
    block_number: Mapped[int] = mapped_column(BigInteger, index=True)


class MilestoneAttestation(Base):
    """A logistics milestone an oracle attested for a voucher (MilestoneAttested)."""

    __tablename__ = "milestone_attestations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    voucher_id: Mapped[int] = mapped_column(BigInteger, index=True)
    milestone: Mapped[int] = mapped_column(Integer)
    evidence_hash: Mapped[str] = mapped_column(String(66))
    oracle_address: Mapped[str] = mapped_column(String(42))
    transaction_hash: Mapped[str] = mapped_column(String(66))
    log_index: Mapped[int] = mapped_column(Integer)
    block_number: Mapped[int] = mapped_column(BigInteger, index=True)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class VoucherTransferCap(Base):
    """Each transfer cap a voucher had, from when (its issuance, then every TransferCapSet): the cap in
    force for a payment is the latest at or before the payment's log (the monitoring export shows it)."""

    __tablename__ = "voucher_transfer_caps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    voucher_id: Mapped[int] = mapped_column(BigInteger, index=True)
    cap_minor: Mapped[int] = mapped_column(BigInteger)
    transaction_hash: Mapped[str] = mapped_column(String(66))
    log_index: Mapped[int] = mapped_column(Integer)
    block_number: Mapped[int] = mapped_column(BigInteger, index=True)


# ---------------------------------------------------------------------------------- model 2: the market
# Every table below is a projection of the OfferingVault's events (service/market/projection.py): event
# rows are kept as logged; the offering's totals, the listings' remainders and the holdings are folded
# from them, so a reorganisation forgets the rows of the lost blocks and folds again.


class OfferingRecord(Base):
    """An offering of (part of) a note piece: its terms as opened, and totals folded from its events."""

    __tablename__ = "offerings"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    voucher_id: Mapped[int] = mapped_column(BigInteger, index=True)
    seller_address: Mapped[str] = mapped_column(String(42), index=True)
    token_address: Mapped[str] = mapped_column(String(42), unique=True)
    vault_token_id: Mapped[int] = mapped_column(BigInteger)
    value_minor: Mapped[int] = mapped_column(BigInteger)
    rate_bps: Mapped[int] = mapped_column(Integer)
    basis_days: Mapped[int] = mapped_column(Integer)
    min_subscription_minor: Mapped[int] = mapped_column(BigInteger)
    closes_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    opened_transaction_hash: Mapped[str] = mapped_column(String(66))
    opened_block_number: Mapped[int] = mapped_column(BigInteger, index=True)
    # Folded from the event tables.
    sold_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    cash_raised_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    withdrawn_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    unsold_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    closed: Mapped[bool] = mapped_column(Boolean, default=False)
    cash_received_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    cash_redeemed_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    tokens_redeemed_minor: Mapped[int] = mapped_column(BigInteger, default=0)


class OfferingEventRecord(Base):
    """An offering's own changes: withdrawn, closed, cash_received, swept, withheld (a redemption
    passed over), and transfer: tokens moved on the token itself, not by the vault (a holder's own
    `transfer`, the compliance agent's forced transfer or recovery), from `address` to `to_address`."""

    __tablename__ = "offering_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    offering_id: Mapped[int] = mapped_column(BigInteger, index=True)
    kind: Mapped[str] = mapped_column(String(16))
    amount_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    address: Mapped[str | None] = mapped_column(String(42), nullable=True)
    to_address: Mapped[str | None] = mapped_column(String(42), nullable=True)
    token_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    transaction_hash: Mapped[str] = mapped_column(String(66))
    log_index: Mapped[int] = mapped_column(Integer)
    block_number: Mapped[int] = mapped_column(BigInteger, index=True)


class OfferingTrade(Base):
    """A fill: a primary subscription (from the vault's unsold tokens, seller = the offering's seller)
    or a secondary purchase of a listing; cash in the voucher's settlement currency."""

    __tablename__ = "offering_trades"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    offering_id: Mapped[int] = mapped_column(BigInteger, index=True)
    market: Mapped[str] = mapped_column(String(16))  # primary | secondary
    listing_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True, index=True)
    buyer_address: Mapped[str] = mapped_column(String(42), index=True)
    seller_address: Mapped[str] = mapped_column(String(42))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    cash_minor: Mapped[int] = mapped_column(BigInteger)
    rate_bps: Mapped[int] = mapped_column(Integer)
    days_to_maturity: Mapped[int] = mapped_column(Integer)
    traded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    transaction_hash: Mapped[str] = mapped_column(String(66))
    log_index: Mapped[int] = mapped_column(Integer)
    block_number: Mapped[int] = mapped_column(BigInteger, index=True)


class ListingRecord(Base):
    """A holder's listing of tokens at its own rate; `remaining_minor` folded from its fills."""

    __tablename__ = "listings"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    offering_id: Mapped[int] = mapped_column(BigInteger, index=True)
    seller_address: Mapped[str] = mapped_column(String(42), index=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    rate_bps: Mapped[int] = mapped_column(Integer)
    listed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    transaction_hash: Mapped[str] = mapped_column(String(66))
    block_number: Mapped[int] = mapped_column(BigInteger, index=True)
    remaining_minor: Mapped[int] = mapped_column(BigInteger)
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    cancelled_block_number: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class TokenHolding(Base):
    """Tokens of one offering at one address (the vault's unsold ones are the offering's, not here),
    with the holder's cost: `paid_minor` at average cost, `day_tokens` = sum of tokens x days to maturity
    at purchase (for the yield to maturity), both reduced pro rata when tokens are sold."""

    __tablename__ = "token_holdings"
    __table_args__ = (UniqueConstraint("offering_id", "address"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    offering_id: Mapped[int] = mapped_column(BigInteger, index=True)
    address: Mapped[str] = mapped_column(String(42), index=True)
    tokens_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    paid_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    day_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    redeemed_tokens_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    redeemed_cash_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    first_bought_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class RedemptionRecord(Base):
    """A holder's tokens burned for its share of the cash the offering received."""

    __tablename__ = "redemptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    offering_id: Mapped[int] = mapped_column(BigInteger, index=True)
    holder_address: Mapped[str] = mapped_column(String(42), index=True)
    tokens_minor: Mapped[int] = mapped_column(BigInteger)
    cash_minor: Mapped[int] = mapped_column(BigInteger)
    redeemed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    transaction_hash: Mapped[str] = mapped_column(String(66))
    log_index: Mapped[int] = mapped_column(Integer)
    block_number: Mapped[int] = mapped_column(BigInteger, index=True)
