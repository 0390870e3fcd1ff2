"""Session services: schedule, agenda, attendance of signed members (R3), non-nominative
minutes (R14). Flask-free; audited in the caller's transaction."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ccop_cases.cases.models import Case, CaseState, is_open
from ccop_cases.charter.models import Membership, WorkingGroup
from ccop_cases.encryption import DecryptionError, KeyProvider, normalise_name, open_text, seal_text
from ccop_cases.identities import services as identities
from ccop_cases.identities.services import Identity
from ccop_cases.meetings.models import AgendaItem, Attendance, Meeting
from ccop_cases.work import DomainError, Work


class MeetingError(DomainError):
    """A refused act on a session."""


# The decision function's words for a situation restricted at the person's request (R12, GDPR
# art. 18; ``access.policy.RESTRICTED``, which this layer may not import): frozen, so never on an agenda.
RESTRICTED = ("Traitement limité à la demande de la personne (R12) : la situation se consulte mais ne se modifie "
              "pas tant que le délégué à la protection des données n’a pas levé la limitation.")


def schedule(work: Work, group: WorkingGroup, m: Membership, when: datetime) -> Meeting:
    db, audit, now = work.session, work.audit, work.now()
    meeting = Meeting(group_id=group.id, scheduled_for=when, created_by=m.id, created_at=now)
    db.add(meeting)
    db.flush()
    audit.record("meeting.scheduled", "meeting", meeting.id, group=group.id)
    return meeting


def set_agenda(work: Work, meeting: Meeting, case_ids: list[uuid.UUID]) -> None:
    """Only open cases of the meeting's own group (R7: never in plenary, never another group), and
    none newly put on it while restricted at the person's request (R12); one already on the
    agenda when its restriction began may stay there, or be taken off."""
    db, audit = work.session, work.audit
    cases = list(db.scalars(select(Case).where(Case.id.in_(case_ids))))
    if len(cases) != len(set(case_ids)) or any(c.group_id != meeting.group_id or not is_open(c.state)
                                               for c in cases):
        raise MeetingError("Seules les situations ouvertes de ce groupe peuvent être inscrites (R7).", "cases",
                           rule="R7")
    wanted, current = set(case_ids), agenda(db, meeting)
    frozen = sorted(c.reference for c in cases if c.restricted_at is not None
                    and c.id not in {item.case_id for item in current})
    if frozen:
        raise MeetingError(f"{', '.join(frozen)} : {RESTRICTED}", "cases", rule="R12")
    kept = [item for item in current if item.case_id in wanted]
    db.execute(delete(AgendaItem).where(AgendaItem.meeting_id == meeting.id,
                                        AgendaItem.case_id.not_in([item.case_id for item in kept])))
    # Items already on the agenda keep their order; the new ones follow, in the order given.
    known = {item.case_id for item in kept}
    added = [AgendaItem(meeting_id=meeting.id, case_id=case_id) for case_id in dict.fromkeys(case_ids)
             if case_id not in known]
    db.add_all(added)
    _number([*kept, *added])
    audit.record("meeting.agenda_set", "meeting", meeting.id, items=len(cases))


def agenda(db: Session, meeting: Meeting) -> list[AgendaItem]:
    """The session's agenda, in the order it is followed."""
    return list(db.scalars(select(AgendaItem).where(AgendaItem.meeting_id == meeting.id)
                           .order_by(AgendaItem.position, AgendaItem.id)))


def move(work: Work, meeting: Meeting, case_id: uuid.UUID, step: int) -> None:
    """Move a situation one place up (``step`` -1) or down (+1) the agenda; at either end it stays."""
    items = agenda(work.session, meeting)
    index = next((i for i, item in enumerate(items) if item.case_id == case_id), None)
    if index is None:
        raise MeetingError("Cette situation n’est pas inscrite à l’ordre du jour.", "case")
    other = index + step
    if 0 <= other < len(items):
        items[index], items[other] = items[other], items[index]
    _number(items)
    work.audit.record("meeting.agenda_set", "meeting", meeting.id, items=len(items))


def _number(items: list[AgendaItem]) -> None:
    for position, item in enumerate(items, start=1):
        item.position = position


def session_of(db: Session, case: Case, meeting_ref: str | None) -> uuid.UUID | None:
    """The session a decision form was opened from (its ``retour`` parameter), when
    ``meeting_ref`` is the id of a session of the case's group with the case on its agenda;
    anything else is ignored (None): the form then returns where it always does."""
    try:
        meeting_id = uuid.UUID(meeting_ref or "")
    except ValueError:
        return None
    return db.scalar(select(AgendaItem.meeting_id).join(Meeting, Meeting.id == AgendaItem.meeting_id)
                     .where(AgendaItem.meeting_id == meeting_id, AgendaItem.case_id == case.id,
                            Meeting.group_id == case.group_id))


def record_attendance(work: Work, meeting: Meeting, memberships: list[Membership], allowed: set[uuid.UUID]) -> None:
    """``allowed``: memberships the decision function lets exchange (signed, active: R3, R4)."""
    db, audit = work.session, work.audit
    refused = [m for m in memberships if m.id not in allowed or m.group_id != meeting.group_id]
    if refused:
        raise MeetingError("Seuls les membres désignés ayant signé la charte en vigueur peuvent être inscrits "
                           "comme présents (R3).", "members", rule="R3")
    db.execute(delete(Attendance).where(Attendance.meeting_id == meeting.id))
    for m in memberships:
        db.add(Attendance(meeting_id=meeting.id, membership_id=m.id))
    audit.record("meeting.attendance_recorded", "meeting", meeting.id, present=len(memberships))


def write_minutes(work: Work, meeting: Meeting, text: str) -> None:
    """Seal the minutes under the group's key unless they name a person of one of the group's
    situations (R14). For an open situation the refusal quotes the words that matched: its
    reader, the coordonnateur, sees every open situation of the group. For a closed one it
    quotes nothing (a closed situation is read only with a reason, R10)."""
    db, audit, keys, now = work.session, work.audit, work.keys, work.now()
    words, closed = identifying_words(db, keys, meeting.group_id, text)
    if words or closed:
        named = f"cite {', '.join(f'« {word} »' for word in words)}, qui désigne" if words else \
            "cite le nom, un prénom ou la date de naissance d’"
        raise MeetingError(f"Le compte rendu {named} une personne suivie dans ce groupe"
                           f"{'' if words else ' (situation close)'} : il ne doit nommer personne (R14). "
                           "Désignez les situations par leur référence.", "minutes", rule="R14")
    meeting.minutes_enc = None
    if text.strip():
        meeting.minutes_enc = seal_text(identities.group_key(db, keys, meeting.group_id, now), text,
                                        column=Meeting.minutes_enc, row_id=meeting.id)
    audit.record("meeting.minutes_written", "meeting", meeting.id)


def minutes(db: Session, keys: KeyProvider, meeting: Meeting) -> str:
    """The minutes in clear, for the session's page (DecryptionError when they cannot be read)."""
    if meeting.minutes_enc is None:
        return ""
    return open_text(identities.unit_key(db, keys, meeting.group_id), meeting.minutes_enc,
                     column=Meeting.minutes_enc, row_id=meeting.id)


# Name particles and articles: too common in any French sentence to identify anyone alone.
PARTICLES = frozenset({"d", "l", "de", "du", "des", "la", "le", "les", "van", "von", "der", "den", "di", "da", "del",
                       "dos", "ben", "bin", "el", "al", "y"})
MONTHS = ("janvier", "fevrier", "mars", "avril", "mai", "juin", "juillet", "aout", "septembre", "octobre",
          "novembre", "decembre")


def identifying_words(db: Session, keys: KeyProvider, group_id: uuid.UUID, text: str) -> tuple[list[str], bool]:
    """The words of ``text`` that name a person (young person or legal representative) of an
    open situation of the group, in normalised form, sorted; and whether it names one of a
    closed (not yet purged) situation. Words: the whole last name and each part of a
    compound one, each given name, the birth date written the usual French or ISO ways.
    Case, accents, hyphens, apostrophes and punctuation are ignored."""
    haystack = f" {normalise_name(text)} "
    found: set[str] = set()
    closed = False
    for case_id, state in db.execute(select(Case.id, Case.state).where(Case.group_id == group_id,
                                                                        Case.state != CaseState.PURGED)):
        try:
            people = identities.read_unit(db, keys, case_id)
        except (DecryptionError, LookupError):
            continue
        words = {word for _, person in people for word in person_words(person) if f" {word} " in haystack}
        if is_open(state):
            found |= words
        else:
            closed = closed or bool(words)
    return sorted(found), closed


def person_words(person: Identity) -> set[str]:
    """The normalised words and dates that identify ``person`` in a text (see ``identifying_words``)."""
    last = normalise_name(person.last_name)
    words = {last} if last else set()
    words |= {part for part in last.split() if len(part) >= 3 and part not in PARTICLES}
    words |= {name for name in normalise_name(person.given_names).split() if len(name) >= 2 and name not in PARTICLES}
    if person.birth_date is not None:
        words |= date_forms(person.birth_date)
    return words


def date_forms(d: date) -> set[str]:
    """A date's usual written forms, normalised like the text (separators become spaces):
    03/02/2012, 3/2/2012, 03-02-12, 2012-02-03, 3 février 2012, 1er février 2012…"""
    days = {f"{d.day:02d}", str(d.day)} | ({"1er"} if d.day == 1 else set())
    months = {f"{d.month:02d}", str(d.month)}
    forms = {f"{d.year} {d.month:02d} {d.day:02d}"}
    for day in days:
        forms |= {f"{day} {month} {year}" for month in months for year in (str(d.year), f"{d.year % 100:02d}")}
        forms.add(f"{day} {MONTHS[d.month - 1]} {d.year}")
    return forms


def count_in_group(db: Session, group_id: uuid.UUID) -> int:
    """How many sessions the group held or scheduled (what a dissolution ends)."""
    return db.scalar(select(func.count()).select_from(Meeting).where(Meeting.group_id == group_id)) or 0


def forget_case(db: Session, case_id: uuid.UUID) -> None:
    """Take a purged situation off every agenda (R10: nothing of it stays)."""
    db.execute(delete(AgendaItem).where(AgendaItem.case_id == case_id))


def next_meeting(db: Session, group_id: uuid.UUID, now: datetime) -> Meeting | None:
    """The group's next session from ``now``, if one is scheduled."""
    return db.scalar(select(Meeting).where(Meeting.group_id == group_id, Meeting.scheduled_for >= now)
                     .order_by(Meeting.scheduled_for).limit(1))
