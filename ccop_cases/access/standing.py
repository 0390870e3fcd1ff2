"""What the decision reads: one person's standing towards one object, as a typed value.

``decide`` is pure; this module is where it gets its facts. Each reader runs one query built
once with bound parameters, on the session's connection (no ORM object is built: the
decision runs on every request that touches case data, and a read-only view takes it again
after its audit entry). The rows become ``Standing`` values, never reach a template.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import Select, bindparam, literal, select
from sqlalchemy.orm import Session, aliased

from ccop_cases.accounts.models import Person
from ccop_cases.auditing.chains import chain_column
from ccop_cases.auditing.models import AuditHead
from ccop_cases.cases import services as cases
from ccop_cases.cases.lists import INFORMED_WHO
from ccop_cases.cases.models import Case, CaseParticipant
from ccop_cases.charter.models import (
    Council,
    GoverningText,
    Membership,
    MembershipStatus,
    Role,
    Signature,
    WorkingGroup,
)
from ccop_cases.db import rows
from ccop_cases.rights import services as rights


@dataclass(frozen=True, slots=True)
class Designation:
    """The person's latest designation in the group (an exclusion is kept as the latest)."""

    id: uuid.UUID
    role: str
    status: str
    start_date: date
    end_date: date | None


@dataclass(frozen=True, slots=True)
class Standing:
    """Everything a rule may read. Defaults describe a stranger to the object."""

    signed_in: bool  # an active account with its second factor enrolled (R21)
    charter_admin: bool = False
    dpo: bool = False
    fresh_code: bool = False  # a code re-entered within the last minutes (sensitive acts)
    presides: bool | None = None  # on a council's object: whether the person presides it (R22)
    designates_self_coordinator: bool = False  # a designation as coordonnateur of oneself (R17)
    found: bool = False  # the group or case exists
    group_id: uuid.UUID | None = None
    group_status: str | None = None
    council_id: uuid.UUID | None = None  # the group's council (whose chain audits the act)
    chain_mark: int | None = None  # that chain's write_seq when the standing was read
    membership: Designation | None = None
    unsigned: tuple[str, int] | None = None  # the first current text not signed: (kind, version)
    case_state: str | None = None
    participant: bool = False  # the designation is named on the case
    missing_information: tuple[str, ...] = field(default=())  # persons not yet informed (R11)
    restricted: bool = False  # the case is restricted at the person's request (R12)
    rectification_open: bool = False  # a rectification request in progress names the case (R12)
    council_dpo: bool = False  # on a council's object: the person is its DPO (R12)
    facts: tuple[Any, ...] = ()  # the group's or case's row as read, to check it unchanged (``unchanged``)


def of_person(person: Person | None, *, fresh_code: bool = False) -> Standing:
    """The person's own standing, before any object."""
    if person is None or not person.is_active or not person.is_enrolled:
        return Standing(signed_in=False)
    return Standing(signed_in=True, charter_admin=person.is_charter_admin, dpo=person.is_dpo, fresh_code=fresh_code)


def pending(group_id: Any, membership_id: Any, *columns: Any) -> Select[Any]:
    """``columns`` of each current text (no newer version of its kind) of the group that the
    membership has not signed; the ids may be bound parameters or outer columns."""
    newer = aliased(GoverningText)
    return (select(*columns)
            .where(GoverningText.group_id == group_id,
                   ~select(newer.id).where(newer.group_id == GoverningText.group_id, newer.kind == GoverningText.kind,
                                           newer.version > GoverningText.version).correlate_except(newer).exists(),
                   ~select(Signature.id).where(Signature.membership_id == membership_id,
                                               Signature.text_id == GoverningText.id)
                   .correlate_except(Signature).exists())
            .order_by(GoverningText.kind))


_PENDING_TEXTS = pending(bindparam("group_id"), bindparam("membership_id"), GoverningText)
_PENDING_VERSIONS = pending(bindparam("group_id"), bindparam("membership_id"), GoverningText.kind,
                            GoverningText.version)


def pending_texts(db: Session, membership: Membership) -> list[GoverningText]:
    """Current charter and rules versions this member has not signed or acknowledged yet."""
    return list(db.scalars(_PENDING_TEXTS, {"group_id": membership.group_id, "membership_id": membership.id}))


# The council's chain's ``write_seq`` in the same snapshot as the facts: the decision stands
# while it has not moved (``Work.end_read``). None before the council's first entry.
_CHAIN_MARK = (select(AuditHead.write_seq).where(AuditHead.chain == chain_column(WorkingGroup.council_id))
               .scalar_subquery().label("chain_mark"))


def _standing(*columns: Any, where: Any) -> Select[Any]:
    """The group's status and council, that council's chain mark, the person's latest
    designation in it (all None when there is none), whether that designation has texts to
    sign, then ``columns``."""
    return (select(WorkingGroup.id.label("group_id"), WorkingGroup.status.label("group_status"),
                   WorkingGroup.council_id, _CHAIN_MARK, Membership.id, Membership.role, Membership.status,
                   Membership.start_date, Membership.end_date,
                   pending(WorkingGroup.id, Membership.id, GoverningText.id).exists().label("unsigned"), *columns)
            .outerjoin(Membership,
                       (Membership.group_id == WorkingGroup.id) & (Membership.person_id == bindparam("person_id")))
            .where(where)
            .order_by(Membership.start_date.desc(), Membership.status_changed_at.desc()).limit(1))


_GROUP = _standing(where=WorkingGroup.id == bindparam("group_id"))
_CASE = _standing(
    Case.state.label("case_state"), Case.restricted_at.is_not(None).label("restricted"),
    select(CaseParticipant.id).where(CaseParticipant.case_id == Case.id, CaseParticipant.membership_id == Membership.id,
                                     CaseParticipant.removed_at.is_(None)).exists().label("participant"),
    where=(Case.id == bindparam("case_id")) & (WorkingGroup.id == Case.group_id))
# Every active designation of a group at once (attendance of a session: R3).
_MEMBERS = (select(Membership.id, Membership.role, Membership.status, Membership.start_date, Membership.end_date,
                   WorkingGroup.status.label("group_status"), Person.is_active, Person.totp_enrolled_at,
                   pending(WorkingGroup.id, Membership.id, GoverningText.id).exists().label("unsigned"))
            .join(WorkingGroup, WorkingGroup.id == Membership.group_id)
            .join(Person, Person.id == Membership.person_id)
            .where(Membership.group_id == bindparam("group_id"), Membership.status == MembershipStatus.ACTIVE))


class _GroupRow(NamedTuple):
    group_id: uuid.UUID
    group_status: str
    council_id: uuid.UUID
    chain_mark: int | None
    id: uuid.UUID | None  # the designation's, None when the person has none in the group
    role: str | None
    status: str | None
    start_date: date | None
    end_date: date | None
    unsigned: bool


class _CaseRow(NamedTuple):
    group_id: uuid.UUID
    group_status: str
    council_id: uuid.UUID
    chain_mark: int | None
    id: uuid.UUID | None
    role: str | None
    status: str | None
    start_date: date | None
    end_date: date | None
    unsigned: bool
    case_state: str
    restricted: bool
    participant: bool


class _MemberRow(NamedTuple):
    id: uuid.UUID
    role: str
    status: str
    start_date: date
    end_date: date | None
    group_status: str
    is_active: bool
    totp_enrolled_at: datetime | None
    unsigned: bool


class _Pending(NamedTuple):
    kind: str
    version: int


def _with_group(base: Standing, db: Session, row: _GroupRow | _CaseRow) -> Standing:
    membership = None
    if row.id is not None:
        assert row.role and row.status and row.start_date  # noqa: S101 - a designation has them
        membership = Designation(row.id, row.role, row.status, row.start_date, row.end_date)
    unsigned = None
    if row.unsigned:  # rare: name the first text to sign (charter before rules)
        first = rows(db, _PENDING_VERSIONS, {"group_id": row.group_id, "membership_id": row.id}, _Pending)[0]
        unsigned = (first.kind, first.version)
    return replace(base, found=True, group_id=row.group_id, group_status=row.group_status, membership=membership,
                   unsigned=unsigned, council_id=row.council_id, chain_mark=row.chain_mark, facts=tuple(row))


def for_group(db: Session, base: Standing, person: Person, group_id: uuid.UUID) -> Standing:
    """The person's standing in a group (``found`` False: no such group)."""
    if not base.signed_in:
        return base
    found = rows(db, _GROUP, {"person_id": person.id, "group_id": group_id}, _GroupRow)
    return _with_group(base, db, found[0]) if found else base


def for_case(db: Session, base: Standing, person: Person, case_id: uuid.UUID, *,
             follow_on: date | None = None, rectify: bool = False) -> Standing:
    """The person's standing on a case; with ``follow_on`` (a day), who is still to be
    informed that day before the follow-up may start (R11); with ``rectify``, whether a
    rectification request in progress names the case (R12)."""
    if not base.signed_in:
        return base
    found = rows(db, _CASE, {"person_id": person.id, "case_id": case_id}, _CaseRow)
    if not found:
        return base
    row = found[0]
    standing = replace(_with_group(base, db, row), case_state=row.case_state, participant=bool(row.participant),
                       restricted=bool(row.restricted))
    if follow_on is not None or rectify:
        standing = replace(standing, facts=())  # it read more than its row
    if follow_on is not None:
        missing = cases.missing_information(db, db.get_one(Case, case_id), follow_on)
        standing = replace(standing, missing_information=tuple(INFORMED_WHO.get(w, w) for w in missing))
    if rectify:
        standing = replace(standing, rectification_open=rights.rectification_open(db, case_id))
    return standing


def _unchanged(query: Select[Any]) -> Select[Any]:
    """One row when ``query`` reads again exactly the values bound as ``fact_0``, ``fact_1``…"""
    read = query.subquery()
    return select(literal(1)).select_from(read).where(
        *(column.is_not_distinct_from(bindparam(f"fact_{i}", type_=column.type)) for i, column in enumerate(read.c)))


_UNCHANGED = {"working_group": (_unchanged(_GROUP), "group_id"), "case": (_unchanged(_CASE), "case_id")}


def unchanged(standing: Standing, person: Person, target_type: str,
              target_id: uuid.UUID) -> tuple[Select[Any], dict[str, Any]] | None:
    """A statement that reads the group's or case's standing again and returns a row only if
    every value is the one ``standing`` was read with (None: it was read otherwise): what
    ``loaders.finish_read`` appends a read's entry from, in one statement."""
    if not standing.facts or target_type not in _UNCHANGED:
        return None
    query, key = _UNCHANGED[target_type]
    facts = {f"fact_{i}": value for i, value in enumerate(standing.facts)}
    return query, {"person_id": person.id, key: target_id, **facts}


def for_council(db: Session, base: Standing, person: Person, council_id: uuid.UUID | None) -> Standing:
    """On an object of a council: whether the person presides it (R22)."""
    president = db.scalar(select(Council.president_id).where(Council.id == council_id)) if council_id else None
    return replace(base, presides=president == person.id)


def for_council_dpo(db: Session, base: Standing, person: Person, council_id: uuid.UUID | None) -> Standing:
    """On an object of a council: whether the person is the DPO it designated (R12)."""
    dpo = db.scalar(select(Council.dpo_id).where(Council.id == council_id)) if council_id else None
    return replace(base, council_dpo=dpo is not None and dpo == person.id)


def for_designation(base: Standing, person: Person, role: str, username: str) -> Standing:
    """On a designation the person is about to make: whether it names themself coordonnateur."""
    itself = username.strip().lower() == person.username
    return replace(base, designates_self_coordinator=itself and role == Role.COORDONNATEUR)


def group_members(db: Session, group_id: uuid.UUID) -> dict[uuid.UUID, Standing]:
    """Each active designation of the group, with its standing, in one query (R3)."""
    result: dict[uuid.UUID, Standing] = {}
    for row in rows(db, _MEMBERS, {"group_id": group_id}, _MemberRow):
        signed_in = row.is_active and row.totp_enrolled_at is not None
        # Whether a text is due is enough to decide attendance; which one is not read here.
        result[row.id] = Standing(signed_in=signed_in, found=True, group_id=group_id, group_status=row.group_status,
                                  membership=Designation(row.id, row.role, row.status, row.start_date, row.end_date),
                                  unsigned=("charter", 0) if row.unsigned else None)
    return result
