"""certificates: pass certificates of official exams with their HMAC serials and revocations.

Revision ID: 0005
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0003'
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table('certificates',
    sa.Column('id', Id, autoincrement=True, nullable=False),
    sa.Column('serial', sa.Text(), nullable=False),
    sa.Column('attempt_id', sa.BigInteger(), nullable=False),
    sa.Column('roster_id', sa.BigInteger(), nullable=False),
    sa.Column('user_key', sa.Text(), nullable=False),
    sa.Column('exam_id', sa.Text(), nullable=False),
    sa.Column('exam_title', sa.Text(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('unit_id', sa.Text(), nullable=False),
    sa.Column('unit_name', sa.Text(), nullable=False),
    sa.Column('score', sa.Double(), nullable=False),
    sa.Column('max_score', sa.Double(), nullable=False),
    sa.Column('issued_on', sa.Text(), nullable=False),
    sa.Column('issued_at', sa.Double(), nullable=False),
    sa.Column('counter', sa.Integer(), nullable=False),
    sa.Column('revoked_at', sa.Double(), nullable=True),
    sa.Column('revoked_by', sa.Text(), nullable=True),
    sa.Column('revoke_reason', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('attempt_id'),
    sa.UniqueConstraint('serial'),
    sqlite_autoincrement=True,
    )
    op.create_index('certificates_roster', 'certificates', ['roster_id', 'exam_id'], unique=False)
    op.create_index('certificates_user', 'certificates', ['user_key'], unique=False)


def downgrade() -> None:
    op.drop_index('certificates_user', table_name='certificates')
    op.drop_index('certificates_roster', table_name='certificates')
    op.drop_table('certificates')
