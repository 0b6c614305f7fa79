"""index orders created_at

Revision ID: 4f1d2a9b7c3e
Revises: c2a1f3b4d5e6
Create Date: 2024-02-05 14:32:18.771902

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '4f1d2a9b7c3e'
down_revision = 'c2a1f3b4d5e6'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(op.f('ix_orders_created_at'), 'orders', ['created_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_orders_created_at'), table_name='orders')
