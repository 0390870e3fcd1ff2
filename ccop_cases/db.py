"""Database engine, declarative base and the per-request session."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import DateTime, MetaData, create_engine, event, text
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import NullPool
from sqlalchemy.sql import Executable
from sqlalchemy.types import TypeDecorator, Uuid

from ccop_cases.settings import SettingsError

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: use an aware UTC datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), uuid.UUID: Uuid()}  # noqa: RUF012 (SQLAlchemy reads it once)


R = TypeVar("R", bound=tuple[Any, ...])


def rows(session: Session, query: Executable, params: Mapping[str, Any], into: type[R]) -> list[R]:
    """The one seam of the hot reads (the decision's standing, the case page, the search):
    a statement built once, run as plain rows on the session's connection (no ORM object
    built), each row returned as the named tuple ``into``, whose fields are the statement's
    columns in order (checked: a renamed column fails loudly). The session's pending changes
    are flushed first, as the ORM would before a query."""
    session.flush()
    result = session.connection().execute(query, params)
    fields: tuple[str, ...] = into._fields  # type: ignore[attr-defined]
    if tuple(result.keys()) != fields:
        raise TypeError(f"{into.__name__} expects {fields}, the query gives {tuple(result.keys())}")
    return [into._make(row) for row in result]  # type: ignore[attr-defined]


def new_id() -> uuid.UUID:
    """A row id generated in Python before the insert (so it can be bound into ciphertexts)."""
    return uuid.uuid4()


POOL_RECYCLE = 300  # seconds: below the idle timeouts of firewalls and PostgreSQL proxies


READ_BIND = "ccop_read_bind"  # session info: the engine of read-only transactions
READING = "ccop_reading"  # session info: the current transaction was begun by ``begin_read``


def make_engine(url: str, *, read_only: bool = False) -> Engine:
    """Create the engine; SQLite gets foreign keys, WAL and a busy timeout for several workers.

    ``read_only``: an engine whose transactions the database refuses to write in (SQLite:
    connections opened with ``PRAGMA query_only``, so it needs a pool of its own).
    """
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, hide_parameters=True)
        event.listen(engine, "connect", _sqlite_pragmas(read_only))
        event.listen(engine, "begin", _sqlite_begin("BEGIN" if read_only else "BEGIN IMMEDIATE"))
        return engine
    # hide_parameters: SQL errors must not carry submitted values into logs. No ping on each
    # checkout (a round trip per request): connections are replaced after POOL_RECYCLE seconds,
    # and a signed-in request whose first statement (its session's) finds its connection dead
    # tries once more on a new one (``work.read_first``). Any other statement on a dead
    # connection fails once (a 500, or a command's error); SQLAlchemy then drops the pool's
    # older connections, so the next one gets a fresh connection.
    return create_engine(url, pool_recycle=POOL_RECYCLE, hide_parameters=True)


class RoutingSession(Session):
    """A session whose read transactions (``begin_read``) run on the read-only engine."""

    def get_bind(self, mapper: Any = None, **kw: Any) -> Engine | Connection:
        if self.info.get(READING):
            return self.info[READ_BIND]  # type: ignore[no-any-return]
        return super().get_bind(mapper, **kw)


@event.listens_for(RoutingSession, "after_transaction_end")
def _end_read(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop(READING, None)  # the next transaction may write again


def _sqlite_pragmas(read_only: bool) -> Any:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's own transaction handling breaks SAVEPOINT; SQLAlchemy's documented
        # recipe turns it off and emits BEGIN itself (see _sqlite_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA mmap_size=134217728")
        # Deleted content is overwritten, not left in free pages: a purge (crypto-shredding)
        # or a sealed value's former clear text leaves nothing in the file.
        cursor.execute("PRAGMA secure_delete=ON")
        # Set once per connection: changing it expires every statement SQLite has prepared
        # on the connection, so reads and writes use connections of their own.
        cursor.execute(f"PRAGMA query_only={'ON' if read_only else 'OFF'}")
        cursor.close()

    return on_connect


def _sqlite_begin(statement: str) -> Any:
    # IMMEDIATE takes the write lock up front: two deferred transactions that both read and
    # then write would deadlock (SQLITE_BUSY without waiting) instead of queueing. A read
    # transaction (``begin_read``) takes no lock: its connection refuses writes.
    def on_begin(connection: Connection) -> None:
        connection.exec_driver_sql(statement)

    return on_begin


class Database:
    """Holds the engines (one for read-only transactions) and the session factory of one
    application."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        # PostgreSQL: the same pool, each transaction begun READ ONLY by psycopg (no extra
        # round trip); SQLite: a pool of connections that refuse writes.
        self.read_engine = (make_engine(url, read_only=True) if url.startswith("sqlite")
                            else self.engine.execution_options(postgresql_readonly=True))
        self.sessions = sessionmaker(self.engine, class_=RoutingSession, expire_on_commit=False,
                                     info={READ_BIND: self.read_engine})

    def bind_to(self, connection: Connection) -> None:
        """Test seam: run every session inside an outer transaction that a test rolls back
        (already begun, so a read inside it is not made read-only: see test_transactions.py)."""
        self.sessions = sessionmaker(
            bind=connection, class_=RoutingSession, expire_on_commit=False,
            join_transaction_mode="create_savepoint", info={READ_BIND: None},
        )

    def dispose(self) -> None:
        """Close every pooled connection (both engines)."""
        self.read_engine.dispose()
        self.engine.dispose()

    def session(self) -> Session:
        return self.sessions()


def unguarded_trail_tables(connection: Connection, role: str | None = None) -> list[str]:
    """The trail's tables (and its retention floor) whose guards the PostgreSQL ``role`` (by
    default the connected one) could take off or step around, by any grant, direct, through
    PUBLIC or a group: it owns them or their schema (or belongs to an owner), may create in
    their schema (functions that would shadow the triggers'), may create triggers, delete
    or truncate, may update an entry beyond retention pruning (its body), a checkpoint, or
    the retention floor, is a superuser, or may turn every trigger off for its session
    (``session_replication_role``, PostgreSQL 15+)."""
    if connection.dialect.name != "postgresql":
        return []
    replication = ("OR has_parameter_privilege(:role, 'session_replication_role', 'SET')"
                   if (connection.dialect.server_version_info or (0,)) >= (15,) else "")
    entry_columns = " OR ".join(f"has_column_privilege(:role, c.oid, '{column}', 'UPDATE')"
                                for column in ("chain", "seq", "ts", "prev", "hash", "action", "actor_id"))
    query = text(f"""
        SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.oid IN (to_regclass('audit_entry'), to_regclass('audit_head'), to_regclass('audit_checkpoint'),
                        to_regclass('audit_retention'))
          AND (pg_has_role(:role, c.relowner, 'MEMBER') OR pg_has_role(:role, n.nspowner, 'MEMBER')
               OR has_schema_privilege(:role, n.oid, 'CREATE')
               OR has_table_privilege(:role, c.oid, 'TRIGGER') OR has_table_privilege(:role, c.oid, 'DELETE')
               OR has_table_privilege(:role, c.oid, 'TRUNCATE')
               OR (c.relname = 'audit_entry' AND ({entry_columns}))
               OR (c.relname = 'audit_checkpoint' AND has_any_column_privilege(:role, c.oid, 'UPDATE'))
               OR (c.relname = 'audit_retention' AND (has_table_privilege(:role, c.oid, 'INSERT')
                                                      OR has_any_column_privilege(:role, c.oid, 'UPDATE')))
               OR (SELECT rolsuper FROM pg_roles WHERE rolname = :role) {replication})
        ORDER BY c.relname""")  # noqa: S608 (constant fragments only)
    name = role or connection.execute(text("SELECT current_user")).scalar_one()
    return list(connection.execute(query, {"role": name}).scalars())


def refuse_unguarded_trail(url: str) -> None:
    """Production start-up check: raise ``SettingsError`` when the service's database role
    could take the audit trail's guards off (R13), saying what to do."""
    engine = create_engine(url, poolclass=NullPool, hide_parameters=True)
    try:
        with engine.connect() as connection:
            role = connection.execute(text("SELECT current_user")).scalar_one() \
                if connection.dialect.name == "postgresql" else ""
            tables = unguarded_trail_tables(connection, role)
    finally:
        engine.dispose()
    if tables:
        raise SettingsError(
            f"Le rôle de connexion « {role} » est propriétaire des tables du journal d’audit ou de leur "
            f"schéma, ou peut désactiver ou contourner leurs garde-fous ({', '.join(tables)}) : il "
            "pourrait effacer ou réécrire le journal (R13). Créez un rôle restreint pour le service et "
            "mettez-le dans CCOP_DATABASE_URL ; gardez le rôle propriétaire pour « ccop db upgrade » "
            "seulement (CCOP_MIGRATION_DATABASE_URL) et nommez le rôle restreint dans CCOP_APP_ROLE pour "
            "que la mise à jour lui donne ses droits (voir README, section Production).")
