"""cases and meetings

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 01:53:52.979346
"""

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('case',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('group_id', sa.Uuid(), nullable=False),
    sa.Column('reference', sa.String(length=16), nullable=False),
    sa.Column('submission_id', sa.Uuid(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('purpose', sa.String(length=40), nullable=False),
    sa.Column('referral_origin', sa.String(length=40), nullable=False),
    sa.Column('school_situation', sa.String(length=40), nullable=False),
    sa.Column('exposure_factors', sa.String(length=600), nullable=False),
    sa.Column('note_enc', sa.LargeBinary(), nullable=True),
    sa.Column('outside_perimeter_reason', sa.String(length=40), nullable=True),
    sa.Column('next_review', sa.Date(), nullable=True),
    sa.Column('proposed_by', sa.Uuid(), nullable=False),
    sa.Column('proposed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('followed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closing_reason', sa.String(length=40), nullable=True),
    sa.Column('purge_due', sa.Date(), nullable=True),
    sa.Column('purged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('purge_reason', sa.String(length=24), nullable=True),
    sa.ForeignKeyConstraint(['group_id'], ['working_group.id'], name=op.f('fk_case_group_id_working_group')),
    sa.ForeignKeyConstraint(['proposed_by'], ['membership.id'], name=op.f('fk_case_proposed_by_membership')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case')),
    sa.UniqueConstraint('group_id', 'reference', name=op.f('uq_case_group_id')),
    sa.UniqueConstraint('submission_id', name=op.f('uq_case_submission_id'))
    )
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.create_index('ix_case_group_state', ['group_id', 'state'], unique=False)

    op.create_table('meeting',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('group_id', sa.Uuid(), nullable=False),
    sa.Column('scheduled_for', sa.DateTime(timezone=True), nullable=False),
    sa.Column('minutes', sa.Text(), nullable=False),
    sa.Column('created_by', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['membership.id'], name=op.f('fk_meeting_created_by_membership')),
    sa.ForeignKeyConstraint(['group_id'], ['working_group.id'], name=op.f('fk_meeting_group_id_working_group')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting'))
    )
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_group_id'), ['group_id'], unique=False)

    op.create_table('agenda_item',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('meeting_id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_agenda_item_case_id_case')),
    sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'], name=op.f('fk_agenda_item_meeting_id_meeting')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agenda_item')),
    sa.UniqueConstraint('meeting_id', 'case_id', name=op.f('uq_agenda_item_meeting_id'))
    )
    with op.batch_alter_table('agenda_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agenda_item_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_agenda_item_meeting_id'), ['meeting_id'], unique=False)

    op.create_table('attendance',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('meeting_id', sa.Uuid(), nullable=False),
    sa.Column('membership_id', sa.Uuid(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'], name=op.f('fk_attendance_meeting_id_meeting')),
    sa.ForeignKeyConstraint(['membership_id'], ['membership.id'], name=op.f('fk_attendance_membership_id_membership')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attendance')),
    sa.UniqueConstraint('meeting_id', 'membership_id', name=op.f('uq_attendance_meeting_id'))
    )
    with op.batch_alter_table('attendance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attendance_meeting_id'), ['meeting_id'], unique=False)

    op.create_table('case_action',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('action_type', sa.String(length=40), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('fipd_funded', sa.Boolean(), nullable=False),
    sa.Column('fipd_reference', sa.String(length=40), nullable=True),
    sa.Column('recorded_by', sa.Uuid(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_case_action_case_id_case')),
    sa.ForeignKeyConstraint(['recorded_by'], ['membership.id'], name=op.f('fk_case_action_recorded_by_membership')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_action'))
    )
    with op.batch_alter_table('case_action', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_action_case_id'), ['case_id'], unique=False)

    op.create_table('case_change',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('field', sa.String(length=40), nullable=False),
    sa.Column('value_enc', sa.LargeBinary(), nullable=True),
    sa.Column('changed_by', sa.Uuid(), nullable=True),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_case_change_case_id_case')),
    sa.ForeignKeyConstraint(['changed_by'], ['membership.id'], name=op.f('fk_case_change_changed_by_membership')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_change'))
    )
    with op.batch_alter_table('case_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_change_case_id'), ['case_id'], unique=False)

    op.create_table('case_decision',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('meeting_id', sa.Uuid(), nullable=True),
    sa.Column('decision', sa.String(length=24), nullable=False),
    sa.Column('next_review', sa.Date(), nullable=True),
    sa.Column('recorded_by', sa.Uuid(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_case_decision_case_id_case')),
    sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'], name=op.f('fk_case_decision_meeting_id_meeting')),
    sa.ForeignKeyConstraint(['recorded_by'], ['membership.id'], name=op.f('fk_case_decision_recorded_by_membership')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_decision'))
    )
    with op.batch_alter_table('case_decision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_decision_case_id'), ['case_id'], unique=False)

    op.create_table('case_participant',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('membership_id', sa.Uuid(), nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=False),
    sa.Column('added_by', sa.Uuid(), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('removed_reason', sa.String(length=40), nullable=True),
    sa.ForeignKeyConstraint(['added_by'], ['membership.id'], name=op.f('fk_case_participant_added_by_membership')),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_case_participant_case_id_case')),
    sa.ForeignKeyConstraint(['membership_id'], ['membership.id'],
                            name=op.f('fk_case_participant_membership_id_membership')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_participant'))
    )
    with op.batch_alter_table('case_participant', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_participant_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_participant_membership_id'), ['membership_id'], unique=False)

    op.create_table('information_record',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('who', sa.String(length=24), nullable=False),
    sa.Column('informed_on', sa.Date(), nullable=True),
    sa.Column('means', sa.String(length=24), nullable=True),
    sa.Column('derogation_reason', sa.String(length=40), nullable=True),
    sa.Column('review_date', sa.Date(), nullable=True),
    sa.Column('approved_by', sa.Uuid(), nullable=True),
    sa.Column('recorded_by', sa.Uuid(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['approved_by'], ['membership.id'],
                            name=op.f('fk_information_record_approved_by_membership')),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_information_record_case_id_case')),
    sa.ForeignKeyConstraint(['recorded_by'], ['membership.id'],
                            name=op.f('fk_information_record_recorded_by_membership')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_information_record'))
    )
    with op.batch_alter_table('information_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_information_record_case_id'), ['case_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('information_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_information_record_case_id'))

    op.drop_table('information_record')
    with op.batch_alter_table('case_participant', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_participant_membership_id'))
        batch_op.drop_index(batch_op.f('ix_case_participant_case_id'))

    op.drop_table('case_participant')
    with op.batch_alter_table('case_decision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_decision_case_id'))

    op.drop_table('case_decision')
    with op.batch_alter_table('case_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_change_case_id'))

    op.drop_table('case_change')
    with op.batch_alter_table('case_action', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_action_case_id'))

    op.drop_table('case_action')
    with op.batch_alter_table('attendance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attendance_meeting_id'))

    op.drop_table('attendance')
    with op.batch_alter_table('agenda_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agenda_item_meeting_id'))
        batch_op.drop_index(batch_op.f('ix_agenda_item_case_id'))

    op.drop_table('agenda_item')
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_group_id'))

    op.drop_table('meeting')
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.drop_index('ix_case_group_state')

    op.drop_table('case')
