"""Retention (R10, R19): archive after closing, purge by crypto-shredding after the delay,
and a hard purge on the 25th birthday whatever the state; the register of rights requests
(R12) sheds who asked once its own retention is over. For a daily timer."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Connection, Engine, event, func, select
from sqlalchemy.orm import Session

from ccop_cases.cases import services as cases
from ccop_cases.cases.models import (
    Case,
    CaseState,
    can_move,
)
from ccop_cases.cases.services import age_on
from ccop_cases.clock import day
from ccop_cases.encryption import DecryptionError, KeyProvider, epoch_add, epoch_of, epoch_span
from ccop_cases.identities import services as identities
from ccop_cases.identities.models import DataKeyRecord, DestroyedEpoch
from ccop_cases.meetings import services as meetings
from ccop_cases.reports.tally import keep_purged
from ccop_cases.rights import services as rights
from ccop_cases.rights.lists import ERASING
from ccop_cases.rights.models import RightsRequest
from ccop_cases.work import Work


@dataclass(frozen=True)
class Due:
    case: Case
    step: str  # archive | purge | unreadable (reported, never purged blindly)
    reason: str  # closing_delay | age_limit | epoch_passed | integrity


def due(work: Work) -> list[Due]:
    """What the retention run would do now (ids and codes only)."""
    db, keys, now, archive_after_days = work.session, work.keys, work.now(), work.settings.archive_after_days
    found, passed = [], identities.past_epoch_units(db, keys)
    for case in db.scalars(select(Case).where(Case.state != CaseState.PURGED).order_by(Case.reference)):
        if case.id in passed:  # restored from before its purge: its key is already gone, its rows go too
            found.append(Due(case, "purge", "epoch_passed"))
            continue
        turned_25 = _turned_25(db, keys, case, now)
        if turned_25 is None:
            found.append(Due(case, "unreadable", "integrity"))
        elif turned_25:
            found.append(Due(case, "purge", "age_limit"))
        elif case.purge_due is not None and case.purge_due <= day(now):
            found.append(Due(case, "purge", "closing_delay"))
        elif (can_move(case.state, CaseState.ARCHIVED) and case.closed_at
              and case.closed_at + timedelta(days=archive_after_days) <= now):
            found.append(Due(case, "archive", "closing_delay"))
    return found


def _turned_25(db: Session, keys: KeyProvider, case: Case, now: datetime) -> bool | None:
    """Whether the young person is 25 or more; None when the record cannot be read.

    The birth date is encrypted: it is read here, never stored in clear for the job's sake.
    """
    try:
        young = identities.read_unit(db, keys, case.id)[0][1]
    except (DecryptionError, LookupError, IndexError):
        return None
    return young.birth_date is not None and age_on(young.birth_date, day(now)) >= 25


def archive(work: Work, case: Case) -> None:
    case.state = CaseState.ARCHIVED
    work.audit.record("case.archived", "case", case.id)


def purge(work: Work, case: Case, reason: str) -> None:
    """Crypto-shred the case: its key, identities, tokens and every row about the young person
    go in one transaction, each through its owner's service; a tombstone keeps the reference
    so a link answers 410. Its facts are first added to the report counters, so a report of
    a past period still counts it."""
    keep_purged(work, case, reason)
    meetings.forget_case(work.session, case.id)
    cases.erase(work, case, reason)
    counts = identities.shred_unit(work.session, case.id)
    work.audit.record("case.purged", "case", case.id, reason=reason, identities=counts["identities"],
                      data_keys=counts["data_keys"])


def answer_request(work: Work, request: RightsRequest, code: str, on: date) -> None:
    """Answer a rights request (R12). Granting an erasure or an objection crypto-shreds the
    situations it concerns at once, each as the scheduled purge does, in the answer's
    transaction; the request keeps its own record (codes, dates, the purged references)."""
    if code in ERASING:
        rights.check_answer(work, request, code)
        for case in rights.linked_cases(work.session, request.id):
            purge(work, case, ERASING[code])
        # Once committed, the erased values leave SQLite's write-ahead log too (not waiting for the daily run).
        event.listen(work.session, "after_commit", _clear_after_commit, once=True)
    rights.answer(work, request, code, on)


def _clear_after_commit(session: Session) -> None:
    clear_journal(session.get_bind())


def clear_journal(bind: Engine | Connection) -> bool:
    """Checkpoint SQLite's write-ahead log into the database file and truncate it. A purge's
    pages stay in the log, erased values and wrapped key included, until then (the database
    file has them overwritten: ``secure_delete``). Never waits: False when a reader or a
    writer holds the log, which the next daily ``ccop retention run`` clears. Nothing to do on
    PostgreSQL (docs/operations.md), nor on a test's connection (its transaction never ends)."""
    if not isinstance(bind, Engine) or bind.dialect.name != "sqlite":
        return True
    raw = bind.raw_connection()
    try:
        cursor = raw.cursor()
        timeout = cursor.execute("PRAGMA busy_timeout").fetchone()[0]
        cursor.execute("PRAGMA busy_timeout=0")  # a busy log is left to the next run, never waited for
        try:
            busy = cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        finally:
            cursor.execute(f"PRAGMA busy_timeout={int(timeout)}")
            cursor.close()
    finally:
        raw.close()
    return bool(busy == 0)


# --- retention epochs: the turn of the month ------------------------------------------------


class EpochsLost(Exception):
    """The key store has no epoch ratchet while data keys are bound to epochs: it is not the
    store these keys were sealed with (an old backup, a deleted epoch file)."""


def start_epochs(work: Work) -> bool:
    """Start the key store's epoch ratchet at this month when it has none (a store created
    before epochs); audited. False when it already runs. Refused (EpochsLost, audited) when
    data keys are already bound to epochs or epochs were destroyed: a new ratchet would make
    them unreadable, and bind new ones to a secret the right store does not have."""
    if work.keys.epoch is not None:
        return False
    db = work.session
    bound = db.scalar(select(func.count()).where(DataKeyRecord.epoch_enc.is_not(None)))
    if bound or db.scalar(select(func.count()).select_from(DestroyedEpoch)):
        for _ in work.durable([None]):  # the refusal stays in the trail though the command fails
            work.audit.record("keys.epochs_missing", "epoch", "", outcome="error", units=bound or 0)
        raise EpochsLost(bound or 0)
    work.keys.start_epochs(epoch_of(work.today()))
    work.audit.record("keys.epochs_started", "epoch", work.keys.epoch)
    return True


def to_bind(work: Work) -> list[Case | RightsRequest]:
    """The live situations and register requests whose data key is bound to no epoch (sealed
    before epochs existed), and the register's overdue open requests (their longest keep
    moves each day): ``bind`` gives each the epoch of its deadline."""
    db = work.session
    loose = select(DataKeyRecord.unit_id).where(DataKeyRecord.epoch_enc.is_(None))
    cases_ = db.scalars(select(Case).where(Case.id.in_(loose), Case.state != CaseState.PURGED)
                        .order_by(Case.reference))
    requests = db.scalars(select(RightsRequest).where(RightsRequest.id.in_(loose), RightsRequest.purged_at.is_(None))
                          .order_by(RightsRequest.reference))
    found: list[Case | RightsRequest] = [*cases_, *requests]
    seen = {unit.id for unit in found}
    return found + [request for request in rights.overdue_open(db, work.today()) if request.id not in seen]


def bind(work: Work, unit: Case | RightsRequest) -> bool | None:
    """Rewrap the unit's data key to its deadline's epoch: True when it moved, False when it
    already was there, None (audited ``record.unreadable``) when its key or identity cannot
    be read — counted with the unreadable situations, never a reason to stop the run."""
    try:
        if isinstance(unit, Case):
            return cases.rebind(work, unit)
        return identities.rebind(work.session, work.keys, unit.id, rights.gone_by(unit, work.today()), work.today())
    except (DecryptionError, LookupError, IndexError):
        kind = "case" if isinstance(unit, Case) else "rights_request"
        work.audit.record("record.unreadable", kind, unit.id, outcome="error")
        return None


@dataclass(frozen=True)
class Turn:
    """The turn of the month: the epochs it destroys (``destroyed``), and the earliest one it
    must keep because data keys still use it (``kept``, with ``units`` of them)."""

    destroyed: list[str]
    kept: str | None = None
    units: int = 0
    in_use: tuple[str, ...] = ()  # the epochs before this month that data keys still use


def turn_plan(work: Work, leaving: Collection[uuid.UUID] = ()) -> Turn:
    """What the turn of the month would do now, the units in ``leaving`` (purged by this run
    before it) set aside. Changes nothing (``--dry-run``)."""
    keys, target = work.keys, epoch_of(work.today())
    if keys.epoch is None or keys.epoch >= target:
        return Turn([])
    used = Counter(epoch for unit, epoch in identities.epochs(work.session, keys) if unit not in leaving)
    early = sorted(e for e in used if e not in (None, identities.UNREADABLE_EPOCH) and e < target)
    # A sealed epoch that does not open could be any month: then nothing is destroyed.
    stop = keys.epoch if identities.UNREADABLE_EPOCH in used else min([target, *early])
    if stop == target:
        return Turn(epoch_span(keys.epoch, stop), in_use=tuple(early))
    units = sum(n for e, n in used.items() if e == identities.UNREADABLE_EPOCH or (e is not None and e < target))
    return Turn(epoch_span(keys.epoch, stop), stop, units, tuple(early))


def turn_of_month(work: Work) -> Turn:
    """Destroy the key of every epoch before this month (the ratchet), so that a situation
    purged last month can no longer be read from any copy of the database with the live keys.

    Each epoch is recorded (``key_epoch`` and its audit entry) and committed *before* the key
    store moves: a run interrupted between the two finds the record and moves the store
    (idempotent), so no destruction goes unaudited and none is audited twice. An epoch that
    data keys still use — a unit that outlives its epoch, which only a bug or an unreadable
    record can cause — is never destroyed: the ratchet stops before it, loudly (audited as an
    error; the command fails). Returns the epochs recorded now, and the one kept."""
    keys, db = work.keys, work.session
    plan = turn_plan(work)
    recorded = set(db.scalars(select(DestroyedEpoch.epoch)))
    doomed = [e for e in plan.destroyed if e not in recorded]
    for epoch in work.durable(doomed):  # the record first, committed: a crash before the store moves is resumed
        db.add(DestroyedEpoch(epoch=epoch, destroyed_at=work.now()))
        work.audit.record("keys.epoch_destroyed", "epoch", epoch)
    if plan.destroyed:
        keys.ratchet(epoch_add(plan.destroyed[-1], 1), in_use=plan.in_use)  # the store refuses too
    if plan.kept:  # the month stays out of the trail: beside an unreadable case's id it could be a birth month
        work.audit.record("keys.epoch_kept", "epoch", "", outcome="error", units=plan.units)
    return Turn(doomed, plan.kept, plan.units, plan.in_use)


def requests_due(work: Work) -> list[RightsRequest]:
    """The ended rights requests whose retention is over (R12): who asked is still held; and
    those whose epoch is destroyed (a database restored from before their purge)."""
    due_now = rights.purgeable(work.session, work.today())
    passed = identities.past_epoch_units(work.session, work.keys) - {request.id for request in due_now}
    restored: Iterable[RightsRequest] = work.session.scalars(select(RightsRequest).where(RightsRequest.id.in_(passed),
                                                                RightsRequest.purged_at.is_(None))) if passed else []
    return sorted([*due_now, *restored], key=lambda request: request.reference)


def purge_request(work: Work, request: RightsRequest) -> None:
    """Crypto-shred who asked and cut the request's links to the situations; its codes, dates
    and groups stay for the annual report's counts (R16)."""
    rights.purge(work, request)
