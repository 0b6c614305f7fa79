"""add customer phone

Revision ID: 0c4f8e2d9a1b
Revises: a8c3e1f2b4d6
Create Date: 2024-03-04 16:30:44.162087

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0c4f8e2d9a1b'
down_revision = 'a8c3e1f2b4d6'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('customers', sa.Column('phone', sa.String(length=32), nullable=True))


def downgrade() -> None:
    op.drop_column('customers', 'phone')
