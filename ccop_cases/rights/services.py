"""The register of rights requests (R12) and their legal clock. Flask-free; callers pass the
unit of work and commit.

A request is received, its requester's identity checked, the situations it concerns found by
the young person's exact name and birth date across the council's groups, then answered,
refused with a legal reason, or withdrawn; its deadline is one month after receipt, three
once extended with a reason (GDPR art. 12(3)). Every act is audited with ids and codes only.
The erasing answers go through ``retention.services.answer_request`` (the situations are
crypto-shredded there first); the others through ``answer`` here.
"""

from __future__ import annotations

import calendar
import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import and_, func, select, update
from sqlalchemy.orm import Session

from ccop_cases.cases import services as cases
from ccop_cases.cases.models import Case, CaseState
from ccop_cases.charter.models import Council, WorkingGroup
from ccop_cases.identities import services as identities
from ccop_cases.identities.services import Identity
from ccop_cases.rights.lists import (
    ANSWERS_BY_KIND,
    CHANNELS,
    CLOSED_STATES,
    ERASING,
    EXTENSION_REASONS,
    IDENTITY_CHECKS,
    KINDS,
    REFUSALS,
    REQUESTERS,
    State,
    can_move,
    is_instructed,
    is_open,
    may_answer,
    was_told,
)
from ccop_cases.rights.models import RightsRequest, RightsRequestCase
from ccop_cases.work import DomainError, Work

PAGE_SIZE = 20
SOON_DAYS = 7  # the DPO's home shows the requests due within a week, and the overdue ones
KEEP_YEARS = range(1, 11)  # how long the register may keep an ended request (years after it ended)
REQUESTER_ROLE = "requester"  # the identity row of who asks, in the request's own unit


class RightsError(DomainError):
    """A rights request cannot be handled as asked (message in French)."""


# --- the legal clock --------------------------------------------------------------------------------


def add_months(start: date, months: int) -> date:
    """The same day ``months`` later, or the month's last day when it has no such day:
    received on 31 January, due on 28 (or 29) February (GDPR art. 12(3), computed as the
    Council's Regulation 1182/71 counts a period in months)."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def due_date(received_on: date, *, extended: bool) -> date:
    return add_months(received_on, 3 if extended else 1)


def gone_by(request: RightsRequest, today: date) -> date:
    """The date by which who asked must be gone from the register at the latest: its
    ``keep_until`` once ended; before, the longest the register may keep it: answered on the
    extended due date, or today once that has passed, and kept the most years a DPO may set.
    Its data key is bound to this date's retention epoch, rewrapped when the answer fixes
    ``keep_until``, and, while an overdue request stays open, by the daily run (so it never
    falls behind the turn of the month)."""
    if request.keep_until is not None:
        return request.keep_until
    return add_months(max(due_date(request.received_on, extended=True), today), 12 * (KEEP_YEARS.stop - 1))


def overdue_open(db: Session, today: date) -> list[RightsRequest]:
    """The requests still open past their extended due date: their longest keep moves with
    each day (``gone_by``)."""
    return list(db.scalars(select(RightsRequest).where(RightsRequest.keep_until.is_(None),
                                                       RightsRequest.purged_at.is_(None),
                                                       RightsRequest.received_on < add_months(today, -3))
                           .order_by(RightsRequest.reference)))


# --- registering and moving a request ----------------------------------------------------------------


@dataclass(frozen=True)
class NewRequest:
    kind: str
    received_on: date
    channel: str
    requester: str
    identity: Identity  # who asks: sealed, never in clear at rest
    submission_id: uuid.UUID


def _check_code(value: str | None, allowed: dict[str, str], message: str, field: str) -> str:
    if value not in allowed:
        raise RightsError(message, field)
    return value


def register(work: Work, council: Council, new: NewRequest, by: uuid.UUID) -> tuple[RightsRequest, bool]:
    """Record a request received by the council (``by``: the DPO's person id); (request, False) when this submission was
    already recorded (a double click lands once)."""
    db, now = work.session, work.now()
    existing = db.scalar(select(RightsRequest).where(RightsRequest.submission_id == new.submission_id))
    if existing is not None:
        return existing, False
    _check_code(new.kind, KINDS, "Type de demande : choix inconnu.", "kind")
    _check_code(new.channel, CHANNELS, "Canal de réception : choix inconnu.", "channel")
    _check_code(new.requester, REQUESTERS, "Demandeur : choix inconnu.", "requester")
    if new.received_on > work.today():
        raise RightsError("La date de réception ne peut pas être dans le futur.", "received_on")
    if not new.identity.last_name.strip() or not new.identity.given_names.strip():
        raise RightsError("Indiquez le nom et le prénom du demandeur.", "last_name")
    year = new.received_on.year
    count = db.scalar(select(func.count()).where(RightsRequest.council_id == council.id,
                                                 RightsRequest.reference.like(f"DR-{year}-%")))
    request = RightsRequest(id=uuid.uuid4(), council_id=council.id, reference=f"DR-{year}-{(count or 0) + 1:04d}",
                            submission_id=new.submission_id, kind=new.kind, received_on=new.received_on,
                            channel=new.channel, requester=new.requester, state=State.RECEIVED,
                            due_on=due_date(new.received_on, extended=False), created_by=by,
                            created_at=now)
    db.add(request)
    db.flush()
    dek = identities.open_unit(db, work.keys, request.id, now, gone_by(request, work.today()))
    identities.write_identity(db, dek, request.id, REQUESTER_ROLE, 0, new.identity)
    work.audit.record("rights.registered", "rights_request", request.id, kind=new.kind, channel=new.channel,
                      requester=new.requester, due_on=request.due_on.isoformat())
    return request, True


def requester(work: Work, request: RightsRequest) -> Identity | None:
    """Who asks, decrypted (None once the register's retention has shredded it)."""
    try:
        return identities.read_unit(work.session, work.keys, request.id)[0][1]
    except LookupError:
        return None


def _move(request: RightsRequest, to: State) -> None:
    if not can_move(request.state, to):
        raise RightsError("Cette demande ne peut plus passer à cet état : elle est close ou l’étape est déjà "
                          "franchie.", "state")
    request.state = to


def check_identity(work: Work, request: RightsRequest, *, check: str, checked_on: date) -> None:
    """The requester's identity was checked (GDPR art. 12(6)): how, and when."""
    _check_code(check, IDENTITY_CHECKS, "Vérification de l’identité : choix inconnu.", "identity_check")
    if checked_on > work.today() or checked_on < request.received_on:
        raise RightsError("La date de vérification se situe entre la réception de la demande et aujourd’hui.",
                          "checked_on")
    _move(request, State.IDENTITY_CHECKED)
    request.identity_check, request.identity_checked_on = check, checked_on
    work.audit.record("rights.identity_checked", "rights_request", request.id, check=check)


def extend(work: Work, request: RightsRequest, reason: str | None) -> None:
    """Extend the deadline by two further months, with the reason told to the person (art. 12(3))."""
    if not is_open(request.state):
        raise RightsError("Cette demande est close : son délai ne se prolonge plus.", "reason")
    if request.extension_reason is not None:
        raise RightsError("Le délai de cette demande a déjà été prolongé : il ne peut l’être qu’une fois, de deux "
                          "mois (art. 12(3)).", "reason")
    _check_code(reason, EXTENSION_REASONS, "Indiquez le motif de la prolongation, qui sera communiqué à la "
                                           "personne (art. 12(3)).", "reason")
    today = work.today()
    if request.due_on < today:
        raise RightsError("Le délai d’un mois est déjà dépassé : la prolongation se décide et s’annonce à la "
                          "personne avant son échéance.", "reason")
    request.extension_reason, request.extended_on = reason, today
    request.due_on = due_date(request.received_on, extended=True)
    work.audit.record("rights.extended", "rights_request", request.id, reason=reason,
                      due_on=request.due_on.isoformat())


@dataclass(frozen=True)
class Found:
    case_id: uuid.UUID
    reference: str
    group_name: str
    linked: bool


def find_cases(work: Work, request: RightsRequest, last_name: str, given_names: str, birth: date) -> list[Found]:
    """The council's situations of the young person with exactly this name and birth date,
    group by group (each group's records are unlinked, R22); the search is audited with the
    number found, never the name."""
    if not is_instructed(request.state):
        raise RightsError("Vérifiez d’abord l’identité du demandeur : les situations ne se recherchent qu’ensuite.",
                          "last_name")
    db = work.session
    linked = set(db.scalars(select(RightsRequestCase.case_id).where(RightsRequestCase.request_id == request.id)))
    found: list[Found] = []
    for group in db.scalars(select(WorkingGroup).where(WorkingGroup.council_id == request.council_id)
                            .order_by(WorkingGroup.name)):
        found += [Found(f.id, f.reference, group.name, f.id in linked)
                  for f in cases.find(work, group, last_name, given_names, birth)]
    work.audit.record("rights.searched", "rights_request", request.id, results=len(found))
    return found


def link(work: Work, request: RightsRequest, case_id: uuid.UUID) -> Case:
    """Name a situation of the council as concerned by the request; the instruction starts.
    LookupError when the situation is not one of the council's (the caller answers 404)."""
    db = work.session
    case = db.scalar(select(Case).join(WorkingGroup, WorkingGroup.id == Case.group_id)
                     .where(Case.id == case_id, WorkingGroup.council_id == request.council_id,
                            Case.state != CaseState.PURGED))
    if case is None:
        raise LookupError("not a live situation of the request's council")
    if not is_instructed(request.state):
        raise RightsError("Vérifiez d’abord l’identité du demandeur ; une demande close ne se complète plus.",
                          "case")
    if db.scalar(select(RightsRequestCase.id).where(RightsRequestCase.request_id == request.id,
                                                    RightsRequestCase.case_id == case.id)) is None:
        db.add(RightsRequestCase(request_id=request.id, case_id=case.id, group_id=case.group_id,
                                 linked_at=work.now()))
        work.audit.record("rights.case_linked", "rights_request", request.id, case_id=case.id)
    if can_move(request.state, State.IN_PROGRESS):
        _move(request, State.IN_PROGRESS)
    return case


def linked_cases(db: Session, request_id: uuid.UUID) -> list[Case]:
    """The live situations the request concerns (not the purged ones), by reference."""
    return list(db.scalars(select(Case).join(RightsRequestCase, RightsRequestCase.case_id == Case.id)
                           .where(RightsRequestCase.request_id == request_id, Case.state != CaseState.PURGED)
                           .order_by(Case.reference)))


@dataclass(frozen=True)
class Linked:
    case_id: uuid.UUID
    reference: str
    group_id: uuid.UUID
    group_name: str
    purged: bool


def linked_references(db: Session, request_id: uuid.UUID, group_id: uuid.UUID | None = None) -> list[Linked]:
    """Every situation linked (purged ones included, until the register's retention cuts the
    link), or only those of one group (a group never learns of another's: R22)."""
    query = (select(Case.id, Case.reference, WorkingGroup.id, WorkingGroup.name, Case.state == CaseState.PURGED)
             .join(RightsRequestCase, RightsRequestCase.case_id == Case.id)
             .join(WorkingGroup, WorkingGroup.id == Case.group_id)
             .where(RightsRequestCase.request_id == request_id).order_by(Case.reference))
    if group_id is not None:
        query = query.where(Case.group_id == group_id)
    return [Linked(*row) for row in db.execute(query)]


def _end(work: Work, request: RightsRequest, to: State, on: date) -> None:
    if on > work.today() or on < request.received_on:
        raise RightsError("La date de la réponse se situe entre la réception de la demande et aujourd’hui.",
                          "answered_on")
    _move(request, to)
    request.answered_on = on
    keep = work.session.scalar(select(Council.rights_keep_years).where(Council.id == request.council_id)) or 3
    request.keep_until = add_months(on, 12 * keep)
    if request.purged_at is None:  # who asked is shredded then: its key moves to that month's epoch
        identities.rebind(work.session, work.keys, request.id, request.keep_until, work.today())


def answer(work: Work, request: RightsRequest, code: str, on: date) -> None:
    """Record the answer sent to the person. An access answer needs the record downloaded;
    a restriction freezes the situations linked (``case.restricted``); an erasure or a granted
    objection is answered by ``retention.services.answer_request``, which erases them first."""
    check_answer(work, request, code)
    live = linked_cases(work.session, request.id)
    if code in ERASING and live:
        raise RuntimeError("an erasing answer goes through retention.services.answer_request")
    _end(work, request, State.ANSWERED, on)
    request.answer = code
    if code == "restricted":
        for case in live:
            case.restricted_at = work.now()
            work.audit.record("case.restricted", "case", case.id, request_id=request.id)
    work.audit.record("rights.answered", "rights_request", request.id, answer=code,
                      in_time=on <= request.due_on, extended=request.extension_reason is not None)


def check_answer(work: Work, request: RightsRequest, code: str) -> None:
    """Whether ``code`` may answer the request now (RightsError, in French, otherwise)."""
    if code not in ANSWERS_BY_KIND[request.kind]:
        raise RightsError("Réponse : choix inconnu pour ce type de demande.", "answer")
    if not may_answer(request.state, code):
        raise RightsError("Vérifiez l’identité du demandeur et liez les situations concernées avant de répondre "
                          "(ou répondez « aucune donnée détenue »).", "answer")
    if code != "no_data" and not work.session.scalar(select(RightsRequestCase.id)
                                                     .where(RightsRequestCase.request_id == request.id).limit(1)):
        raise RightsError("Aucune situation n’est liée à cette demande : recherchez-la, ou répondez « aucune donnée "
                          "détenue ».", "answer")
    if code == "record_sent" and request.record_downloaded_at is None:
        raise RightsError("Téléchargez d’abord le dossier de la personne, puis enregistrez sa communication.",
                          "answer")


def lift_restriction(work: Work, request: RightsRequest) -> None:
    """End a restriction the request applied: the situations are changed again."""
    if request.answer != "restricted" or request.restriction_lifted_on is not None:
        raise RightsError("Cette demande n’a pas limité de traitement en cours.", "state")
    request.restriction_lifted_on = work.today()
    for case in linked_cases(work.session, request.id):
        case.restricted_at = None
        work.audit.record("case.restriction_lifted", "case", case.id, request_id=request.id)


def refuse(work: Work, request: RightsRequest, reason: str | None, on: date) -> None:
    """Refuse the request with its legal reason (told to the person, with the right to complain
    to the CNIL)."""
    _check_code(reason, REFUSALS, "Indiquez le motif légal du refus.", "refusal_reason")
    _end(work, request, State.REFUSED, on)
    request.refusal_reason = reason
    work.audit.record("rights.refused", "rights_request", request.id, reason=reason, in_time=on <= request.due_on)


def withdraw(work: Work, request: RightsRequest, on: date) -> None:
    _end(work, request, State.WITHDRAWN, on)
    work.audit.record("rights.withdrawn", "rights_request", request.id)


def rectification_open(db: Session, case_id: uuid.UUID) -> bool:
    """Whether a rectification request in progress names the case (R12)."""
    return db.scalar(select(RightsRequestCase.id).join(RightsRequest, RightsRequest.id == RightsRequestCase.request_id)
                     .where(RightsRequestCase.case_id == case_id, RightsRequest.kind == "rectification",
                            RightsRequest.state == State.IN_PROGRESS).limit(1)) is not None


def set_keep_years(work: Work, council: Council, years: int) -> None:
    """How many years the register keeps a request after it ended (the DPO decides; 3 by default)."""
    if years not in KEEP_YEARS:
        raise RightsError(f"Durée de conservation : entre {KEEP_YEARS.start} et {KEEP_YEARS.stop - 1} ans.", "years")
    council.rights_keep_years = years
    work.audit.record("rights.keep_years_set", "council", council.id, years=years)


# --- the register's retention -------------------------------------------------------------------------


def purgeable(db: Session, today: date) -> list[RightsRequest]:
    """The ended requests whose retention is over and that still hold who asked."""
    return list(db.scalars(select(RightsRequest).where(RightsRequest.keep_until <= today,
                                                       RightsRequest.purged_at.is_(None))
                           .order_by(RightsRequest.reference)))


def purge(work: Work, request: RightsRequest) -> None:
    """Crypto-shred who asked and cut the links to the situations; the codes and dates stay,
    which the annual report counts (R16)."""
    counts = identities.shred_unit(work.session, request.id)
    work.session.execute(update(RightsRequestCase).where(RightsRequestCase.request_id == request.id)
                         .values(case_id=None))
    request.purged_at = work.now()
    work.audit.record("rights.purged", "rights_request", request.id, identities=counts["identities"],
                      data_keys=counts["data_keys"])


# --- reading the register ------------------------------------------------------------------------------


def councils_of(db: Session, person_id: uuid.UUID) -> list[Council]:
    """The councils whose DPO the person is."""
    return list(db.scalars(select(Council).where(Council.dpo_id == person_id).order_by(Council.name)))


def page(db: Session, council_ids: list[uuid.UUID], number: int, *, state: str = "",
         group_id: uuid.UUID | None = None) -> tuple[list[RightsRequest], int]:
    """One page of the register (the councils', or those about a group's situations), the
    open requests first by deadline, then the ended ones, newest first."""
    query = select(RightsRequest).where(RightsRequest.council_id.in_(council_ids))
    if group_id is not None:
        query = query.where(RightsRequest.id.in_(select(RightsRequestCase.request_id)
                                                 .where(RightsRequestCase.group_id == group_id)))
    if state == "open":
        query = query.where(RightsRequest.state.not_in(CLOSED_STATES))
    elif state:
        query = query.where(RightsRequest.state == state)
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    number = min(max(number, 1), pages)
    ended = RightsRequest.state.in_(CLOSED_STATES)
    found = db.scalars(query.order_by(ended, RightsRequest.due_on, RightsRequest.received_on.desc(),
                                      RightsRequest.reference)
                       .offset((number - 1) * PAGE_SIZE).limit(PAGE_SIZE))
    return list(found), pages


@dataclass(frozen=True)
class Deadlines:
    overdue: list[RightsRequest]
    soon: list[RightsRequest]  # due within SOON_DAYS


def deadlines(db: Session, council_ids: list[uuid.UUID], today: date) -> Deadlines:
    """The open requests past their deadline, and those due within a week (the DPO's home)."""
    open_requests = list(db.scalars(select(RightsRequest).where(RightsRequest.council_id.in_(council_ids),
                                                                RightsRequest.state.not_in(CLOSED_STATES),
                                                                RightsRequest.due_on <= today
                                                                + timedelta(days=SOON_DAYS))
                                    .order_by(RightsRequest.due_on, RightsRequest.reference)))
    return Deadlines([r for r in open_requests if r.due_on < today], [r for r in open_requests if r.due_on >= today])


# --- counts for the annual report (R16) ----------------------------------------------------------------


@dataclass(frozen=True)
class Counts:
    by_kind: dict[str, int]
    answered: int  # answered or refused: the person was told
    answered_in_time: int
    extended: int
    refused_by_reason: dict[str, int]
    withdrawn: int
    open: int


def counts(db: Session, group_id: uuid.UUID, start: date, end: date) -> Counts:
    """The requests received in [start, end) about the group's situations: by kind, answered
    (in time), extended, refused by reason; codes and counts only."""
    about_group = select(RightsRequestCase.request_id).where(RightsRequestCase.group_id == group_id)
    requests = list(db.execute(select(RightsRequest.kind, RightsRequest.state, RightsRequest.answered_on,
                                      RightsRequest.due_on, RightsRequest.extension_reason,
                                      RightsRequest.refusal_reason)
                               .where(RightsRequest.id.in_(about_group),
                                      and_(RightsRequest.received_on >= start, RightsRequest.received_on < end))))
    by_kind = {code: sum(1 for r in requests if r.kind == code) for code in KINDS}
    refused = {code: sum(1 for r in requests if r.refusal_reason == code) for code in REFUSALS}
    answered = [r for r in requests if was_told(r.state)]
    return Counts(by_kind, len(answered), sum(1 for r in answered if r.answered_on <= r.due_on),
                  sum(1 for r in requests if r.extension_reason), refused,
                  sum(1 for r in requests if r.answered_on and not was_told(r.state)),  # ended, not told: withdrawn
                  sum(1 for r in requests if is_open(r.state)))
