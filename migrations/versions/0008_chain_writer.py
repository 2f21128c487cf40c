"""one durable chain writer: operations as signed forward requests, relay transactions, jobs

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 03:00:00

The journal of raw transactions signed by each API process (`journaled_transactions`, and
`operations` pointing at them) gives way to an outbox of operations the chain writer signs and relays
as EIP-712 forward requests, whose outcome is read from the forwarder's events. Journal rows of the
old design cannot be finished by the new one, so the upgrade refuses to run while any is unfinished
(start the previous version once: it finishes them on start-up). Requests the previous version left
unanswered are settled here as it settled them: nothing reached the chain, the key is released;
something did, the key answers 409 `idempotency_request_recovered`.

Projections gain state from events (programme budgets, quote states and terms' used budgets), so
the index is rebuilt from the chain: its tables are emptied and its checkpoint removed, and the next
start indexes everything from the deployment block again. Voucher documents are tied to their voucher
by the issuing operation; those of earlier vouchers keep the link they have.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOW = sa.text("CURRENT_TIMESTAMP")


def _refuse_unfinished_journal() -> None:
    bind = op.get_bind()
    unfinished = bind.execute(
        sa.text("SELECT count(*) FROM operations WHERE state IN ('signed', 'submitted')")
    ).scalar_one()
    if unfinished:
        raise RuntimeError(
            f"{unfinished} transaction(s) of the previous version are still in flight: start the previous "
            "version once (it finishes them on start-up), stop it, then upgrade"
        )


def _settle_unanswered_requests() -> None:
    bind = op.get_bind()
    records = bind.execute(
        sa.text("SELECT id, participant_id, key FROM idempotency_records WHERE state <> 'completed'")
    ).all()
    body = {
        "code": "idempotency_request_recovered",
        "message": "the request was interrupted after reaching the chain; it is not run again",
    }
    records_table = sa.table(
        "idempotency_records",
        sa.column("id", sa.Integer),
        sa.column("state", sa.String),
        sa.column("response_status", sa.Integer),
        sa.column("response_body", sa.JSON),
    )
    for record_id, participant_id, key in records:
        applied = bind.execute(
            sa.text(
                "SELECT count(*) FROM operations WHERE idempotency_key = :request_key "
                "AND state IN ('mined', 'indexed') AND error_code IS NULL"
            ),
            {"request_key": f"{participant_id}:{key}"},
        ).scalar_one()
        if applied:
            bind.execute(
                records_table.update()
                .where(records_table.c.id == record_id)
                .values(state="completed", response_status=409, response_body=body)
            )
        else:
            bind.execute(records_table.delete().where(records_table.c.id == record_id))


def _create_writer_tables() -> None:
    op.create_table(
        "operations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=True),
        sa.Column("request_key", sa.String(length=220), nullable=True),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("signer_address", sa.String(length=42), nullable=False),
        sa.Column("signer_participant_id", sa.Integer(), nullable=True),
        sa.Column("signer_account", sa.String(length=40), nullable=True),
        sa.Column("target_address", sa.String(length=42), nullable=False),
        sa.Column("calldata", sa.Text(), nullable=False),
        sa.Column("gas", sa.BigInteger(), nullable=False),
        sa.Column("nonce", sa.BigInteger(), nullable=True),
        sa.Column("deadline", sa.BigInteger(), nullable=True),
        sa.Column("signature", sa.String(length=132), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.Column("block_number", sa.BigInteger(), nullable=True),
        sa.Column("transaction_hash", sa.String(length=66), nullable=True),
        sa.Column("log_index", sa.Integer(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error_code", sa.String(length=60), nullable=True),
        sa.Column("error", sa.JSON(), nullable=True),
        sa.Column("replay_rank", sa.BigInteger(), nullable=True),
        sa.Column("relay_count", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_operations_state_id", "operations", ["state", "id"])
    op.create_index("ix_operations_signer_nonce", "operations", ["signer_address", "nonce"])
    op.create_index("ix_operations_request_key", "operations", ["request_key"])
    op.create_index("ix_operations_job_id", "operations", ["job_id"])
    op.create_table(
        "relay_transactions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("relayer_address", sa.String(length=42), nullable=False),
        sa.Column("nonce", sa.BigInteger(), nullable=False),
        sa.Column("transaction_hash", sa.String(length=66), nullable=False),
        sa.Column("raw_transaction", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("replaces_id", sa.Integer(), nullable=True),
        sa.Column("block_number", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("transaction_hash"),
    )
    op.create_index("ix_relay_transactions_state", "relay_transactions", ["state"])
    op.create_table(
        "relay_carriages",
        sa.Column("relay_transaction_id", sa.Integer(), nullable=False),
        sa.Column("operation_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("relay_transaction_id", "operation_id"),
    )
    op.create_index("ix_relay_carriages_operation_id", "relay_carriages", ["operation_id"])
    op.create_table(
        "operation_audits",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("operation_id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=40), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_operation_audits_operation_id", "operation_audits", ["operation_id"])
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=True),
        sa.Column("request_key", sa.String(length=220), nullable=True),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("progress", sa.JSON(), nullable=False),
        sa.Column("error_code", sa.String(length=60), nullable=True),
        sa.Column("error", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_jobs_state", "jobs", ["state"])
    op.create_index("ix_jobs_request_key", "jobs", ["request_key"])
    op.create_table(
        "service_accounts",
        sa.Column("chain_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("address", sa.String(length=42), nullable=False),
        sa.Column("encrypted_private_key", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("chain_id", "name"),
    )
    op.create_table(
        "chain_endpoints",
        sa.Column("chain_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("rpc_url", sa.String(length=300), nullable=False),
        sa.Column("embedded", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.PrimaryKeyConstraint("chain_id"),
    )


def _rebuild_index() -> None:
    """Empties the projections of chain events so that the next start indexes everything again."""
    for table in (
        "value_movements",
        "cash_movements",
        "early_payment_programmes",
        "notes",
        "vouchers",
        "indexed_blocks",
        "chain_checkpoints",
    ):
        op.execute(sa.text(f"DELETE FROM {table}"))
    op.execute(sa.text("UPDATE financing_terms SET used_minor = 0"))
    op.execute(
        sa.text(
            "UPDATE financing_quotes SET state = 'open', executed_transaction_hash = NULL, "
            "financier_token_id = NULL, decided_block_number = NULL"
        )
    )


def upgrade() -> None:
    _refuse_unfinished_journal()
    _settle_unanswered_requests()
    op.drop_table("operations")
    op.drop_table("journaled_transactions")
    _create_writer_tables()

    # A surrogate key, with the voucher link nullable (the projection sets and clears it).
    op.rename_table("voucher_documents", "voucher_documents_old")
    op.create_table(
        "voucher_documents",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("operation_id", sa.Integer(), nullable=True),
        sa.Column("voucher_id", sa.BigInteger(), nullable=True),
        sa.Column("invoice_references", sa.JSON(), nullable=False),
        sa.Column("issued_by_participant_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("operation_id"),
        sa.UniqueConstraint("voucher_id"),
    )
    op.execute(
        sa.text(
            "INSERT INTO voucher_documents (voucher_id, invoice_references, issued_by_participant_id, "
            "created_at) SELECT voucher_id, invoice_references, issued_by_participant_id, created_at "
            "FROM voucher_documents_old ORDER BY voucher_id"
        )
    )
    op.drop_table("voucher_documents_old")

    with op.batch_alter_table("early_payment_programmes") as batch_op:
        batch_op.add_column(sa.Column("spent_minor", sa.BigInteger(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("redeemed_minor", sa.BigInteger(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("closed", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("refund_minor", sa.BigInteger(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("closed_block_number", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("financing_quotes") as batch_op:
        batch_op.create_unique_constraint("uq_quote_financier_nonce", ["financier_participant_id", "nonce"])
        batch_op.add_column(sa.Column("decided_block_number", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("cash_movements") as batch_op:
        batch_op.add_column(sa.Column("reference_id", sa.BigInteger(), nullable=True))
        batch_op.create_index("ix_cash_movements_reference_id", ["reference_id"])
    _rebuild_index()


def downgrade() -> None:
    raise RuntimeError(
        "0008 cannot be undone: the previous write path cannot take over operations of the chain writer"
    )
