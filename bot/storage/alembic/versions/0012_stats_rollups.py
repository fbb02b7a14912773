"""stats_people, stats_finals: statistics rollups kept by triggers (bot/storage/stats_rollup.py).

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.storage import stats_rollup

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table('stats_people',
    sa.Column('roster_id', Id, nullable=False),
    sa.Column('unit_id', sa.Text(), nullable=True),
    sa.Column('role', sa.Text(), nullable=True),
    sa.Column('active', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('bound', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('points', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('seconds', sa.Double(), server_default=sa.text('0'), nullable=False),
    sa.PrimaryKeyConstraint('roster_id')
    )
    op.create_index('stats_people_unit', 'stats_people', ['unit_id', 'role', 'active', 'bound', 'points', 'seconds'],
                    unique=False)
    op.create_table('stats_finals',
    sa.Column('exam_id', sa.Text(), nullable=False),
    sa.Column('roster_id', Id, nullable=False),
    sa.Column('unit_id', sa.Text(), nullable=True),
    sa.Column('role', sa.Text(), nullable=True),
    sa.Column('active', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('n', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('best', sa.Double(), nullable=True),
    sa.Column('best_passed', sa.Integer(), nullable=True),
    sa.Column('last_score', sa.Double(), nullable=True),
    sa.Column('last_passed', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('exam_id', 'roster_id')
    )
    op.create_index('stats_finals_roster', 'stats_finals', ['roster_id'], unique=False)
    op.create_index('stats_finals_unit', 'stats_finals',
                    ['exam_id', 'active', 'unit_id', 'role', 'best', 'best_passed', 'n'], unique=False)
    connection = op.get_bind()
    stats_rollup.rebuild(connection)
    stats_rollup.install(connection)


def downgrade() -> None:
    stats_rollup.uninstall(op.get_bind())
    op.drop_index('stats_finals_unit', table_name='stats_finals')
    op.drop_index('stats_finals_roster', table_name='stats_finals')
    op.drop_table('stats_finals')
    op.drop_index('stats_people_unit', table_name='stats_people')
    op.drop_table('stats_people')
