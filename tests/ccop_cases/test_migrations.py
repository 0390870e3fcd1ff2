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


def test_upgrade_seals_existing_minutes_and_reasons_and_refuses_without_keys(settings, tmp_path, new_app):
    """Revision 0008 moves clear free texts to sealed columns; without the key directory it
    stops before changing anything (issue 12, item 1). The clear texts are written on a
    database taken back to 0007, as a deployment of before this change holds them."""
    from dataclasses import replace

    import pytest
    from alembic import command
    from apptest import database_url, drop_schema, make_account, make_governance, setup_work
    from sqlalchemy import create_engine, text

    from ccop_cases.charter.services import status_reason
    from ccop_cases.meetings import services as meetings
    from ccop_cases.meetings.models import Meeting
    from ccop_cases.migrate import alembic_config, upgrade

    url, schema = database_url(tmp_path)
    try:
        upgrade(url)
        app = new_app(replace(settings, database_url=url, migration_database_url=url))
        rt = app.extensions["ccop"]
        gov = make_governance(app)
        member = gov.designate(make_account(app, "migration.membre"))
        meeting = meetings.schedule(setup_work(app, gov.session), gov.group, member, rt.clock())
        gov.session.commit()
        meeting_id, member_id = meeting.id, member.id
        gov.session.close()
        rt.database.dispose()
        command.downgrade(alembic_config(url), "0007")
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("UPDATE meeting SET minutes = 'Compte rendu Zéphyrine'"))
            conn.execute(text("UPDATE membership SET status_reason = 'Motif Zéphyrine'"))
        with pytest.raises(RuntimeError, match="dossier de clés"):
            upgrade(url)
        with engine.connect() as conn:  # nothing changed: the clear columns are still there
            assert conn.execute(text("SELECT minutes FROM meeting")).scalar() == "Compte rendu Zéphyrine"
        engine.dispose()
        upgrade(url, key_dir=settings.key_dir)
        db = rt.database.session()
        assert meetings.minutes(db, rt.keys, db.get_one(Meeting, meeting_id)) == "Compte rendu Zéphyrine"
        from ccop_cases.charter.models import Membership
        assert status_reason(db, rt.keys, db.get_one(Membership, member_id)) == "Motif Zéphyrine"
        db.close()
    finally:
        if schema:
            drop_schema(schema)
