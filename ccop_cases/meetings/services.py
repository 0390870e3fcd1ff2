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
from crypto.blindindex import normalise_name


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
    """Store the minutes unless they name a person followed in the group (R14)."""
    named = names_in(db, keys, meeting.group_id, text)
    if named:
        raise MeetingError("Le compte rendu cite le nom d’une personne suivie dans ce groupe (situation "
                           f"{', '.join(sorted(named))}) : il ne doit nommer personne (R14). Utilisez la "
                           "référence de la situation.", "minutes")
    meeting.minutes = text
    audit.record("meeting.minutes_written", "meeting", meeting.id)


def names_in(db: Session, keys: KeyProvider, group_id: uuid.UUID, text: str) -> set[str]:
    """References of the group's cases whose young person's or representatives' last name, or
    first name with last name, appears in ``text`` — compared in normalised form (case,
    accents, hyphens, apostrophes), as whole words."""
    haystack = f" {normalise_name(text)} "
    found = set()
    for case in db.scalars(select(Case).where(Case.group_id == group_id, Case.state != "purged")):
        try:
            people = identities.read_unit(db, keys, case.id)
        except (DecryptionError, LookupError):
            continue
        for _, person in people:
            last = normalise_name(person.last_name)
            if last and re.search(rf" {re.escape(last)} ", haystack):
                found.add(case.reference)
    return found
