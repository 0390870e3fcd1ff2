"""Fixtures for the app's tests: settings, a migrated database (SQLite, or PostgreSQL when
CCOP_DATABASE_URL says so), the app with a controllable clock, a per-test transaction rolled
back at the end, clients and a ``login_as`` helper that also does the TOTP step."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from apptest import Account, FakeClock, database_url, drop_schema, login, make_account
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from ccop_cases import create_app
from ccop_cases.db import Base
from ccop_cases.encryption import init_key_dir
from ccop_cases.migrate import upgrade
from ccop_cases.runtime import Runtime
from ccop_cases.settings import Settings


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    tmp = tmp_path_factory.mktemp("instance")
    init_key_dir(tmp / "keys")
    url, schema = database_url(tmp)
    upgrade(url)
    yield Settings(env="test", instance_dir=tmp, database_url=url, key_dir=tmp / "keys",
                   log_format="console", secure_cookies=False)
    if schema:
        drop_schema(schema)


@pytest.fixture(scope="session")
def base_app(settings: Settings) -> Flask:
    return create_app(settings)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def app(base_app: Flask, clock: FakeClock) -> Iterator[Flask]:
    """The app with every session inside one outer transaction, rolled back after the test."""
    rt: Runtime = base_app.extensions["ccop"]
    original = rt.database.sessions
    connection = rt.database.engine.connect()
    outer = connection.begin()
    rt.database.bind_to(connection)
    rt.clock = clock
    yield base_app
    outer.rollback()
    connection.close()
    rt.database.sessions = original


@pytest.fixture
def committed_app(base_app: Flask, clock: FakeClock) -> Iterator[Flask]:
    """The app on real connections (for concurrency tests); tables emptied afterwards."""
    rt: Runtime = base_app.extensions["ccop"]
    rt.clock = clock
    yield base_app
    with rt.database.engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())


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
def login_as(app: Flask, clock: FakeClock) -> Callable[[Account], FlaskClient]:
    """``login_as(account)`` → a client logged in through both steps."""
    def do(acct: Account) -> FlaskClient:
        c = app.test_client()
        response = login(c, acct, clock)
        assert response.status_code == 302 and response.location == "/", response.text
        clock.advance(seconds=30)  # the next login of the same account needs a newer code
        return c
    return do
