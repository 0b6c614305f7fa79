"""backfill product sku

Revision ID: d4a6c8e0f2b1
Revises: 1b7d3e9f5a2c
Create Date: 2024-05-02 13:22:50.201776

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd4a6c8e0f2b1'
down_revision = '1b7d3e9f5a2c'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Products created before SKUs existed get a stable, unique placeholder.
    op.execute("UPDATE products SET sku = 'LEGACY-' || lpad(id::text, 6, '0') WHERE sku IS NULL")


def downgrade() -> None:
    # The placeholders are indistinguishable from real SKUs once edited; keep them.
    pass
