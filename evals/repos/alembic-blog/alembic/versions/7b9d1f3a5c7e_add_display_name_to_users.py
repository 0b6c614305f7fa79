"""add display_name to users

Revision ID: 7b9d1f3a5c7e
Revises: 2e4a6c8e0b1d
Create Date: 2025-08-14 08:22:46.117059

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '7b9d1f3a5c7e'
down_revision: Union[str, Sequence[str], None] = '2e4a6c8e0b1d'
branch_labels: Union[str, Sequence[str], None] = None
# Backfills from users and comments; say so explicitly for readers of the graph.
depends_on: Union[str, Sequence[str], None] = '5a7c9e1b3d4f'


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('users') as batch_op:
        batch_op.add_column(sa.Column('display_name', sa.String(length=100), nullable=True))
    op.execute('UPDATE users SET display_name = username WHERE display_name IS NULL')


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('users') as batch_op:
        batch_op.drop_column('display_name')
