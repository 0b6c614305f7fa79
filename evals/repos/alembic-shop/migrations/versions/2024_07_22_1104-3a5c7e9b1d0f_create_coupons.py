"""create coupons

Revision ID: 3a5c7e9b1d0f
Revises: f0e2d4c6a8b1
Create Date: 2024-07-22 11:04:58.090263

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3a5c7e9b1d0f'
down_revision = 'f0e2d4c6a8b1'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'coupons',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=40), nullable=False),
        sa.Column('percent_off', sa.Integer(), nullable=False),
        sa.Column('valid_until', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_coupons')),
        sa.UniqueConstraint('code', name=op.f('uq_coupons_code')),
    )


def downgrade() -> None:
    op.drop_table('coupons')
