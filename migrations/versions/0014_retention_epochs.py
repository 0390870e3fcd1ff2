"""retention epochs: each data key names, sealed, the month its unit must be gone by; destroyed epochs

``data_key.epoch_enc`` (the epoch 'YYYY-MM' sealed under a purpose key — for an open case it
is the month of the 25th birthday, so never in clear; NULL for a unit without deadline or
sealed before epochs: the next ``ccop retention run`` binds the latter); ``key_epoch`` lists
the epochs whose key the ratchet destroyed, each written with its audit entry.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 04:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('data_key', schema=None) as batch_op:
        batch_op.add_column(sa.Column('epoch_enc', sa.LargeBinary(), nullable=True))
    op.create_table('key_epoch',
    sa.Column('epoch', sa.String(length=7), nullable=False),
    sa.Column('destroyed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('epoch', name=op.f('pk_key_epoch'))
    )


def downgrade() -> None:
    op.drop_table('key_epoch')
    with op.batch_alter_table('data_key', schema=None) as batch_op:
        batch_op.drop_column('epoch_enc')
