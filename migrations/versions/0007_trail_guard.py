"""trail guard: entries extend the head, the head is the last entry, recent bodies stay

The database itself now keeps the chain whole whoever writes to it:

- an entry is inserted only at ``head.seq + 1`` with ``prev = head.hash`` (no forged entry
  outside the chain, no fork);
- the head moves one step, and only to an entry that exists with the same seq, hash and
  ts: it always equals the last entry, so a checkpoint never signs a hash no entry has;
- an entry's body is blanked (retention pruning) only once the entry is older than the
  retention period in ``audit_retention`` (R13), measured on the database's clock; the row
  is written by the schema's owner at ``ccop db upgrade`` (``CCOP_AUDIT_RETENTION_DAYS``),
  the service's restricted role may only read it (see ``ccop_cases/migrate.py``).

On PostgreSQL the trigger functions pin their search_path to the schema (then pg_temp), so
a temporary table cannot stand in for the head.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 17:20:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

DEFAULT_RETENTION_DAYS = 365  # R13: 12 months, the default of CCOP_AUDIT_RETENTION_DAYS
OLD_HEAD_ALLOWED = "NEW.id = OLD.id AND NEW.seq = OLD.seq + 1"
HEAD_ALLOWED = ("NEW.id = OLD.id AND NEW.seq = OLD.seq + 1 AND EXISTS (SELECT 1 FROM audit_entry "
                "WHERE audit_entry.seq = NEW.seq AND audit_entry.hash = NEW.hash AND audit_entry.ts = NEW.ts)")
# An entry extends the head: next seq, linked to it, dated no earlier, with a body (only
# retention pruning makes a stub, of an old entry); PostgreSQL also recomputes its hash.
EXTENDS_HEAD = ("(NEW.body IS NOT NULL AND EXISTS (SELECT 1 FROM audit_head WHERE audit_head.id = 1 "
                "AND audit_head.seq + 1 = NEW.seq AND audit_head.hash = NEW.prev "
                "AND NEW.ts >= audit_head.ts{collate}))")
PG_HASHED = "sha256(NEW.prev || NEW.body) = NEW.hash"
HEAD_REFUSAL = "audit trail is append-only: the head moves one step, to the entry just appended"
INSERT_REFUSAL = "audit trail is append-only: an entry must extend the head"
RETENTION_REFUSAL = "audit entry younger than the retention period (R13): its body stays"
# A body may be blanked only when the entry's ts is before the cutoff (now - retention days);
# with no retention row the cutoff is '' and nothing may be blanked.
SQLITE_CUTOFF = ("coalesce(strftime('%Y-%m-%dT%H:%M:%S', 'now', "
                 "'-' || (SELECT days FROM audit_retention WHERE id = 1) || ' days'), '')")
PG_CUTOFF = ("coalesce((SELECT to_char((now() AT TIME ZONE 'UTC') - make_interval(days => audit_retention.days), "
             "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') FROM audit_retention WHERE audit_retention.id = 1), '')")


def upgrade() -> None:
    op.create_table('audit_retention',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('days', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_retention'))
    )
    retention = sa.table("audit_retention", sa.column("id"), sa.column("days"))
    op.bulk_insert(retention, [{"id": 1, "days": DEFAULT_RETENTION_DAYS}])
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_upgrade()
    else:
        _sqlite_upgrade()


def _sqlite_upgrade() -> None:
    op.execute(f"CREATE TRIGGER audit_entry_extends_head BEFORE INSERT ON audit_entry "
               f"WHEN NOT {EXTENDS_HEAD.format(collate='')} "
               f"BEGIN SELECT RAISE(ABORT, '{INSERT_REFUSAL}'); END")
    op.execute("DROP TRIGGER audit_head_no_update")
    op.execute(f"CREATE TRIGGER audit_head_no_update BEFORE UPDATE ON audit_head WHEN NOT ({HEAD_ALLOWED}) "
               f"BEGIN SELECT RAISE(ABORT, '{HEAD_REFUSAL}'); END")
    op.execute("CREATE TRIGGER audit_entry_keeps_recent_body BEFORE UPDATE OF body ON audit_entry "
               f"WHEN NEW.body IS NULL AND OLD.body IS NOT NULL AND NOT (OLD.ts < {SQLITE_CUTOFF}) "
               f"BEGIN SELECT RAISE(ABORT, '{RETENTION_REFUSAL}'); END")


def _postgresql_upgrade() -> None:
    schema = op.get_bind().exec_driver_sql("SELECT current_schema()").scalar()
    # Tables are named unqualified in the bodies: pin where they are found, after the
    # catalogue (no function of the schema may shadow a built-in) and before temporary tables.
    pinned = f'SET search_path = pg_catalog, "{schema}", pg_temp'
    _pg_function("audit_entry_extends_head", f"""
        IF {EXTENDS_HEAD.format(collate=' COLLATE "C"')} AND {PG_HASHED} THEN RETURN NEW; END IF;
        RAISE EXCEPTION '{INSERT_REFUSAL}';""", pinned)
    op.execute("CREATE TRIGGER audit_entry_extends_head BEFORE INSERT ON audit_entry "
               "FOR EACH ROW EXECUTE FUNCTION audit_entry_extends_head()")
    _pg_function("audit_head_append_only", f"""
        IF TG_OP = 'UPDATE' AND ({HEAD_ALLOWED}) THEN RETURN NEW; END IF;
        RAISE EXCEPTION '{HEAD_REFUSAL}';""", pinned)
    _pg_function("audit_entry_keeps_recent_body", f"""
        IF NEW.body IS NULL AND OLD.body IS NOT NULL AND NOT (OLD.ts COLLATE "C" < {PG_CUTOFF}) THEN
            RAISE EXCEPTION '{RETENTION_REFUSAL}';
        END IF;
        RETURN NEW;""", pinned)
    op.execute("CREATE TRIGGER audit_entry_keeps_recent_body BEFORE UPDATE ON audit_entry "
               "FOR EACH ROW EXECUTE FUNCTION audit_entry_keeps_recent_body()")


def _pg_function(name: str, body: str, options: str = "") -> None:
    op.execute(f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql {options} AS $$\n"
               f"BEGIN{body}\nEND $$")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION audit_entry_keeps_recent_body() CASCADE")
        op.execute("DROP FUNCTION audit_entry_extends_head() CASCADE")
        op.execute("ALTER FUNCTION audit_head_append_only() RESET search_path")
        _pg_function("audit_head_append_only", f"""
            IF TG_OP = 'UPDATE' AND ({OLD_HEAD_ALLOWED}) THEN RETURN NEW; END IF;
            RAISE EXCEPTION 'audit trail is append-only';""")
    else:
        op.execute("DROP TRIGGER audit_entry_keeps_recent_body")
        op.execute("DROP TRIGGER audit_entry_extends_head")
        op.execute("DROP TRIGGER audit_head_no_update")
        op.execute(f"CREATE TRIGGER audit_head_no_update BEFORE UPDATE ON audit_head WHEN NOT ({OLD_HEAD_ALLOWED}) "
                   "BEGIN SELECT RAISE(ABORT, 'audit trail is append-only'); END")
    op.drop_table('audit_retention')
