"""journal the versions a stuck transaction replaced

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 07:10:00

A stuck transaction is replaced under the same nonce; if the process dies before it learns which
version was mined, start-up must be able to find the earlier ones, not only the latest.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("operations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("replaced_transactions", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("operations", schema=None) as batch_op:
        batch_op.drop_column("replaced_transactions")
