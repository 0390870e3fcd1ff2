"""The one decision point: ``decide(db, person, action, resource, now)``.

Every access to case data, to the administrator console and to the oversight console is
decided here, never in a view or a template. A denial names its rule (RULES.md) and tells
the person what to do; ``hide`` asks the caller to answer 404 so that an object out of
reach is not revealed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, bindparam, select
from sqlalchemy.orm import Session

from ccop_cases.accounts.models import Person
from ccop_cases.cases.models import Case, CaseParticipant
from ccop_cases.charter.models import Council, GoverningText, Membership, WorkingGroup
from ccop_cases.charter.services import pending, pending_versions


@dataclass(frozen=True)
class Decision:
    allowed: bool
    rule: str | None = None
    message: str = ""
    remedy: str | None = None  # endpoint where the person can act on the refusal
    hide: bool = False  # answer 404: do not reveal that the object exists
    gone: bool = False  # answer 410: the object existed and was purged (R10)
    # On an allowed group or case action decided with ``load``: the group, the member's
    # designation in it and the case, as the decision read them.
    group: WorkingGroup | None = None
    membership: Membership | None = None
    case: Case | None = None

    def __bool__(self) -> bool:
        return self.allowed


ALLOW = Decision(True)

# Platform duties: never a way to case content (R17).
DUTIES = {
    "console.manage": ("is_charter_admin", "Réservé à l’administrateur de la charte (président ou "
                                          "personne qu’il a désignée)."),
    "oversight.read": ("is_dpo", "Réservé au délégué à la protection des données et aux organismes "
                                 "de contrôle."),
}


def decide(db: Session, person: Person | None, action: str, resource: object = None, *,
           now: datetime, load: bool = False) -> Decision:
    """Allow or deny ``action`` on ``resource`` for ``person``, checking rules in order.

    ``load``: an allowed group or case action also returns the group, the membership (and
    the case) as ORM objects, read by the same query; without it the decision builds no
    object (a decision taken again, a list of results).
    """
    if person is None or not person.is_active or not person.is_enrolled:
        return Decision(False, "R21", "Connexion avec double authentification requise.",
                        remedy="accounts.login")
    if action in DUTIES:
        flag, message = DUTIES[action]
        if not getattr(person, flag):
            return Decision(False, "R17", message)
        if isinstance(resource, Council) and resource.president_id != person.id:
            return Decision(False, "R17", "Ce conseil relève d’un autre président.", hide=True)  # R22
        return ALLOW
    # Group and case actions take the object or its id: the decision reads what it needs.
    if action in GROUP_ACTIONS and isinstance(resource, WorkingGroup | uuid.UUID):
        return _decide_group(db, person, action, _id(resource), now, load)
    if action in CASE_ACTIONS and isinstance(resource, Case | uuid.UUID):
        return _decide_case(db, person, action, _id(resource), now, load)
    raise ValueError(f"unknown action {action!r} on {type(resource).__name__}")  # default deny, loudly


# group.view: see one's membership and the texts to sign; group.sign: sign them;
# group.exchange: any nominative case data of the group (the full rule chain): propose,
# search, list one's cases; group.coordinate: the same, as coordonnateur (sessions, all cases).
GROUP_ACTIONS = ("group.view", "group.sign", "group.exchange", "group.coordinate")
COORDINATOR_ONLY = Decision(False, "R4", "Réservé au coordonnateur du groupe.")
HIDDEN = Decision(False, "R4", "Ce groupe n’existe pas ou vous n’y êtes pas désigné.", hide=True)
CASE_HIDDEN = Decision(False, "R4", "Cette situation n’existe pas ou vous n’y êtes pas désigné.", hide=True)


def _id(resource: WorkingGroup | Case | uuid.UUID) -> uuid.UUID:
    return resource if isinstance(resource, uuid.UUID) else resource.id


def _standing(*columns: Any, where: Any) -> Select[Any]:
    """What the rules read, as one plain row: the group's status, the person's latest
    designation in it (an exclusion is kept as the latest; all None when there is none),
    whether that designation has texts to sign, then ``columns``.

    Built once with bound parameters: the decision runs on every request that touches case
    data, and a read-only view takes it again after its audit entry. Run on the connection
    it builds no ORM object; the ``_LOADED`` variants add the objects (``decide(load=True)``),
    refreshed if the session already holds them.
    """
    return (select(WorkingGroup.id.label("group_id"), WorkingGroup.status.label("group_status"),
                   Membership.id, Membership.role, Membership.status, Membership.start_date, Membership.end_date,
                   pending(WorkingGroup.id, Membership.id, GoverningText.id).exists().label("unsigned"), *columns)
            .outerjoin(Membership,
                       (Membership.group_id == WorkingGroup.id) & (Membership.person_id == bindparam("person_id")))
            .where(where)
            .order_by(Membership.start_date.desc(), Membership.status_changed_at.desc()).limit(1))


_GROUP_STANDING = _standing(where=WorkingGroup.id == bindparam("group_id"))
# ... for a case: its current state, and whether the designation is named on it.
_CASE_STANDING = _standing(
    Case.state.label("case_state"),
    select(CaseParticipant.id).where(CaseParticipant.case_id == Case.id, CaseParticipant.membership_id == Membership.id,
                                     CaseParticipant.removed_at.is_(None)).exists().label("participant"),
    where=(Case.id == bindparam("case_id")) & (WorkingGroup.id == Case.group_id))
_GROUP_LOADED = _GROUP_STANDING.add_columns(WorkingGroup, Membership).execution_options(populate_existing=True)
_CASE_LOADED = _CASE_STANDING.add_columns(WorkingGroup, Membership, Case).execution_options(populate_existing=True)


def _standing_row(db: Session, query: Select[Any], loaded: Select[Any], params: dict[str, Any],
                  load: bool) -> Row[Any] | None:
    if load:
        return db.execute(loaded, params).first()
    db.flush()  # as the ORM would before a query: the decision sees the session's pending changes
    return db.connection().execute(query, params).first()


def _with_objects(decision: Decision, standing: Row[Any], load: bool) -> Decision:
    if not (decision and load):
        return decision
    return replace(decision, group=standing.WorkingGroup, membership=standing.Membership,
                   case=getattr(standing, "Case", None))


def _decide_group(db: Session, person: Person, action: str, group_id: uuid.UUID, now: datetime,
                  load: bool) -> Decision:
    standing = _standing_row(db, _GROUP_STANDING, _GROUP_LOADED, {"person_id": person.id, "group_id": group_id}, load)
    if standing is None:
        return HIDDEN
    return _with_objects(_group_rules(db, action, standing, now), standing, load)


def _group_rules(db: Session, action: str, standing: Row[Any], now: datetime) -> Decision:
    if standing.id is None:
        return HIDDEN  # R4, R22: another group's existence is not revealed
    if action == "group.view":
        return ALLOW
    checks = (_constituted, _membership_active) if action == "group.exchange" else (_membership_active,)
    for check in checks:
        decision = check(standing, now)
        if not decision:
            return decision
    if action in ("group.exchange", "group.coordinate"):
        if standing.unsigned:
            return _unsigned(db, standing)
        return COORDINATOR_ONLY if action == "group.coordinate" and standing.role != "coordonnateur" else ALLOW
    return ALLOW if standing.group_status != "dissolved" else _constituted(standing, now)


def _constituted(standing: Row[Any], _now: datetime) -> Decision:
    if standing.group_status == "constituted":
        return ALLOW
    state = {"draft": "n’est pas (encore) constitué", "suspended": "est suspendu",
             "dissolved": "est dissous"}[standing.group_status]
    return Decision(False, "R1", f"Échange impossible : ce groupe {state} comme groupe de travail "
                                 "du CLSPD/CISPD (art. L132-5 CSI). Adressez-vous au président du groupe.")


def _membership_active(m: Row[Any], now: datetime) -> Decision:
    today = now.date()
    if m.status == "excluded":
        return Decision(False, "R15", "Vous avez été exclu des travaux de ce groupe. Seule une nouvelle "
                                      "désignation par votre institution permet d’y revenir.")
    if m.status == "suspended":
        return Decision(False, "R15", "Votre participation à ce groupe est suspendue. "
                                      "Adressez-vous au président du groupe.")
    if m.start_date > today:
        return Decision(False, "R4", f"Votre désignation prend effet le {m.start_date:%d/%m/%Y}.")
    if m.end_date is not None and m.end_date < today:
        return Decision(False, "R4", f"Votre désignation a pris fin le {m.end_date:%d/%m/%Y}. "
                                     "Demandez à votre institution de la renouveler.")
    return ALLOW


def _unsigned(db: Session, standing: Row[Any]) -> Decision:
    """The refusal naming the first text the member has not signed (charter first: R3, then R2)."""
    kind, version = pending_versions(db, standing.group_id, standing.id)[0]
    if kind == "charter":
        return Decision(False, "R3", f"Vous devez signer la charte déontologique en vigueur "
                                     f"(version {version}) avant tout échange.", remedy="charter.sign")
    return Decision(False, "R2", f"Vous devez prendre connaissance du règlement intérieur en vigueur "
                                 f"(version {version}) avant tout échange.", remedy="charter.sign")


# case.view: read an open case; case.read_archive: read a closed one with a reason code
# (R10); case.edit, case.inform, case.act: change it as a participant; case.manage: follow,
# participants, derogations, decisions and closing, as coordonnateur.
CASE_ACTIONS = ("case.view", "case.read_archive", "case.edit", "case.inform", "case.act", "case.manage")
OPEN_STATES = ("proposed", "followed")


def _decide_case(db: Session, person: Person, action: str, case_id: uuid.UUID, now: datetime,
                 load: bool) -> Decision:
    standing = _standing_row(db, _CASE_STANDING, _CASE_LOADED, {"case_id": case_id, "person_id": person.id}, load)
    if standing is None:
        return CASE_HIDDEN  # no such case
    return _with_objects(_case_rules(db, action, standing, now), standing, load)


def _case_rules(db: Session, action: str, standing: Row[Any], now: datetime) -> Decision:
    is_coordinator = standing.role == "coordonnateur"
    # Out of reach first: whoever is neither a participant nor the coordonnateur learns
    # nothing, not even through which group rule would refuse them (R4, R22).
    if standing.id is None or not (is_coordinator or standing.participant):
        return CASE_HIDDEN
    decision = _group_rules(db, "group.exchange", standing, now)
    if not decision:
        return decision
    state = standing.case_state
    if state == "purged":
        return Decision(False, "R10", "Cette situation a été effacée à l’issue de sa durée de conservation.",
                        gone=True)
    if state not in OPEN_STATES:
        if action == "case.read_archive":
            return decision
        return Decision(False, "R10", "Situation clôturée : sa consultation demande un motif, et elle ne "
                                      "se modifie plus.", remedy="cases.archive_read")
    if action == "case.manage" and not is_coordinator:
        return COORDINATOR_ONLY
    return decision
