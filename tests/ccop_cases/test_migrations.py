"""Alembic is the only way the schema changes: ``upgrade head`` from empty matches the models."""

from __future__ import annotations

from sqlalchemy import inspect

from ccop_cases.db import Base
from ccop_cases.migrate import check


def test_upgrade_head_from_empty_matches_the_models(settings):
    # ``settings`` migrated an empty database (SQLite, or a fresh PostgreSQL schema).
    check(settings.database_url)  # raises when autogenerate would find a difference


def test_every_model_table_exists_after_upgrade(base_app):
    tables = set(inspect(base_app.extensions["ccop"].database.engine).get_table_names())
    assert set(Base.metadata.tables) <= tables


def test_create_app_never_creates_tables(settings, tmp_path, new_app):
    from apptest import with_settings
    url = f"sqlite:///{tmp_path / 'vide.sqlite3'}"
    app = new_app(with_settings(settings, database_url=url))
    assert inspect(app.extensions["ccop"].database.engine).get_table_names() == []


def test_upgrade_seals_existing_minutes_and_reasons_and_refuses_without_keys(settings, tmp_path):
    """Revision 0008 moves clear free texts to sealed columns; without the key directory it
    stops before dropping anything (issue 12, item 1)."""
    import uuid
    from datetime import UTC, datetime

    import pytest
    from apptest import database_url, drop_schema
    from sqlalchemy import create_engine, text

    from ccop_cases.encryption import open_keys, open_text
    from ccop_cases.identities.services import unit_key
    from ccop_cases.migrate import upgrade

    url, schema = database_url(tmp_path)
    try:
        upgrade(url, "0007")
        engine = create_engine(url)
        group, membership, meeting, now = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), datetime.now(UTC)
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":  # a lone row: its group and author need not exist
                conn.execute(text("SET LOCAL session_replication_role = replica"))
            ids = {"g": group.hex if conn.dialect.name == "sqlite" else group,
                   "m": meeting.hex if conn.dialect.name == "sqlite" else meeting, "now": now}
            conn.execute(text("INSERT INTO meeting (id, group_id, scheduled_for, minutes, created_by, created_at) "
                              "VALUES (:m, :g, :now, 'Compte rendu Zéphyrine', :g, :now)"), ids)
        with pytest.raises(RuntimeError, match="dossier de clés"):
            upgrade(url)
        with engine.connect() as conn:  # nothing dropped: the clear column is still there
            assert conn.execute(text("SELECT minutes FROM meeting")).scalar() == "Compte rendu Zéphyrine"
        upgrade(url, key_dir=settings.key_dir)
        with engine.connect() as conn:
            sealed = conn.execute(text("SELECT minutes_enc FROM meeting")).scalar()
        keys = open_keys(settings.key_dir)
        from sqlalchemy.orm import Session
        with Session(engine) as db:
            key = unit_key(db, keys, group)
        assert open_text(key, sealed, table="meeting", column="minutes_enc", row_id=meeting) == "Compte rendu Zéphyrine"
        assert membership  # the membership side runs the same loop (see SEALED in 0008)
        engine.dispose()
    finally:
        if schema:
            drop_schema(schema)
