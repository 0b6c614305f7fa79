"""add stock levels

Revision ID: b5e9d7c1a2f3
Revises: a8c3e1f2b4d6
Create Date: 2024-03-04 11:08:03.925517

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b5e9d7c1a2f3'
down_revision = 'a8c3e1f2b4d6'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'stock_levels',
        sa.Column('product_id', sa.Integer(), nullable=False),
        sa.Column('quantity', sa.Integer(), server_default='0', nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_stock_levels_product_id_products'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('product_id', name=op.f('pk_stock_levels')),
    )


def downgrade() -> None:
    op.drop_table('stock_levels')
