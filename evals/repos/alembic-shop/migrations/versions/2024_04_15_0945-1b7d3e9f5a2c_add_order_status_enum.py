"""add order status enum

Revision ID: 1b7d3e9f5a2c
Revises: 9e2b7f4c1d8a
Create Date: 2024-04-15 09:45:27.660914

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '1b7d3e9f5a2c'
down_revision = '9e2b7f4c1d8a'
branch_labels = None
depends_on = None

order_status = postgresql.ENUM('pending', 'paid', 'shipped', 'cancelled', name='order_status')


def upgrade() -> None:
    order_status.create(op.get_bind(), checkfirst=True)
    op.add_column(
        'orders',
        sa.Column('status', order_status, server_default='pending', nullable=False),
    )


def downgrade() -> None:
    op.drop_column('orders', 'status')
    order_status.drop(op.get_bind(), checkfirst=True)
