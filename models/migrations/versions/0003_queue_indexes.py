"""queue indexes

Covering indexes for the live incident queue at 100,000 open cases: the light
and deadline order and the light filter read (status, step_deadline,
step_yellow_at) from the index alone; the supervision-card order reads
(status, card).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 15:00:00
"""

from __future__ import annotations

from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('case_', schema=None) as batch_op:
        batch_op.create_index('ix_case_queue_light', ['status', 'step_deadline', 'step_yellow_at'], unique=False)
        batch_op.create_index('ix_case_queue_card', ['status', 'card'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('case_', schema=None) as batch_op:
        batch_op.drop_index('ix_case_queue_card')
        batch_op.drop_index('ix_case_queue_light')
