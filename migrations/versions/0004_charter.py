"""charter: councils, working groups, governing texts, memberships, signatures, deployment

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 01:44:48.481047
"""

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('deployment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('aipd_reference', sa.String(length=120), nullable=True),
    sa.Column('dpo_designation', sa.String(length=160), nullable=True),
    sa.Column('register_entry', sa.String(length=120), nullable=True),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deployment'))
    )
    op.create_table('council',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('name', sa.String(length=160), nullable=False),
    sa.Column('communes', sa.Text(), nullable=False),
    sa.Column('president_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['president_id'], ['person.id'], name=op.f('fk_council_president_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_council'))
    )
    op.create_table('working_group',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('council_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=160), nullable=False),
    sa.Column('legal_basis', sa.String(length=8), nullable=False),
    sa.Column('vocation', sa.String(length=16), nullable=False),
    sa.Column('perimeter', sa.Text(), nullable=False),
    sa.Column('theme', sa.String(length=200), nullable=False),
    sa.Column('is_ccop', sa.Boolean(), nullable=False),
    sa.Column('territory_label', sa.String(length=8), nullable=False),
    sa.Column('act_date', sa.Date(), nullable=True),
    sa.Column('act_reference', sa.String(length=120), nullable=True),
    sa.Column('act_sha256', sa.String(length=64), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('status_changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['council_id'], ['council.id'], name=op.f('fk_working_group_council_id_council')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_working_group'))
    )
    with op.batch_alter_table('working_group', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_working_group_council_id'), ['council_id'], unique=False)

    op.create_table('governing_text',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('group_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('adopted_on', sa.Date(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['working_group.id'], name=op.f('fk_governing_text_group_id_working_group')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_governing_text')),
    sa.UniqueConstraint('group_id', 'kind', 'version', name=op.f('uq_governing_text_group_id'))
    )
    with op.batch_alter_table('governing_text', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_governing_text_group_id'), ['group_id'], unique=False)

    op.create_table('membership',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('group_id', sa.Uuid(), nullable=False),
    sa.Column('institution', sa.String(length=32), nullable=False),
    sa.Column('function', sa.String(length=120), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('designation_reference', sa.String(length=120), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('status_reason', sa.String(length=300), nullable=True),
    sa.Column('status_changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['working_group.id'], name=op.f('fk_membership_group_id_working_group')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_membership_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_membership'))
    )
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_membership_group_id'), ['group_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_membership_person_id'), ['person_id'], unique=False)

    op.create_table('signature',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('membership_id', sa.Uuid(), nullable=False),
    sa.Column('text_id', sa.Uuid(), nullable=False),
    sa.Column('text_sha256', sa.String(length=64), nullable=False),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['membership_id'], ['membership.id'], name=op.f('fk_signature_membership_id_membership')),
    sa.ForeignKeyConstraint(['text_id'], ['governing_text.id'], name=op.f('fk_signature_text_id_governing_text')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signature')),
    sa.UniqueConstraint('membership_id', 'text_id', name=op.f('uq_signature_membership_id'))
    )
    with op.batch_alter_table('signature', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_signature_membership_id'), ['membership_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_signature_text_id'), ['text_id'], unique=False)


    deployment = sa.table("deployment", sa.column("id"), sa.column("mode"))
    op.bulk_insert(deployment, [{"id": 1, "mode": "pilot"}])  # R20: every deployment starts as a pilot

def downgrade() -> None:
    with op.batch_alter_table('signature', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_signature_text_id'))
        batch_op.drop_index(batch_op.f('ix_signature_membership_id'))

    op.drop_table('signature')
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_membership_person_id'))
        batch_op.drop_index(batch_op.f('ix_membership_group_id'))

    op.drop_table('membership')
    with op.batch_alter_table('governing_text', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_governing_text_group_id'))

    op.drop_table('governing_text')
    with op.batch_alter_table('working_group', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_working_group_council_id'))

    op.drop_table('working_group')
    op.drop_table('council')
    op.drop_table('deployment')
