"""Schema changes through Alembic only (``ccop db upgrade``); used by the CLI and the tests.

The upgrade runs as the schema's owner. On PostgreSQL it then gives the service's
restricted role (``CCOP_APP_ROLE``) exactly what the service needs, table by table, every
time (so tables added by a new revision are covered): ordinary tables are read and
written; the audit trail is only read and appended to, the head only moved (its triggers
say how), an entry's body only blanked (retention pruning, refused by a trigger before
the retention period); the owner's settings are only read. The restricted role owns
nothing, so it cannot disable a trigger.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection

from ccop_cases.db import unguarded_trail_tables


def _migrations_dir() -> Path:
    """The Alembic revisions: inside the package when installed from a wheel (setup.py puts
    them there), else the checkout's top-level ``migrations/`` (editable install, tests)."""
    package = Path(__file__).resolve().parent
    shipped = package / "migrations"
    return shipped if shipped.is_dir() else package.parent / "migrations"


MIGRATIONS_DIR = _migrations_dir()

ORDINARY_PRIVILEGES = "SELECT, INSERT, UPDATE, DELETE"
# The tables the restricted role may not freely write: what it may do on each.
RESTRICTED_PRIVILEGES: dict[str, str] = {
    "audit_entry": "SELECT, INSERT, UPDATE (body)",  # UPDATE (body): retention pruning only
    "audit_checkpoint": "SELECT, INSERT",
    # A row per chain, locked by its appends: a new one only at the genesis, moved only by the triggers' rule.
    "audit_head": "SELECT, INSERT, UPDATE (seq, hash, ts, write_seq)",
    "audit_retention": "SELECT",  # written by the owner only
    "key_epoch": "SELECT, INSERT",  # a destroyed epoch stays destroyed
    "alembic_version": "SELECT",
}


class MigrationError(Exception):
    """The upgrade cannot grant the service's role safely (the message says why, in French)."""


def alembic_config(database_url: str, key_dir: Path | None = None) -> Config:
    config = Config()
    config.attributes["key_dir"] = key_dir  # for revisions that seal existing values (0008)
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head", *, app_role: str = "",
            retention_days: int | None = None, key_dir: Path | None = None) -> None:
    """Migrate to ``revision`` as the owner of ``database_url``; at head, also write the
    audit retention the database enforces (when given) and grant ``app_role`` (PostgreSQL).
    ``key_dir``: for revisions that seal values already stored in clear (0008)."""
    command.upgrade(alembic_config(database_url, key_dir), revision)
    if revision != "head" or not (app_role or retention_days):
        return
    engine = create_engine(database_url)
    try:
        with engine.begin() as connection:
            if retention_days:
                connection.execute(text("UPDATE audit_retention SET days = :days WHERE id = 1"),
                                   {"days": retention_days})
            if app_role:
                grant_app_role(connection, app_role)
    finally:
        engine.dispose()


def grant_app_role(connection: Connection, role: str) -> None:
    """Reset the privileges of ``role`` on every table of the current schema (PostgreSQL)."""
    if connection.dialect.name != "postgresql":
        raise MigrationError("CCOP_APP_ROLE ne s’applique qu’à PostgreSQL.")
    found = connection.execute(text(
        "SELECT rolsuper, pg_has_role(:role, current_user, 'MEMBER') AS owner FROM pg_roles "
        "WHERE rolname = :role"), {"role": role}).one_or_none()
    if found is None:
        raise MigrationError(f"Le rôle « {role} » (CCOP_APP_ROLE) n’existe pas : créez-le d’abord "
                             "(voir README, section Production).")
    if found.rolsuper or found.owner:
        raise MigrationError(f"Le rôle « {role} » (CCOP_APP_ROLE) est superutilisateur ou membre du rôle "
                             "propriétaire qui applique les migrations : le service doit se connecter avec "
                             "un rôle restreint distinct (voir README, section Production).")
    schema = connection.execute(text("SELECT current_schema()")).scalar_one()
    tables = connection.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = :schema "
                                     "ORDER BY tablename"), {"schema": schema}).scalars()
    grantee, namespace = _quoted(role), _quoted(schema)
    connection.execute(text(f"GRANT USAGE ON SCHEMA {namespace} TO {grantee}"))
    connection.execute(text(f"REVOKE ALL ON ALL TABLES IN SCHEMA {namespace} FROM {grantee}"))
    connection.execute(text(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {namespace} FROM {grantee}"))
    for table in tables:
        privileges = RESTRICTED_PRIVILEGES.get(table, ORDINARY_PRIVILEGES)
        connection.execute(text(f"GRANT {privileges} ON {namespace}.{_quoted(table)} TO {grantee}"))
    connection.execute(text(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {namespace} TO {grantee}"))
    unguarded = unguarded_trail_tables(connection, role)  # rights kept through PUBLIC or a group
    if unguarded:
        raise MigrationError(f"Le rôle « {role} » (CCOP_APP_ROLE) garde, par PUBLIC, un groupe ou la propriété "
                             f"du schéma, des droits qui contournent les garde-fous du journal d’audit "
                             f"({', '.join(unguarded)}) : retirez-les (REVOKE) puis relancez la mise à jour "
                             "(voir README, section Production).")


def _quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def check(database_url: str) -> None:
    """Raise ``alembic.util.AutogenerateDiffsDetected`` when models and migrations differ."""
    command.check(alembic_config(database_url))
