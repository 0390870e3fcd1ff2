"""The person's own record (R12, GDPR art. 15): what the council's live situations linked to an
access request hold about the young person, the one nominative export the rules allow (R8).
Flask-free: the view renders the record in memory, never on disk, and ``downloaded`` marks it
sent and audits its hash, never its content.

The record holds the identity of the young person and of the legal representatives, the
closed-list facts in French, the information of the family, the actions and decisions, the
participants' institutions and the history of changes; who did what is an institution, the
system or the DPO, never a staff member's name (the staff's names are not the person's data,
and R8 keeps them off any export).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from ccop_cases.cases import lists, queries
from ccop_cases.cases import services as cases
from ccop_cases.cases.models import Case
from ccop_cases.charter.models import INSTITUTIONS, Council, WorkingGroup
from ccop_cases.clock import PARIS
from ccop_cases.identities.services import Identity
from ccop_cases.plans import services as plans
from ccop_cases.rights.lists import KINDS, may_answer
from ccop_cases.rights.models import RightsRequest
from ccop_cases.rights.services import RightsError
from ccop_cases.work import Work

SYSTEM = "système"
DPO = "délégué à la protection des données"
NONE = "—"
CASES_PER_ENTRY = 15  # an audit entry holds at most 16 details: the hash and 15 situations' ids


class AlreadyDownloaded(RightsError):
    """The record of this request already left the server: it leaves once (the view answers 409)."""


@dataclass(frozen=True)
class Fact:
    label: str
    value: str


@dataclass(frozen=True)
class Action:
    kind: str
    start: str
    end: str
    outcome: str
    objective: str
    funding: str
    by: str  # an institution


@dataclass(frozen=True)
class Decision:
    on: str
    decision: str
    next_review: str
    taken: str  # in a session of the group, or outside
    by: str


@dataclass(frozen=True)
class Change:
    at: str
    field: str
    value: str
    by: str  # an institution, « système » or the DPO


@dataclass(frozen=True)
class Situation:
    reference: str
    group: str
    young: list[Fact]
    representatives: list[list[Fact]]
    facts: list[Fact]
    institutions: list[Fact]  # institution, why it takes part
    information: list[Fact]  # who, how (or the derogation)
    actions: list[Action]
    decisions: list[Decision]
    history: list[Change]


@dataclass(frozen=True)
class Record:
    council: str
    reference: str
    kind: str
    received_on: str
    generated_at: str
    situations: list[Situation]


def check(request: RightsRequest, linked: list[Case]) -> None:
    """Whether the record of ``request`` may leave now: an access request in progress, with a
    live situation linked, whose record has not left yet (RightsError, in French, otherwise)."""
    if request.record_downloaded_at is not None:
        raise AlreadyDownloaded("Le dossier de cette demande a déjà été téléchargé : il ne quitte le serveur "
                                "qu’une fois. Transmettez à la personne le fichier déjà téléchargé.")
    if request.kind != "access":
        raise RightsError("Le dossier de la personne se communique en réponse à une demande d’accès (art. 15) "
                          "seulement.")
    if not may_answer(request.state, "record_sent"):
        raise RightsError("Le dossier se télécharge pour une demande en cours : identité du demandeur vérifiée, "
                          "situations liées, réponse non encore enregistrée.")
    if not linked:
        raise RightsError("Aucune situation conservée n’est liée à cette demande : liez-la d’abord, ou répondez "
                          "« aucune donnée détenue ».")


def assemble(work: Work, request: RightsRequest, linked: list[Case]) -> Record:
    """The person's record from every live situation linked to the request (decrypted in memory)."""
    db = work.session
    council = db.get_one(Council, request.council_id)
    labels = plans.every_label(db)
    return Record(council.name, request.reference, KINDS[request.kind], _on(request.received_on),
                  _at(work.now()), [_situation(work, case, labels) for case in linked])


def downloaded(work: Work, request: RightsRequest, linked: list[Case], body: bytes) -> str:
    """Mark the record sent and audit it with the situations' ids and the file's SHA-256 (never
    its content); return the hash. An audit value is one id (no list): the ids go one per key,
    ``case_1``…, in as many entries as they need (each with the hash)."""
    digest = hashlib.sha256(body).hexdigest()
    request.record_downloaded_at = work.now()
    for start in range(0, len(linked), CASES_PER_ENTRY):
        part = linked[start:start + CASES_PER_ENTRY]
        ids: dict[str, Any] = {f"case_{start + n}": case.id for n, case in enumerate(part, 1)}
        work.audit.record("rights.record_downloaded", "rights_request", request.id, sha256=digest, **ids)
    return digest


# --- one situation ---------------------------------------------------------------------------------


def _situation(work: Work, case: Case, labels: dict[str, dict[str, str]]) -> Situation:
    db = work.session
    view = cases.read(work, case)
    # Every member the group ever had, by membership: who recorded or changed something.
    institution = {m.membership_id: INSTITUTIONS.get(m.institution, m.institution)
                   for m in queries.members(db, case)}
    group = db.scalar(select(WorkingGroup.name).where(WorkingGroup.id == case.group_id)) or ""
    shown = cases.history_labels(db, labels, view)
    return Situation(
        case.reference, group, _identity(view.young), [_identity(rep) for rep in view.representatives],
        _facts(case, view, labels),
        sorted({Fact(institution[p.membership_id], lists.PARTICIPANT_REASONS.get(p.reason or "", ""))
                for p in view.participants}, key=lambda f: (f.label, f.value)),
        [_information(r) for r in view.information],
        [Action(labels["action_type"].get(a.action_type, a.action_type), _on(a.start_date), _on(a.end_date),
                labels["action_outcome"].get(a.outcome, a.outcome),
                f"{a.objective_programme} — {a.objective_label}" if a.objective_label else NONE,
                f"FIPD {a.fipd_reference} — {a.fipd_title}" if a.fipd_action_id else NONE,
                institution.get(a.recorded_by, NONE)) for a in view.actions],
        [Decision(_at(d.recorded_at, "%d/%m/%Y"), lists.DECISIONS.get(d.decision, d.decision), _on(d.next_review),
                  "en séance du groupe" if d.meeting_id else "hors séance", institution.get(d.recorded_by, NONE))
         for d in view.decisions],
        [Change(_at(c.changed_at), lists.label(c.field), lists.label(value, shown) if value else NONE,
                institution.get(c.changed_by, NONE) if c.changed_by else DPO if c.request_id else SYSTEM)
         for c, value, _name in view.history])  # the page's author label names staff: never used here


def _identity(person: Identity) -> list[Fact]:
    return [Fact("Nom", person.last_name), Fact("Prénoms", person.given_names),
            Fact("Date de naissance", _on(person.birth_date)),
            Fact("Sexe", lists.SEXES.get(person.sex or "", NONE)), Fact("Adresse", person.address or NONE),
            Fact("Téléphone", person.phone or NONE), Fact("Courriel", person.email or NONE)]


def _facts(case: Case, view: cases.CaseView, labels: dict[str, dict[str, str]]) -> list[Fact]:
    facts = [Fact("État de la situation", lists.STATES.get(case.state, case.state)),
             Fact("Proposée le", _at(case.proposed_at, "%d/%m/%Y")),
             Fact("Finalité", lists.PURPOSES.get(case.purpose, case.purpose)),
             Fact("Origine du signalement", lists.REFERRAL_ORIGINS.get(case.referral_origin, case.referral_origin)),
             Fact("Scolarité, emploi", lists.SCHOOL_SITUATIONS.get(case.school_situation, case.school_situation)),
             Fact("Facteurs d’exposition", ", ".join(lists.EXPOSURE_FACTORS.get(c, c) for c in case.factor_codes)
                  or NONE),
             Fact("Objectif du groupe", view.objective or NONE),
             Fact("Point d’attention", view.note or NONE)]
    if case.outside_perimeter_reason:
        facts.append(Fact("Hors périmètre", lists.PERIMETER_OVERRIDES.get(case.outside_perimeter_reason,
                                                                           case.outside_perimeter_reason)))
    if case.followed_at:
        facts.append(Fact("Suivi depuis le", _at(case.followed_at, "%d/%m/%Y")))
    if case.next_review:
        facts.append(Fact("Prochain réexamen", _on(case.next_review)))
    if case.closed_at:
        reason = labels["closing_reason"].get(case.closing_reason or "", case.closing_reason or "")
        facts.append(Fact("Clôturée le", f"{_at(case.closed_at, '%d/%m/%Y')} — {reason}"))
    if case.purge_due:
        facts.append(Fact("Effacement prévu le", _on(case.purge_due)))
    return facts


def _information(r: queries.Information) -> Fact:
    who = lists.INFORMED_WHO.get(r.who, r.who)
    if r.derogation_reason:
        approved = "approuvée" if r.approved_by else "en attente d’approbation"
        return Fact(who, f"dérogation à l’information — {lists.DEROGATION_REASONS.get(r.derogation_reason, '')}, "
                         f"réexamen le {_on(r.review_date)} ({approved})")
    return Fact(who, f"informé le {_on(r.informed_on)} ({lists.INFORMATION_MEANS.get(r.means or '', NONE)})")


def _on(day: date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else NONE


def _at(moment: datetime, pattern: str = "%d/%m/%Y à %H:%M") -> str:
    """A stored moment in Paris time (the service's calendar)."""
    return moment.astimezone(PARIS).strftime(pattern)
