"""The one decision function: ``decide(standing, action, now) -> Decision``.

Pure: it reads only the ``Standing`` it is given (what the database says about one person
and one object, read by ``access.standing``) and the clock's ``now``; no session, no I/O.
Rules are checked in a fixed order and a refusal names its rule (see docs/rules.md),
says what to do and, with ``hide``, asks the caller to answer 404 so that an object out of
reach is not revealed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from ccop_cases.access.standing import Standing
from ccop_cases.cases.models import CaseState, is_open
from ccop_cases.charter.models import GroupStatus, MembershipStatus, Role
from ccop_cases.clock import day


class Scope(StrEnum):
    """Which of a group's situations an allowed exchange reaches (R4)."""

    OWN = "own"  # those the member is named on
    ALL = "all"  # every situation of the group: the coordonnateur


@dataclass(frozen=True)
class Decision:
    allowed: bool
    rule: str | None = None
    message: str = ""
    remedy: str | None = None  # endpoint where the person can act on the refusal
    hide: bool = False  # answer 404: do not reveal that the object exists
    gone: bool = False  # answer 410: the object existed and was purged (R10)
    scope: Scope | None = None  # on an allowed group or case action

    def __bool__(self) -> bool:
        return self.allowed


ALLOW = Decision(True)

# Platform duties: never a way to case content (R17).
DUTIES = {
    "console.manage": ("charter_admin", "Réservé à l’administrateur de la charte (président ou "
                                        "personne qu’il a désignée)."),
    "oversight.read": ("dpo", "Réservé au délégué à la protection des données et aux organismes "
                              "de contrôle."),
    "oversight.trail": ("dpo", "Réservé au délégué à la protection des données et aux organismes "
                                "de contrôle."),
}
# group.view: see one's membership and the texts to sign; group.sign: sign them;
# group.exchange: any nominative case data of the group (the full rule chain): propose,
# search, list one's cases; group.propose_outside: propose outside the perimeter (R23);
# group.coordinate: sessions, every case of the group, as coordonnateur.
GROUP_ACTIONS = ("group.view", "group.sign", "group.exchange", "group.propose_outside", "group.coordinate")
# case.view: read an open case; case.read_archive: read a closed one with a reason code
# (R10); case.edit, case.inform, case.act: change it as a participant; case.manage:
# participants, derogations, duplicates and closing; case.follow: start the follow-up
# (coordonnateur, once the family is informed: R11).
CASE_ACTIONS = ("case.view", "case.read_archive", "case.edit", "case.inform", "case.act", "case.manage",
                "case.follow")
# Console acts decided on their target: the president never designates themself
# coordonnateur (R17: the coordonnateur reaches every situation).
COUNCIL_ACTIONS = ("console.designate",)
# report.group: a group's aggregate reports (annual report R16, objectives, FIPD evaluation):
# the administrator presiding the group's council, or the group's coordonnateur.
REPORT_ACTIONS = ("report.group",)
# The persons' rights (R12), decided on a council: rights.manage, its register of requests and
# their instruction, by the council's DPO; rights.record, the person's own record, by the same
# DPO after a code entered again. rights.group: the requests about a group's situations, for
# its coordonnateur (decided on the group). case.rectify (a case action): a correction linked
# to a rectification request in progress, by the coordonnateur.
RIGHTS_ACTIONS = ("rights.manage", "rights.record")
ACTIONS = (*DUTIES, *GROUP_ACTIONS, *CASE_ACTIONS, "case.rectify", *COUNCIL_ACTIONS, *REPORT_ACTIONS,
           *RIGHTS_ACTIONS, "rights.group")
# What a restriction at the person's request freezes (R12, GDPR art. 18): every change.
CASE_WRITES = ("case.edit", "case.inform", "case.act", "case.manage", "case.follow")

SIGN_IN = Decision(False, "R21", "Connexion avec double authentification requise.", remedy="accounts.login")
COORDINATOR_ONLY = Decision(False, "R4", "Réservé au coordonnateur du groupe.")
HIDDEN = Decision(False, "R4", "Ce groupe n’existe pas ou vous n’y êtes pas désigné.", hide=True)
CASE_HIDDEN = Decision(False, "R4", "Cette situation n’existe pas ou vous n’y êtes pas désigné.", hide=True)
OTHER_COUNCIL = Decision(False, "R17", "Ce conseil relève d’un autre président.", hide=True)  # R22
FRESH_CODE = Decision(False, "R21", "Ressaisissez un code de double authentification avant de consulter le journal.",
                      remedy="accounts.reauth")
OUTSIDE_PERIMETER = Decision(False, "R23", "Hors du périmètre du groupe, seul le coordonnateur peut proposer la "
                                           "situation, avec un motif (R23).")
NOT_COUNCIL_DPO = Decision(False, "R12", "Ce conseil a désigné un autre délégué à la protection des données.",
                          hide=True)  # R22: another council's register is not revealed
RECORD_CODE = Decision(False, "R21", "Ressaisissez un code de double authentification avant de télécharger le "
                                     "dossier de la personne.", remedy="accounts.reauth")
RESTRICTED = Decision(False, "R12", "Traitement limité à la demande de la personne (R12) : la situation se consulte "
                                    "mais ne se modifie pas tant que le délégué à la protection des données n’a pas "
                                    "levé la limitation.")
NO_RECTIFICATION = Decision(False, "R12", "Une rectification se fait à la demande de la personne : elle demande une "
                                          "demande de rectification en cours, enregistrée par le délégué à la "
                                          "protection des données, qui la confie au coordonnateur (R12).")
SELF_COORDINATOR = Decision(False, "R17", "Le président ne se désigne pas lui-même coordonnateur : le coordonnateur "
                                          "a accès à toutes les situations du groupe (R17).")


def decide(standing: Standing, action: str, now: datetime) -> Decision:
    """Allow or deny ``action`` for the person and object ``standing`` describes."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")  # default deny, loudly
    if not standing.signed_in:
        return SIGN_IN
    if action in DUTIES:
        return _duty(standing, action)
    if action in COUNCIL_ACTIONS:
        if not standing.charter_admin or standing.presides is False:
            return _duty(standing, "console.manage")
        return SELF_COORDINATOR if standing.designates_self_coordinator else ALLOW
    if action in GROUP_ACTIONS:
        return _group(standing, action, now)
    if action in REPORT_ACTIONS:
        if standing.charter_admin and standing.presides:
            return ALLOW
        return _group(standing, "group.coordinate", now)
    if action in RIGHTS_ACTIONS:
        return _rights(standing, action)
    if action == "rights.group":
        return _group(standing, "group.coordinate", now)
    return _case(standing, action, now)


def _rights(standing: Standing, action: str) -> Decision:
    """The council's DPO (R12); a code entered again before the person's record leaves (R21)."""
    if not standing.dpo:
        return _duty(standing, "oversight.read")
    if not standing.council_dpo:
        return NOT_COUNCIL_DPO
    if action == "rights.record" and not standing.fresh_code:
        return RECORD_CODE
    return ALLOW


def _duty(standing: Standing, action: str) -> Decision:
    flag, message = DUTIES[action]
    if not getattr(standing, flag):
        return Decision(False, "R17", message)
    if standing.presides is False:
        return OTHER_COUNCIL
    if action == "oversight.trail" and not standing.fresh_code:
        return FRESH_CODE
    return ALLOW


def _group(s: Standing, action: str, now: datetime) -> Decision:
    if not s.found or s.membership is None:
        return HIDDEN  # R4, R22: another group's existence is not revealed
    if action == "group.view":
        return ALLOW
    checks = (_constituted, _membership_active) if action != "group.sign" else (_membership_active,)
    for check in checks:
        decision = check(s, now)
        if not decision:
            return decision
    if action == "group.sign":
        return ALLOW if s.group_status != GroupStatus.DISSOLVED else _constituted(s, now)
    if s.unsigned is not None:
        return _unsigned(s.unsigned)
    coordinator = s.membership.role == Role.COORDONNATEUR
    if action == "group.coordinate" and not coordinator:
        return COORDINATOR_ONLY
    if action == "group.propose_outside" and not coordinator:
        return OUTSIDE_PERIMETER
    return replace(ALLOW, scope=Scope.ALL if coordinator else Scope.OWN)


def _constituted(s: Standing, _now: datetime) -> Decision:
    if s.group_status == GroupStatus.CONSTITUTED:
        return ALLOW
    states: dict[str | None, str] = {GroupStatus.DRAFT: "n’est pas (encore) constitué",
                                     GroupStatus.SUSPENDED: "est suspendu", GroupStatus.DISSOLVED: "est dissous"}
    state = states[s.group_status]
    return Decision(False, "R1", f"Échange impossible : ce groupe {state} comme groupe de travail "
                                 "du CLSPD/CISPD (art. L132-5 CSI). Adressez-vous au président du groupe.")


def _membership_active(s: Standing, now: datetime) -> Decision:
    m, today = s.membership, day(now)
    assert m is not None  # noqa: S101 - checked by the caller
    if m.status == MembershipStatus.EXCLUDED:
        return Decision(False, "R15", "Vous avez été exclu des travaux de ce groupe. Seule une nouvelle "
                                      "désignation par votre institution permet d’y revenir.")
    if m.status == MembershipStatus.SUSPENDED:
        return Decision(False, "R15", "Votre participation à ce groupe est suspendue. "
                                      "Adressez-vous au président du groupe.")
    if m.start_date > today:
        return Decision(False, "R4", f"Votre désignation prend effet le {m.start_date:%d/%m/%Y}.")
    if m.end_date is not None and m.end_date < today:
        return Decision(False, "R4", f"Votre désignation a pris fin le {m.end_date:%d/%m/%Y}. "
                                     "Demandez à votre institution de la renouveler.")
    return ALLOW


def _unsigned(text: tuple[str, int]) -> Decision:
    """The refusal naming the first text the member has not signed (charter first: R3, then R2)."""
    kind, version = text
    if kind == "charter":
        return Decision(False, "R3", f"Vous devez signer la charte déontologique en vigueur "
                                     f"(version {version}) avant tout échange.", remedy="charter.sign")
    return Decision(False, "R2", f"Vous devez prendre connaissance du règlement intérieur en vigueur "
                                 f"(version {version}) avant tout échange.", remedy="charter.sign")


def _case(s: Standing, action: str, now: datetime) -> Decision:
    coordinator = s.membership is not None and s.membership.role == Role.COORDONNATEUR
    # Out of reach first: whoever is neither a participant nor the coordonnateur learns
    # nothing, not even through which group rule would refuse them (R4, R22).
    if not s.found or s.membership is None or not (coordinator or s.participant):
        return CASE_HIDDEN
    decision = _group(s, "group.exchange", now)
    if not decision:
        return decision
    if s.case_state == CaseState.PURGED:
        return Decision(False, "R10", "Cette situation a été effacée à l’issue de sa durée de conservation.",
                        gone=True)
    if not is_open(s.case_state or ""):
        if action == "case.read_archive":
            return decision
        return Decision(False, "R10", "Situation clôturée : sa consultation demande un motif, et elle ne "
                                      "se modifie plus.", remedy="cases.archive_read")
    if action in ("case.manage", "case.follow", "case.rectify") and not coordinator:
        return COORDINATOR_ONLY
    if action == "case.rectify":  # the correction a restriction may be waiting for (art. 18(1)(a))
        return decision if s.rectification_open else NO_RECTIFICATION
    if s.restricted and action in CASE_WRITES:
        return RESTRICTED
    if action == "case.follow" and s.missing_information:
        names = ", ".join(s.missing_information)
        return Decision(False, "R11", f"Le suivi ne peut commencer qu’après l’information de la famille ou une "
                                      f"dérogation approuvée (R11) : manque {names}.")
    return decision
