"""Issue 12, items 5 and 6: the database keeps the audit trail whole whoever writes to it.

- item 5: an entry only extends the head, and the head only moves to the entry just
  appended (seq, hash and ts): never to a hash no entry has (SQLite and PostgreSQL);
- item 6: on PostgreSQL the service connects as a restricted role (``TEST_PG_APP_ROLE``,
  created by ``.ci/run``; migrations run as the owner) that cannot disable the triggers,
  rewrite, delete or truncate entries, nor blank the body of an entry younger than the
  retention period (R13); the service refuses to start in production as the owner.

The retention rule reads the database's clock, which no test controls: entries are stamped
relative to it (``database_now``) so the outcome does not depend on the day the suite runs.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from dataclasses import replace
from datetime import timedelta

import pytest
from apptest import (
    TEST_APP_ROLE,
    FakeClock,
    as_app_role,
    database_now,
    database_url,
    drop_schema,
    migrated_database,
    setup_audit,
)
from sqlalchemy import Uuid, bindparam, create_engine, func, select, text
from sqlalchemy.exc import DatabaseError

from audit import AuditLog
from ccop_cases.auditing import PLATFORM, SqlAuditStore, signing_key
from ccop_cases.auditing.models import AuditEntry, AuditHead
from ccop_cases.cli import main
from ccop_cases.db import unguarded_trail_tables
from ccop_cases.migrate import MigrationError, upgrade
from ccop_cases.settings import Settings, SettingsError

ON_POSTGRESQL = os.environ.get("CCOP_DATABASE_URL", "").startswith("postgresql")
postgresql_only = pytest.mark.skipif(not ON_POSTGRESQL, reason="database roles exist only on PostgreSQL")
restricted_role = pytest.mark.skipif(
    not (ON_POSTGRESQL and TEST_APP_ROLE),
    reason="needs the restricted role: TEST_PG_APP_ROLE=ccop_app (created by .ci/run)")
FOREIGN = bytes(range(32))  # a hash no entry has


def _append(app, session, n: int = 1) -> None:
    for _ in range(n):
        setup_audit(app, session).record("account.sessions_ended", "person", "1")
    session.flush()


def _head(session, chain=PLATFORM):
    session.expire_all()
    return session.execute(select(AuditHead.seq, AuditHead.hash, AuditHead.ts)
                           .where(AuditHead.chain == chain)).one()


def _sql(statement: str):
    """A statement whose ``:chain`` is a chain's key (stored as the database stores a UUID)."""
    query = text(statement)
    return query.bindparams(bindparam("chain", type_=Uuid())) if ":chain" in statement else query


# --- item 5: the head always equals the last entry (both databases, any role) --------------------

EXTEND_THE_HEAD = ("INSERT INTO audit_entry (chain, seq, ts, prev, hash, body, action, actor_id) "
                   "VALUES (:chain, :seq, :ts, :prev, :hash, :body, 'audit.heartbeat', 'audit')")
MOVE_THE_HEAD = "UPDATE audit_head SET seq = :seq, hash = :hash, ts = :ts, write_seq = :seq WHERE chain = :chain"
OTHER_CHAIN = uuid.UUID("5d2a0000-0000-4000-8000-000000000001")  # a council's chain with no head yet


def _next_entry(db) -> dict[str, object]:
    """What extends the platform chain's head: seq + 1, linked to it, dated no earlier, a
    body and its hash."""
    head, body = _head(db), b'{"action":"audit.heartbeat","actor":{"id":"audit"},"chain":"platform"}'
    return {"chain": PLATFORM, "seq": head.seq + 1, "ts": head.ts, "prev": head.hash, "body": body,
            "hash": hashlib.sha256(head.hash + body).digest()}


# (statements, what differs from a well-formed next entry)
HEAD_AND_CHAIN_BREAKS = {
    "head to a hash no entry has": ([MOVE_THE_HEAD], {"hash": FOREIGN}),
    "head to an earlier entry's hash, one step on": (
        ["UPDATE audit_head SET seq = :seq, hash = (SELECT hash FROM audit_entry WHERE chain = :chain AND seq = 1) "
         "WHERE chain = :chain"], {}),
    "head to the next entry with another ts": (
        [EXTEND_THE_HEAD, "UPDATE audit_head SET seq = :seq, hash = :hash, ts = '2099-01-01T00:00:00.000000Z', "
                          "write_seq = :seq WHERE chain = :chain"], {}),
    "head to the next entry, a write, leaving write_seq behind": (
        [EXTEND_THE_HEAD, "UPDATE audit_head SET seq = :seq, hash = :hash, ts = :ts WHERE chain = :chain"], {}),
    "head to an entry of another chain": (
        [EXTEND_THE_HEAD, "UPDATE audit_head SET seq = :seq, hash = :hash, ts = :ts, write_seq = :seq "
                          "WHERE chain = :other"], {"other": OTHER_CHAIN}),
    "entry on another chain, linked to this one's head": ([EXTEND_THE_HEAD], {"chain": OTHER_CHAIN}),
    "a new chain's head off the genesis": (
        ["INSERT INTO audit_head (chain, seq, hash, ts, write_seq) VALUES (:chain, :seq, :hash, :ts, 0)"],
        {"chain": OTHER_CHAIN}),
    "entry not linked to the head": ([EXTEND_THE_HEAD], {"prev": FOREIGN}),
    "entry linked to the head but not next": ([EXTEND_THE_HEAD], {"seq": 10_000}),
    "entry without a body": ([EXTEND_THE_HEAD], {"body": None}),
    "entry dated before the head": ([EXTEND_THE_HEAD], {"ts": "2000-01-01T00:00:00.000000Z"}),
}
def _hashed(body: bytes):
    """What differs from the next entry when its body is ``body`` (hashed as it should be)."""
    return lambda entry: {"body": body, "hash": hashlib.sha256(entry["prev"] + body).digest()}


CHECKPOINT = ("{verb} INTO audit_checkpoint (chain, size, head, ts, key_id, signature, version) "
              "VALUES (:chain, :seq, :hash, :ts, 'cle', :hash, '2')")
sqlite_only = pytest.mark.skipif(ON_POSTGRESQL, reason="INSERT OR REPLACE is SQLite's")
BREAKS = [pytest.param(*case, id=name) for name, case in HEAD_AND_CHAIN_BREAKS.items()] + [
    # SQLite has no SHA-256: there the checkpoint's verification refuses such an entry (audit/log.py).
    pytest.param([EXTEND_THE_HEAD], {"hash": FOREIGN}, id="entry whose hash is not its content's",
                 marks=postgresql_only),
    # Columns that disagree with the hashed body: a write passing for a read would keep write_seq
    # still; on SQLite, where no read is appended in one statement, the checkpoint's check is the guard.
    pytest.param([EXTEND_THE_HEAD], _hashed(b'{"action":"membership.suspended","actor":{"id":"audit"},'
                                            b'"chain":"platform"}'),
                 id="entry whose action column is not its body's", marks=postgresql_only),
    pytest.param([EXTEND_THE_HEAD], _hashed(b'{"action":"audit.heartbeat","actor":{"id":"audit"},'
                                            b'"chain":"5d2a0000-0000-4000-8000-000000000001"}'),
                 id="entry whose body names another chain", marks=postgresql_only),
    # INSERT OR REPLACE deletes the row it replaces without its DELETE trigger.
    pytest.param(["INSERT OR REPLACE INTO audit_head (chain, seq, hash, ts, write_seq) "
                  "VALUES (:chain, 0, zeroblob(32), '', 0)"], {}, id="head reset to the genesis by a replace",
                 marks=sqlite_only),
    pytest.param(["INSERT OR REPLACE INTO audit_entry (chain, seq, ts, prev, hash, body, action, actor_id) "
                  "VALUES (:chain, 1, :ts, zeroblob(32), :hash, :body, 'x', 'y')"], {},
                 id="entry 1 rewritten by a replace", marks=sqlite_only),
    pytest.param([CHECKPOINT.format(verb="INSERT"), CHECKPOINT.format(verb="INSERT OR REPLACE")], {},
                 id="checkpoint rewritten by a replace", marks=sqlite_only)]


@pytest.mark.parametrize(("statements", "changes"), BREAKS)
def test_item5_the_database_refuses_a_head_or_entry_off_the_chain(app, db, statements, changes):
    _append(app, db, 3)
    control = _next_entry(db)  # the well-formed next entry, then the head on it: accepted
    db.execute(_sql(EXTEND_THE_HEAD), control)
    db.execute(_sql(MOVE_THE_HEAD), control)
    before = _head(db)
    assert (before.seq, before.hash) == (control["seq"], control["hash"])
    entry = _next_entry(db)
    params = entry | (changes(entry) if callable(changes) else changes)
    if "other" in params:
        db.execute(_sql("INSERT INTO audit_head (chain, seq, hash, ts, write_seq) VALUES (:chain, 0, :genesis, '', 0)"),
                   {"chain": OTHER_CHAIN, "genesis": bytes(32)})  # a new chain at the genesis: accepted
    with pytest.raises(DatabaseError, match="append-only"), db.begin_nested():
        for statement in statements:
            query = _sql(statement)
            if ":other" in statement:
                query = query.bindparams(bindparam("other", type_=Uuid()))
            db.execute(query, params)
    assert _head(db) == before
    assert db.scalar(select(func.count()).select_from(AuditHead).where(AuditHead.chain == OTHER_CHAIN)) \
        == ("other" in params)


def test_item5_an_ordinary_append_moves_the_head_to_the_new_entry(app, db):
    _append(app, db, 2)
    last = db.execute(select(AuditEntry.seq, AuditEntry.hash, AuditEntry.ts).where(AuditEntry.chain == PLATFORM)
                      .order_by(AuditEntry.seq.desc()).limit(1)).one()
    assert _head(db) == tuple(last)


# --- item 6: the restricted role (PostgreSQL) -----------------------------------------------------

SHADOW_HEAD = [  # a temporary table named like the head, to fool an unpinned trigger
    "CREATE TEMP TABLE audit_head (chain uuid, seq bigint, hash bytea, ts text, write_seq bigint)",
    "INSERT INTO pg_temp.audit_head VALUES ('00000000-0000-0000-0000-000000000000', 1000, :foreign, '', 0)",
    "INSERT INTO audit_entry (chain, seq, ts, prev, hash, body, action, actor_id) "
    "VALUES ('00000000-0000-0000-0000-000000000000', 1001, '', :foreign, :foreign, NULL, 'audit.heartbeat', 'audit')",
]

REFUSED_TO_THE_APP_ROLE = {
    "disable the entries' triggers": (["ALTER TABLE audit_entry DISABLE TRIGGER ALL"], "must be owner"),
    "disable the head's trigger": (["ALTER TABLE audit_head DISABLE TRIGGER audit_head_append_only"],
                                   "must be owner"),
    "drop a trigger": (["DROP TRIGGER audit_entry_append_only ON audit_entry"], "must be owner"),
    "turn every trigger off": (["SET session_replication_role = replica"], "permission denied"),
    "rewrite an entry": (["UPDATE audit_entry SET action = 'account.created'"], "permission denied"),
    "delete entries": (["DELETE FROM audit_entry"], "permission denied"),
    "truncate the entries": (["TRUNCATE audit_entry"], "permission denied"),
    "delete a checkpoint": (["DELETE FROM audit_checkpoint"], "permission denied"),
    "lower the retention": (["UPDATE audit_retention SET days = 1"], "permission denied"),
    "move the head to a foreign hash": (["UPDATE audit_head SET seq = seq + 1, hash = :foreign"], "append-only"),
    "shadow the head with a temporary table": (SHADOW_HEAD, "append-only"),
}


@restricted_role
@pytest.mark.parametrize("statements,refusal", list(REFUSED_TO_THE_APP_ROLE.values()),
                         ids=list(REFUSED_TO_THE_APP_ROLE))
def test_item6_the_service_role_cannot_bend_the_trail(app, db, statements, refusal):
    _append(app, db, 2)
    with pytest.raises(DatabaseError, match=refusal):
        for statement in statements:
            db.execute(text(statement), {"foreign": FOREIGN})
        db.flush()


@restricted_role
def test_item6_the_service_runs_as_the_restricted_role(db):
    assert db.scalar(text("SELECT current_user")) == TEST_APP_ROLE


@restricted_role
@pytest.mark.parametrize("statement", [
    "UPDATE audit_entry SET action = 'x'",
    "DELETE FROM audit_entry",
    "DELETE FROM audit_head",
    "UPDATE audit_checkpoint SET ts = 'x'",
    "DELETE FROM audit_checkpoint",
])
def test_item6_the_triggers_still_refuse_the_owner(committed_app, statement):
    """Behind the privileges, the triggers: the owner's plain writes are refused too."""
    rt = committed_app.extensions["ccop"]
    session = rt.database.session()
    AuditLog(SqlAuditStore(session, PLATFORM), clock=rt.clock, chain="platform").checkpoint(signing_key(rt.keys))
    session.commit()
    session.close()
    owner = create_engine(rt.settings.owner_database_url)
    try:
        with pytest.raises(DatabaseError, match="append-only"), owner.begin() as connection:
            connection.execute(text(statement))
    finally:
        owner.dispose()


# --- item 6: recent bodies stay (R13), old ones may be blanked (both databases) -------------------

@pytest.fixture
def old_and_recent(committed_app):
    """A fresh trail: entry 1 stamped 400 days before the database's clock, entry 2 now."""
    rt = committed_app.extensions["ccop"]
    session = rt.database.session()
    now = database_now(session)
    rt.clock = FakeClock(now - timedelta(days=400))
    _append(committed_app, session)
    rt.clock = FakeClock(now)
    _append(committed_app, session)
    session.commit()
    yield committed_app, session
    session.close()


@pytest.mark.parametrize("seq,allowed", [(1, True), (2, False)], ids=["older than retention", "recent"])
def test_item6_only_a_body_older_than_the_retention_may_be_blanked(old_and_recent, seq, allowed):
    _, session = old_and_recent
    blank = text("UPDATE audit_entry SET body = NULL WHERE seq = :seq")
    if allowed:
        session.execute(blank, {"seq": seq})
        session.commit()
        assert session.scalar(select(AuditEntry.body).where(AuditEntry.seq == seq)) is None
    else:
        with pytest.raises(DatabaseError, match="retention period"):
            session.execute(blank, {"seq": seq})
        session.rollback()
        assert session.scalar(select(AuditEntry.body).where(AuditEntry.seq == seq)) is not None


def test_item6_the_app_cannot_prune_closer_than_the_retention_the_owner_set(old_and_recent):
    app, session = old_and_recent
    rt = app.extensions["ccop"]
    log = AuditLog(SqlAuditStore(session, PLATFORM), clock=rt.clock, chain="platform")
    with pytest.raises(DatabaseError, match="retention period"):
        log.prune(rt.clock() + timedelta(days=1))  # would blank both entries: refused as a whole
    session.rollback()
    upgrade(rt.settings.owner_database_url, retention_days=500)  # the owner keeps entries longer
    with pytest.raises(DatabaseError, match="retention period"):
        log.prune(rt.clock() - timedelta(days=365))
    session.rollback()
    upgrade(rt.settings.owner_database_url, retention_days=365)
    assert log.prune(rt.clock() - timedelta(days=365)) == 1  # the app's own pruning works
    session.commit()


# --- item 6: the start-up check and the upgrade's grants ------------------------------------------

@postgresql_only
def test_item6_the_service_refuses_to_start_in_production_as_the_owner(settings, new_app):
    with pytest.raises(SettingsError, match=r"propriétaire des tables du journal d’audit.*CCOP_APP_ROLE.*"
                                           r"README, section Production"):
        new_app(replace(settings, env="production", database_url=settings.owner_database_url))


@restricted_role
def test_item6_the_service_starts_in_production_as_the_restricted_role(settings, new_app):
    assert new_app(replace(settings, env="production")).extensions["ccop"].settings.env == "production"


@postgresql_only
@pytest.mark.parametrize("role,message", [
    ("postgres", "superutilisateur ou membre du rôle propriétaire"),
    ("ccop_role_absent", "n’existe pas"),
])
def test_item6_the_upgrade_refuses_to_grant_an_unsafe_or_absent_role(settings, role, message):
    with pytest.raises(MigrationError, match=message):
        upgrade(settings.owner_database_url, app_role=role)


# Rights that reach the role other than through the upgrade's own grants (review of item 6).
INDIRECT_RIGHTS = {
    "retention floor writable through PUBLIC": ("GRANT UPDATE ON audit_retention TO PUBLIC", ["audit_retention"]),
    "entries deletable through PUBLIC": ("GRANT DELETE ON audit_entry TO PUBLIC", ["audit_entry"]),
    "schema owned by the role": ('ALTER SCHEMA "{schema}" OWNER TO {role}',
                                 ["audit_checkpoint", "audit_entry", "audit_head", "audit_retention"]),
}


@restricted_role
@pytest.mark.parametrize(("statement", "tables"), list(INDIRECT_RIGHTS.values()), ids=list(INDIRECT_RIGHTS))
def test_item6_rights_kept_by_other_ways_are_refused_at_upgrade_and_start(tmp_path, new_app, settings, statement,
                                                                          tables):
    app_url, owner_url, schema = migrated_database(tmp_path)
    engine = create_engine(owner_url)
    try:
        with engine.begin() as connection:
            assert unguarded_trail_tables(connection, TEST_APP_ROLE) == []
            connection.execute(text(statement.format(schema=schema, role=TEST_APP_ROLE)))
            assert unguarded_trail_tables(connection, TEST_APP_ROLE) == tables
        with pytest.raises(MigrationError, match="contournent les garde-fous"):
            upgrade(owner_url, app_role=TEST_APP_ROLE)
        with pytest.raises(SettingsError, match="contourner leurs garde-fous"):
            new_app(replace(settings, env="production", database_url=app_url, migration_database_url=owner_url))
    finally:
        engine.dispose()
        drop_schema(schema)


@pytest.mark.parametrize("environ,message", [
    ({"CCOP_APP_ROLE": "ccop_app"}, "ne s’applique qu’à PostgreSQL"),
    ({"CCOP_APP_ROLE": "ccop-app; DROP", "CCOP_DATABASE_URL": "postgresql+psycopg://u@h/d"}, "nom de rôle"),
])
def test_item6_the_app_role_setting_is_checked(environ, message):
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(environ)


def test_item6_the_upgrade_runs_as_the_migration_url(tmp_path):
    owner = "postgresql+psycopg://owner@db/ccop"
    settings = Settings.from_env({"CCOP_DATABASE_URL": "postgresql+psycopg://ccop_app@db/ccop",
                                  "CCOP_MIGRATION_DATABASE_URL": owner, "CCOP_APP_ROLE": "ccop_app",
                                  "CCOP_INSTANCE_DIR": str(tmp_path)})
    assert settings.owner_database_url == owner and settings.app_role == "ccop_app"
    assert Settings.from_env({"CCOP_INSTANCE_DIR": str(tmp_path)}).owner_database_url.startswith("sqlite")




def test_item6_prune_too_close_is_refused_in_french_and_blanks_nothing(old_and_recent):
    app, session = old_and_recent
    result = app.test_cli_runner().invoke(main, ["audit", "prune", "--before", "2099-01-01"])
    assert result.exit_code != 0 and "Refusé (R13)" in result.output and "rien n’a été effacé" in result.output
    assert session.scalar(select(AuditEntry.body).where(AuditEntry.seq == 1)) is not None


@restricted_role
def test_an_upgrade_run_as_the_service_role_is_refused_in_french_and_changes_nothing(tmp_path):
    """The service's role owns nothing: ``ccop db upgrade`` run with its URL says what to do
    (the owner's URL in CCOP_MIGRATION_DATABASE_URL) instead of a traceback."""
    from click.testing import CliRunner

    from ccop_cases.cli import main
    url, schema = database_url(tmp_path)
    try:
        env = {"CCOP_ENV": "test", "CCOP_INSTANCE_DIR": str(tmp_path), "CCOP_DATABASE_URL": as_app_role(url)}
        result = CliRunner().invoke(main, ["db", "upgrade"], env=env)
        assert result.exit_code != 0 and "Traceback" not in result.output
        assert "CCOP_MIGRATION_DATABASE_URL" in result.output and "Rien n’a été modifié" in result.output
        engine = create_engine(url)
        with engine.connect() as connection:
            tables = connection.execute(text("SELECT count(*) FROM information_schema.tables "
                                             "WHERE table_schema = :schema"), {"schema": schema}).scalar()
        engine.dispose()
        assert tables == 0
    finally:
        drop_schema(schema)
