"""case participant index: case first

The decision function asks on every case read whether a membership is named on a case;
with one index per column SQLite picked the membership's, and a coordonnateur's
membership is named on most of the group's cases. One index on (case_id, membership_id)
answers it directly and replaces the index on case_id alone.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 03:37:04.084261
"""

from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index(op.f('ix_case_participant_case_id'), table_name='case_participant')
    op.create_index('ix_case_participant_case_membership', 'case_participant', ['case_id', 'membership_id'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_case_participant_case_membership', table_name='case_participant')
    op.create_index(op.f('ix_case_participant_case_id'), 'case_participant', ['case_id'], unique=False)
