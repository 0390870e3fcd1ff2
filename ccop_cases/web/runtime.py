"""What one application instance holds (settings, database, keys, clock), and the unit of
work of each request or operator command (``ccop_cases.work``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from argon2 import PasswordHasher
from flask import current_app, g
from sqlalchemy.orm import Session

from ccop_cases import auditing
from ccop_cases.accounts.models import Person
from ccop_cases.accounts.services import SessionLimits
from ccop_cases.clock import day
from ccop_cases.db import Database
from ccop_cases.encryption import ManagedKeyProvider
from ccop_cases.settings import Settings
from ccop_cases.work import Work, unit_of_work


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Runtime:
    settings: Settings
    database: Database
    keys: ManagedKeyProvider
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


def today() -> date:
    """Today in France: the request's calendar day (``clock.day``)."""
    return day(runtime().clock())


def work() -> Work:
    """The request's unit of work: opened on first use, as the signed-in person once the
    session is loaded; closed (rolled back if not committed) at teardown."""
    if "work" not in g:
        rt = runtime()
        g.work = Work(rt.database.session(), rt.keys, rt.settings, rt.clock, request_id=g.get("request_id"),
                      hasher=rt.hasher)
    current: Work = g.work
    return current


def act_as(person: Person | None) -> None:
    """Make the signed-in person the actor of the request's audit entries."""
    current = work()
    current.actor_id, current.actor_role = (str(person.id) if person else ""), actor_role(person)
    current._auditor = None


def db() -> Session:
    """The request's database session (that of its unit of work)."""
    return work().session


def close_db(_exc: BaseException | None = None) -> None:
    current = g.pop("work", None)
    if current is not None:
        current.session.close()


def actor_role(person: Person | None) -> str:
    if person is None:
        return "anonymous"
    return "charter_admin" if person.is_charter_admin else "dpo" if person.is_dpo else "member"


def audit() -> auditing.Auditor:
    """The request's auditor: appends to the request's transaction, as the signed-in person."""
    return work().audit


@contextmanager
def operator_work(job: str) -> Iterator[Work]:
    """A unit of work for a job or an operator command (actor: the job's name, role system)."""
    rt = runtime()
    with unit_of_work(rt.database, rt.keys, rt.settings, rt.clock, actor_id=job, actor_role="system",
                      request_id=g.get("request_id"), hasher=rt.hasher) as unit:
        yield unit
