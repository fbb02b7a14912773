"""pk_queue, pk_matches, pk_players, pk_answers: 答题PK matchmaking and matches.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table('pk_queue',
    sa.Column('user_key', sa.Text(), nullable=False),
    sa.Column('unit_id', sa.Text(), nullable=True),
    sa.Column('locale', sa.Text(), nullable=False),
    sa.Column('joined_at', sa.Double(), nullable=False),
    sa.PrimaryKeyConstraint('user_key')
    )
    op.create_index('pk_queue_joined', 'pk_queue', ['joined_at'], unique=False)
    op.create_table('pk_matches',
    sa.Column('id', Id, autoincrement=True, nullable=False),
    sa.Column('status', sa.Text(), nullable=False),
    sa.Column('questions', sa.Text(), nullable=False),
    sa.Column('pos', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.Double(), nullable=False),
    sa.Column('deadline', sa.Double(), nullable=False),
    sa.Column('created_at', sa.Double(), nullable=False),
    sa.Column('finished_at', sa.Double(), nullable=True),
    sa.Column('winner', sa.Text(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('robot', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sqlite_autoincrement=True
    )
    op.create_index('pk_matches_due', 'pk_matches', ['status', 'deadline'], unique=False)
    op.create_table('pk_players',
    sa.Column('match_id', sa.BigInteger(), nullable=False),
    sa.Column('seat', sa.Integer(), nullable=False),
    sa.Column('user_key', sa.Text(), nullable=False),
    sa.Column('locale', sa.Text(), nullable=False),
    sa.Column('active', sa.Integer(), nullable=False),
    sa.Column('rematch', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.PrimaryKeyConstraint('match_id', 'seat')
    )
    op.create_index('pk_players_active', 'pk_players', ['user_key'], unique=True,
                    sqlite_where=sa.text('active = 1'), postgresql_where=sa.text('active = 1'))
    op.create_index('pk_players_user', 'pk_players', ['user_key', 'match_id'], unique=False)
    op.create_table('pk_answers',
    sa.Column('match_id', sa.BigInteger(), nullable=False),
    sa.Column('user_key', sa.Text(), nullable=False),
    sa.Column('pos', sa.Integer(), nullable=False),
    sa.Column('choice', sa.Integer(), nullable=False),
    sa.Column('correct', sa.Integer(), nullable=False),
    sa.Column('ms', sa.Integer(), nullable=False),
    sa.Column('at', sa.Double(), nullable=False),
    sa.PrimaryKeyConstraint('match_id', 'user_key', 'pos'),
    sqlite_with_rowid=False
    )


def downgrade() -> None:
    op.drop_table('pk_answers')
    op.drop_index('pk_players_user', table_name='pk_players')
    op.drop_index('pk_players_active', table_name='pk_players')
    op.drop_table('pk_players')
    op.drop_index('pk_matches_due', table_name='pk_matches')
    op.drop_table('pk_matches')
    op.drop_index('pk_queue_joined', table_name='pk_queue')
    op.drop_table('pk_queue')
