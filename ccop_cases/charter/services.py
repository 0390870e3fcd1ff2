"""Charter services: constitution of the working group, charter and rules-of-procedure
versions, designations, signatures, suspension and exclusion, deployment mode (R20).

Flask-free; every act is audited through the caller's auditor in the caller's transaction.
Refusals raise CharterError with a French message naming the rule.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ccop_cases.accounts import services as accounts
from ccop_cases.accounts.models import Person, by_name
from ccop_cases.charter.models import (
    INSTITUTIONS,
    Council,
    Deployment,
    GoverningText,
    GroupStatus,
    Membership,
    MembershipStatus,
    Role,
    Signature,
    WorkingGroup,
)
from ccop_cases.clock import day
from ccop_cases.encryption import KeyProvider, open_text, seal_text
from ccop_cases.identities.services import group_key
from ccop_cases.work import DomainError, Work


class CharterError(DomainError):
    """A governance act refused (a refusal under a rule is audited as ``access.denied``)."""


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- council and group ------------------------------------------------------------------------


def create_council(work: Work, *, kind: str, name: str, communes: str, president: Person) -> Council:
    db, audit, now = work.session, work.audit, work.now()
    council = Council(kind=kind, name=name, communes=communes, president_id=president.id, created_at=now)
    db.add(council)
    db.flush()
    audit.record("council.created", "council", council.id, kind=kind)
    return council


def set_dpo(work: Work, council: Council, username: str) -> Person:
    """Name the DPO who answers the persons' requests about the council's situations (R12):
    an active account holding the DPO duty (``ccop users grant USERNAME dpo``)."""
    person = work.session.scalar(select(Person).where(Person.username == username.strip().lower()))
    if person is None or not person.is_active or not person.is_dpo:
        raise CharterError("Aucun compte actif de délégué à la protection des données ne porte cet identifiant : "
                           "l’exploitant lui attribue d’abord cette fonction.", "username")
    council.dpo_id = person.id
    work.audit.record("council.dpo_set", "council", council.id, person=person.id)
    return person


def create_group(work: Work, council: Council, *, name: str, legal_basis: str, vocation: str, perimeter: str,
                 theme: str, is_ccop: bool, territory_label: str) -> WorkingGroup:
    db, audit, now = work.session, work.audit, work.now()
    if vocation == "territorial" and not perimeter.strip():
        raise CharterError("Un groupe à vocation territoriale doit décrire son périmètre (R23).", rule="R23")
    if vocation == "thematic" and not theme.strip():
        raise CharterError("Un groupe à vocation thématique doit préciser son thème.")
    group = WorkingGroup(council_id=council.id, name=name, legal_basis=legal_basis, vocation=vocation,
                         perimeter=perimeter, theme=theme, is_ccop=is_ccop, territory_label=territory_label,
                         status="draft", status_changed_at=now)
    db.add(group)
    db.flush()
    audit.record("group.created", "working_group", group.id, council=council.id, legal_basis=legal_basis)
    return group


def record_act(work: Work, group: WorkingGroup, *, act_date: date, reference: str, document: str) -> None:
    """Record the constituting act (deliberation of the council): date, reference, hash."""
    audit = work.audit
    if group.status != "draft":
        raise CharterError("L’acte de constitution ne se modifie plus une fois le groupe constitué.")
    group.act_date, group.act_reference, group.act_sha256 = act_date, reference, sha256_text(document)
    audit.record("group.act_recorded", "working_group", group.id, act_sha256=group.act_sha256)


def current_text(db: Session, group_id: uuid.UUID, kind: str) -> GoverningText | None:
    return db.scalar(select(GoverningText).where(GoverningText.group_id == group_id, GoverningText.kind == kind)
                     .order_by(GoverningText.version.desc()).limit(1))


def adopt_text(work: Work, group: WorkingGroup, *, kind: str, text: str, adopted_on: date) -> GoverningText:
    """Record a new version of the charter or the rules; members must sign it again (R2, R3)."""
    db, audit, now = work.session, work.audit, work.now()
    if group.status == GroupStatus.DISSOLVED:
        raise CharterError("Ce groupe est dissous : aucun nouveau texte ne peut être adopté.")
    previous = current_text(db, group.id, kind)
    if previous is not None and previous.sha256 == sha256_text(text):
        raise CharterError("Ce texte est identique à la version en vigueur : rien n’a été enregistré.")
    version = GoverningText(group_id=group.id, kind=kind, version=(previous.version + 1) if previous else 1,
                            text=text, sha256=sha256_text(text), adopted_on=adopted_on, recorded_at=now)
    db.add(version)
    db.flush()
    audit.record("text.adopted", "governing_text", version.id, kind=kind, version=version.version,
                 sha256=version.sha256)
    return version


TRANSITIONS = {  # action -> (allowed from, to)
    "constitute": ({GroupStatus.DRAFT, GroupStatus.SUSPENDED}, GroupStatus.CONSTITUTED),
    "suspend": ({GroupStatus.CONSTITUTED}, GroupStatus.SUSPENDED),
    "dissolve": ({GroupStatus.DRAFT, GroupStatus.CONSTITUTED, GroupStatus.SUSPENDED}, GroupStatus.DISSOLVED),
}


def change_status(work: Work, group: WorkingGroup, action: str, *, reason: str) -> None:
    """Constitute (R1, R2: act, charter and rules required), suspend or dissolve a group."""
    db, audit, now = work.session, work.audit, work.now()
    allowed, target = TRANSITIONS[action]
    if group.status not in allowed:
        raise CharterError(f"Impossible depuis l’état « {group.status} ».")
    if target == "constituted":
        missing = [label for label, ok in (
            ("l’acte de constitution", group.act_sha256),
            ("une charte déontologique adoptée", current_text(db, group.id, "charter")),
            ("un règlement intérieur adopté", current_text(db, group.id, "rules"))) if not ok]
        if missing:
            raise CharterError("Constitution refusée (R1, R2) : il manque " + ", ".join(missing) + ".", rule="R1")
    previous, group.status, group.status_changed_at = group.status, target, now
    # The reason is free text: the audit entry says only whether one was given (DESIGN §6).
    audit.record("group.status_changed", "working_group", group.id, before=previous, after=target,
                 reason_given="yes" if reason.strip() else "no")


# --- memberships ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Designation:
    username: str
    institution: str
    function: str
    role: str
    reference: str
    start_date: date
    end_date: date | None
    display_name: str = ""  # kept on the account when it has none yet


def designate(work: Work, group: WorkingGroup, d: Designation) -> tuple[Membership, str | None]:
    """Designate a person (R4); create their account when new. Return the one-time password
    of a new account (to hand over out of band), or None for an existing account."""
    db, audit, now = work.session, work.audit, work.now()
    if group.status == GroupStatus.DISSOLVED:
        raise CharterError("Ce groupe est dissous : aucune désignation n’est possible.")
    if d.end_date is not None and d.end_date < d.start_date:
        raise CharterError("La date de fin précède la date de début.")
    person = db.scalar(select(Person).where(Person.username == d.username.strip().lower()))
    one_time = None
    if person is None:
        person, one_time = accounts.create_person(work, d.username)
    elif db.scalar(select(Membership.id).where(Membership.person_id == person.id, Membership.group_id == group.id,
                                               Membership.status != MembershipStatus.EXCLUDED)):
        raise CharterError("Cette personne est déjà désignée dans ce groupe.")
    # The account's name and function, when it has none yet: « Coordonnatrice du CLSPD, Mairie ».
    accounts.complete_profile(work, person, display_name=d.display_name,
                              function=f"{d.function.strip()}, {INSTITUTIONS.get(d.institution, d.institution)}")
    membership = Membership(person_id=person.id, group_id=group.id, institution=d.institution,
                            function=d.function, role=d.role, designation_reference=d.reference,
                            start_date=d.start_date, end_date=d.end_date, status=MembershipStatus.ACTIVE,
                            status_changed_at=now)
    db.add(membership)
    db.flush()
    audit.record("membership.designated", "membership", membership.id, group=group.id, person=person.id,
                 role=d.role, institution=d.institution)
    return membership, one_time


def set_end_date(work: Work, membership: Membership, end_date: date | None) -> None:
    audit = work.audit
    if end_date is not None and end_date < membership.start_date:
        raise CharterError("La date de fin précède la date de début.")
    membership.end_date = end_date
    audit.record("membership.end_date_set", "membership", membership.id,
                 end_date=end_date.isoformat() if end_date else "none")


def _set_status(db: Session, keys: KeyProvider | None, membership: Membership, status: str, reason: str | None,
                now: datetime) -> None:
    """Change a member's status; a reason is free text, so it is sealed under the group's key."""
    membership.status, membership.status_changed_at, membership.status_reason_enc = status, now, None
    if reason and reason.strip():
        assert keys is not None  # noqa: S101 - a reason always comes with the key provider
        membership.status_reason_enc = seal_text(group_key(db, keys, membership.group_id, now), reason.strip(),
                                                 column=Membership.status_reason_enc, row_id=membership.id)


def status_reason(db: Session, keys: KeyProvider, membership: Membership) -> str:
    """The reason of the member's suspension or exclusion, decrypted for the console."""
    if membership.status_reason_enc is None:
        return ""
    key = group_key(db, keys, membership.group_id, membership.status_changed_at)
    return open_text(key, membership.status_reason_enc, column=Membership.status_reason_enc,
                     row_id=membership.id)


def suspend_member(work: Work, membership: Membership, reason: str) -> int:
    """Suspend a member: access stops at once and their sessions end (R15)."""
    db, audit, keys, now = work.session, work.audit, work.keys, work.now()
    if membership.status != MembershipStatus.ACTIVE:
        raise CharterError("Seule une participation active peut être suspendue.")
    _set_status(db, keys, membership, MembershipStatus.SUSPENDED, reason, now)
    audit.record("membership.suspended", "membership", membership.id)
    return accounts.end_all_sessions(work, membership.person_id, "member_suspended")


def reinstate_member(work: Work, membership: Membership) -> None:
    db, audit, now = work.session, work.audit, work.now()
    if membership.status != MembershipStatus.SUSPENDED:
        raise CharterError("Seule une participation suspendue peut reprendre ; après une exclusion, "
                           "une nouvelle désignation est nécessaire (R15).", rule="R15")
    _set_status(db, None, membership, MembershipStatus.ACTIVE, None, now)
    audit.record("membership.reinstated", "membership", membership.id)


def exclude_member(work: Work, membership: Membership, reason: str) -> int:
    """Exclude for a breach of confidentiality (R15): final for this designation; every session
    of the person ends now; re-admission only by a new designation."""
    db, audit, keys, now = work.session, work.audit, work.keys, work.now()
    if membership.status == MembershipStatus.EXCLUDED:
        raise CharterError("Cette personne est déjà exclue.")
    _set_status(db, keys, membership, MembershipStatus.EXCLUDED, reason, now)
    membership.end_date = min(membership.end_date or day(now), day(now))
    audit.record("membership.excluded", "membership", membership.id, group=membership.group_id)
    return accounts.end_all_sessions(work, membership.person_id, "member_excluded")


# --- signatures -----------------------------------------------------------------------------------


def sign(work: Work, membership: Membership, text: GoverningText) -> None:
    """Record the member's signature of exactly this version (its hash is kept)."""
    db, audit, now = work.session, work.audit, work.now()
    db.add(Signature(membership_id=membership.id, text_id=text.id, text_sha256=text.sha256, signed_at=now))
    action = "charter.signed" if text.kind == "charter" else "rules.acknowledged"
    audit.record(action, "governing_text", text.id, membership=membership.id, version=text.version)


@dataclass(frozen=True)
class Coverage:
    version: int | None
    signed: list[Membership]
    unsigned: list[Membership]


def active_members(db: Session, group: WorkingGroup, today: date) -> list[Membership]:
    """The group's active designations not yet ended: those a new text version stops (R2, R3)."""
    return [m for m in db.scalars(select(Membership).where(Membership.group_id == group.id,
                                                            Membership.status == MembershipStatus.ACTIVE))
            if m.end_date is None or m.end_date >= today]


def has_active_coordinator(db: Session, group: WorkingGroup, today: date) -> bool:
    """Whether a coordonnateur is among ``active_members`` (a new text version stops them too)."""
    return db.scalar(select(Membership.id).where(
        Membership.group_id == group.id, Membership.status == MembershipStatus.ACTIVE,
        Membership.role == Role.COORDONNATEUR,
        (Membership.end_date.is_(None)) | (Membership.end_date >= today)).limit(1)) is not None


def coverage(db: Session, group: WorkingGroup, kind: str, today: date) -> Coverage:
    """Who among the active members signed the current version, and who has not."""
    text = current_text(db, group.id, kind)
    members = active_members(db, group, today)
    if text is None:
        return Coverage(None, [], members)
    signed_ids = set(db.scalars(select(Signature.membership_id).where(Signature.text_id == text.id)))
    return Coverage(text.version, [m for m in members if m.id in signed_ids],
                    [m for m in members if m.id not in signed_ids])


# --- deployment (R20) -----------------------------------------------------------------------------


def deployment(db: Session) -> Deployment:
    return db.execute(select(Deployment).where(Deployment.id == 1)).scalar_one()


def go_to_production(work: Work, *, aipd_reference: str, dpo_designation: str, register_entry: str) -> None:
    """Leave pilot mode: only with the AIPD reference, the DPO and the register entry (R20)."""
    db, audit, now = work.session, work.audit, work.now()
    if not (aipd_reference.strip() and dpo_designation.strip() and register_entry.strip()):
        raise CharterError("Passage en production refusé (R20) : renseignez la référence de l’AIPD, "
                           "le DPO et l’inscription au registre des traitements.", rule="R20")
    row = deployment(db)
    row.mode, row.aipd_reference, row.dpo_designation, row.register_entry = (
        "production", aipd_reference, dpo_designation, register_entry)
    row.changed_at = now
    audit.record("deployment.mode_changed", "deployment", "1", mode="production")


def count_members(db: Session, group_id: uuid.UUID) -> int:
    return db.scalar(select(func.count()).where(Membership.group_id == group_id)) or 0


# --- the home's counts (the caller decided whose groups they are) ----------------------------------

ENDING_NOTICE_DAYS = 30


@dataclass(frozen=True)
class Ending:
    """An active designation whose end date falls within the notice period."""

    membership_id: uuid.UUID
    group_id: uuid.UUID
    name: str  # « Nom affiché (Fonction) »
    end_date: date


def ending_designations(db: Session, group_ids: list[uuid.UUID], today: date,
                        days: int = ENDING_NOTICE_DAYS) -> list[Ending]:
    """The active designations of these groups that end between today and ``days`` from now,
    soonest first (the institution must renew them, or the member loses access: R4)."""
    if not group_ids:
        return []
    rows = db.execute(select(Membership.id, Membership.group_id, Person, Membership.end_date)
                      .join(Person, Person.id == Membership.person_id)
                      .where(Membership.group_id.in_(group_ids), Membership.status == MembershipStatus.ACTIVE,
                             Membership.end_date >= today, Membership.end_date <= today + timedelta(days=days))
                      .order_by(Membership.end_date, by_name()))
    return [Ending(mid, gid, person.label, end) for mid, gid, person, end in rows if end is not None]


def presided_groups(db: Session, president_id: uuid.UUID) -> list[WorkingGroup]:
    """The groups of the councils this person presides (R22: never another council's)."""
    return list(db.scalars(select(WorkingGroup).join(Council, Council.id == WorkingGroup.council_id)
                           .where(Council.president_id == president_id).order_by(Council.name, WorkingGroup.name)))


@dataclass(frozen=True)
class RosterRow:
    membership: Membership
    name: str
    charter_signed: bool
    rules_signed: bool


def roster(db: Session, group: WorkingGroup, today: date) -> list[RosterRow]:
    """The group's active members, by name, with whether each signed the current charter and
    acknowledged the current rules (R2, R3)."""
    charter, rules = coverage(db, group, "charter", today), coverage(db, group, "rules", today)
    members = {m.id: m for m in charter.signed + charter.unsigned}
    signed = {m.id for m in charter.signed}, {m.id for m in rules.signed}
    if not members:
        return []
    people = db.execute(select(Membership.id, Person).join(Person, Person.id == Membership.person_id)
                        .where(Membership.id.in_(members)).order_by(by_name()))
    return [RosterRow(members[mid], person.label, mid in signed[0], mid in signed[1]) for mid, person in people]
