"""Session services: schedule, agenda, attendance of signed members (R3), non-nominative
minutes (R14). Flask-free; audited in the caller's transaction."""

from __future__ import annotations

import re
import uuid
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ccop_cases.auditing import Auditor
from ccop_cases.cases.models import Case
from ccop_cases.charter.models import Membership, WorkingGroup
from ccop_cases.encryption import DecryptionError, KeyProvider
from ccop_cases.identities import services as identities
from ccop_cases.meetings.models import AgendaItem, Attendance, Meeting
from crypto.blindindex import first_given_name, normalise_name


class MeetingError(Exception):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def schedule(db: Session, audit: Auditor, group: WorkingGroup, m: Membership, when: datetime,
             now: datetime) -> Meeting:
    meeting = Meeting(group_id=group.id, scheduled_for=when, created_by=m.id, created_at=now)
    db.add(meeting)
    db.flush()
    audit.record("meeting.scheduled", "meeting", meeting.id, group=group.id)
    return meeting


def set_agenda(db: Session, audit: Auditor, meeting: Meeting, case_ids: list[uuid.UUID]) -> None:
    """Only open cases of the meeting's own group (R7: never in plenary, never another group)."""
    cases = list(db.scalars(select(Case).where(Case.id.in_(case_ids))))
    if len(cases) != len(set(case_ids)) or any(c.group_id != meeting.group_id or c.state not in ("proposed", "followed")
                                               for c in cases):
        raise MeetingError("Seules les situations ouvertes de ce groupe peuvent être inscrites (R7).", "cases")
    db.execute(delete(AgendaItem).where(AgendaItem.meeting_id == meeting.id))
    for case in cases:
        db.add(AgendaItem(meeting_id=meeting.id, case_id=case.id))
    audit.record("meeting.agenda_set", "meeting", meeting.id, items=len(cases))


def record_attendance(db: Session, audit: Auditor, meeting: Meeting, memberships: list[Membership],
                      allowed: set[uuid.UUID]) -> None:
    """``allowed``: memberships the decision function lets exchange (signed, active: R3, R4)."""
    refused = [m for m in memberships if m.id not in allowed or m.group_id != meeting.group_id]
    if refused:
        raise MeetingError("Seuls les membres désignés ayant signé la charte en vigueur peuvent être inscrits "
                           "comme présents (R3).", "members")
    db.execute(delete(Attendance).where(Attendance.meeting_id == meeting.id))
    for m in memberships:
        db.add(Attendance(meeting_id=meeting.id, membership_id=m.id))
    audit.record("meeting.attendance_recorded", "meeting", meeting.id, present=len(memberships))


def write_minutes(db: Session, audit: Auditor, keys: KeyProvider, meeting: Meeting, text: str) -> None:
    """Store the minutes unless they name a person followed in the group (R14). The refusal
    says which rule, never which case: the check must not become a name search."""
    if names_in(db, keys, meeting.group_id, text):
        raise MeetingError("Le compte rendu cite le nom d’une personne suivie dans ce groupe : il ne doit "
                           "nommer personne (R14). Désignez les situations par leur référence.", "minutes")
    meeting.minutes = text
    audit.record("meeting.minutes_written", "meeting", meeting.id)


def names_in(db: Session, keys: KeyProvider, group_id: uuid.UUID, text: str) -> int:
    """How many open cases of the group have a person (young person or representative) whose
    last name or first given name appears in ``text``, as whole words in normalised form
    (case, accents, hyphens, apostrophes)."""
    haystack = f" {normalise_name(text)} "
    found = 0
    for case in db.scalars(select(Case).where(Case.group_id == group_id, Case.state.in_(("proposed", "followed")))):
        try:
            people = identities.read_unit(db, keys, case.id)
        except (DecryptionError, LookupError):
            continue
        names = {normalise_name(p.last_name) for _, p in people} | {first_given_name(p.given_names) for _, p in people}
        found += any(name and re.search(rf" {re.escape(name)} ", haystack) for name in names)
    return found
