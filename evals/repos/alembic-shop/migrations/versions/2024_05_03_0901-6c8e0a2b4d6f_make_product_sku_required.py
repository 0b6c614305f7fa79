"""make product sku required

Revision ID: 6c8e0a2b4d6f
Revises: d4a6c8e0f2b1
Create Date: 2024-05-03 09:01:36.847120

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '6c8e0a2b4d6f'
down_revision = 'd4a6c8e0f2b1'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.alter_column('products', 'sku', existing_type=sa.String(length=32), nullable=False)
    op.create_unique_constraint(op.f('uq_products_sku'), 'products', ['sku'])


def downgrade() -> None:
    op.drop_constraint(op.f('uq_products_sku'), 'products', type_='unique')
    op.alter_column('products', 'sku', existing_type=sa.String(length=32), nullable=True)
