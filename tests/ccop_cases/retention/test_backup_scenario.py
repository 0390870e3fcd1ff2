"""The promise crypto-shredding makes about backups (issue 18), end to end on PostgreSQL with a
controlled clock: a database dump taken before a purge, restored after the turn of the month
that followed it, with the live keys, no longer shows the purged situation — the page says
the record cannot be read, and that is audited — while situations of later epochs still read.
A copy of the key store taken before that turn still opens it: the bound docs/operations.md
gives for keeping key backups ("Key backups") is what this test keeps true. The daily run on
the restored database then purges the situation again (reason ``epoch_passed``)."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from apptest import FakeClock, audit_bodies, database_url, drop_schema, login, make_account, make_governance
from casetest import latest_case, propose
from sqlalchemy import create_engine, make_url, text

from ccop_cases.cli import main
from ccop_cases.encryption import init_keys
from ccop_cases.migrate import upgrade
from ccop_cases.settings import Settings

OWNER_URL = os.environ.get("CCOP_DATABASE_URL", "")
TOOLS = [tool for tool in ("pg_dump", "psql") if shutil.which(tool) is None]
pytestmark = pytest.mark.skipif(
    not OWNER_URL.startswith("postgresql") or bool(TOOLS),
    reason="the backup scenario runs on PostgreSQL (CCOP_DATABASE_URL) with pg_dump and psql"
    + (f"; missing: {', '.join(TOOLS)}" if TOOLS else ""))

DUE = "Ndiaye-Lefèvre"  # turns 25 on 2027-01-20: purged then, its epoch 2027-01 ends on 1 February
LATER = "Kowalczyk"  # turns 25 in 2035


def _libpq(url: str, database: str | None = None) -> str:
    parsed = make_url(url).set(drivername="postgresql", query={})
    return (parsed.set(database=database) if database else parsed).render_as_string(hide_password=False)


def _at(clock: FakeClock, *moment: int) -> None:
    clock.now = datetime(*moment, 9, 0, tzinfo=UTC)


def _app(new_app, settings: Settings, clock: FakeClock):
    app = new_app(settings)
    app.extensions["ccop"].clock = clock
    return app


def _page(app, account, clock: FakeClock, case_id):
    clock.advance(seconds=61)  # a fresh TOTP step for each login
    client = app.test_client()
    login(client, account, clock)
    return client.get(f"/situations/{case_id}")


def _latest(app):
    session = app.extensions["ccop"].database.session()
    try:
        return latest_case(session)
    finally:
        session.close()


@pytest.fixture
def fresh_schema(tmp_path: Path):
    """A fresh schema migrated to head, whose rows are committed (a dump sees them); dropped
    after the apps of ``new_app`` have closed their connections (so requested before it)."""
    url, schema = database_url(tmp_path)
    assert schema is not None
    upgrade(url)
    yield url, schema
    drop_schema(schema)


@pytest.fixture
def restored_database():
    """A fresh PostgreSQL database to restore into, dropped after the test."""
    name = f"ccop_restore_{uuid.uuid4().hex[:10]}"
    admin = create_engine(OWNER_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def test_a_purged_case_does_not_decrypt_from_a_backup_restored_after_its_epoch(
        tmp_path: Path, fresh_schema: tuple[str, str], restored_database: str, new_app) -> None:
    clock = FakeClock(datetime(2026, 12, 3, 9, 0, tzinfo=UTC))
    url, schema = fresh_schema
    settings = Settings(env="test", instance_dir=tmp_path, database_url=url, key_dir=tmp_path / "keys",
                        log_format="console", secure_cookies=False)
    init_keys(settings, "2026-12")
    live = _app(new_app, settings, clock)

    # Seed: a constituted group, its coordonnateur, two situations of different epochs.
    gov = make_governance(live)
    coordinator = make_account(live, "backup.coordinator")
    gov.sign_all(gov.designate(coordinator, role="coordonnateur"))
    client = live.test_client()
    login(client, coordinator, clock)
    gov.session.close()
    assert propose(client, gov, last_name=DUE, birth_date="2002-01-20", rep1_last_name=None,
                   rep1_given_names=None, rep1_phone=None).status_code == 302
    due = _latest(live)
    clock.advance(seconds=1)
    assert propose(client, gov, last_name=LATER, birth_date="2010-06-15").status_code == 302
    later = _latest(live)
    assert due.reference != later.reference

    # The backups: the database dumped, the key store copied, both before the purge.
    dump = tmp_path / "dump.sql"
    subprocess.run(["pg_dump", "--schema", schema, "--no-owner", "--no-privileges", "--file", str(dump),  # noqa: S603, S607
                    _libpq(OWNER_URL)], check=True, capture_output=True)
    shutil.copytree(settings.key_dir, tmp_path / "keys-backup")

    # The 25th birthday: the daily run purges; the turn of the month destroys its epoch.
    _at(clock, 2027, 1, 20)
    purged = live.test_cli_runner().invoke(main, ["retention", "run"])
    assert purged.exit_code == 0 and "1 effacée(s)" in purged.output, purged.output
    assert "époques : 2026-12 ;" in purged.output  # the turn into January: the seeding month goes
    _at(clock, 2027, 2, 1)
    turned = live.test_cli_runner().invoke(main, ["retention", "run"])
    assert turned.exit_code == 0 and "époques : 2027-01 ;" in turned.output, turned.output
    assert live.extensions["ccop"].keys.epoch == "2027-02"

    # Restore the dump into a fresh database, run on it with the live keys.
    subprocess.run(["psql", "--quiet", "--set", "ON_ERROR_STOP=1", "--file", str(dump),  # noqa: S603, S607
                    _libpq(OWNER_URL, restored_database)], check=True, capture_output=True)
    restored_url = make_url(url).set(database=restored_database).render_as_string(hide_password=False)
    restored = _app(new_app, replace(settings, database_url=restored_url), clock)

    gone = _page(restored, coordinator, clock, due.id)
    assert gone.status_code == 500 and "Cet enregistrement ne peut pas être lu" in gone.text
    assert DUE not in gone.text
    session = restored.extensions["ccop"].database.session()
    refused = audit_bodies(session, "record.unreadable")
    assert [(e["outcome"], e["actor"]["id"]) for e in refused][-1:] == [("error", str(coordinator.person.id))]
    session.close()
    still = _page(restored, coordinator, clock, later.id)
    assert still.status_code == 200 and LATER in still.text

    # The same restored database with the key store copied before the turn: it still reads.
    with_old_keys = _app(new_app, replace(settings, database_url=restored_url,
                                          key_dir=tmp_path / "keys-backup"), clock)
    back = _page(with_old_keys, coordinator, clock, due.id)
    assert back.status_code == 200 and DUE in back.text

    # The daily run on the restored database purges again what its epoch says is past, quietly.
    rerun = restored.test_cli_runner().invoke(main, ["retention", "run"])
    assert rerun.exit_code == 0 and "1 effacée(s)" in rerun.output, rerun.output
    session = restored.extensions["ccop"].database.session()
    assert audit_bodies(session, "case.purged")[-1]["details"]["reason"] == "epoch_passed"
    session.close()
    assert _page(restored, coordinator, clock, due.id).status_code == 410
    assert LATER in _page(restored, coordinator, clock, later.id).text
