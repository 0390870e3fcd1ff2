"""audit trail tables, person duties, session re-authentication

The audit tables are append-only in the database itself: triggers refuse DELETE on all
three, any UPDATE of a checkpoint, any UPDATE of an entry except retention pruning
(body set to NULL, linkage unchanged), and any move of the head other than one step
forward (0007 adds: only to the entry just appended). On PostgreSQL the service's role
is restricted by ``ccop db upgrade`` itself (CCOP_APP_ROLE, see ``ccop_cases/migrate.py``
and docs/operations.md); migrations run as the owner role.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 01:37:37.837439
"""

import sqlalchemy as sa
from alembic import op

GENESIS = b"\x00" * 32
ENTRY_UPDATE_ALLOWED = ("NEW.body IS NULL AND NEW.seq = OLD.seq AND NEW.ts = OLD.ts AND "
                        "NEW.prev = OLD.prev AND NEW.hash = OLD.hash AND NEW.action = OLD.action "
                        "AND NEW.actor_id = OLD.actor_id")
HEAD_UPDATE_ALLOWED = "NEW.id = OLD.id AND NEW.seq = OLD.seq + 1"
REFUSAL = "audit trail is append-only"


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_checkpoint',
    sa.Column('size', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('head', sa.LargeBinary(length=32), nullable=False),
    sa.Column('ts', sa.String(length=27), nullable=False),
    sa.Column('key_id', sa.String(length=16), nullable=False),
    sa.Column('signature', sa.LargeBinary(length=64), nullable=False),
    sa.PrimaryKeyConstraint('size', name=op.f('pk_audit_checkpoint'))
    )
    op.create_table('audit_entry',
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('ts', sa.String(length=27), nullable=False),
    sa.Column('prev', sa.LargeBinary(length=32), nullable=False),
    sa.Column('hash', sa.LargeBinary(length=32), nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=True),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('actor_id', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_entry')),
    sa.UniqueConstraint('hash', name=op.f('uq_audit_entry_hash')),
    sa.UniqueConstraint('prev', name=op.f('uq_audit_entry_prev'))
    )
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_entry_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entry_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entry_ts'), ['ts'], unique=False)

    op.create_table('audit_head',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('hash', sa.LargeBinary(length=32), nullable=False),
    sa.Column('ts', sa.String(length=27), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_head'))
    )
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_charter_admin', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('is_dpo', sa.Boolean(), nullable=False, server_default=sa.false()))

    with op.batch_alter_table('web_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reauth_at', sa.DateTime(timezone=True), nullable=True))

    head = sa.table("audit_head", sa.column("id"), sa.column("seq"), sa.column("hash"), sa.column("ts"))
    op.bulk_insert(head, [{"id": 1, "seq": 0, "hash": GENESIS, "ts": ""}])
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_triggers()
    else:
        _sqlite_triggers()


def _sqlite_triggers() -> None:
    rules = [("audit_entry", "DELETE", None), ("audit_entry", "UPDATE", ENTRY_UPDATE_ALLOWED),
             ("audit_head", "DELETE", None), ("audit_head", "UPDATE", HEAD_UPDATE_ALLOWED),
             ("audit_checkpoint", "DELETE", None), ("audit_checkpoint", "UPDATE", None)]
    for table, event, allowed in rules:
        when = f" WHEN NOT ({allowed})" if allowed else ""
        op.execute(f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table}{when} "
                   f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END")


def _postgresql_triggers() -> None:
    for table, allowed in (("audit_entry", ENTRY_UPDATE_ALLOWED), ("audit_head", HEAD_UPDATE_ALLOWED),
                           ("audit_checkpoint", "FALSE")):
        op.execute(f"""
            CREATE FUNCTION {table}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'UPDATE' AND ({allowed}) THEN RETURN NEW; END IF;
                RAISE EXCEPTION '{REFUSAL}';
            END $$""")
        op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                   f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()")
        op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                   f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_append_only()")



def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in ("audit_entry", "audit_head", "audit_checkpoint"):
            op.execute(f"DROP FUNCTION {table}_append_only() CASCADE")
    with op.batch_alter_table('web_session', schema=None) as batch_op:
        batch_op.drop_column('reauth_at')

    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_column('is_dpo')
        batch_op.drop_column('is_charter_admin')

    op.drop_table('audit_head')
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_entry_ts'))
        batch_op.drop_index(batch_op.f('ix_audit_entry_actor_id'))
        batch_op.drop_index(batch_op.f('ix_audit_entry_action'))

    op.drop_table('audit_entry')
    op.drop_table('audit_checkpoint')
