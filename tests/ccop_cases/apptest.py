"""Helpers for the app's tests: a controllable clock, the test database, form posting with
the CSRF token, accounts with a known password and TOTP secret, the two login steps."""

from __future__ import annotations

import base64
import json
import os
import re
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from ccop_cases import auditing
from ccop_cases.accounts import services
from ccop_cases.accounts.models import Person
from ccop_cases.accounts.services import seal_totp_secret
from ccop_cases.auditing import Auditor
from ccop_cases.migrate import upgrade
from ccop_cases.security import otp
from ccop_cases.settings import Settings
from ccop_cases.web.runtime import Runtime
from ccop_cases.work import Work

PASSWORD = "correct horse battery staple"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
KEYS_EPOCH = "2026-03"  # the test key store's ratchet starts at START's month
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def database_url(tmp: Path) -> tuple[str, str | None]:
    """SQLite in a temp dir, or a fresh schema of the PostgreSQL database in CCOP_DATABASE_URL."""
    url = os.environ.get("CCOP_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        return f"sqlite:///{tmp / 'test.sqlite3'}", None
    schema = f"ccop_test_{uuid.uuid4().hex[:10]}"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{schema}", schema


# PostgreSQL: the restricted role the app connects as; the upgrade runs as the owner in
# CCOP_DATABASE_URL and grants it. Set by .ci/run, which creates the role; unset: the owner.
TEST_APP_ROLE = os.environ.get("TEST_PG_APP_ROLE", "")
# What the database says when the app's role writes the trail outside its rules: the
# triggers' refusal, or, for the restricted role, first the missing privilege (the triggers
# themselves are then checked as the owner in test_trail_roles.py).
TRAIL_REFUSAL = "append-only|permission denied" if TEST_APP_ROLE and os.environ.get(
    "CCOP_DATABASE_URL", "").startswith("postgresql") else "append-only"


def migrated_database(tmp: Path) -> tuple[str, str, str | None]:
    """A fresh database migrated to head: (the app's URL, the owner's URL, the PostgreSQL
    schema to drop or None). With TEST_PG_APP_ROLE the app's URL logs in as that role."""
    url, schema = database_url(tmp)
    role = TEST_APP_ROLE if schema else ""
    upgrade(url, app_role=role)
    return as_app_role(url) if role else url, url, schema


def as_app_role(url: str) -> str:
    """The owner's PostgreSQL URL, logging in as TEST_PG_APP_ROLE instead."""
    return make_url(url).set(username=TEST_APP_ROLE).render_as_string(hide_password=False)


def drop_schema(schema: str) -> None:
    engine = create_engine(os.environ["CCOP_DATABASE_URL"])
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


def database_now(session: Session) -> datetime:
    """The database's own clock (which its triggers read: the audit retention, R13). Tests of
    a rule the database enforces stamp their entries relative to it, so that the outcome does
    not depend on the day the suite runs."""
    if session.get_bind().dialect.name == "postgresql":
        moment: datetime = session.scalar(text("SELECT now()"))
        return moment.astimezone(UTC)
    raw = session.scalar(text("SELECT strftime('%Y-%m-%dT%H:%M:%f', 'now')"))
    return datetime.fromisoformat(raw).replace(tzinfo=UTC)


def audit_bodies(session: Session, action: str | None = None) -> list[dict[str, object]]:
    """The trail's entries (of one action, or all), oldest first across the chains (by time,
    then chain and seq: the console's order, reversed), as read from the database."""
    from ccop_cases.auditing.models import AuditEntry
    session.expire_all()
    query = select(AuditEntry).order_by(AuditEntry.ts, AuditEntry.chain, AuditEntry.seq)
    return [json.loads(e.body) for e in session.scalars(query.where(AuditEntry.action == action) if action else query)]


def fresh_code(account: Account, clock: FakeClock) -> str:
    """A TOTP code of a new time step (a code is accepted once per step)."""
    clock.advance(seconds=30)
    return current_code(account, clock)


def csrf_token(client: FlaskClient, page: str) -> str:
    match = _CSRF.search(client.get(page).text)
    assert match, f"no CSRF token on {page}"
    return match.group(1)


def post(client: FlaskClient, url: str, data: dict[str, str], token_from: str | None = None,
         **kwargs: object) -> TestResponse:
    """POST a form with the CSRF token read from ``token_from`` (default: the same URL)."""
    return client.post(url, data={**data, "csrf_token": csrf_token(client, token_from or url)},
                       **kwargs)


@dataclass
class Account:
    person: Person
    username: str
    password: str
    totp_secret: str
    recovery_codes: list[str]


def make_account(app: Flask, username: str = "agent.test", enrolled: bool = True) -> Account:
    """An account with a known password; enrolled in TOTP unless ``enrolled`` is False."""
    rt: Runtime = app.extensions["ccop"]
    session = rt.database.session()
    person, _ = services.create_person(setup_work(app, session), username)
    person.password_hash = rt.hasher.hash(PASSWORD)
    person.must_change_password = False
    secret, codes = "", []
    if enrolled:
        secret = otp.new_secret()
        person.totp_secret_enc = seal_totp_secret(rt.keys, person.id, secret)
        person.totp_enrolled_at = rt.clock()
        codes = services.new_recovery_codes(session, person)
    session.commit()
    session.close()
    return Account(person, username, PASSWORD, secret, codes)


def current_code(account: Account, clock: FakeClock) -> str:
    return otp.current_code(account.totp_secret, clock())


def login(client: FlaskClient, account: Account, clock: FakeClock,
          code: str | None = None) -> TestResponse:
    """Both login steps; returns the response of the code step."""
    post(client, "/connexion", {"username": account.username, "password": account.password})
    return post(client, "/connexion/code", {"code": code or current_code(account, clock)})


def charter_admin(app: Flask, username: str = "admin.charte") -> Account:
    """An account holding the charter administrator's duty (committed)."""
    from ccop_cases.accounts.models import Person
    acct = make_account(app, username)
    session = app.extensions["ccop"].database.session()
    session.get_one(Person, acct.person.id).is_charter_admin = True
    session.commit()
    session.close()
    return acct


def with_settings(settings: Settings, **changes: object) -> Settings:
    return replace(settings, **changes)


def setup_audit(app: Flask, session: Session) -> Auditor:
    """An auditor for set-up done by a test (actor: the job ``test-setup``)."""
    rt: Runtime = app.extensions["ccop"]
    return auditing.auditor(session, rt.clock, "test-setup", "system")


def setup_work(app: Flask, session: Session) -> Work:
    """A unit of work on the test's session for set-up done by a test (actor: ``test-setup``);
    the test commits or rolls back its session itself."""
    rt: Runtime = app.extensions["ccop"]
    return Work(session, rt.keys, rt.settings, rt.clock, "test-setup", "system", hasher=rt.hasher)


@dataclass
class Governance:
    """A constituted CCOP with texts adopted, and helpers to designate and sign."""

    app: Flask
    session: Session
    council: object
    group: object

    def designate(self, account: Account, role: str = "member", **changes: object) -> object:
        from ccop_cases.charter import services as charter
        values = {"username": account.username, "institution": "education_nationale",
                  "function": "Conseiller principal d'éducation", "role": role, "reference": "ARR-2026-01",
                  "start_date": date(2026, 1, 1), "end_date": None, **changes}
        work = setup_work(self.app, self.session)
        membership, _ = charter.designate(work, self.group, charter.Designation(**values))  # type: ignore[arg-type]
        self.session.commit()
        return membership

    def sign_all(self, membership: object) -> None:
        from ccop_cases.access.standing import pending_texts
        from ccop_cases.charter import services as charter
        for version in pending_texts(self.session, membership):  # type: ignore[arg-type]
            charter.sign(setup_work(self.app, self.session), membership, version)  # type: ignore[arg-type]
        self.session.commit()


def make_governance(app: Flask, *, constituted: bool = True, admin: Account | None = None) -> Governance:
    from ccop_cases.charter import services as charter
    rt: Runtime = app.extensions["ccop"]
    session = rt.database.session()
    work = setup_work(app, session)
    president = admin.person if admin else make_account(app, "president.test").person
    council = charter.create_council(work, kind="CLSPD", name="CLSPD de Villefictive", communes="99001 Villefictive",
                                     president=president)
    group = charter.create_group(work, council, name="CCOP Quartier des Tilleuls", legal_basis="L132-5",
                                 vocation="territorial", perimeter="Quartier des Tilleuls", theme="", is_ccop=True,
                                 territory_label="QPV")
    charter.record_act(work, group, act_date=date(2026, 1, 5), reference="DEL-2026-003",
                       document="Délibération du conseil")
    charter.adopt_text(work, group, kind="charter", text="Charte v1", adopted_on=date(2026, 1, 5))
    charter.adopt_text(work, group, kind="rules", text="Règlement v1", adopted_on=date(2026, 1, 5))
    if constituted:
        charter.change_status(work, group, "constitute", reason="")
    session.commit()
    return Governance(app, session, council, group)


def decided(session: Session, person: Person, action: str, resource: object = None, *, now: datetime) -> Any:
    """``decide`` on the standing the database gives ``person`` towards a group or a case (as
    the loaders read it), or towards nothing (platform duties)."""
    from ccop_cases.access import standing
    from ccop_cases.access.policy import decide
    from ccop_cases.cases.models import Case
    from ccop_cases.charter.models import WorkingGroup

    base = standing.of_person(person)
    if isinstance(resource, WorkingGroup):
        base = standing.for_group(session, base, person, resource.id)
    elif isinstance(resource, Case):
        base = standing.for_case(session, base, person, resource.id)
    return decide(base, action, now)


def encodings(value: str) -> list[bytes]:
    """The ways a value could sit in a file: raw, UTF-16, base64, hex."""
    raw = value.encode()
    return [raw, value.encode("utf-16-le"), value.encode("utf-16-be"), base64.b64encode(raw),
            base64.urlsafe_b64encode(raw), raw.hex().encode()]


def raw_database_bytes(app: Flask, tmp_path: Path) -> bytes:
    """The database's raw bytes as stored: SQLite's files (with the write-ahead log), or a PostgreSQL data dump."""
    url = app.extensions["ccop"].settings.database_url
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        data = b""  # the main file and the write-ahead log, where recent pages live
        for suffix in ("", "-wal"):
            try:
                with open(path + suffix, "rb") as handle:
                    data += handle.read()
            except FileNotFoundError:
                pass
        return data
    import shutil
    import subprocess
    pg_dump = shutil.which("pg_dump")
    assert pg_dump, "pg_dump is needed to read the PostgreSQL dump"
    schema = re.search(r"search_path%3D(\w+)", url).group(1)  # type: ignore[union-attr]
    plain = url.replace("postgresql+psycopg://", "postgresql://").split("?")[0]
    return subprocess.run([pg_dump, "--schema", schema, "--data-only", plain],  # noqa: S603
                          check=True, capture_output=True).stdout
