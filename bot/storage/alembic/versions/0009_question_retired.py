"""question_retired: questions retired in the console (kept for past attempts, no longer drawn).

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('question_retired',
    sa.Column('question_id', sa.Text(), nullable=False),
    sa.Column('retired_at', sa.Double(), nullable=False),
    sa.Column('retired_by', sa.Text(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False, server_default=sa.text("''")),
    sa.PrimaryKeyConstraint('question_id')
    )


def downgrade() -> None:
    op.drop_table('question_retired')
