"""merge stock levels and customer phone

Revision ID: 9e2b7f4c1d8a
Revises: b5e9d7c1a2f3, 0c4f8e2d9a1b
Create Date: 2024-03-06 10:00:12.480311

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9e2b7f4c1d8a'
down_revision = ('b5e9d7c1a2f3', '0c4f8e2d9a1b')
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
