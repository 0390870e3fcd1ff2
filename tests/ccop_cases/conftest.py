"""Fixtures for the app's tests: settings, a migrated database (SQLite, or PostgreSQL when
CCOP_DATABASE_URL says so), the app with a controllable clock, a per-test transaction rolled
back at the end, clients and a ``login_as`` helper that also does the TOTP step."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from pathlib import Path

import casetest
import pytest
from apptest import (
    KEYS_EPOCH,
    Account,
    FakeClock,
    Governance,
    charter_admin,
    drop_schema,
    login,
    make_account,
    make_governance,
    migrated_database,
)
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ccop_cases import create_app
from ccop_cases.cases.models import CaseParticipant
from ccop_cases.charter.models import Membership
from ccop_cases.encryption import init_keys
from ccop_cases.settings import Settings
from ccop_cases.web.runtime import Runtime


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    tmp = tmp_path_factory.mktemp("instance")
    url, owner_url, schema = migrated_database(tmp)
    made = Settings(env="test", instance_dir=tmp, database_url=url, key_dir=tmp / "keys",
                    log_format="console", secure_cookies=False, migration_database_url=owner_url)
    init_keys(made, KEYS_EPOCH)
    shutil.copy2(tmp / "keys" / "epoch.json", tmp / "epoch.json.saved")  # see _restore_epoch
    yield made
    if schema:
        drop_schema(schema)


@pytest.fixture(scope="session")
def base_app(settings: Settings) -> Iterator[Flask]:
    app = create_app(settings)
    yield app
    app.extensions["ccop"].database.dispose()


@pytest.fixture
def new_app() -> Iterator[Callable[[Settings], Flask]]:
    """``new_app(settings)`` → a separate app, its connections closed after the test."""
    made: list[Flask] = []

    def make(settings: Settings) -> Flask:
        made.append(create_app(settings))
        return made[-1]

    yield make
    for app in made:
        app.extensions["ccop"].database.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def rolled_back_app(new_app: Callable[[Settings], Flask], clock: FakeClock) -> Iterator[Callable[[Settings], Flask]]:
    """``rolled_back_app(settings)`` → a separate app (other settings) on the shared test
    database, whose writes are rolled back after the test like ``app``'s: a refusal it
    audits must not reach the next test's counts."""
    with ExitStack() as stack:
        yield lambda settings: stack.enter_context(_rolled_back(new_app(settings), clock))


@contextmanager
def _rolled_back(app: Flask, clock: FakeClock) -> Iterator[Flask]:
    rt: Runtime = app.extensions["ccop"]
    original = rt.database.sessions
    connection = rt.database.engine.connect()
    outer = connection.begin()
    rt.database.bind_to(connection)
    rt.clock = clock
    epoch = rt.keys.epoch
    try:
        yield app
    finally:
        outer.rollback()
        connection.close()
        rt.database.sessions = original
        if rt.keys.epoch != epoch:  # a test's `ccop retention run` turned the months of a shared store
            _restore_epoch(rt.settings.key_dir)


def _restore_epoch(key_dir: Path) -> None:
    """Put back the epoch file saved when the store was made: what a key backup restores."""
    saved = key_dir.parent / "epoch.json.saved"
    if not saved.exists():  # a test's own store (own_keys_app): nothing shared to put back
        return
    os.replace(shutil.copy2(saved, key_dir / ".epoch.json.restoring"), key_dir / "epoch.json")


@pytest.fixture
def app(base_app: Flask, clock: FakeClock) -> Iterator[Flask]:
    """The app with every session inside one outer transaction, rolled back after the test."""
    with _rolled_back(base_app, clock) as bound:
        yield bound


@pytest.fixture
def own_keys_app(settings: Settings, tmp_path: Path, clock: FakeClock,
                 new_app: Callable[[Settings], Flask]) -> Iterator[Flask]:
    """Like ``app``, on its own copy of the key directory (for tests that rotate keys)."""
    shutil.copytree(settings.key_dir, tmp_path / "keys")
    with _rolled_back(new_app(replace(settings, key_dir=tmp_path / "keys")), clock) as bound:
        yield bound


@pytest.fixture
def owner_app(settings: Settings, clock: FakeClock, new_app: Callable[[Settings], Flask]) -> Iterator[Flask]:
    """Like ``app``, connected as the schema's owner (on PostgreSQL under TEST_PG_APP_ROLE the
    service is not): for tests that bend the trail as only its owner could."""
    with _rolled_back(new_app(replace(settings, database_url=settings.owner_database_url)), clock) as bound:
        yield bound


@pytest.fixture
def committed_app(settings: Settings, tmp_path: Path, clock: FakeClock,
                  new_app: Callable[[Settings], Flask]) -> Iterator[Flask]:
    """The app on real connections and commits (concurrency, raw bytes), on a database of
    its own: the audit tables refuse DELETE, so nothing could empty a shared one."""
    url, owner_url, schema = migrated_database(tmp_path)
    app = new_app(replace(settings, database_url=url, migration_database_url=owner_url))
    app.extensions["ccop"].clock = clock
    yield app
    app.extensions["ccop"].database.dispose()
    if schema:
        drop_schema(schema)


@pytest.fixture
def db(app: Flask) -> Iterator[Session]:
    session = app.extensions["ccop"].database.session()
    yield session
    session.close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def account(app: Flask) -> Account:
    return make_account(app)


@pytest.fixture
def admin(app: Flask) -> Account:
    """A charter administrator (the president of make_governance's council when passed to it)."""
    return charter_admin(app)


@pytest.fixture
def gov(app: Flask, admin: Account) -> Governance:
    return make_governance(app, admin=admin)


@pytest.fixture
def login_as(app: Flask, clock: FakeClock) -> Callable[[Account], FlaskClient]:
    """``login_as(account)`` → a client logged in through both steps."""
    def do(acct: Account) -> FlaskClient:
        c = app.test_client()
        response = login(c, acct, clock)
        assert response.status_code == 302 and response.location == "/", response.text
        clock.advance(seconds=30)  # the next login of the same account needs a newer code
        return c
    return do


# --- the case workspace (tests/ccop_cases/cases, web) -------------------------------------


@pytest.fixture
def world(app):
    gov = make_governance(app)
    accounts = {}
    for name, role in (("coordinator", "coordonnateur"), ("participant", "member"), ("outsider", "member"),
                       ("excluded", "member"), ("unsigned", "member")):
        acct = make_account(app, f"case.{name}")
        membership = gov.designate(acct, role=role)
        if name != "unsigned":
            gov.sign_all(membership)
        if name == "excluded":
            membership.status = "excluded"
            gov.session.commit()
        accounts[name] = acct
    return casetest.World(gov, **accounts)


@pytest.fixture
def proposed(app, world, login_as, db, clock):
    """A proposed case; the excluded and the unsigned members were designated for it before
    their exclusion or the new charter version, so the table shows R15 and R3 on it."""
    response = casetest.propose(login_as(world.participant), world.gov)
    assert response.status_code == 302, response.text
    case = casetest.latest_case(db)
    for name in ("excluded", "unsigned"):
        membership = db.scalar(select(Membership).where(Membership.person_id == getattr(world, name).person.id))
        db.add(CaseParticipant(case_id=case.id, membership_id=membership.id, reason="school",
                               added_by=case.proposed_by, added_at=clock()))
    db.commit()
    return case
