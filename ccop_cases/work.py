"""The unit of work: the one owner of a transaction, for a web request and an operator
command alike, and the only module that commits or rolls back.

A ``Work`` holds what a service needs (session, auditor, keys, settings, clock, actor),
built once per request (``web.runtime.work``) or per command (``web.runtime.operator_work``)
and passed to services, which may ``flush()`` but never end a transaction. The owner does:

- a writing view: ``run`` commits when the view returns, and nothing when it raises (the
  request's session is then closed, which rolls back);
- a refusal (a rule refused the act, or the object is out of reach): ``refuse`` rolls the
  act back and audits the refusal in a transaction of its own;
- a read-only view: it runs in the read transaction its session was loaded in
  (``work.begin_read``: no lock on SQLite) and ends through ``end_read``, the audited
  re-decision;
- an unreadable record: ``unreadable`` rolls back and audits the integrity failure;
- a batch job: ``durable`` commits after each item, so an interruption loses nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import TypeVar

from argon2 import PasswordHasher
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from ccop_cases import auditing
from ccop_cases.clock import day
from ccop_cases.db import READ_BIND, READING, Database
from ccop_cases.encryption import ManagedKeyProvider
from ccop_cases.settings import Settings

T = TypeVar("T")


class DomainError(Exception):
    """A service's refusal: a French message, the form field it concerns (None: the whole
    form) and the rule that refused it (None: a mere input error, not audited)."""

    def __init__(self, message: str, field: str | None = None, *, rule: str | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.rule = rule


@dataclass
class Work:
    session: Session
    keys: ManagedKeyProvider
    settings: Settings
    clock: Callable[[], datetime]
    actor_id: str = ""
    actor_role: str = "anonymous"
    request_id: str | None = None
    hasher: PasswordHasher = field(default_factory=PasswordHasher)  # for the services that set passwords
    council_id: uuid.UUID | None = None  # the council the unit acts in: its events go to that council's chain
    _auditor: auditing.Auditor | None = field(default=None, repr=False)

    def now(self) -> datetime:
        return self.clock()

    def today(self) -> date:
        """Today in France (``clock.day``): the day every date rule is checked against."""
        return day(self.clock())

    @property
    def audit(self) -> auditing.Auditor:
        """The auditor of this unit: appends to its transaction, as its actor."""
        if self._auditor is None:
            self._auditor = auditing.auditor(self.session, self.clock, self.actor_id, self.actor_role,
                                             self.request_id, self.council_id)
        return self._auditor

    def in_council(self, council_id: uuid.UUID) -> None:
        """The unit acts in this council (a loader decided on one of its objects): its events go
        to the council's chain."""
        self.council_id = council_id
        if self._auditor is not None:
            self._auditor.council = council_id

    def as_of(self, moment: datetime) -> Work:
        """The same unit (session, auditor) whose business time is ``moment``: what the demo
        seeds in the past. The audit trail keeps the real time (its dates never go back)."""
        return replace(self, clock=lambda: moment, _auditor=self.audit)

    def as_actor(self, actor_id: str, actor_role: str) -> Work:
        """The same unit (session, transaction, council) acting for another actor (a system guard)."""
        return replace(self, actor_id=actor_id, actor_role=actor_role, _auditor=None)

    def refuse(self, rule: str | None, target_type: str, target_id: object, *,
               action: str = "access.denied") -> None:
        """Roll a refused act back (it keeps nothing of its own work) and, when a rule refused
        it, audit the refusal with its rule and target in a transaction of its own. A mere
        input error (no rule) is only rolled back."""
        self.session.rollback()
        if rule:
            self.audit.record(action, target_type, target_id, outcome="denied", rule=rule)
            self.session.commit()

    def end_read(self, append: Callable[[auditing.Auditor], None], recheck: Callable[[], None],
                 one_statement: Callable[[Callable[[auditing.Auditor], None]], bool] | None = None) -> None:
        """How a read-only view ends its read, before anything is shown: commit the read
        transaction, ``append`` the read's audit entry in a write transaction, decide again
        there (``recheck`` raises, after auditing the denial, when it now refuses), and commit.

        The entry's append holds the chain's head (and SQLite's write lock), and every
        revocation (exclusion, suspension, withdrawal, purge) appends its own entry to the
        council's chain, so none can commit in between: one committed since the read refuses
        the page and is audited as a denial, and the read's entry is rolled back.

        ``one_statement`` (PostgreSQL, see ``access.loaders.finish_read``) first tries the
        append in a single statement that re-reads what the decision read and appends only
        if it is unchanged, under the head's lock; it says whether it appended. If not, the
        way above decides again."""
        self.session.commit()
        if one_statement is not None and self.session.info.get(READ_BIND) is not None:
            # Not inside the test seam's outer transaction (``Database.bind_to``): the
            # statement commits on its own.
            appended = one_statement(append)
            self.session.commit()  # ends the statement's connection's use: its entry is durable already
            if appended:
                return
        append(self.audit)
        recheck()
        self.session.commit()

    def unreadable(self, target_type: str, target_id: object) -> None:
        """An encrypted record failed to open: roll back (nothing re-saved) and audit the
        integrity failure in a transaction of its own."""
        self.session.rollback()
        self.audit.record("record.unreadable", target_type, target_id, outcome="error")
        self.session.commit()

    def durable(self, items: Iterable[T]) -> Iterator[T]:
        """Yield each item, committing what was done with the previous one first: a long job
        interrupted keeps every finished item."""
        for item in items:
            yield item
            self.session.commit()

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """A part of the unit that can fail alone: if the block raises, what it did is undone
        (the rest of the transaction stays) and the exception goes on."""
        nested = self.session.begin_nested()
        try:
            yield
        except BaseException:
            nested.rollback()
            raise
        nested.commit()

    def write_step(self, step: Callable[[], T]) -> T:
        """Leave the read transaction, run ``step`` in a write transaction of its own, commit
        it (kept even if what follows fails) and go back to reading."""
        self.session.rollback()
        result = step()
        self.session.commit()
        begin_read(self.session)
        return result

    def begin_view(self, read_only: bool) -> None:
        """A read-only view continues the read transaction the request began; any other view
        begins its own transaction."""
        if not read_only:
            self.session.commit()


def begin_read(session: Session) -> None:
    """Begin the session's next transaction as a read-only one.

    The database refuses any write in it. On SQLite it takes no lock, so the reads of one
    worker do not queue behind another's write (a transaction that may write takes the
    write lock up front, see ``_sqlite_begin``). For the hot read paths: read, commit,
    then write (an audit entry) in a transaction of its own.
    """
    if session.in_transaction():
        raise RuntimeError("begin_read needs a session with no transaction in progress")
    if session.info.get(READ_BIND) is None:
        session.connection()  # the test seam: one outer transaction, see ``bind_to``
        return
    session.info[READING] = True
    try:
        session.connection()
    except BaseException:
        session.rollback()  # ends the transaction begun for it, and so the routing
        raise


def read_first(session: Session, step: Callable[[], T]) -> T:
    """Begin a read transaction (``begin_read``) and run ``step``, the request's first
    statement. If the pooled connection turned out dead (no ping on checkout, see
    ``db.make_engine``: a database restart, a dropped idle connection), roll back, begin again
    on a fresh connection and run it once more: nothing was done on the dead one, so nothing
    is lost or done twice."""
    begin_read(session)
    try:
        return step()
    except DBAPIError as exc:
        if not exc.connection_invalidated:
            raise
        session.rollback()
        begin_read(session)
        return step()


def run(work: Work, view: Callable[[], T], *, read_only: bool) -> T:
    """Run a view in the request's unit of work: a writing view's changes are committed
    when it returns; on an exception nothing is committed (the session closes, rolling back)."""
    result = view()
    if not read_only:
        work.session.commit()
    return result


@contextmanager
def unit_of_work(database: Database, keys: ManagedKeyProvider, settings: Settings, clock: Callable[[], datetime], *,
                 actor_id: str, actor_role: str, request_id: str | None = None,
                 hasher: PasswordHasher | None = None) -> Iterator[Work]:
    """A unit of work of its own (an operator command, a job): committed when the block ends,
    rolled back if it raises."""
    session = database.session()
    work = Work(session, keys, settings, clock, actor_id, actor_role, request_id, hasher or PasswordHasher())
    try:
        yield work
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()

