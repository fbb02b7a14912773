"""Outbox leases (claimed_by, lease_until: an in-flight row whose sender died is claimed again
once its lease runs out) and bank_versions (question-bank changes that every worker applies).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('outbox', sa.Column('claimed_by', sa.Text(), nullable=True))
    op.add_column('outbox', sa.Column('lease_until', sa.Double(), nullable=True))
    op.create_table('bank_versions',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('path', sa.Text(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.Double(), nullable=False),
    sa.Column('created_by', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('version'),
    )


def downgrade() -> None:
    op.drop_table('bank_versions')
    with op.batch_alter_table('outbox') as batch:
        batch.drop_column('lease_until')
        batch.drop_column('claimed_by')
