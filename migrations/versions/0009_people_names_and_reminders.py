"""people: display name, function, e-mail and reminder choice; reminders sent

Staff accounts get the name and function shown wherever they appear (participants,
attendance, history, consoles), an e-mail address and their own choice to receive the
daily reminders, which carry no personal data of a followed person (R8). ``reminder_sent``
records each person's reminder of a day, so a second run sends it no more.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 18:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('person') as batch:
        batch.add_column(sa.Column('display_name', sa.String(length=120), nullable=False, server_default=''))
        batch.add_column(sa.Column('function', sa.String(length=160), nullable=False, server_default=''))
        batch.add_column(sa.Column('email', sa.String(length=254), nullable=True))
        batch.add_column(sa.Column('reminders', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        'reminder_sent',
        sa.Column('person_id', sa.Uuid(), nullable=False),
        sa.Column('sent_on', sa.Date(), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_reminder_sent_person_id_person'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('person_id', 'sent_on', name=op.f('pk_reminder_sent')),
    )


def downgrade() -> None:
    op.drop_table('reminder_sent')
    with op.batch_alter_table('person') as batch:
        batch.drop_column('reminders')
        batch.drop_column('email')
        batch.drop_column('function')
        batch.drop_column('display_name')
