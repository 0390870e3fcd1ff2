"""one audit chain per council, and the one-statement audited read on PostgreSQL

Every council's trail becomes a hash chain of its own (``chain`` = the council's id), with
its own head row and checkpoints; the platform chain (``chain`` = the nil UUID) holds the
events of no council. The entries, head and checkpoints written before this revision are
the platform chain's history: they get the nil UUID, keep their seq, hashes and v1
checkpoints (``version`` "1"), and the platform chain goes on from its head, so an
overseer's earlier pins still match (audit/FORMAT.md, "Chains and the v1 history").

The guards of 0003 and 0007 are rewritten per chain: an entry extends its own chain's head;
a head moves one step, to the entry just appended to its chain; a new chain's head starts at
the genesis (seq 0, 32 zero bytes) and nowhere else. On SQLite no insert may land on an
existing head, entry or checkpoint (``INSERT OR REPLACE`` would delete it without its DELETE
trigger); on PostgreSQL an entry's ``action``, ``actor_id`` and ``chain`` columns must say
what its hashed body says. ``write_seq`` on each head is the seq of
the chain's last entry that is not a read (``READ_ACTIONS``): the database refuses to keep it
still for any other action, so a read decided while it was W still stands while it is W.

On PostgreSQL, ``audit_append_read`` appends a read's entry in one statement: it locks the
chain's head, appends nothing when ``write_seq`` moved since the read's decision (the caller
then decides again under the lock), else builds the entry from the parts the library encoded
(``audit.events.entry_parts``), hashes it with ``sha256`` and advances the head.

Downgrade: the council chains cannot rejoin the single chain (their hashes name them), so
going back below 0013 deletes their entries, heads and checkpoints; the platform chain stays.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 02:10:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

# The actions a read-only view appends (``ccop_cases.auditing.catalogue.READ_ACTIONS``,
# checked equal by tests/ccop_cases/auditing/test_chains.py): they alone leave write_seq still.
READ_ACTIONS = ("case.archive_read", "case.listed", "case.searched", "case.viewed")
READS = ", ".join(f"'{action}'" for action in READ_ACTIONS)
REFUSAL = "audit trail is append-only"
INSERT_REFUSAL = "audit trail is append-only: an entry must extend the head"
HEAD_REFUSAL = "audit trail is append-only: the head moves one step, to the entry just appended"
NEW_HEAD_REFUSAL = "audit trail is append-only: a new chain starts at the genesis"
RETENTION_REFUSAL = "audit entry younger than the retention period (R13): its body stays"
ENTRY_UPDATE_ALLOWED = ("NEW.body IS NULL AND NEW.chain = OLD.chain AND NEW.seq = OLD.seq AND NEW.ts = OLD.ts "
                        "AND NEW.prev = OLD.prev AND NEW.hash = OLD.hash AND NEW.action = OLD.action "
                        "AND NEW.actor_id = OLD.actor_id")
EXTENDS_HEAD = ("(NEW.body IS NOT NULL AND EXISTS (SELECT 1 FROM audit_head WHERE audit_head.chain = NEW.chain "
                "AND audit_head.seq + 1 = NEW.seq AND audit_head.hash = NEW.prev "
                "AND NEW.ts >= audit_head.ts{collate}))")
HEAD_ALLOWED = ("NEW.chain = OLD.chain AND NEW.seq = OLD.seq + 1 AND EXISTS (SELECT 1 FROM audit_entry "  # noqa: S608 (constant fragments only)
                "WHERE audit_entry.chain = NEW.chain AND audit_entry.seq = NEW.seq AND audit_entry.hash = NEW.hash "
                "AND audit_entry.ts = NEW.ts AND (NEW.write_seq = NEW.seq OR (NEW.write_seq = OLD.write_seq "
                f"AND audit_entry.action IN ({READS}))))")
NEW_HEAD_ALLOWED = "NEW.seq = 0 AND NEW.write_seq = 0 AND NEW.hash = {genesis} AND NEW.ts = ''"
# SQLite's INSERT OR REPLACE deletes the row it replaces without firing its DELETE trigger: no
# insert may land on an existing head, entry or checkpoint (PostgreSQL's upserts go through UPDATE).
SQLITE_NEW_HEAD = "NOT EXISTS (SELECT 1 FROM audit_head AS other WHERE other.chain = NEW.chain)"
SQLITE_NEW_ENTRY = ("NOT EXISTS (SELECT 1 FROM audit_entry AS other WHERE other.chain = NEW.chain "
                    "AND other.seq = NEW.seq)")
SQLITE_NEW_CHECKPOINT = ("NOT EXISTS (SELECT 1 FROM audit_checkpoint AS other WHERE other.chain = NEW.chain "
                         "AND other.size = NEW.size)")
# PostgreSQL: the filter columns and the chain column say what the hashed body says, so no
# write can pass for a read (and keep write_seq still) nor an entry sit on another chain.
PG_BODY_AGREES = ("(convert_from(NEW.body, 'UTF8')::json ->> 'action') = NEW.action "
                  "AND (convert_from(NEW.body, 'UTF8')::json -> 'actor' ->> 'id') = NEW.actor_id "
                  "AND (convert_from(NEW.body, 'UTF8')::json ->> 'chain') = "
                  "coalesce(nullif(NEW.chain::text, '{nil}'), 'platform')")
SQLITE_CUTOFF = ("coalesce(strftime('%Y-%m-%dT%H:%M:%S', 'now', "
                 "'-' || (SELECT days FROM audit_retention WHERE id = 1) || ' days'), '')")
PG_CUTOFF = ("coalesce((SELECT to_char((now() AT TIME ZONE 'UTC') - make_interval(days => audit_retention.days), "
             "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') FROM audit_retention WHERE audit_retention.id = 1), '')")
SQLITE_TRIGGERS = ("audit_entry_no_delete", "audit_entry_no_update", "audit_entry_extends_head",
                   "audit_entry_keeps_recent_body", "audit_head_no_delete", "audit_head_no_update",
                   "audit_checkpoint_no_delete", "audit_checkpoint_no_update")
NIL = "00000000-0000-0000-0000-000000000000"


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    if not postgresql:
        for trigger in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER {trigger}")
    nil = sa.text(f"'{NIL}'") if postgresql else sa.text(f"'{NIL.replace('-', '')}'")
    with op.batch_alter_table('audit_entry') as batch_op:
        batch_op.add_column(sa.Column('chain', sa.Uuid(), nullable=False, server_default=nil))
    with op.batch_alter_table('audit_entry') as batch_op:
        batch_op.alter_column('chain', server_default=None)
        batch_op.drop_constraint('pk_audit_entry', type_='primary')
        batch_op.create_primary_key('pk_audit_entry', ['chain', 'seq'])
        batch_op.drop_constraint('uq_audit_entry_prev', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_audit_entry_chain'), ['chain', 'prev'])
    with op.batch_alter_table('audit_head') as batch_op:
        batch_op.add_column(sa.Column('chain', sa.Uuid(), nullable=False, server_default=nil))
        batch_op.add_column(sa.Column('write_seq', sa.BigInteger(), nullable=False, server_default=sa.text("0")))
    if postgresql:  # 0007's rule refuses any update but one step forward: off while write_seq is set
        op.execute("ALTER TABLE audit_head DISABLE TRIGGER audit_head_append_only")
    op.execute("UPDATE audit_head SET write_seq = seq")  # the history's entries all count as writes
    if postgresql:
        op.execute("ALTER TABLE audit_head ENABLE TRIGGER audit_head_append_only")
    with op.batch_alter_table('audit_head') as batch_op:
        batch_op.alter_column('chain', server_default=None)
        batch_op.alter_column('write_seq', server_default=None)
        batch_op.drop_constraint('pk_audit_head', type_='primary')
        batch_op.create_primary_key('pk_audit_head', ['chain'])
        batch_op.drop_column('id')
    with op.batch_alter_table('audit_checkpoint') as batch_op:
        batch_op.add_column(sa.Column('chain', sa.Uuid(), nullable=False, server_default=nil))
        batch_op.add_column(sa.Column('version', sa.String(length=1), nullable=False, server_default="1"))
    with op.batch_alter_table('audit_checkpoint') as batch_op:
        batch_op.alter_column('chain', server_default=None)
        batch_op.alter_column('version', server_default=None)
        batch_op.drop_constraint('pk_audit_checkpoint', type_='primary')
        batch_op.create_primary_key('pk_audit_checkpoint', ['chain', 'size'])
    if postgresql:
        _postgresql_upgrade()
    else:
        _sqlite_upgrade()


def _sqlite_upgrade() -> None:
    guards = [("audit_entry", "DELETE", None, "no_delete", REFUSAL),
              ("audit_entry", "UPDATE", ENTRY_UPDATE_ALLOWED, "no_update", REFUSAL),
              ("audit_entry", "INSERT", f"{EXTENDS_HEAD.format(collate='')} AND {SQLITE_NEW_ENTRY}", "extends_head",
               INSERT_REFUSAL),
              ("audit_head", "DELETE", None, "no_delete", REFUSAL),
              ("audit_head", "UPDATE", HEAD_ALLOWED, "no_update", HEAD_REFUSAL),
              ("audit_head", "INSERT", f"{NEW_HEAD_ALLOWED.format(genesis='zeroblob(32)')} AND {SQLITE_NEW_HEAD}",
               "starts_at_genesis", NEW_HEAD_REFUSAL),
              ("audit_checkpoint", "DELETE", None, "no_delete", REFUSAL),
              ("audit_checkpoint", "UPDATE", None, "no_update", REFUSAL),
              ("audit_checkpoint", "INSERT", SQLITE_NEW_CHECKPOINT, "no_replace", REFUSAL)]
    _sqlite_triggers(guards)


def _sqlite_triggers(guards: list[tuple[str, str, str | None, str, str]]) -> None:
    """Each guard (table, event, what is allowed or None for nothing, name, refusal) as a
    trigger, and the retention rule on the bodies (0007's, unchanged)."""
    for table, event, allowed, name, refusal in guards:
        when = f" WHEN NOT ({allowed})" if allowed else ""
        op.execute(f"CREATE TRIGGER {table}_{name} BEFORE {event} ON {table}{when} "
                   f"BEGIN SELECT RAISE(ABORT, '{refusal}'); END")
    op.execute("CREATE TRIGGER audit_entry_keeps_recent_body BEFORE UPDATE OF body ON audit_entry "
               f"WHEN NEW.body IS NULL AND OLD.body IS NOT NULL AND NOT (OLD.ts < {SQLITE_CUTOFF}) "
               f"BEGIN SELECT RAISE(ABORT, '{RETENTION_REFUSAL}'); END")


def _postgresql_upgrade() -> None:
    schema = op.get_bind().exec_driver_sql("SELECT current_schema()").scalar()
    pinned = f'SET search_path = pg_catalog, "{schema}", pg_temp'
    genesis = "'\\x" + "00" * 32 + "'::bytea"
    _pg_function("audit_entry_append_only", f"""
        IF TG_OP = 'UPDATE' AND ({ENTRY_UPDATE_ALLOWED}) THEN RETURN NEW; END IF;
        RAISE EXCEPTION '{REFUSAL}';""", pinned)
    _pg_function("audit_entry_extends_head", f"""
        IF {EXTENDS_HEAD.format(collate=' COLLATE "C"')} AND sha256(NEW.prev || NEW.body) = NEW.hash
           AND {PG_BODY_AGREES.format(nil=NIL)} THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION '{INSERT_REFUSAL}';""", pinned)
    _pg_function("audit_head_append_only", f"""
        IF TG_OP = 'UPDATE' AND ({HEAD_ALLOWED}) THEN RETURN NEW; END IF;
        IF TG_OP = 'INSERT' AND ({NEW_HEAD_ALLOWED.format(genesis=genesis)}) THEN RETURN NEW; END IF;
        IF TG_OP = 'INSERT' THEN RAISE EXCEPTION '{NEW_HEAD_REFUSAL}'; END IF;
        RAISE EXCEPTION '{HEAD_REFUSAL}';""", pinned)
    op.execute("CREATE TRIGGER audit_head_starts_at_genesis BEFORE INSERT ON audit_head "
               "FOR EACH ROW EXECUTE FUNCTION audit_head_append_only()")
    op.execute(f"""
        CREATE FUNCTION audit_append_read(p_chain uuid, p_mark bigint, p_ts text, p_before_prev text,
                                          p_before_seq text, p_before_ts text, p_after_ts text,
                                          p_action text, p_actor_id text)
        RETURNS bigint LANGUAGE plpgsql {pinned} AS $$
        DECLARE
            head audit_head%ROWTYPE;
            stamp text;
            body bytea;
            digest bytea;
        BEGIN
            SELECT * INTO head FROM audit_head WHERE chain = p_chain FOR UPDATE;
            IF NOT FOUND OR p_mark IS NULL OR head.write_seq IS DISTINCT FROM p_mark
               OR p_action IS NULL OR p_action NOT IN ({READS}) THEN
                RETURN NULL;
            END IF;
            stamp := CASE WHEN p_ts COLLATE "C" < head.ts COLLATE "C" THEN head.ts ELSE p_ts END;
            body := convert_to(p_before_prev || encode(head.hash, 'hex') || p_before_seq || (head.seq + 1)::text
                               || p_before_ts || stamp || p_after_ts, 'UTF8');
            digest := sha256(head.hash || body);
            INSERT INTO audit_entry (chain, seq, ts, prev, hash, body, action, actor_id)
                VALUES (p_chain, head.seq + 1, stamp, head.hash, digest, body, p_action, p_actor_id);
            UPDATE audit_head SET seq = head.seq + 1, hash = digest, ts = stamp WHERE chain = p_chain;
            RETURN head.seq + 1;
        END $$""")  # noqa: S608 (constant fragments only)


def _pg_function(name: str, body: str, options: str = "") -> None:
    op.execute(f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql {options} AS $$\n"
               f"BEGIN{body}\nEND $$")


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    nil = f"'{NIL}'" if postgresql else f"'{NIL.replace('-', '')}'"
    if postgresql:
        op.execute("DROP FUNCTION audit_append_read(uuid, bigint, text, text, text, text, text, text, text)")
        op.execute("DROP TRIGGER audit_head_starts_at_genesis ON audit_head")
        for table in ("audit_entry", "audit_head", "audit_checkpoint"):
            op.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
    else:
        for trigger in (*SQLITE_TRIGGERS, "audit_head_starts_at_genesis", "audit_checkpoint_no_replace"):
            op.execute(f"DROP TRIGGER {trigger}")
    for table in ("audit_entry", "audit_head", "audit_checkpoint"):
        op.execute(f"DELETE FROM {table} WHERE chain <> {nil}")  # noqa: S608 (constants)
    op.execute("DELETE FROM audit_checkpoint WHERE version <> '1'")
    with op.batch_alter_table('audit_checkpoint') as batch_op:
        batch_op.drop_constraint('pk_audit_checkpoint', type_='primary')
        batch_op.create_primary_key('pk_audit_checkpoint', ['size'])
        batch_op.drop_column('version')
        batch_op.drop_column('chain')
    with op.batch_alter_table('audit_head') as batch_op:
        batch_op.add_column(sa.Column('id', sa.Integer(), nullable=False, server_default=sa.text("1")))
    with op.batch_alter_table('audit_head') as batch_op:
        batch_op.alter_column('id', server_default=None)
        batch_op.drop_constraint('pk_audit_head', type_='primary')
        batch_op.create_primary_key('pk_audit_head', ['id'])
        batch_op.drop_column('write_seq')
        batch_op.drop_column('chain')
    with op.batch_alter_table('audit_entry') as batch_op:
        batch_op.drop_constraint('uq_audit_entry_chain', type_='unique')
        batch_op.create_unique_constraint('uq_audit_entry_prev', ['prev'])
        batch_op.drop_constraint('pk_audit_entry', type_='primary')
        batch_op.create_primary_key('pk_audit_entry', ['seq'])
        batch_op.drop_column('chain')
    if postgresql:
        _restore_postgresql_guards()
    else:
        _restore_sqlite_guards()


def _restore_postgresql_guards() -> None:
    """The 0007 functions (single chain) back, and the triggers on again."""
    schema = op.get_bind().exec_driver_sql("SELECT current_schema()").scalar()
    pinned = f'SET search_path = pg_catalog, "{schema}", pg_temp'
    single_update = ENTRY_UPDATE_ALLOWED.replace("AND NEW.chain = OLD.chain ", "")
    _pg_function("audit_entry_append_only", f"""
        IF TG_OP = 'UPDATE' AND ({single_update}) THEN RETURN NEW; END IF;
        RAISE EXCEPTION '{REFUSAL}';""")
    _pg_function("audit_entry_extends_head", f"""
        IF (NEW.body IS NOT NULL AND EXISTS (SELECT 1 FROM audit_head WHERE audit_head.id = 1
            AND audit_head.seq + 1 = NEW.seq AND audit_head.hash = NEW.prev AND NEW.ts >= audit_head.ts COLLATE "C"))
           AND sha256(NEW.prev || NEW.body) = NEW.hash THEN RETURN NEW; END IF;
        RAISE EXCEPTION '{INSERT_REFUSAL}';""", pinned)  # noqa: S608 (constant fragments only)
    _pg_function("audit_head_append_only", f"""
        IF TG_OP = 'UPDATE' AND (NEW.id = OLD.id AND NEW.seq = OLD.seq + 1 AND EXISTS (SELECT 1 FROM audit_entry
            WHERE audit_entry.seq = NEW.seq AND audit_entry.hash = NEW.hash AND audit_entry.ts = NEW.ts))
        THEN RETURN NEW; END IF;
        RAISE EXCEPTION '{HEAD_REFUSAL}';""", pinned)  # noqa: S608 (constant fragments only)
    for table in ("audit_entry", "audit_head", "audit_checkpoint"):
        op.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")


def _restore_sqlite_guards() -> None:
    """The 0003 and 0007 triggers (single chain) back."""
    single_update = ENTRY_UPDATE_ALLOWED.replace("AND NEW.chain = OLD.chain ", "")
    head_allowed = ("NEW.id = OLD.id AND NEW.seq = OLD.seq + 1 AND EXISTS (SELECT 1 FROM audit_entry "
                    "WHERE audit_entry.seq = NEW.seq AND audit_entry.hash = NEW.hash AND audit_entry.ts = NEW.ts)")
    extends = ("(NEW.body IS NOT NULL AND EXISTS (SELECT 1 FROM audit_head WHERE audit_head.id = 1 "
               "AND audit_head.seq + 1 = NEW.seq AND audit_head.hash = NEW.prev AND NEW.ts >= audit_head.ts))")
    guards = [("audit_entry", "DELETE", None, "no_delete", REFUSAL),
              ("audit_entry", "UPDATE", single_update, "no_update", REFUSAL),
              ("audit_entry", "INSERT", extends, "extends_head", INSERT_REFUSAL),
              ("audit_head", "DELETE", None, "no_delete", REFUSAL),
              ("audit_head", "UPDATE", head_allowed, "no_update", HEAD_REFUSAL),
              ("audit_checkpoint", "DELETE", None, "no_delete", REFUSAL),
              ("audit_checkpoint", "UPDATE", None, "no_update", REFUSAL)]
    _sqlite_triggers(guards)
