"""item_totals as part of the schema (releases up to user_version 7 created it at run time, so a
file of theirs may already hold it: created only where missing).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('item_totals',
    sa.Column('exam_id', sa.Text(), nullable=False),
    sa.Column('question_id', sa.Text(), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.Column('n_correct', sa.Integer(), nullable=False),
    sa.Column('sum_score', sa.Double(), nullable=False),
    sa.Column('sum_sq', sa.Double(), nullable=False),
    sa.Column('sum_score_correct', sa.Double(), nullable=False),
    sa.PrimaryKeyConstraint('exam_id', 'question_id'),
    sqlite_with_rowid=False,
    if_not_exists=True,
    )


def downgrade() -> None:
    op.drop_table('item_totals')
