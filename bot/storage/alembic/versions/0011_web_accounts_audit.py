"""web_login_tokens, web_sessions, web_login_failures, audit_log: console login and 操作日志.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table('web_login_tokens',
    sa.Column('token_hash', sa.Text(), nullable=False),
    sa.Column('user_key', sa.Text(), nullable=False),
    sa.Column('created_at', sa.Double(), nullable=False),
    sa.Column('expires_at', sa.Double(), nullable=False),
    sa.Column('used_at', sa.Double(), nullable=True),
    sa.PrimaryKeyConstraint('token_hash')
    )
    op.create_index('web_login_tokens_expiry', 'web_login_tokens', ['expires_at'], unique=False)
    op.create_table('web_sessions',
    sa.Column('session_hash', sa.Text(), nullable=False),
    sa.Column('user_key', sa.Text(), nullable=False),
    sa.Column('created_at', sa.Double(), nullable=False),
    sa.Column('last_seen', sa.Double(), nullable=False),
    sa.PrimaryKeyConstraint('session_hash')
    )
    op.create_index('web_sessions_seen', 'web_sessions', ['last_seen'], unique=False)
    op.create_table('web_login_failures',
    sa.Column('id', Id, autoincrement=True, nullable=False),
    sa.Column('address', sa.Text(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('at', sa.Double(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sqlite_autoincrement=True
    )
    op.create_index('web_login_failures_address', 'web_login_failures', ['address', 'at'], unique=False)
    op.create_table('audit_log',
    sa.Column('id', Id, autoincrement=True, nullable=False),
    sa.Column('at', sa.Double(), nullable=False),
    sa.Column('actor', sa.Text(), nullable=False),
    sa.Column('action', sa.Text(), nullable=False),
    sa.Column('target', sa.Text(), nullable=False),
    sa.Column('unit_id', sa.Text(), nullable=True),
    sa.Column('before', sa.Text(), nullable=True),
    sa.Column('after', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sqlite_autoincrement=True
    )
    op.create_index('audit_log_at', 'audit_log', ['at'], unique=False)
    op.create_index('audit_log_unit', 'audit_log', ['unit_id', 'at'], unique=False)


def downgrade() -> None:
    op.drop_index('audit_log_unit', table_name='audit_log')
    op.drop_index('audit_log_at', table_name='audit_log')
    op.drop_table('audit_log')
    op.drop_index('web_login_failures_address', table_name='web_login_failures')
    op.drop_table('web_login_failures')
    op.drop_index('web_sessions_seen', table_name='web_sessions')
    op.drop_table('web_sessions')
    op.drop_index('web_login_tokens_expiry', table_name='web_login_tokens')
    op.drop_table('web_login_tokens')
