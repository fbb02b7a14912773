"""console_exams (official exams created in the web console), gap_marks (lookup gaps marked handled).

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('console_exams',
    sa.Column('id', sa.Text(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('revision', sa.BigInteger(), nullable=False),
    sa.Column('created_by', sa.Text(), nullable=False),
    sa.Column('created_at', sa.Double(), nullable=False),
    sa.Column('updated_by', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.Double(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('gap_marks',
    sa.Column('query', sa.Text(), nullable=False),
    sa.Column('handled_by', sa.Text(), nullable=False),
    sa.Column('handled_at', sa.Double(), nullable=False),
    sa.Column('note', sa.Text(), server_default=sa.text("''"), nullable=False),
    sa.PrimaryKeyConstraint('query')
    )


def downgrade() -> None:
    op.drop_table('gap_marks')
    op.drop_table('console_exams')
