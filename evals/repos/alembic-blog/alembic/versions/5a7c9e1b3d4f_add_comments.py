"""add comments

Revision ID: 5a7c9e1b3d4f
Revises: 1f3c5a7e9b2d
Create Date: 2025-06-09 21:40:55.003187

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '5a7c9e1b3d4f'
down_revision: Union[str, Sequence[str], None] = '1f3c5a7e9b2d'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        'comments',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('post_id', sa.Integer(), sa.ForeignKey('posts.id', ondelete='CASCADE'), nullable=False),
        sa.Column('author_name', sa.String(length=100), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(), server_default=sa.func.current_timestamp(), nullable=False),
    )
    op.create_index('ix_comments_post_id', 'comments', ['post_id'])


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index('ix_comments_post_id', table_name='comments')
    op.drop_table('comments')
