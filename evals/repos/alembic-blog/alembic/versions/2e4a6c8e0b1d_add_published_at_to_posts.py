"""add published_at to posts

Revision ID: 2e4a6c8e0b1d
Revises: 9c1e3a5b7d9f
Create Date: 2025-07-03 18:47:12.908634

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '2e4a6c8e0b1d'
down_revision: Union[str, Sequence[str], None] = '9c1e3a5b7d9f'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('posts') as batch_op:
        batch_op.add_column(sa.Column('published_at', sa.DateTime(), nullable=True))
        batch_op.create_index('ix_posts_published_at', ['published_at'])


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('posts') as batch_op:
        batch_op.drop_index('ix_posts_published_at')
        batch_op.drop_column('published_at')
