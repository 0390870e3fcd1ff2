"""identities: data keys, encrypted identities, blind-index tokens

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 01:29:51.770502
"""

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('data_key',
    sa.Column('unit_id', sa.Uuid(), nullable=False),
    sa.Column('kek_id', sa.String(length=16), nullable=False),
    sa.Column('wrapped', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('unit_id', name=op.f('pk_data_key'))
    )
    with op.batch_alter_table('data_key', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_data_key_kek_id'), ['kek_id'], unique=False)

    op.create_table('identity',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('unit_id', sa.Uuid(), nullable=False),
    sa.Column('role', sa.String(length=24), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('last_name_enc', sa.LargeBinary(), nullable=False),
    sa.Column('given_names_enc', sa.LargeBinary(), nullable=False),
    sa.Column('birth_date_enc', sa.LargeBinary(), nullable=True),
    sa.Column('sex_enc', sa.LargeBinary(), nullable=True),
    sa.Column('address_enc', sa.LargeBinary(), nullable=True),
    sa.Column('phone_enc', sa.LargeBinary(), nullable=True),
    sa.Column('email_enc', sa.LargeBinary(), nullable=True),
    sa.ForeignKeyConstraint(['unit_id'], ['data_key.unit_id'],
                            name=op.f('fk_identity_unit_id_data_key')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_identity'))
    )
    with op.batch_alter_table('identity', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_identity_unit_id'), ['unit_id'], unique=False)

    op.create_table('identity_token',
    sa.Column('identity_id', sa.Uuid(), nullable=False),
    sa.Column('unit_id', sa.Uuid(), nullable=False),
    sa.Column('scope', sa.Uuid(), nullable=False),
    sa.Column('token', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['identity_id'], ['identity.id'],
                            name=op.f('fk_identity_token_identity_id_identity')),
    sa.ForeignKeyConstraint(['unit_id'], ['data_key.unit_id'],
                            name=op.f('fk_identity_token_unit_id_data_key')),
    sa.PrimaryKeyConstraint('identity_id', name=op.f('pk_identity_token'))
    )
    with op.batch_alter_table('identity_token', schema=None) as batch_op:
        batch_op.create_index('ix_identity_token_scope_token', ['scope', 'token'], unique=False)
        batch_op.create_index(batch_op.f('ix_identity_token_unit_id'), ['unit_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('identity_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_identity_token_unit_id'))
        batch_op.drop_index('ix_identity_token_scope_token')

    op.drop_table('identity_token')
    with op.batch_alter_table('identity', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_identity_unit_id'))

    op.drop_table('identity')
    with op.batch_alter_table('data_key', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_data_key_kek_id'))

    op.drop_table('data_key')
