"""add approved flag to comments

Revision ID: c4e6a8b0d2f4
Revises: 7b9d1f3a5c7e
Create Date: 2025-09-30 12:58:03.640218

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'c4e6a8b0d2f4'
down_revision: Union[str, Sequence[str], None] = '7b9d1f3a5c7e'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('comments') as batch_op:
        batch_op.add_column(
            sa.Column('approved', sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('comments') as batch_op:
        batch_op.drop_column('approved')
