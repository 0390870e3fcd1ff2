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
