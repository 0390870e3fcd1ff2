"""agenda position: the order of a session's agenda

A session's agenda is followed in order during the meeting: each item gets its place, set
when the situation is put on the agenda (after the items already there) and changed by the
coordonnateur. Items already on an agenda are numbered by reference, the order they were
shown in until now.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('agenda_item') as batch:
        batch.add_column(sa.Column('position', sa.Integer(), nullable=False, server_default='0'))
    # 1, 2, 3… within each session, by reference (a correlated count: SQLite and PostgreSQL).
    op.execute(sa.text(
        'UPDATE agenda_item SET position = 1 + ('
        ' SELECT count(*) FROM agenda_item AS other'
        ' JOIN "case" AS other_case ON other_case.id = other.case_id'
        ' JOIN "case" AS this_case ON this_case.id = agenda_item.case_id'
        ' WHERE other.meeting_id = agenda_item.meeting_id AND other_case.reference < this_case.reference)'))


def downgrade() -> None:
    with op.batch_alter_table('agenda_item') as batch:
        batch.drop_column('position')
