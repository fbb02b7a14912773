"""exam_shown, binding_events, exam_flags: fair official exams (per-question clock, flags for admins).

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table('exam_shown',
    sa.Column('attempt_id', sa.BigInteger(), nullable=False),
    sa.Column('pos', sa.Integer(), nullable=False),
    sa.Column('shown_at', sa.Double(), nullable=False),
    sa.PrimaryKeyConstraint('attempt_id', 'pos'),
    sqlite_with_rowid=False
    )
    op.create_table('binding_events',
    sa.Column('id', Id, autoincrement=True, nullable=False),
    sa.Column('roster_id', sa.BigInteger(), nullable=False),
    sa.Column('platform', sa.Text(), nullable=False),
    sa.Column('user_key', sa.Text(), nullable=False),
    sa.Column('kind', sa.Text(), nullable=False),
    sa.Column('at', sa.Double(), nullable=False),
    sa.Column('by', sa.Text(), server_default=sa.text("''"), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sqlite_autoincrement=True
    )
    op.create_index('binding_events_roster', 'binding_events', ['roster_id', 'at'], unique=False)
    op.create_table('exam_flags',
    sa.Column('id', Id, autoincrement=True, nullable=False),
    sa.Column('key', sa.Text(), nullable=False),
    sa.Column('kind', sa.Text(), nullable=False),
    sa.Column('exam_id', sa.Text(), nullable=False),
    sa.Column('phase', sa.Text(), nullable=False),
    sa.Column('unit_id', sa.Text(), nullable=False),
    sa.Column('roster_id', sa.BigInteger(), nullable=False),
    sa.Column('attempt_id', sa.BigInteger(), nullable=True),
    sa.Column('other_roster_id', sa.BigInteger(), nullable=True),
    sa.Column('other_attempt_id', sa.BigInteger(), nullable=True),
    sa.Column('evidence', sa.Text(), nullable=False),
    sa.Column('created_at', sa.Double(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key'),
    sqlite_autoincrement=True
    )
    op.create_index('exam_flags_exam_unit', 'exam_flags', ['exam_id', 'unit_id'], unique=False)


def downgrade() -> None:
    op.drop_index('exam_flags_exam_unit', table_name='exam_flags')
    op.drop_table('exam_flags')
    op.drop_index('binding_events_roster', table_name='binding_events')
    op.drop_table('binding_events')
    op.drop_table('exam_shown')
