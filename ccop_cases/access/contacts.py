"""Who a refused person should turn to, read from the charter's data.

A refusal inside a group names the group's coordonnateur; one about the group itself or the
person's designation in it (a group not constituted, suspended or dissolved, a suspended or
excluded member: R1, R15) and the platform duties (R17) name the council's président, who
constitutes groups and receives the designations. Names are staff names, shown in the page
only: the audit trail keeps ids.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from ccop_cases.accounts.models import Person
from ccop_cases.cases.models import Case
from ccop_cases.charter.models import Council, Membership, MembershipStatus, Role, WorkingGroup
from ccop_cases.clock import day
from ccop_cases.meetings.models import Meeting

# Refusals about the group or the designation itself: the président answers them.
PRESIDENT_RULES = frozenset({"R1", "R15", "R17"})


@dataclass(frozen=True)
class Contact:
    name: str  # the display name, else the username
    function: str  # the person's function, else the one of their designation
    title: str  # « coordonnateur du groupe « … » », « président du CLSPD … »
    advice: str  # what to ask them


@dataclass(frozen=True)
class Exclusion:
    """A group from which the person's latest designation was excluded (R15)."""

    group: str
    since: date
    contact: Contact | None


def _name(person: Person) -> str:
    return person.display_name.strip() or person.username


def _function(db: Session, person: Person, group_ids: list[uuid.UUID]) -> str:
    if person.function.strip():
        return person.function.strip()
    designated = db.scalar(select(Membership.function).where(Membership.person_id == person.id,
                                                             Membership.group_id.in_(group_ids))
                           .order_by(Membership.start_date.desc()).limit(1))
    return designated or ""


def president(db: Session, council_id: uuid.UUID, *, not_for: uuid.UUID | None = None) -> Contact | None:
    """The council's président, unless they are the refused person (``not_for``)."""
    row = db.execute(select(Person, Council.name).join(Council, Council.president_id == Person.id)
                     .where(Council.id == council_id)).first()
    if row is None or row[0].id == not_for:
        return None
    person, council = row
    groups = list(db.scalars(select(WorkingGroup.id).where(WorkingGroup.council_id == council_id)))
    return Contact(_name(person), _function(db, person, groups), f"président du {council}",
                   "Le président constitue les groupes, reçoit les désignations des institutions et décide des "
                   "suspensions et exclusions : adressez-vous à lui.")


def coordinator(db: Session, group: WorkingGroup, today: date, *, not_for: uuid.UUID | None = None) -> Contact | None:
    """The group's coordonnateur in office (active, started, not ended), unless the refused person."""
    person = db.scalar(select(Person).join(Membership, Membership.person_id == Person.id).where(
        Membership.group_id == group.id, Membership.role == Role.COORDONNATEUR,
        Membership.status == MembershipStatus.ACTIVE, Membership.start_date <= today,
        (Membership.end_date.is_(None)) | (Membership.end_date >= today), Person.is_active)
        .order_by(Membership.start_date.desc()).limit(1))
    if person is None or person.id == not_for:
        return None
    return Contact(_name(person), _function(db, person, [group.id]), f"coordonnateur du groupe « {group.name} »",
                   "Le coordonnateur organise les échanges du groupe et désigne les membres sur chaque "
                   "situation : demandez-lui ce qu’il faut faire.")


def group_of(db: Session, target_type: str, target_id: object) -> uuid.UUID | None:
    """The group a refused target belongs to (a group, a case, a session), if any."""
    if not isinstance(target_id, uuid.UUID):
        return None
    if target_type == "working_group":
        return target_id
    if target_type == "case":
        return db.scalar(select(Case.group_id).where(Case.id == target_id))
    if target_type == "meeting":
        return db.scalar(select(Meeting.group_id).where(Meeting.id == target_id))
    return None


def for_refusal(db: Session, person: Person | None, rule: str | None, group_id: uuid.UUID | None,
                today: date) -> Contact | None:
    """Whom to contact about a refusal by ``rule`` of ``person`` on a group's object (or on a
    platform duty when ``group_id`` is None: the président of one of the person's councils)."""
    if person is None:
        return None
    me = person.id
    group = db.get(WorkingGroup, group_id) if group_id is not None else None
    if group is None:
        council_id = db.scalar(select(WorkingGroup.council_id).join(Membership, Membership.group_id == WorkingGroup.id)
                               .where(Membership.person_id == me).order_by(Membership.start_date.desc()).limit(1))
        return president(db, council_id, not_for=me) if council_id is not None else None
    found = None if rule in PRESIDENT_RULES else coordinator(db, group, today, not_for=me)
    return found or president(db, group.council_id, not_for=me)


def exclusions(db: Session, person: Person) -> list[Exclusion]:
    """The groups where the person's latest designation is an exclusion (R15), with whom to contact."""
    latest: dict[uuid.UUID, Membership] = {}
    for m in db.scalars(select(Membership).where(Membership.person_id == person.id)
                        .order_by(Membership.start_date.desc(), Membership.status_changed_at.desc())):
        latest.setdefault(m.group_id, m)
    found = []
    for m in latest.values():
        if m.status != MembershipStatus.EXCLUDED:
            continue
        group = db.get_one(WorkingGroup, m.group_id)
        found.append(Exclusion(group.name, day(m.status_changed_at), president(db, group.council_id,
                                                                                not_for=person.id)))
    return sorted(found, key=lambda e: e.group)
