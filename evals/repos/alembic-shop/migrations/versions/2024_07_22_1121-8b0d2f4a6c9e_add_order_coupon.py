"""add order coupon

Revision ID: 8b0d2f4a6c9e
Revises: 3a5c7e9b1d0f
Create Date: 2024-07-22 11:21:15.337842

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8b0d2f4a6c9e'
down_revision = '3a5c7e9b1d0f'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('orders', sa.Column('coupon_id', sa.Integer(), nullable=True))
    op.create_foreign_key(
        op.f('fk_orders_coupon_id_coupons'), 'orders', 'coupons', ['coupon_id'], ['id'], ondelete='SET NULL'
    )


def downgrade() -> None:
    op.drop_constraint(op.f('fk_orders_coupon_id_coupons'), 'orders', type_='foreignkey')
    op.drop_column('orders', 'coupon_id')
