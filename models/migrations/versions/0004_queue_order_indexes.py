"""queue order indexes

One index per order of the live incident queue, so every order reads its pages
from an index instead of sorting the open cases (models/queue.py): each is led by
the status (the queue reads every status of its filter from its own range and
merges them), then the order's key and the id tie-break, then the town (a town
officer's scope is checked in the index, without reading the row). The light and
status orders share one (status, id) index that carries the step's deadline and
yellow moment; the class order walks the classes in code order
(ix_dict_minor_code). ix_case_queue_card of 0003 gains the id and the town.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 16:00:00
"""

from __future__ import annotations

from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

CASE_INDEXES = {
    'ix_case_queue_deadline': ['status', 'step_deadline', 'id', 'town_id'],
    'ix_case_queue_code': ['status', 'code', 'id', 'town_id'],
    'ix_case_queue_reported': ['status', 'reported_at', 'id', 'town_id'],
    'ix_case_queue_updated': ['status', 'updated_at', 'id', 'town_id'],
    'ix_case_queue_town': ['status', 'town_id', 'id'],
    'ix_case_queue_class': ['status', 'minor_class_id', 'id', 'town_id'],
    'ix_case_queue_level': ['status', 'level', 'id', 'town_id'],
    'ix_case_queue_status': ['status', 'id', 'town_id', 'step_deadline', 'step_yellow_at'],
}


def upgrade() -> None:
    with op.batch_alter_table('case_', schema=None) as batch_op:
        batch_op.drop_index('ix_case_queue_card')
        batch_op.create_index('ix_case_queue_card', ['status', 'card', 'id', 'town_id'], unique=False)
        for name, columns in CASE_INDEXES.items():
            batch_op.create_index(name, columns, unique=False)
    with op.batch_alter_table('dict_minor', schema=None) as batch_op:
        batch_op.create_index('ix_dict_minor_code', ['code', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('dict_minor', schema=None) as batch_op:
        batch_op.drop_index('ix_dict_minor_code')
    with op.batch_alter_table('case_', schema=None) as batch_op:
        for name in reversed(CASE_INDEXES):
            batch_op.drop_index(name)
        batch_op.drop_index('ix_case_queue_card')
        batch_op.create_index('ix_case_queue_card', ['status', 'card'], unique=False)
