"""compliance controls and cross-border vouchers: identity records, freezes, caps and limits, FX and logistics

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 06:00:00

The contracts changed incompatibly (the note split in two code halves with compliance controls, the
identity registry, FX-converted payments): a ledger on the previous contracts is deployed afresh on the
next start, and its vouchers cannot follow. So the upgrade refuses to run while the index holds any
voucher (a ledger in use needs a migration of its own: re-issuing its vouchers on the new contracts is a
business decision, not a schema change). Participants stay: the next start registers their identities
on the new registry. The index is emptied so that it is rebuilt from the new deployment.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX_TABLES = (
    "value_movements",
    "cash_movements",
    "early_payment_programmes",
    "notes",
    "vouchers",
    "indexed_blocks",
    "chain_checkpoints",
    "deployed_contracts",
    "service_accounts",
)


def _refuse_issued_vouchers() -> None:
    issued = op.get_bind().execute(sa.text("SELECT count(*) FROM vouchers")).scalar_one()
    if issued:
        raise RuntimeError(
            f"{issued} voucher(s) live on the previous contracts, which this version replaces: a ledger in "
            "use cannot be upgraded in place (re-issue its vouchers on the new deployment instead)"
        )


def _add_columns() -> None:
    with op.batch_alter_table("participants") as batch_op:
        batch_op.add_column(sa.Column("country", sa.String(length=2), nullable=True))
        batch_op.add_column(sa.Column("kyc_expires_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("frozen", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("vouchers") as batch_op:
        batch_op.add_column(sa.Column("settlement_currency", sa.String(length=8), nullable=False))
        batch_op.add_column(
            sa.Column("transfer_cap_minor", sa.BigInteger(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("paused", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("milestone", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("notes") as batch_op:
        batch_op.add_column(sa.Column("frozen", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(
            sa.Column("frozen_value_minor", sa.BigInteger(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("cash_movements") as batch_op:
        batch_op.add_column(sa.Column("cash_currency", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("fx_rate", sa.Numeric(40, 0), nullable=True))
        batch_op.add_column(sa.Column("fx_rate_decimals", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("fx_round_id", sa.Numeric(30, 0), nullable=True))
        batch_op.add_column(sa.Column("fx_updated_at", sa.DateTime(timezone=True), nullable=True))
    for table in ("financing_terms", "financing_quotes"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(
                sa.Column("required_milestone", sa.Integer(), nullable=False, server_default="0")
            )
            batch_op.add_column(
                sa.Column("max_financed_share_bps", sa.Integer(), nullable=False, server_default="10000")
            )


def _event_columns() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("transaction_hash", sa.String(length=66), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
    ]


def _create_tables() -> None:
    op.create_table(
        "identity_changes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_address", sa.String(length=42), nullable=False),
        sa.Column("verified", sa.Boolean(), nullable=False),
        sa.Column("kyc_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("role_code", sa.Integer(), nullable=False),
        sa.Column("agent_address", sa.String(length=42), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("operation_id", sa.Integer(), nullable=True),
        *_event_columns(),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_identity_changes_account_address", "identity_changes", ["account_address"])
    op.create_index("ix_identity_changes_block_number", "identity_changes", ["block_number"])
    op.create_table(
        "compliance_actions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("account_address", sa.String(length=42), nullable=True),
        sa.Column("token_id", sa.BigInteger(), nullable=True),
        sa.Column("voucher_id", sa.BigInteger(), nullable=True),
        sa.Column("agent_address", sa.String(length=42), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("operation_id", sa.Integer(), nullable=True),
        *_event_columns(),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_compliance_actions_account_address", "compliance_actions", ["account_address"])
    op.create_index("ix_compliance_actions_voucher_id", "compliance_actions", ["voucher_id"])
    op.create_index("ix_compliance_actions_block_number", "compliance_actions", ["block_number"])
    op.create_table(
        "transfer_limits",
        sa.Column("account_address", sa.String(length=42), nullable=False),
        sa.Column("currency", sa.String(length=8), nullable=False),
        sa.Column("limit_minor", sa.BigInteger(), nullable=False),
        sa.Column("window_seconds", sa.BigInteger(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("account_address", "currency"),
    )
    op.create_table(
        "fx_feeds",
        sa.Column("base", sa.String(length=8), nullable=False),
        sa.Column("quote", sa.String(length=8), nullable=False),
        sa.Column("feed_address", sa.String(length=42), nullable=False),
        sa.Column("max_age_seconds", sa.BigInteger(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("base", "quote"),
    )
    op.create_index("ix_fx_feeds_feed_address", "fx_feeds", ["feed_address"])
    op.create_table(
        "fx_answers",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("feed_address", sa.String(length=42), nullable=False),
        sa.Column("round_id", sa.Numeric(30, 0), nullable=False),
        sa.Column("answer", sa.Numeric(80, 0), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("oracle_address", sa.String(length=42), nullable=False),
        *_event_columns(),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_fx_answers_feed_address", "fx_answers", ["feed_address"])
    op.create_index("ix_fx_answers_block_number", "fx_answers", ["block_number"])
    op.create_table(
        "milestone_attestations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("voucher_id", sa.BigInteger(), nullable=False),
        sa.Column("milestone", sa.Integer(), nullable=False),
        sa.Column("evidence_hash", sa.String(length=66), nullable=False),
        sa.Column("oracle_address", sa.String(length=42), nullable=False),
        *_event_columns(),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_milestone_attestations_voucher_id", "milestone_attestations", ["voucher_id"])
    op.create_index("ix_milestone_attestations_block_number", "milestone_attestations", ["block_number"])


def upgrade() -> None:
    _refuse_issued_vouchers()
    for table in INDEX_TABLES:
        op.execute(sa.text(f"DELETE FROM {table}"))
    op.execute(sa.text("UPDATE participants SET verified = false"))
    _add_columns()
    _create_tables()


def downgrade() -> None:
    for table in (
        "milestone_attestations",
        "fx_answers",
        "fx_feeds",
        "transfer_limits",
        "compliance_actions",
        "identity_changes",
    ):
        op.drop_table(table)
    for table in ("financing_quotes", "financing_terms"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column("max_financed_share_bps")
            batch_op.drop_column("required_milestone")
    with op.batch_alter_table("cash_movements") as batch_op:
        for column in ("fx_updated_at", "fx_round_id", "fx_rate_decimals", "fx_rate", "cash_currency"):
            batch_op.drop_column(column)
    with op.batch_alter_table("notes") as batch_op:
        batch_op.drop_column("frozen_value_minor")
        batch_op.drop_column("frozen")
    with op.batch_alter_table("vouchers") as batch_op:
        for column in ("milestone", "paused", "transfer_cap_minor", "settlement_currency"):
            batch_op.drop_column(column)
    with op.batch_alter_table("participants") as batch_op:
        for column in ("frozen", "kyc_expires_at", "country"):
            batch_op.drop_column(column)
