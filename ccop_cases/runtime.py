"""What one application instance holds (settings, database, keys, clock), and its per-request session."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from flask import current_app, g
from sqlalchemy.orm import Session

from ccop_cases import auditing
from ccop_cases.accounts.models import Person
from ccop_cases.accounts.services import SessionLimits
from ccop_cases.db import Database
from ccop_cases.encryption import KeyProvider
from ccop_cases.settings import Settings


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Runtime:
    settings: Settings
    database: Database
    keys: KeyProvider
    hasher: PasswordHasher
    clock: Callable[[], datetime] = utc_now  # tests swap in a controllable clock

    @property
    def limits(self) -> SessionLimits:
        return SessionLimits(idle=timedelta(minutes=self.settings.session_idle_minutes),
                             absolute=timedelta(hours=self.settings.session_max_hours))


def runtime() -> Runtime:
    rt: Runtime = current_app.extensions["ccop"]
    return rt


def now() -> datetime:
    return runtime().clock()


def db() -> Session:
    """The request's database session: opened on first use, closed (rolled back if not committed) at teardown."""
    if "db" not in g:
        g.db = runtime().database.session()
    session: Session = g.db
    return session


def close_db(_exc: BaseException | None = None) -> None:
    session = g.pop("db", None)
    if session is not None:
        session.close()


def actor_role(person: Person | None) -> str:
    if person is None:
        return "anonymous"
    return "charter_admin" if person.is_charter_admin else "dpo" if person.is_dpo else "member"


def audit() -> auditing.Auditor:
    """The request's auditor: appends to the request's transaction, as the signed-in person."""
    if "auditor" not in g:
        person = g.get("person")
        g.auditor = auditing.auditor(db(), runtime().clock, str(person.id) if person else "",
                                     actor_role(person), g.get("request_id"))
    return g.auditor  # type: ignore[no-any-return]


def system_audit(session: Session, job: str) -> auditing.Auditor:
    """An auditor for a job or an operator command (actor: the job's name, role system)."""
    return auditing.auditor(session, runtime().clock, job, "system", g.get("request_id"))
