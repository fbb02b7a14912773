"""study_time, study_presence, rank_optouts; period indexes for leaderboards.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('study_time',
    sa.Column('user_key', sa.Text(), nullable=False),
    sa.Column('day', sa.Integer(), nullable=False),
    sa.Column('seconds', sa.Double(), nullable=False),
    sa.PrimaryKeyConstraint('user_key', 'day'),
    sqlite_with_rowid=False
    )
    op.create_index('study_time_day', 'study_time', ['day', 'user_key'], unique=False)
    op.create_table('study_presence',
    sa.Column('user_key', sa.Text(), nullable=False),
    sa.Column('last_at', sa.Double(), nullable=False),
    sa.PrimaryKeyConstraint('user_key')
    )
    op.create_table('rank_optouts',
    sa.Column('roster_id', sa.BigInteger(), nullable=False),
    sa.Column('at', sa.Double(), nullable=False),
    sa.PrimaryKeyConstraint('roster_id')
    )
    op.create_index('study_daily_day', 'study_daily', ['day', 'user_key', 'points'], unique=False)
    op.create_index('attempts_submitted', 'attempts', ['submitted_at', 'roster_id'], unique=False,
                    sqlite_where=sa.text('roster_id IS NOT NULL'), postgresql_where=sa.text('roster_id IS NOT NULL'))


def downgrade() -> None:
    op.drop_index('attempts_submitted', table_name='attempts')
    op.drop_index('study_daily_day', table_name='study_daily')
    op.drop_table('rank_optouts')
    op.drop_table('study_presence')
    op.drop_index('study_time_day', table_name='study_time')
    op.drop_table('study_time')
