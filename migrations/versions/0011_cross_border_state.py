"""cross-border monitoring: the history of each voucher's transfer cap

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-07 09:00:00

The regulator's export of cross-border payments shows the transfer cap in force when each payment ran;
the vouchers table keeps only the current one. Vouchers indexed before this revision get one row: their
current cap, as of their issuance (the caps set since are not known to the index without re-indexing).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "voucher_transfer_caps",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("voucher_id", sa.BigInteger(), nullable=False),
        sa.Column("cap_minor", sa.BigInteger(), nullable=False),
        sa.Column("transaction_hash", sa.String(length=66), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_voucher_transfer_caps_voucher_id", "voucher_transfer_caps", ["voucher_id"])
    op.create_index("ix_voucher_transfer_caps_block_number", "voucher_transfer_caps", ["block_number"])
    op.execute(
        sa.text(
            "INSERT INTO voucher_transfer_caps (voucher_id, cap_minor, transaction_hash, log_index, "
            "block_number) SELECT id, transfer_cap_minor, issue_transaction_hash, 0, issue_block_number "
            "FROM vouchers"
        )
    )


def downgrade() -> None:
    op.drop_table("voucher_transfer_caps")
