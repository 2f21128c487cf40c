"""a relay transaction's bytes journaled once, not on every operation it carries

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 15:30:00

Each operation row held the raw bytes of its whole transaction: a relay batch of N requests stored
its bytes N times (13 KB per operation on average in a 64-client benchmark run, 67 of a 75 MB
database), and every state change rewrote them. The bytes (and the versions a stuck transaction
replaced) move to one row per transaction that the operations point to.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "journaled_transactions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("sender_address", sa.String(length=42), nullable=False),
        sa.Column("nonce", sa.BigInteger(), nullable=False),
        sa.Column("raw_transaction", sa.Text(), nullable=False),
        sa.Column("replaced_transactions", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("operations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("journaled_transaction_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_operations_journaled_transaction",
            "journaled_transactions",
            ["journaled_transaction_id"],
            ["id"],
        )
    # The rows of one transaction are those with its hash (the hash of its bytes, set with them).
    op.execute(
        """
        INSERT INTO journaled_transactions
            (sender_address, nonce, raw_transaction, replaced_transactions, created_at)
        SELECT MIN(sender_address), MIN(nonce), MIN(raw_transaction), MAX(replaced_transactions),
               MIN(created_at)
        FROM operations
        WHERE raw_transaction IS NOT NULL AND sender_address IS NOT NULL AND nonce IS NOT NULL
        GROUP BY transaction_hash
        """
    )
    # Each operation finds its transaction by sender and nonce through an index, then by its bytes
    # among the few versions that share them (replacements): linear in the journal, not quadratic.
    op.create_index(
        "ix_journaled_transactions_migration", "journaled_transactions", ["sender_address", "nonce"]
    )
    op.execute(
        """
        UPDATE operations SET journaled_transaction_id = (
            SELECT journaled.id FROM journaled_transactions AS journaled
            WHERE journaled.sender_address = operations.sender_address
              AND journaled.nonce = operations.nonce
              AND journaled.raw_transaction = operations.raw_transaction
        )
        WHERE raw_transaction IS NOT NULL
        """
    )
    op.drop_index("ix_journaled_transactions_migration", "journaled_transactions")
    with op.batch_alter_table("operations", schema=None) as batch_op:
        batch_op.drop_column("replaced_transactions")
        batch_op.drop_column("raw_transaction")


def downgrade() -> None:
    with op.batch_alter_table("operations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("raw_transaction", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("replaced_transactions", sa.Text(), nullable=True))
    op.execute(
        """
        UPDATE operations SET
            raw_transaction = (
                SELECT journaled.raw_transaction FROM journaled_transactions AS journaled
                WHERE journaled.id = operations.journaled_transaction_id
            ),
            replaced_transactions = (
                SELECT journaled.replaced_transactions FROM journaled_transactions AS journaled
                WHERE journaled.id = operations.journaled_transaction_id
            )
        WHERE journaled_transaction_id IS NOT NULL
        """
    )
    with op.batch_alter_table("operations", schema=None) as batch_op:
        batch_op.drop_constraint("fk_operations_journaled_transaction", type_="foreignkey")
        batch_op.drop_column("journaled_transaction_id")
    op.drop_table("journaled_transactions")
