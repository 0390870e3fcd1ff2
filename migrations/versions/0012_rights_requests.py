"""rights requests (R12): the DPO's register, restriction of a case, rectification's link

``rights_request`` is the register of a council's requests (codes, dates and ids; who asks is
sealed in ``identity_record`` under the request's own data key), ``rights_request_case`` the
situations each concerns. A case gets ``restricted_at`` (frozen at the person's request), a
history row the request a rectification answers, and a council the DPO who answers its
requests and how many years the register keeps them (3 by default).

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 23:40:31
"""

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('rights_request',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('council_id', sa.Uuid(), nullable=False),
    sa.Column('reference', sa.String(length=16), nullable=False),
    sa.Column('submission_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('requester', sa.String(length=16), nullable=False),
    sa.Column('identity_check', sa.String(length=16), nullable=True),
    sa.Column('identity_checked_on', sa.Date(), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('extension_reason', sa.String(length=16), nullable=True),
    sa.Column('extended_on', sa.Date(), nullable=True),
    sa.Column('answered_on', sa.Date(), nullable=True),
    sa.Column('answer', sa.String(length=24), nullable=True),
    sa.Column('refusal_reason', sa.String(length=32), nullable=True),
    sa.Column('restriction_lifted_on', sa.Date(), nullable=True),
    sa.Column('record_downloaded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('keep_until', sa.Date(), nullable=True),
    sa.Column('purged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['council_id'], ['council.id'], name=op.f('fk_rights_request_council_id_council')),
    sa.ForeignKeyConstraint(['created_by'], ['person.id'], name=op.f('fk_rights_request_created_by_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rights_request')),
    sa.UniqueConstraint('council_id', 'reference', name=op.f('uq_rights_request_council_id')),
    sa.UniqueConstraint('submission_id', name=op.f('uq_rights_request_submission_id'))
    )
    with op.batch_alter_table('rights_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rights_request_council_id'), ['council_id'], unique=False)
        batch_op.create_index('ix_rights_request_due', ['state', 'due_on'], unique=False)

    op.create_table('rights_request_case',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('request_id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=True),
    sa.Column('group_id', sa.Uuid(), nullable=False),
    sa.Column('linked_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_rights_request_case_case_id_case')),
    sa.ForeignKeyConstraint(['group_id'], ['working_group.id'],
                            name=op.f('fk_rights_request_case_group_id_working_group')),
    sa.ForeignKeyConstraint(['request_id'], ['rights_request.id'],
                            name=op.f('fk_rights_request_case_request_id_rights_request')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rights_request_case')),
    sa.UniqueConstraint('request_id', 'case_id', name=op.f('uq_rights_request_case_request_id'))
    )
    with op.batch_alter_table('rights_request_case', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rights_request_case_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_rights_request_case_group_id'), ['group_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_rights_request_case_request_id'), ['request_id'], unique=False)

    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.add_column(sa.Column('restricted_at', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('case_change', schema=None) as batch_op:
        batch_op.add_column(sa.Column('request_id', sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_case_change_request_id_rights_request'), 'rights_request',
                                    ['request_id'], ['id'])

    with op.batch_alter_table('council', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dpo_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('rights_keep_years', sa.Integer(), nullable=False, server_default='3'))
        batch_op.create_foreign_key(batch_op.f('fk_council_dpo_id_person'), 'person', ['dpo_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('council', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_council_dpo_id_person'), type_='foreignkey')
        batch_op.drop_column('rights_keep_years')
        batch_op.drop_column('dpo_id')

    with op.batch_alter_table('case_change', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_case_change_request_id_rights_request'), type_='foreignkey')
        batch_op.drop_column('request_id')

    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.drop_column('restricted_at')

    with op.batch_alter_table('rights_request_case', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rights_request_case_request_id'))
        batch_op.drop_index(batch_op.f('ix_rights_request_case_group_id'))
        batch_op.drop_index(batch_op.f('ix_rights_request_case_case_id'))

    op.drop_table('rights_request_case')
    with op.batch_alter_table('rights_request', schema=None) as batch_op:
        batch_op.drop_index('ix_rights_request_due')
        batch_op.drop_index(batch_op.f('ix_rights_request_council_id'))

    op.drop_table('rights_request')
