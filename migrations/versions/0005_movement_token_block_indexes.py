"""value movements indexed by token then block

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 04:55:00

A transfer's remaining value is the note's indexed value less its movements after the transfer's
block; these indexes answer that (and any per-token movement query) without scanning the table.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("value_movements", schema=None) as batch_op:
        batch_op.drop_index("ix_value_movements_from_token_id")
        batch_op.drop_index("ix_value_movements_to_token_id")
        batch_op.create_index("ix_value_movements_from_token_block", ["from_token_id", "block_number"])
        batch_op.create_index("ix_value_movements_to_token_block", ["to_token_id", "block_number"])


def downgrade() -> None:
    with op.batch_alter_table("value_movements", schema=None) as batch_op:
        batch_op.drop_index("ix_value_movements_to_token_block")
        batch_op.drop_index("ix_value_movements_from_token_block")
        batch_op.create_index("ix_value_movements_to_token_id", ["to_token_id"], unique=False)
        batch_op.create_index("ix_value_movements_from_token_id", ["from_token_id"], unique=False)
