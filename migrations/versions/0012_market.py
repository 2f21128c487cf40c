"""model 2: offerings of yield tokens, their trades, listings, holdings and redemptions

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 12:00:00

Every table is a projection of the OfferingVault's events (service/market/projection.py); a ledger
upgraded from 0011 has no offerings yet, so the tables start empty.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _event_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("transaction_hash", sa.String(length=66), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "offerings",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("voucher_id", sa.BigInteger(), nullable=False),
        sa.Column("seller_address", sa.String(length=42), nullable=False),
        sa.Column("token_address", sa.String(length=42), nullable=False),
        sa.Column("vault_token_id", sa.BigInteger(), nullable=False),
        sa.Column("value_minor", sa.BigInteger(), nullable=False),
        sa.Column("rate_bps", sa.Integer(), nullable=False),
        sa.Column("basis_days", sa.Integer(), nullable=False),
        sa.Column("min_subscription_minor", sa.BigInteger(), nullable=False),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_transaction_hash", sa.String(length=66), nullable=False),
        sa.Column("opened_block_number", sa.BigInteger(), nullable=False),
        sa.Column("sold_minor", sa.BigInteger(), nullable=False),
        sa.Column("cash_raised_minor", sa.BigInteger(), nullable=False),
        sa.Column("withdrawn_minor", sa.BigInteger(), nullable=False),
        sa.Column("unsold_minor", sa.BigInteger(), nullable=False),
        sa.Column("closed", sa.Boolean(), nullable=False),
        sa.Column("cash_received_minor", sa.BigInteger(), nullable=False),
        sa.Column("cash_redeemed_minor", sa.BigInteger(), nullable=False),
        sa.Column("tokens_redeemed_minor", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_address"),
    )
    op.create_index("ix_offerings_voucher_id", "offerings", ["voucher_id"])
    op.create_index("ix_offerings_seller_address", "offerings", ["seller_address"])
    op.create_index("ix_offerings_opened_block_number", "offerings", ["opened_block_number"])

    op.create_table(
        "offering_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("offering_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("address", sa.String(length=42), nullable=True),
        sa.Column("to_address", sa.String(length=42), nullable=True),
        sa.Column("token_id", sa.BigInteger(), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        *_event_columns(),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_offering_events_offering_id", "offering_events", ["offering_id"])
    op.create_index("ix_offering_events_block_number", "offering_events", ["block_number"])

    op.create_table(
        "offering_trades",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("offering_id", sa.BigInteger(), nullable=False),
        sa.Column("market", sa.String(length=16), nullable=False),
        sa.Column("listing_id", sa.BigInteger(), nullable=True),
        sa.Column("buyer_address", sa.String(length=42), nullable=False),
        sa.Column("seller_address", sa.String(length=42), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("cash_minor", sa.BigInteger(), nullable=False),
        sa.Column("rate_bps", sa.Integer(), nullable=False),
        sa.Column("days_to_maturity", sa.Integer(), nullable=False),
        sa.Column("traded_at", sa.DateTime(timezone=True), nullable=False),
        *_event_columns(),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_offering_trades_offering_id", "offering_trades", ["offering_id"])
    op.create_index("ix_offering_trades_listing_id", "offering_trades", ["listing_id"])
    op.create_index("ix_offering_trades_buyer_address", "offering_trades", ["buyer_address"])
    op.create_index("ix_offering_trades_traded_at", "offering_trades", ["traded_at"])
    op.create_index("ix_offering_trades_block_number", "offering_trades", ["block_number"])

    op.create_table(
        "listings",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("offering_id", sa.BigInteger(), nullable=False),
        sa.Column("seller_address", sa.String(length=42), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("rate_bps", sa.Integer(), nullable=False),
        sa.Column("listed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("transaction_hash", sa.String(length=66), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("remaining_minor", sa.BigInteger(), nullable=False),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
        sa.Column("cancelled_block_number", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_listings_offering_id", "listings", ["offering_id"])
    op.create_index("ix_listings_seller_address", "listings", ["seller_address"])
    op.create_index("ix_listings_block_number", "listings", ["block_number"])

    op.create_table(
        "token_holdings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("offering_id", sa.BigInteger(), nullable=False),
        sa.Column("address", sa.String(length=42), nullable=False),
        sa.Column("tokens_minor", sa.BigInteger(), nullable=False),
        sa.Column("paid_minor", sa.BigInteger(), nullable=False),
        sa.Column("day_tokens", sa.BigInteger(), nullable=False),
        sa.Column("redeemed_tokens_minor", sa.BigInteger(), nullable=False),
        sa.Column("redeemed_cash_minor", sa.BigInteger(), nullable=False),
        sa.Column("first_bought_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("offering_id", "address"),
    )
    op.create_index("ix_token_holdings_offering_id", "token_holdings", ["offering_id"])
    op.create_index("ix_token_holdings_address", "token_holdings", ["address"])

    op.create_table(
        "redemptions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("offering_id", sa.BigInteger(), nullable=False),
        sa.Column("holder_address", sa.String(length=42), nullable=False),
        sa.Column("tokens_minor", sa.BigInteger(), nullable=False),
        sa.Column("cash_minor", sa.BigInteger(), nullable=False),
        sa.Column("redeemed_at", sa.DateTime(timezone=True), nullable=False),
        *_event_columns(),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_redemptions_offering_id", "redemptions", ["offering_id"])
    op.create_index("ix_redemptions_holder_address", "redemptions", ["holder_address"])
    op.create_index("ix_redemptions_block_number", "redemptions", ["block_number"])


def downgrade() -> None:
    for table in (
        "redemptions",
        "token_holdings",
        "listings",
        "offering_trades",
        "offering_events",
        "offerings",
    ):
        op.drop_table(table)
