"""Baseline: the schema the hand-written migrations 0001-0007 made (SQLite PRAGMA user_version 7).
A SQLite file of that version is stamped with this revision and upgraded from here.

Revision ID: 0001
Revises:
Create Date: 2026-11-24 11:13:52.686142
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('activity_log',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('user_key', sa.Text(), nullable=False),
    sa.Column('kind', sa.Text(), nullable=False),
    sa.Column('ref', sa.Text(), server_default=sa.text("('')"), nullable=False),
    sa.Column('at', sa.Double(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('activity_log', schema=None) as batch_op:
        batch_op.create_index('activity_log_kind', ['kind', 'at'], unique=False)
        batch_op.create_index('activity_log_user', ['user_key', 'at'], unique=False)

    op.create_table('admin_log',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('user_key', sa.Text(), nullable=False),
    sa.Column('action', sa.Text(), nullable=False),
    sa.Column('detail', sa.Text(), server_default=sa.text("('')"), nullable=False),
    sa.Column('at', sa.Double(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('admins',
    sa.Column('user_key', sa.Text(), nullable=False),
    sa.Column('unit_id', sa.Text(), nullable=True),
    sa.Column('granted_by', sa.Text(), nullable=False),
    sa.Column('granted_at', sa.Double(), nullable=False),
    sa.PrimaryKeyConstraint('user_key')
    )
    op.create_table('answer_log',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('user_key', sa.Text(), nullable=False),
    sa.Column('question_id', sa.Text(), nullable=False),
    sa.Column('correct', sa.Integer(), nullable=False),
    sa.Column('elapsed_ms', sa.Integer(), nullable=True),
    sa.Column('mode', sa.Text(), nullable=False),
    sa.Column('attempt_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('at', sa.Double(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('answer_log', schema=None) as batch_op:
        batch_op.create_index('answer_log_attempt', ['attempt_id'], unique=False, sqlite_where=sa.text('attempt_id IS NOT NULL'), postgresql_where=sa.text('attempt_id IS NOT NULL'))
        batch_op.create_index('answer_log_question', ['question_id'], unique=False)
        batch_op.create_index('answer_log_user', ['user_key', 'at'], unique=False)

    op.create_table('attempts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('user_key', sa.Text(), nullable=False),
    sa.Column('exam_id', sa.Text(), nullable=False),
    sa.Column('kind', sa.Text(), server_default=sa.text("'mock'"), nullable=False),
    sa.Column('started_at', sa.Double(), nullable=False),
    sa.Column('deadline', sa.Double(), nullable=False),
    sa.Column('status', sa.Text(), server_default=sa.text("'open'"), nullable=False),
    sa.Column('paper', sa.Text(), nullable=False),
    sa.Column('submitted_at', sa.Double(), nullable=True),
    sa.Column('score', sa.Double(), nullable=True),
    sa.Column('passed', sa.Integer(), nullable=True),
    sa.Column('roster_id', sa.Integer(), nullable=True),
    sa.Column('unit_id', sa.Text(), nullable=True),
    sa.Column('phase', sa.Text(), nullable=True),
    sa.CheckConstraint("status IN ('open', 'submitted', 'expired')", name='attempts_status'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.create_index('attempts_exam_roster', ['exam_id', 'roster_id', 'status', 'score', 'passed', 'id'], unique=False)
        batch_op.create_index('attempts_open', ['status', 'deadline'], unique=False)
        batch_op.create_index('attempts_user', ['user_key', 'exam_id'], unique=False)

    op.create_table('campaigns',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('key', sa.Text(), nullable=False),
    sa.Column('kind', sa.Text(), nullable=False),
    sa.Column('created_by', sa.Text(), nullable=True),
    sa.Column('created_at', sa.Double(), nullable=False),
    sa.Column('status', sa.Text(), server_default=sa.text("'active'"), nullable=False),
    sa.Column('payload', sa.Text(), nullable=True),
    sa.Column('audience', sa.Text(), nullable=True),
    sa.Column('total', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.CheckConstraint("status IN ('draft', 'active', 'cancelled')", name='campaigns_status'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key')
    )
    op.create_table('exam_windows',
    sa.Column('exam_id', sa.Text(), nullable=False),
    sa.Column('opens', sa.Double(), nullable=True),
    sa.Column('closes', sa.Double(), nullable=True),
    sa.Column('makeup_opens', sa.Double(), nullable=True),
    sa.Column('makeup_closes', sa.Double(), nullable=True),
    sa.Column('set_by', sa.Text(), nullable=False),
    sa.Column('set_at', sa.Double(), nullable=False),
    sa.PrimaryKeyConstraint('exam_id')
    )
    op.create_table('job_runs',
    sa.Column('job_id', sa.Text(), nullable=False),
    sa.Column('last_fire', sa.Double(), nullable=False),
    sa.Column('ran_at', sa.Double(), nullable=False),
    sa.Column('outcome', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('job_id')
    )
    op.create_table('lookup_gaps',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('user_key', sa.Text(), nullable=False),
    sa.Column('query', sa.Text(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('top_ref', sa.Text(), server_default=sa.text("('')"), nullable=False),
    sa.Column('at', sa.Double(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('lookup_gaps', schema=None) as batch_op:
        batch_op.create_index('lookup_gaps_at', ['at'], unique=False)
        batch_op.create_index('lookup_gaps_query', ['query'], unique=False)

    op.create_table('numbered_menus',
    sa.Column('user_key', sa.Text(), nullable=False),
    sa.Column('actions', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.Double(), nullable=False),
    sa.PrimaryKeyConstraint('user_key')
    )
    op.create_table('pending_uploads',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('user_key', sa.Text(), nullable=False),
    sa.Column('filename', sa.Text(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.Double(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('pending_uploads', schema=None) as batch_op:
        batch_op.create_index('pending_uploads_user', ['user_key'], unique=False)

    op.create_table('practice_progress',
    sa.Column('user_key', sa.Text(), nullable=False),
    sa.Column('scope', sa.Text(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('user_key', 'scope'),
    sqlite_with_rowid=False
    )
    op.create_table('processed_updates',
    sa.Column('key', sa.Text(), nullable=False),
    sa.Column('at', sa.Double(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    with op.batch_alter_table('processed_updates', schema=None) as batch_op:
        batch_op.create_index('processed_updates_at', ['at'], unique=False)

    op.create_table('reminder_prefs',
    sa.Column('user_key', sa.Text(), nullable=False),
    sa.Column('enabled', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('minute', sa.Integer(), server_default=sa.text('(480)'), nullable=False),
    sa.Column('tz', sa.Text(), nullable=True),
    sa.Column('last_daily', sa.Text(), nullable=True),
    sa.Column('updated_at', sa.Double(), nullable=False),
    sa.CheckConstraint('minute BETWEEN 0 AND 1439', name='reminder_prefs_minute'),
    sa.PrimaryKeyConstraint('user_key')
    )
    with op.batch_alter_table('reminder_prefs', schema=None) as batch_op:
        batch_op.create_index('reminder_prefs_due', ['enabled', 'minute'], unique=False)

    op.create_table('review_cards',
    sa.Column('user_key', sa.Text(), nullable=False),
    sa.Column('question_id', sa.Text(), nullable=False),
    sa.Column('card', sa.Text(), nullable=False),
    sa.Column('due', sa.Double(), nullable=False),
    sa.PrimaryKeyConstraint('user_key', 'question_id'),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('review_cards', schema=None) as batch_op:
        batch_op.create_index('review_cards_due', ['user_key', 'due'], unique=False)

    op.create_table('roster',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('staff_no', sa.Text(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('unit_id', sa.Text(), nullable=False),
    sa.Column('role', sa.Text(), server_default=sa.text("('')"), nullable=False),
    sa.Column('phone_tail', sa.Text(), server_default=sa.text("('')"), nullable=False),
    sa.Column('active', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.Column('updated_at', sa.Double(), server_default=sa.text('0'), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('staff_no')
    )
    with op.batch_alter_table('roster', schema=None) as batch_op:
        batch_op.create_index('roster_unit', ['unit_id'], unique=False)

    op.create_table('sessions',
    sa.Column('user_key', sa.Text(), nullable=False),
    sa.Column('state', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.Double(), nullable=False),
    sa.PrimaryKeyConstraint('user_key')
    )
    op.create_table('stats_snapshots',
    sa.Column('day', sa.Text(), nullable=False),
    sa.Column('exam_id', sa.Text(), nullable=False),
    sa.Column('unit_id', sa.Text(), nullable=False),
    sa.Column('roster', sa.Integer(), nullable=False),
    sa.Column('registered', sa.Integer(), nullable=False),
    sa.Column('studied', sa.Integer(), nullable=False),
    sa.Column('sat', sa.Integer(), nullable=False),
    sa.Column('passed', sa.Integer(), nullable=False),
    sa.Column('taken_at', sa.Double(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'exam_id', 'unit_id'),
    sqlite_with_rowid=False
    )
    op.create_table('study_daily',
    sa.Column('user_key', sa.Text(), nullable=False),
    sa.Column('day', sa.Integer(), nullable=False),
    sa.Column('activity', sa.Text(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('user_key', 'day', 'activity'),
    sqlite_with_rowid=False
    )
    op.create_table('study_marks',
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('last_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('rules', sa.Text(), server_default=sa.text("('')"), nullable=False),
    sa.PrimaryKeyConstraint('source')
    )
    op.create_table('units',
    sa.Column('id', sa.Text(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('parent_id', sa.Text(), nullable=True),
    sa.Column('sort', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.create_index('units_parent', ['parent_id'], unique=False)

    op.create_table('users',
    sa.Column('key', sa.Text(), nullable=False),
    sa.Column('locale', sa.Text(), nullable=True),
    sa.Column('created_at', sa.Double(), nullable=False),
    sa.Column('blocked', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('wrong_book',
    sa.Column('user_key', sa.Text(), nullable=False),
    sa.Column('question_id', sa.Text(), nullable=False),
    sa.Column('streak', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('added_at', sa.Double(), nullable=False),
    sa.PrimaryKeyConstraint('user_key', 'question_id'),
    sqlite_with_rowid=False
    )
    op.create_table('attempt_answers',
    sa.Column('attempt_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('pos', sa.Integer(), nullable=False),
    sa.Column('choice', sa.Text(), nullable=False),
    sa.Column('answered_at', sa.Double(), nullable=False),
    sa.ForeignKeyConstraint(['attempt_id'], ['attempts.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('attempt_id', 'pos'),
    sqlite_with_rowid=False
    )
    op.create_table('bind_codes',
    sa.Column('code', sa.Text(), nullable=False),
    sa.Column('roster_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('issued_by', sa.Text(), nullable=False),
    sa.Column('created_at', sa.Double(), nullable=False),
    sa.Column('expires_at', sa.Double(), nullable=False),
    sa.Column('used_by', sa.Text(), nullable=True),
    sa.Column('used_at', sa.Double(), nullable=True),
    sa.ForeignKeyConstraint(['roster_id'], ['roster.id'], ),
    sa.PrimaryKeyConstraint('code')
    )
    op.create_table('bindings',
    sa.Column('roster_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('platform', sa.Text(), nullable=False),
    sa.Column('user_key', sa.Text(), nullable=False),
    sa.Column('bound_at', sa.Double(), nullable=False),
    sa.Column('bound_by', sa.Text(), server_default=sa.text("('')"), nullable=False),
    sa.ForeignKeyConstraint(['roster_id'], ['roster.id'], ),
    sa.PrimaryKeyConstraint('roster_id', 'platform'),
    sa.UniqueConstraint('user_key')
    )
    op.create_table('outbox',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('channel', sa.Text(), nullable=False),
    sa.Column('user_key', sa.Text(), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('dedupe_key', sa.Text(), nullable=False),
    sa.Column('status', sa.Text(), server_default=sa.text("'pending'"), nullable=False),
    sa.Column('tries', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('next_try_at', sa.Double(), server_default=sa.text('0'), nullable=False),
    sa.Column('created_at', sa.Double(), nullable=False),
    sa.Column('sent_at', sa.Double(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('campaign_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('claimed_at', sa.Double(), nullable=True),
    sa.Column('expires_at', sa.Double(), nullable=True),
    sa.Column('outcome', sa.Text(), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'inflight', 'sent', 'failed', 'cancelled')", name='outbox_status'),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('dedupe_key')
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('outbox_campaign', ['campaign_id', 'status'], unique=False)
        batch_op.create_index('outbox_pending', ['channel', 'status', 'next_try_at'], unique=False)
        batch_op.create_index('outbox_user', ['user_key', 'status'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('outbox_user')
        batch_op.drop_index('outbox_pending')
        batch_op.drop_index('outbox_campaign')

    op.drop_table('outbox')
    op.drop_table('bindings')
    op.drop_table('bind_codes')
    op.drop_table('attempt_answers')
    op.drop_table('wrong_book')
    op.drop_table('users')
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.drop_index('units_parent')

    op.drop_table('units')
    op.drop_table('study_marks')
    op.drop_table('study_daily')
    op.drop_table('stats_snapshots')
    op.drop_table('sessions')
    with op.batch_alter_table('roster', schema=None) as batch_op:
        batch_op.drop_index('roster_unit')

    op.drop_table('roster')
    with op.batch_alter_table('review_cards', schema=None) as batch_op:
        batch_op.drop_index('review_cards_due')

    op.drop_table('review_cards')
    with op.batch_alter_table('reminder_prefs', schema=None) as batch_op:
        batch_op.drop_index('reminder_prefs_due')

    op.drop_table('reminder_prefs')
    with op.batch_alter_table('processed_updates', schema=None) as batch_op:
        batch_op.drop_index('processed_updates_at')

    op.drop_table('processed_updates')
    op.drop_table('practice_progress')
    with op.batch_alter_table('pending_uploads', schema=None) as batch_op:
        batch_op.drop_index('pending_uploads_user')

    op.drop_table('pending_uploads')
    op.drop_table('numbered_menus')
    with op.batch_alter_table('lookup_gaps', schema=None) as batch_op:
        batch_op.drop_index('lookup_gaps_query')
        batch_op.drop_index('lookup_gaps_at')

    op.drop_table('lookup_gaps')
    op.drop_table('job_runs')
    op.drop_table('exam_windows')
    op.drop_table('campaigns')
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.drop_index('attempts_user')
        batch_op.drop_index('attempts_open')
        batch_op.drop_index('attempts_exam_roster')

    op.drop_table('attempts')
    with op.batch_alter_table('answer_log', schema=None) as batch_op:
        batch_op.drop_index('answer_log_user')
        batch_op.drop_index('answer_log_question')
        batch_op.drop_index('answer_log_attempt', sqlite_where=sa.text('attempt_id IS NOT NULL'), postgresql_where=sa.text('attempt_id IS NOT NULL'))

    op.drop_table('answer_log')
    op.drop_table('admins')
    op.drop_table('admin_log')
    with op.batch_alter_table('activity_log', schema=None) as batch_op:
        batch_op.drop_index('activity_log_user')
        batch_op.drop_index('activity_log_kind')

    op.drop_table('activity_log')
