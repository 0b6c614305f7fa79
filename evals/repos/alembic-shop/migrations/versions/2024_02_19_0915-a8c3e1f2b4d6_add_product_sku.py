"""add product sku

Revision ID: a8c3e1f2b4d6
Revises: 4f1d2a9b7c3e
Create Date: 2024-02-19 09:15:52.310448

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a8c3e1f2b4d6'
down_revision = '4f1d2a9b7c3e'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable for now: existing products get a SKU in a later data migration.
    op.add_column('products', sa.Column('sku', sa.String(length=32), nullable=True))


def downgrade() -> None:
    op.drop_column('products', 'sku')
