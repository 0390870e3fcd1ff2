"""Case services: propose a situation, read it, inform the family (R11), follow, act, decide,
close. Flask-free; every change is audited and recorded in the case history, in the
caller's transaction. Refusals raise CaseError naming the rule and, when it is one field's
fault, the field."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import String, cast, delete, exists, func, literal, select, update
from sqlalchemy import case as when
from sqlalchemy.orm import Session, aliased

from ccop_cases.auditing import Auditor
from ccop_cases.cases import lists, queries
from ccop_cases.cases.models import (
    OPEN_STATES,
    Case,
    CaseAction,
    CaseChange,
    CaseDecision,
    CaseParticipant,
    CaseState,
    InformationRecord,
    awaits_follow_up,
    can_move,
    is_open,
)
from ccop_cases.charter.models import Membership, MembershipStatus, WorkingGroup
from ccop_cases.clock import day
from ccop_cases.encryption import BlindIndex, DataKey, KeyProvider, open_text, seal_text
from ccop_cases.identities import services as identities
from ccop_cases.identities.models import IdentityRecord
from ccop_cases.identities.services import Identity
from ccop_cases.plans import services as plans
from ccop_cases.plans.models import GroupObjective, StrategyObjective
from ccop_cases.work import DomainError, Work

PAGE_SIZE = 20
NOTE_MAX = 280
DPO = "délégué à la protection des données"  # the author of a change the DPO made (R12): no membership


class CaseError(DomainError):
    """A refused act on a case (a refusal under a rule is audited as ``access.denied``)."""


@dataclass(frozen=True)
class Proposal:
    young: Identity
    representatives: list[Identity]
    school_situation: str
    purpose: str
    referral_origin: str
    exposure_factors: list[str]
    submission_id: uuid.UUID
    note: str = ""
    note_attested: bool = False
    inside_perimeter: bool = True
    override_reason: str | None = None
    confirm_under_12: bool = False
    objective_id: uuid.UUID | None = None  # one of the group's objectives of the year (plans)


def age_on(birth: date, today: date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def turns_25_on(birth: date) -> date:
    """The 25th birthday (1 March for someone born on 29 February, as ``age_on`` counts)."""
    try:
        return birth.replace(year=birth.year + 25)
    except ValueError:
        return date(birth.year + 25, 3, 1)


def gone_by(case: Case, birth: date | None) -> date | None:
    """The date by which the situation must be gone at the latest (R10, R19): the 25th
    birthday, or its purge date once closed if that comes first. Its data key is bound to this
    date's month (the retention epoch), whose key is destroyed at the next turn of the month."""
    limits = [d for d in (turns_25_on(birth) if birth else None, case.purge_due) if d is not None]
    return min(limits) if limits else None


def rebind(work: Work, case: Case, birth: date | None = None) -> bool:
    """The situation's deadline may have moved (closed, birth date rectified): rewrap its data
    key to the new deadline's epoch, in this transaction. True when the epoch changed."""
    if birth is None:
        birth = identities.read_unit(work.session, work.keys, case.id)[0][1].birth_date
    deadline = gone_by(case, birth)
    return deadline is not None and identities.rebind(work.session, work.keys, case.id, deadline, work.today())


def blind_index(keys: KeyProvider, bits: int, group_id: uuid.UUID) -> BlindIndex:
    return BlindIndex(keys.purpose_key("blind-index"), bits=bits, scope=group_id)


def _check(db: Session, keys: KeyProvider, bits: int, group: WorkingGroup, p: Proposal, today: date, *,
           sees_all: bool) -> uuid.UUID | None:
    """Every rule a proposal must meet, before anything is written; return the open situation
    of the group that holds the same identity, if any (a possible duplicate)."""
    assert p.young.birth_date is not None  # noqa: S101 - the form requires it
    age = age_on(p.young.birth_date, today)
    if age >= 25:
        raise CaseError("À 25 ans ou plus, une situation ne peut pas être suivie (R19).", "birth_date", rule="R19")
    if age < 12 and not p.confirm_under_12:
        raise CaseError("Ce jeune a moins de 12 ans : le programme vise les 12-25 ans. Cochez la case de "
                        "confirmation si le suivi est néanmoins justifié (R19).", "confirm_under_12",
                        rule="R19")
    if age < 18 and not p.representatives:
        raise CaseError("Pour un mineur, indiquez au moins un représentant légal (R19).", "rep1_last_name",
                        rule="R19")
    if group.is_ccop and (p.purpose in lists.THEMATIC_ONLY_PURPOSES
                          or set(p.exposure_factors) & lists.THEMATIC_ONLY_FACTORS):
        raise CaseError("Cette finalité ou ce facteur relève du programme 2, réservé aux groupes thématiques "
                        "(R23).", "purpose", rule="R23")
    # Outside the perimeter only the coordonnateur proposes (decided by ``access``), with a reason.
    if group.is_ccop and not p.inside_perimeter and not p.override_reason:
        raise CaseError("Indiquez le motif de la dérogation au périmètre (R23).", "override_reason", rule="R23")
    if p.note.strip() and not p.note_attested:
        raise CaseError("Cochez l’attestation : la remarque ne contient aucune information couverte par le "
                        "secret professionnel (R5).", "note_attested", rule="R5")
    if p.objective_id is not None:
        _objective(db, group.id, p.objective_id, today)
    found = identities.search(db, keys, blind_index(keys, bits, group.id), group.id, p.young.last_name,
                              p.young.given_names, p.young.birth_date)
    open_cases = list(db.execute(select(Case.id, Case.reference).where(Case.id.in_(found), Case.state.in_(OPEN_STATES))
                                 .order_by(Case.reference))) if found else []
    if open_cases and sees_all:  # who sees every situation of the group may be told
        refs = ", ".join(reference for _, reference in open_cases)
        raise CaseError(f"Une situation ouverte existe déjà pour cette personne dans ce groupe ({refs}) : "
                        "désignez-y les membres concernés plutôt que d’en créer une seconde (R9).", "last_name",
                        rule="R9")
    # A member is told nothing (R4): the proposal is accepted and waits for the coordonnateur.
    return open_cases[0][0] if open_cases else None


def propose(work: Work, group: WorkingGroup, m: Membership, p: Proposal, *, sees_all: bool) -> tuple[Case, bool]:
    """Create the case in one transaction; return (case, created). A repeated submission
    returns the case it created the first time. ``sees_all``: the proposer reaches every
    situation of the group (the decision's scope), so may be told of an open duplicate."""
    db, keys, bits, now = work.session, work.keys, work.settings.blind_index_bits, work.now()
    existing = db.scalar(select(Case).where(Case.submission_id == p.submission_id))
    if existing is not None:
        if existing.group_id != group.id or existing.proposed_by != m.id:
            raise CaseError("Formulaire déjà utilisé : rechargez la page de proposition.")
        return existing, False
    duplicate_of = _check(db, keys, bits, group, p, day(now), sees_all=sees_all)
    db.execute(select(WorkingGroup.id).where(WorkingGroup.id == group.id).with_for_update())  # numbering lock
    year = now.year
    count = db.scalar(select(func.count()).where(Case.group_id == group.id, Case.reference.like(f"S-{year}-%")))
    case = Case(id=uuid.uuid4(), group_id=group.id, reference=f"S-{year}-{(count or 0) + 1:04d}",
                submission_id=p.submission_id, state=CaseState.PROPOSED, purpose=p.purpose,
                referral_origin=p.referral_origin,
                school_situation=p.school_situation, exposure_factors=",".join(sorted(p.exposure_factors)),
                outside_perimeter_reason=None if p.inside_perimeter else p.override_reason,
                proposed_by=m.id, proposed_at=now, duplicate_of=duplicate_of, objective_id=p.objective_id)
    dek = identities.open_unit(db, keys, case.id, now, gone_by(case, p.young.birth_date))
    if p.note.strip():
        case.note_enc = seal_text(dek, p.note.strip(), column=Case.note_enc, row_id=case.id)
    db.add(case)
    db.flush()
    identities.write_identity(db, dek, case.id, "young_person", 0, p.young,
                              index=blind_index(keys, bits, group.id), scope=group.id)
    for position, rep in enumerate(p.representatives, 1):
        identities.write_identity(db, dek, case.id, "representative", position, rep)
    db.add(CaseParticipant(case_id=case.id, membership_id=m.id, reason="proposer", added_by=m.id, added_at=now))
    _history(db, dek, case, "proposal", None, m, now)
    if p.objective_id is not None:
        _history(db, dek, case, "objective", _objective_code(db, p.objective_id), m, now)
    work.audit.record("case.proposed", "case", case.id, group=group.id, purpose=p.purpose,
                      **({"possible_duplicate_of": str(duplicate_of)} if duplicate_of else {}),
                      **({"objective": str(p.objective_id)} if p.objective_id else {}))
    return case, True


def merge_duplicate(work: Work, case: Case, m: Membership) -> Case:
    """Resolve a possible duplicate by naming its proposer on the existing situation (R4, R9);
    the caller then shreds the duplicate proposal. Return the existing situation."""
    db, audit = work.session, work.audit
    existing = _duplicate_target(db, case)
    proposer = db.get_one(Membership, case.proposed_by)
    if proposer.status != MembershipStatus.ACTIVE:
        raise CaseError("Le membre qui a proposé la situation n’est plus actif : déclinez la proposition.", rule="R4")
    if not db.scalar(select(CaseParticipant.id).where(CaseParticipant.case_id == existing.id,
                                                      CaseParticipant.membership_id == proposer.id,
                                                      CaseParticipant.removed_at.is_(None))):
        db.add(CaseParticipant(case_id=existing.id, membership_id=proposer.id, reason="proposer", added_by=m.id,
                               added_at=work.now()))
        audit.record("case.participant_added", "case", existing.id, membership=proposer.id, reason="proposer")
    audit.record("case.duplicate_merged", "case", case.id, into=existing.id)
    case.duplicate_of = None
    return existing


def decline_duplicate(work: Work, case: Case, m: Membership) -> None:
    """Resolve a possible duplicate by not retaining the proposal: it is closed like any
    proposal not retained, so its proposer learns nothing more (R4)."""
    _duplicate_target(work.session, case)
    case.duplicate_of = None
    work.audit.record("case.duplicate_declined", "case", case.id)
    close(work, case, m, reason="not_retained")


def _duplicate_target(db: Session, case: Case) -> Case:
    existing = db.get(Case, case.duplicate_of) if case.duplicate_of and awaits_follow_up(case.state) else None
    if existing is None:
        raise CaseError("Cette proposition n’attend plus de rapprochement.")
    if not is_open(existing.state):
        raise CaseError(f"La situation {existing.reference} est close : déclinez la proposition ou commencez "
                        "son suivi.")
    return existing


def _objective(db: Session, group_id: uuid.UUID, objective_id: uuid.UUID, today: date) -> None:
    """A situation or an action serves one of its group's objectives in force this year (a
    forged id of another group's is refused under R22: ``plans.check_objective``)."""
    plans.check_objective(db, group_id, objective_id, today.year, "objective")


def _objective_code(db: Session, objective_id: uuid.UUID) -> str:
    """The code of the strategy objective a group's objective takes up (what the history keeps)."""
    return db.scalar(select(StrategyObjective.code).join(GroupObjective, GroupObjective.strategy_objective_id
                                                         == StrategyObjective.id)
                     .where(GroupObjective.id == objective_id)) or ""


def _history(db: Session, dek: DataKey, case: Case, field_code: str, value: str | None, m: Membership | None,
             now: datetime) -> None:
    change = CaseChange(id=uuid.uuid4(), case_id=case.id, field=field_code, changed_by=m.id if m else None,
                        changed_at=now)
    if value is not None:
        change.value_enc = seal_text(dek, value, column=CaseChange.value_enc, row_id=change.id)
    db.add(change)


# --- reading ------------------------------------------------------------------------------------


@dataclass
class CaseView:
    """A case decrypted for its page; the sections are read-only rows (attribute access)."""

    case: Case
    young: Identity
    representatives: list[Identity]
    note: str
    participants: list[queries.Member] = field(default_factory=list)
    information: list[queries.Information] = field(default_factory=list)
    actions: list[queries.Action] = field(default_factory=list)
    decisions: list[queries.DecisionRecord] = field(default_factory=list)
    history: list[tuple[queries.Change, str | None, str]] = field(default_factory=list)  # change, value, who
    objective: str | None = None  # the label of the group's objective the situation serves


SECTIONS = ("identity", "participants", "information", "actions", "decisions", "history")

def read(work: Work, case: Case) -> CaseView:
    """Decrypt the case for its page (the caller audits the read with ``audit_read``)."""
    db = work.session
    dek, people = identities.open_unit_identities(db, work.keys, case.id)
    note = open_text(dek, case.note_enc, column=Case.note_enc, row_id=case.id) if case.note_enc else ""
    view = CaseView(case, people[0][1], [p for _, p in people[1:]], note)
    members = queries.members(db, case)
    view.participants = [m for m in members if m.id is not None]
    view.information = queries.information(db, case.id)
    view.actions = queries.actions(db, case.id)
    view.decisions = queries.decisions(db, case.id)
    if case.objective_id is not None:
        chosen, year = db.execute(select(StrategyObjective, GroupObjective.year)
                                  .join(GroupObjective, GroupObjective.strategy_objective_id == StrategyObjective.id)
                                  .where(GroupObjective.id == case.objective_id)).one()
        view.objective = f"{plans.objective_label(chosen)} ({year})"
    who = {m.membership_id: m.label for m in members}
    view.history = [(c, open_text(dek, c.value_enc, column=CaseChange.value_enc, row_id=c.id)
                     if c.value_enc else None, who.get(c.changed_by, "—") if c.changed_by else
                     DPO if c.request_id else "système") for c in queries.changes(db, case.id)]
    return view


def history_labels(db: Session, labels: dict[str, dict[str, str]], view: CaseView) -> dict[str, str]:
    """The labels of the codes the case's history holds from the maintained lists: action
    types and outcomes (``labels``: ``plans.every_label``, retired codes too) and, when the
    history holds an objective, the strategy's objectives (``lists.label``'s ``maintained``)."""
    found = {**labels["action_type"], **labels["action_outcome"]}
    if any(change.field == "objective" for change, _value, _who in view.history):
        found |= {o.code: plans.objective_label(o) for o in plans.strategy_objectives(db)}
    return found | {lists.NO_OBJECTIVE: "aucun"}


def audit_read(audit: Auditor, case: Case, reason: str | None = None) -> None:
    """Record a read of the case page: its sections, and the reason code for an archive (R10)."""
    details = {"sections": ".".join(SECTIONS)} | ({"archive_reason": reason} if reason else {})
    audit.record("case.archive_read" if reason else "case.viewed", "case", case.id, **details)


# --- information of the family (R11) -------------------------------------------------------------


def inform(work: Work, case: Case, m: Membership, *, who: str, informed_on: date | None, means: str | None,
           derogation_reason: str | None, review_date: date | None, approves: bool = False) -> InformationRecord:
    """Record that ``who`` was informed, or a derogation (approved at once when ``approves``:
    recorded by whom the decision lets approve derogations, the coordonnateur)."""
    db, now = work.session, work.now()
    expected = information_targets(db, case)
    if who not in expected:
        raise CaseError("Ce représentant légal n’est pas enregistré pour cette situation.", "who")
    if derogation_reason:
        if review_date is None or review_date <= day(now):
            raise CaseError("Une dérogation est limitée dans le temps : indiquez une date de réexamen future.",
                            "review_date")
    elif informed_on is None or means is None or informed_on > day(now):
        raise CaseError("Indiquez la date (passée) et le moyen de l’information.", "informed_on")
    record = InformationRecord(case_id=case.id, who=who, informed_on=None if derogation_reason else informed_on,
                               means=None if derogation_reason else means, derogation_reason=derogation_reason,
                               review_date=review_date if derogation_reason else None,
                               approved_by=m.id if derogation_reason and approves else None,
                               recorded_by=m.id, recorded_at=now)
    db.add(record)
    _history(db, identities.unit_key(db, work.keys, case.id), case,
             "derogation" if derogation_reason else "information", who, m, now)
    work.audit.record("case.information_recorded", "case", case.id, who=who,
                      kind="derogation" if derogation_reason else "informed")
    return record


def approve_derogation(work: Work, case: Case, record_id: uuid.UUID, m: Membership) -> None:
    record = work.session.get(InformationRecord, record_id)
    if record is None or record.case_id != case.id or record.derogation_reason is None:
        raise CaseError("Dérogation introuvable pour cette situation.")
    record.approved_by = m.id
    work.audit.record("case.derogation_approved", "case", case.id, record=record.id)


def information_targets(db: Session, case: Case) -> list[str]:
    reps = db.scalar(select(func.count()).where(IdentityRecord.unit_id == case.id,
                                                IdentityRecord.role == "representative")) or 0
    return _targets(reps)


def _targets(representatives: int) -> list[str]:
    return ["young_person"] + [f"representative_{i}" for i in range(1, representatives + 1)]


def missing_information(db: Session, case: Case, today: date) -> list[str]:
    """Persons not yet informed and without a valid approved derogation (R11)."""
    return _missing(queries.information(db, case.id), information_targets(db, case), today)


def missing_from(view: CaseView, today: date) -> list[str]:
    """``missing_information`` for a case already read (no query)."""
    return _missing(view.information, _targets(len(view.representatives)), today)


def _missing(records: Iterable[Any], targets: list[str], today: date) -> list[str]:
    done = set()
    for r in records:
        valid_derogation = r.derogation_reason and r.approved_by and r.review_date and r.review_date >= today
        if r.informed_on or valid_derogation:
            done.add(r.who)
    return [who for who in targets if who not in done]


# --- follow-up ------------------------------------------------------------------------------------


def follow(work: Work, case: Case, m: Membership) -> None:
    """Start the follow-up; ``access`` decided that the family was informed (R11)."""
    if not can_move(case.state, CaseState.FOLLOWED):
        raise CaseError("Cette situation est déjà suivie.")
    case.state, case.followed_at = CaseState.FOLLOWED, work.now()
    _history(work.session, identities.unit_key(work.session, work.keys, case.id), case, "state", "followed", m,
             work.now())
    work.audit.record("case.followed", "case", case.id)


def add_participant(work: Work, case: Case, target: Membership, reason: str, m: Membership) -> None:
    db = work.session
    if target.group_id != case.group_id or target.status != MembershipStatus.ACTIVE:
        raise CaseError("Seul un membre actif de ce groupe peut être désigné pour la situation (R4).", "membership",
                        rule="R4")
    if db.scalar(select(CaseParticipant.id).where(CaseParticipant.case_id == case.id,
                                                  CaseParticipant.membership_id == target.id,
                                                  CaseParticipant.removed_at.is_(None))):
        raise CaseError("Ce membre est déjà désigné pour la situation.", "membership")
    db.add(CaseParticipant(case_id=case.id, membership_id=target.id, reason=reason, added_by=m.id,
                           added_at=work.now()))
    work.audit.record("case.participant_added", "case", case.id, membership=target.id, reason=reason)


def remove_participant(work: Work, case: Case, participant_id: uuid.UUID, reason: str) -> None:
    row = work.session.get(CaseParticipant, participant_id)
    if row is None or row.case_id != case.id or row.removed_at is not None:
        raise CaseError("Participant introuvable pour cette situation.")
    row.removed_at, row.removed_reason = work.now(), reason
    work.audit.record("case.participant_removed", "case", case.id, membership=row.membership_id, reason=reason)


def add_action(work: Work, case: Case, m: Membership, *, action_type: str, start: date, end: date | None,
               outcome: str, fipd_action_id: uuid.UUID | None = None,
               objective_id: uuid.UUID | None = None) -> CaseAction:
    """Record an action; funded by one of the council's FIPD actions in force, serving one of the
    group's objectives of the year, when given (another council's or group's id: R22)."""
    db, now = work.session, work.now()
    if action_type not in plans.labels(db, "action_type", retired=False):
        raise CaseError("Type d’action : choix inconnu ou retiré de la liste.", "action_type")
    if outcome not in plans.labels(db, "action_outcome", retired=False):
        raise CaseError("Résultat : choix inconnu ou retiré de la liste.", "outcome")
    if end is not None and end < start:
        raise CaseError("La fin de l’action précède son début.", "end_date")
    if outcome != ONGOING and (end is None or end > day(now)):
        raise CaseError("Fin : une action terminée a une date de fin, passée ou du jour ; une action qui se "
                        "poursuit a le résultat « En cours ».", "end_date")
    if fipd_action_id is not None:
        plans.check_fipd_action(db, db.get_one(WorkingGroup, case.group_id).council_id, fipd_action_id, "fipd_action")
    if objective_id is not None:
        _objective(db, case.group_id, objective_id, day(now))
    action = CaseAction(case_id=case.id, action_type=action_type, start_date=start, end_date=end, outcome=outcome,
                        fipd_action_id=fipd_action_id, objective_id=objective_id, recorded_by=m.id, recorded_at=now)
    db.add(action)
    _history(db, identities.unit_key(db, work.keys, case.id), case, "action", action_type, m, now)
    links = {"fipd_action": fipd_action_id, "objective": objective_id}
    work.audit.record("case.action_added", "case", case.id, action_type=action_type, result=outcome,
                      **{name: str(value) for name, value in links.items() if value is not None})
    return action


def action_of(db: Session, case: Case, action_id: uuid.UUID) -> CaseAction:
    """One of the situation's actions; LookupError for any other id (another situation's too)."""
    action = db.scalar(select(CaseAction).where(CaseAction.id == action_id, CaseAction.case_id == case.id))
    if action is None:
        raise LookupError(action_id)
    return action


def end_action(work: Work, case: Case, action_id: uuid.UUID, m: Membership, *, end: date, outcome: str) -> None:
    """Record how an action still running ended: its last day and its outcome (R5: a code of
    the list, never a narrative). An action of another situation is not found (LookupError)."""
    db, now = work.session, work.now()
    action = action_of(db, case, action_id)
    if action.outcome != ONGOING:
        raise CaseError("Cette action est déjà terminée : son résultat ne change plus.", "outcome")
    if outcome == ONGOING or outcome not in plans.labels(db, "action_outcome", retired=False):
        raise CaseError("Résultat : choisissez comment l’action s’est terminée.", "outcome")
    if end < action.start_date:
        raise CaseError("La fin de l’action précède son début.", "end_date")
    if end > day(now):
        raise CaseError("La fin est à venir : enregistrez-la une fois l’action terminée.", "end_date")
    action.end_date, action.outcome = end, outcome
    _history(db, identities.unit_key(db, work.keys, case.id), case, "action_ended", outcome, m, now)
    work.audit.record("case.action_ended", "case", case.id, action_id=str(action.id), result=outcome)


def set_objective(work: Work, case: Case, m: Membership, objective_id: uuid.UUID | None) -> None:
    """Link the situation to one of its group's objectives of the year, or to none."""
    db, now = work.session, work.now()
    if objective_id == case.objective_id:
        raise CaseError("Objectif du groupe : c’est déjà celui de la situation, rien n’a été modifié.", "objective")
    if objective_id is not None:
        _objective(db, case.group_id, objective_id, day(now))
    case.objective_id = objective_id
    value = _objective_code(db, objective_id) if objective_id is not None else lists.NO_OBJECTIVE
    _history(db, identities.unit_key(db, work.keys, case.id), case, "objective", value, m, now)
    work.audit.record("case.objective_set", "case", case.id, objective=objective_id or lists.NO_OBJECTIVE)


def record_decision(work: Work, case: Case, m: Membership, *, decision: str, next_review: date | None,
                    meeting_id: uuid.UUID | None) -> None:
    db, now = work.session, work.now()
    if next_review is not None and next_review < day(now):
        raise CaseError("La date de réexamen est passée.", "next_review")
    db.add(CaseDecision(case_id=case.id, meeting_id=meeting_id, decision=decision, next_review=next_review,
                        recorded_by=m.id, recorded_at=now))
    case.next_review = next_review
    _history(db, identities.unit_key(db, work.keys, case.id), case, "decision", decision, m, now)
    work.audit.record("case.decision_recorded", "case", case.id, decision=decision)


def close(work: Work, case: Case, m: Membership, *, reason: str) -> None:
    """Close the follow-up; the purge date starts running (R10)."""
    db, now = work.session, work.now()
    if not can_move(case.state, CaseState.CLOSED):
        raise CaseError("Cette situation est déjà close.")
    if reason not in plans.labels(db, "closing_reason", retired=False):
        raise CaseError("Motif de clôture : choix inconnu ou retiré de la liste.", "reason")
    case.state, case.closed_at, case.closing_reason = CaseState.CLOSED, now, reason
    case.purge_due = day(now) + timedelta(days=work.settings.purge_after_days)
    rebind(work, case)
    _history(db, identities.unit_key(db, work.keys, case.id), case, "state", "closed", m, now)
    work.audit.record("case.closed", "case", case.id, reason=reason)


def erase(work: Work, case: Case, reason: str) -> None:
    """Delete every row about the case and leave a tombstone of its reference (part of the
    purge: ``retention.purge`` also shreds its data key and takes it off the agendas)."""
    db = work.session
    for model in (CaseChange, CaseDecision, CaseAction, InformationRecord, CaseParticipant):
        db.execute(delete(model).where(model.case_id == case.id))
    # The tombstone keeps the reference (a link answers 410), the group, the purge's date and
    # reason: nothing that, joined to the reports' counters, would rebuild the situation's story.
    now = work.now()
    db.execute(update(Case).where(Case.id == case.id).values(
        state=CaseState.PURGED, purged_at=now, purge_reason=reason, note_enc=None, exposure_factors="",
        next_review=None, outside_perimeter_reason=None, purpose="", referral_origin="", school_situation="",
        proposed_at=now, followed_at=None, closed_at=None, closing_reason=None, purge_due=None, objective_id=None,
        duplicate_of=None))


def find(work: Work, group: WorkingGroup, last_name: str, given_names: str, birth: date) -> list[queries.FoundCase]:
    """Id and reference of the group's cases holding exactly this identity (spelling
    variants included)."""
    db, keys = work.session, work.keys
    found = identities.search(db, keys, blind_index(keys, work.settings.blind_index_bits, group.id), group.id,
                              last_name, given_names, birth)
    return queries.found(db, found)


# --- lists ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """A case list's filters: codes of the closed lists and ids, as the query string gives them
    (the view has checked each one); empty or False: no filter."""

    state: str = ""
    overdue: bool = False  # an open situation whose next review date has passed
    purpose: str = ""
    participant: uuid.UUID | None = None  # a membership named on the situation
    origin: str = ""
    fipd: bool = False  # holds an action funded by the FIPD
    to_do: str = ""  # a code of ``lists.TO_DO``


ONGOING = plans.ONGOING  # the outcome of an action still running (a code no one can retire)


def _open() -> Any:
    return Case.state.in_(OPEN_STATES)


def _named(membership_id: Any) -> Any:
    return exists().where(CaseParticipant.case_id == Case.id, CaseParticipant.membership_id == membership_id,
                          CaseParticipant.removed_at.is_(None))


def _covered(who: Any, today: date) -> Any:
    """``who`` of the situation was informed, or is under an approved derogation still running
    (what ``missing_information`` reads, in SQL)."""
    r = aliased(InformationRecord)
    return exists().where(r.case_id == Case.id, r.who == who,
                          r.informed_on.is_not(None) | (r.derogation_reason.is_not(None) & r.approved_by.is_not(None)
                                                        & (r.review_date >= today))).correlate_except(r)


def _to_do(code: str, today: date) -> Any:
    if code == "reexamen":  # a review due today or overdue (the reminders' count)
        return _open() & (Case.next_review <= today)
    if code == "action":  # due or overdue, whoever recorded it: the situation's participants follow it up
        return _open() & exists().where(CaseAction.case_id == Case.id, CaseAction.outcome == ONGOING,
                                                 CaseAction.end_date <= today)
    if code == "information":  # the persons to inform are the identities of the unit (R11)
        who = when((IdentityRecord.position == 0, "young_person"),
                   else_=literal("representative_") + cast(IdentityRecord.position, String))
        return (Case.state == CaseState.PROPOSED) & exists().where(IdentityRecord.unit_id == Case.id,
                                                                   ~_covered(who, today))
    derogation = InformationRecord.derogation_reason.is_not(None)
    if code == "derogation":
        return _open() & exists().where(InformationRecord.case_id == Case.id, derogation,
                                                 InformationRecord.approved_by.is_(None),
                                                 ~_covered(InformationRecord.who, today))
    if code == "derogation_echue":
        return _open() & exists().where(InformationRecord.case_id == Case.id, derogation,
                                                 InformationRecord.approved_by.is_not(None),
                                                 InformationRecord.review_date < today,
                                                 ~_covered(InformationRecord.who, today))
    if code == "doublon":
        return (Case.state == CaseState.PROPOSED) & Case.duplicate_of.is_not(None)
    raise ValueError(f"unknown list filter {code!r}")


def _where(group_id: uuid.UUID, named: uuid.UUID | None, f: Filters, today: date) -> list[Any]:
    """The conditions of a list: the group's situations (only those ``named`` is named on,
    when given: a member's need-to-know, R4), then each filter."""
    state = f.state  # a code chosen from lists.STATES (a purged one is a tombstone, shown only if chosen)
    where = [Case.group_id == group_id, Case.state == state if state else Case.state != CaseState.PURGED]
    if named is not None:
        where.append(_named(named))
    if f.overdue:
        where += [_open(), Case.next_review < today]
    if f.purpose:
        where.append(Case.purpose == f.purpose)
    if f.participant is not None:
        where.append(_named(f.participant))
    if f.origin:
        where.append(Case.referral_origin == f.origin)
    if f.fipd:
        where.append(exists().where(CaseAction.case_id == Case.id, CaseAction.fipd_action_id.is_not(None)))
    if f.to_do:
        where.append(_to_do(f.to_do, today))
    return where


_LAST_CHANGE = (select(func.max(CaseChange.changed_at)).where(CaseChange.case_id == Case.id)
                .correlate(Case).scalar_subquery())
# A closed or archived situation has no next review (R10): it sorts, and shows, as none.
_NEXT_REVIEW = when((Case.state.in_(OPEN_STATES), Case.next_review), else_=None)
_STATE_ORDER = when({state: rank for rank, state in enumerate(CaseState)}, value=Case.state)
SORTS: dict[str, tuple[Any, ...]] = {
    "modification": (_LAST_CHANGE.desc().nulls_last(), Case.reference),
    "reference": (Case.reference,),
    "etat": (_STATE_ORDER, Case.reference),
    "reexamen": (_NEXT_REVIEW.asc().nulls_last(), Case.reference),
}


def listing(db: Session, group_id: uuid.UUID, named: uuid.UUID | None, filters: Filters, *, sort: str,
            page: int, today: date) -> tuple[list[Any], int]:
    """One page of a group's situations (rows: id, reference, state, proposed_at, next_review,
    duplicate_of, last_change), sorted by a key of ``SORTS``, and the number of pages. Whose
    situations: the view decides (``named``: the member's own; None: the coordonnateur's all)."""
    where = _where(group_id, named, filters, today)
    total = db.scalar(select(func.count()).select_from(Case).where(*where)) or 0
    query = (select(Case.id, Case.reference, Case.state, Case.proposed_at, _NEXT_REVIEW.label("next_review"),
                    Case.duplicate_of, _LAST_CHANGE.label("last_change"))
             .where(*where).order_by(*SORTS[sort]).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE))
    return list(db.execute(query)), max(1, -(-total // PAGE_SIZE))


def count(db: Session, group_id: uuid.UUID, named: uuid.UUID | None, filters: Filters, today: date) -> int:
    """How many situations ``listing`` holds with these filters (the home's counts: each one
    opens the list it counts)."""
    return db.scalar(select(func.count()).select_from(Case).where(*_where(group_id, named, filters, today))) or 0


def count_in_group(db: Session, group_id: uuid.UUID) -> int:
    """How many situations the group holds, in any state (what a dissolution ends)."""
    return db.scalar(select(func.count()).select_from(Case).where(Case.group_id == group_id)) or 0
