"""The three reports, as raw counts (``reports.suppression`` publishes them): the evaluation
of the council's actions funded by the FIPD, the charter's annual report (R16) and the
group's objectives. Every count about situations comes from ``reports.tally`` (the live
situations' facts plus the counters of the purged ones); the definitions are in
docs/reports.md, « Définitions des indicateurs »."""

from __future__ import annotations

import calendar
import uuid
from collections.abc import Iterable
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ccop_cases.auditing.catalogue import RULES
from ccop_cases.cases.lists import PURPOSES
from ccop_cases.charter.models import INSTITUTIONS, Council, WorkingGroup
from ccop_cases.clock import day
from ccop_cases.plans.indicators import INDICATORS, PROGRAMMES
from ccop_cases.plans.models import FipdAction, GroupObjective, StrategyObjective
from ccop_cases.plans.services import DONE, labels
from ccop_cases.reports import governance
from ccop_cases.reports.facts import FIPD_ACTIVE, FIPD_INVOLVED, FOLLOWED
from ccop_cases.reports.model import Measure, Period, Report, Section, Table
from ccop_cases.reports.tally import Tally, load
from ccop_cases.rights import services as rights
from ccop_cases.rights.lists import KINDS, REFUSALS
from ccop_cases.work import Work

NBSP, NNBSP = "\u00a0", "\u202f"  # before a unit; between thousands (French typography)
PURGE_REASONS = {"closing_delay": "Durée de conservation échue après la clôture (R10)",
                 "age_limit": "Vingt-cinq ans atteints (R19)",
                 "duplicate_merged": "Proposition en double rattachée à la situation existante (R9)",
                 "rights_erasure": "Effacement demandé par la personne et accordé (R12, art. 17)",
                 "rights_objection": "Opposition de la personne accueillie (R12, art. 21)"}
# A row only in the years it happened: a purge again, in a database restored from a backup,
# of what its past retention epoch had already made unreadable (docs/operations.md, Restore).
RARE_PURGE_REASONS = {"epoch_passed": "Effacée de nouveau après la restauration d’une sauvegarde (R10)"}
RIGHTS_NOTE = ("Demandes reçues dans l’année au sujet des situations du groupe, y compris celles effacées depuis. "
               "Une demande à laquelle aucune situation n’a été rattachée (aucune donnée détenue) n’est comptée "
               "dans aucun groupe ; une demande rattachée aux situations de plusieurs groupes l’est dans chacun.")
RIGHTS_OUTCOMES = ("Réponse ou refus dans le délai", "Réponse ou refus hors délai", "Demande retirée",
                   "Demande encore ouverte")
DENIALS_NOTE = ("Refus visant le groupe, ses situations (même effacées), ses séances ou ses désignations. "
                "Un refus dont le contenu a été effacé du journal à la fin de sa durée de conservation ne peut "
                "plus être rattaché à un groupe : il n’est pas compté.")


def year_period(year: int) -> Period:
    return Period(date(year, 1, 1), date(year, 12, 31))


def check_period(period: Period) -> None:
    """Whole months, in order: ValueError otherwise (the pages check it first, in French)."""
    if period.start > period.end:
        raise ValueError("the period ends before it starts")
    if period.start.day != 1 or period.end.day != calendar.monthrange(period.end.year, period.end.month)[1]:
        raise ValueError("a period is made of whole months")


def money(cents: int) -> str:
    """« 12 500,00 € »: euros with a comma, thousands apart, the sign after a space."""
    euros, rest = divmod(cents, 100)
    return f"{euros:,}".replace(",", NNBSP) + f",{rest:02d}{NBSP}€"


def percent(value: int | None) -> str:
    return f"{value}{NBSP}%" if value is not None else ""


def mean(total: int, count: int) -> float | None:
    return total / count if count else None


def share(label: str, part: int, whole: int) -> Measure:
    """``part`` as a percentage of ``whole`` (hidden by the suppression when either side is small)."""
    return Measure(label, 100 * part / whole if whole else None, "%", whole, part=part)


def _group(db: Session, group_id: uuid.UUID) -> WorkingGroup:
    group = db.get(WorkingGroup, group_id)
    if group is None:
        raise LookupError("no such working group")
    return group


def _listed(db: Session, list_name: str, seen: Iterable[str]) -> dict[str, str]:
    """A maintained list's codes and labels, then any code the facts hold that it lacks."""
    found = labels(db, list_name)
    return found | {code: code for code in sorted(set(seen) - set(found) - {""})}


# --- « Bilan des actions financées par le FIPD » ------------------------------------------------


def fipd(work: Work, council_id: uuid.UUID, period: Period, group_id: uuid.UUID | None = None) -> Report:
    """The evaluation of the council's actions funded by the FIPD over ``period`` (one group's
    situations only when ``group_id`` is given)."""
    db = work.session
    check_period(period)
    council = db.get(Council, council_id)
    if council is None:
        raise LookupError("no such council")
    groups = list(db.scalars(select(WorkingGroup).where(WorkingGroup.council_id == council.id)))
    scope = council.name
    if group_id is not None:
        groups = [g for g in groups if g.id == group_id]
        if not groups:
            raise LookupError("no such working group in this council")
        scope = f"{groups[0].name} ({council.name})"
    tally = load(db, [g.id for g in groups], day(work.now()))
    actions = _fipd_actions(db, council, period, tally)
    ids = {a.id.hex for a in actions}
    return Report("fipd", scope, period, (
        _fipd_actions_section(actions, tally, period),
        _fipd_outcomes_section(db, actions, tally, period),
        _fipd_follow_up_section(db, ids, tally, period)))


def _fipd_actions(db: Session, council: Council, period: Period, tally: Tally) -> list[FipdAction]:
    """The council's FIPD actions of the period's years, and any other one counted in it."""
    actions = db.scalars(select(FipdAction).where(FipdAction.council_id == council.id)
                         .order_by(FipdAction.year, FipdAction.reference))
    return [a for a in actions if period.start.year <= a.year <= period.end.year
            or tally.spanning(FIPD_ACTIVE, period, fipd=a.id.hex)]


def _fipd_table(key: str, title: str, actions: list[FipdAction], columns: tuple[str, ...],
                counts: Iterable[tuple[int, ...]], *, totals: bool, chart: str | None = None) -> Table:
    """A table with one row per FIPD action, its operator, amount and year beside."""
    return Table(key=key, title=title, row_header="Action financée",
                 rows=tuple(f"{a.reference} — {a.title}" for a in actions), columns=columns, counts=tuple(counts),
                 totals=totals, chart=chart, extra_columns=("Opérateur", "Montant accordé", "Année"),
                 extra=tuple((a.operator, money(a.amount_cents), str(a.year)) for a in actions))


def _fipd_actions_section(actions: list[FipdAction], tally: Tally, period: Period) -> Section:
    # A young person may be in several actions: the rows do not add up (no totals).
    young = _fipd_table("fipd_young_people", "Jeunes concernés par chaque action financée", actions,
                        ("Jeunes concernés",),
                        ((tally.spanning(FIPD_INVOLVED, period, fipd=a.id.hex),) for a in actions),
                        totals=False, chart="bars")
    moves = _fipd_table("fipd_actions", "Actions commencées et terminées dans la période", actions,
                        ("Actions commencées", "Actions terminées"),
                        ((tally.total("action_started", period, fipd=a.id.hex),
                          tally.total("action_ended", period, fipd=a.id.hex)) for a in actions), totals=False)
    return Section("Actions financées", (young, moves))


def _fipd_outcomes_section(db: Session, actions: list[FipdAction], tally: Tally, period: Period) -> Section:
    outcomes = _listed(db, "action_outcome", tally.codes(FIPD_ACTIVE, "outcome"))
    counts = []
    for action in actions:
        found = tally.spanning_by(FIPD_ACTIVE, "outcome", period, outcomes, fipd=action.id.hex)
        counts.append(tuple(found[code] for code in outcomes))
    table = _fipd_table("fipd_outcomes", "Actions menées dans la période, par résultat", actions,
                        tuple(outcomes.values()), counts, totals=True, chart="bars")
    return Section("Résultats des actions", (table,))


def _fipd_follow_up_section(db: Session, ids: set[str], tally: Tally, period: Period) -> Section:
    total = tally.total("fipd_delay_days_sum", period, fipd=ids)
    count = tally.total("fipd_delay_days_count", period, fipd=ids)
    due = tally.total("review_due", period, fipd="1")
    on_time = tally.total("review_due", period, fipd="1", on_time="1")
    closed = tally.by("closed", "reason", period, fipd="1")
    reasons = _listed(db, "closing_reason", closed)
    table = Table(key="fipd_closing_reasons", title="Situations clôturées dans la période, par motif",
                  row_header="Motif de clôture", rows=tuple(reasons.values()), columns=("Situations",),
                  counts=tuple((closed.get(code, 0),) for code in reasons), totals=True)
    return Section("Suivi des situations concernées", (table,), (
        Measure("Délai moyen entre la proposition et la première action financée", mean(total, count), "jours", count),
        share("Réexamens tenus à la date prévue", on_time, due)))


# --- « Rapport annuel d’application de la charte » (R16) ---------------------------------------


def annual(work: Work, group_id: uuid.UUID, year: int) -> Report:
    """The charter's annual report of one group (R16)."""
    db, now = work.session, work.now()
    group = _group(db, group_id)
    period = year_period(year)
    tally = load(db, [group.id], day(now))
    council = db.get_one(Council, group.council_id)
    return Report("annual", f"{group.name} ({council.name})", period, (
        _members_section(db, group, period, min(period.end, day(now))),
        _sessions_section(db, group, period, work),
        _cases_section(tally, period),
        _information_section(tally, period),
        _rights_section(db, group, period),
        _exclusions_section(db, group, period),
        _denials_section(db, group, period),
        _purges_section(db, group, period)))


def _members_section(db: Session, group: WorkingGroup, period: Period, on: date) -> Section:
    found: dict[str, int] = {}
    for m in governance.members(db, group, period):
        found[m.institution] = found.get(m.institution, 0) + 1
    institutions = [code for code in INSTITUTIONS if code in found] + sorted(set(found) - set(INSTITUTIONS))
    table = Table(key="members", title="Membres désignés pendant l’année, par institution",
                  row_header="Institution", rows=tuple(INSTITUTIONS.get(c, c) for c in institutions),
                  columns=("Membres",), counts=tuple((found[c],) for c in institutions), totals=True)
    signed = governance.signatures(db, group, on)
    return Section("Membres et signature de la charte", (table,), (
        share("Membres en fonction ayant signé la charte en vigueur", signed.signed, signed.designated),
        Measure("Délai moyen entre la désignation (ou l’adoption de la charte) et la signature",
                mean(signed.delay_days, signed.signed), "jours", signed.signed)))


def _sessions_section(db: Session, group: WorkingGroup, period: Period, work: Work) -> Section:
    held = governance.sessions(db, group, period, work.now())
    return Section("Séances et présence", measures=(
        Measure("Séances tenues", held.held, "séances", held.held, count=True),
        Measure("Présents par séance (moyenne)", mean(held.present, held.held), "personnes", held.held),
        share("Taux de présence des membres en fonction", held.present, held.expected)))


def _by_purpose(key: str, title: str, column: str, found: dict[str, int], chart: str | None = None) -> Table:
    purposes = {**PURPOSES, **{c: c for c in sorted(set(found) - set(PURPOSES))}}
    return Table(key=key, title=title, row_header="Finalité", rows=tuple(purposes.values()), columns=(column,),
                 counts=tuple((found.get(code, 0),) for code in purposes), totals=True, chart=chart)


def _cases_section(tally: Tally, period: Period) -> Section:
    return Section("Situations", (
        _by_purpose("cases_opened", "Situations ouvertes (proposées) dans l’année, par finalité", "Ouvertes",
                    tally.by("proposed", "purpose", period), chart="bars"),
        _by_purpose("cases_closed", "Situations clôturées dans l’année, par finalité", "Clôturées",
                    tally.by("closed", "purpose", period))))


def _information_section(tally: Tally, period: Period) -> Section:
    total = tally.total("information_delay_days_sum", period)
    count = tally.total("information_delay_days_count", period)
    table = Table(key="information", title="Information des familles (R11)", row_header="Information",
                  rows=("Familles informées", "Dérogations à l’information"), columns=("Situations",),
                  counts=((tally.total("informed", period),), (tally.total("derogation", period),)), totals=False)
    return Section("Information des familles (R11)", (table,), (
        Measure("Délai moyen entre la proposition et l’information de la famille", mean(total, count), "jours",
                count),))


def _rights_section(db: Session, group: WorkingGroup, period: Period) -> Section:
    """The register's requests received in the year about the group's situations (R12, R16):
    codes and counts only, through the same suppression as every table."""
    found = rights.counts(db, group.id, period.start, period.end + timedelta(days=1))
    kinds = Table(key="rights_kinds", title="Demandes reçues dans l’année, par type", row_header="Type de demande",
                  rows=tuple(KINDS.values()), columns=("Demandes",),
                  counts=tuple((found.by_kind[code],) for code in KINDS), totals=True)
    # Each request received is in one row: told in time, told late, withdrawn, or still open.
    outcomes = Table(key="rights_outcomes", title="Suites données aux demandes reçues dans l’année",
                     row_header="Suite", rows=RIGHTS_OUTCOMES, columns=("Demandes",),
                     counts=((found.answered_in_time,), (found.answered - found.answered_in_time,),
                             (found.withdrawn,), (found.open,)), totals=True)
    refusals = Table(key="rights_refusals", title="Demandes refusées, par motif légal", row_header="Motif du refus",
                     rows=tuple(REFUSALS.values()), columns=("Demandes",),
                     counts=tuple((found.refused_by_reason[code],) for code in REFUSALS), totals=True)
    return Section("Demandes d’exercice des droits (R12)", (kinds, outcomes, refusals), (
        Measure("Demandes dont le délai a été prolongé de deux mois (art. 12(3))", found.extended, "demandes",
                found.extended, count=True),), note=RIGHTS_NOTE)


def _exclusions_section(db: Session, group: WorkingGroup, period: Period) -> Section:
    excluded = governance.exclusions(db, group, period)
    return Section("Exclusions (R15)", measures=(Measure("Membres exclus dans l’année", excluded, "membres",
                                                         excluded, count=True),))


def _rule_order(rule: str) -> tuple[int, str]:
    number = rule.removeprefix("R")
    return (int(number), rule) if number.isdigit() else (1000, rule)


def _denials_section(db: Session, group: WorkingGroup, period: Period) -> Section:
    found, _pruned = governance.denials(db, group, period)
    rules = sorted(found, key=_rule_order)
    table = Table(key="denials", title="Refus d’accès par règle", row_header="Règle",
                  rows=tuple(f"{r} — {RULES[r]}" if r in RULES else (r or "Sans règle") for r in rules),
                  columns=("Refus",), counts=tuple((found[r],) for r in rules), totals=True)
    return Section("Refus d’accès", (table,), note=DENIALS_NOTE)


def _purges_section(db: Session, group: WorkingGroup, period: Period) -> Section:
    found = governance.purges(db, group, period)
    reasons = {**PURGE_REASONS, **{c: RARE_PURGE_REASONS.get(c, c or "Sans motif")
                                   for c in sorted(set(found) - set(PURGE_REASONS))}}
    table = Table(key="purges", title="Situations effacées dans l’année, par motif", row_header="Motif",
                  rows=tuple(reasons.values()), columns=("Situations",),
                  counts=tuple((found.get(code, 0),) for code in reasons), totals=True)
    return Section("Effacements (R10, R12, R19)", (table,))


# --- « Objectifs du groupe » --------------------------------------------------------------------


def objectives(work: Work, group_id: uuid.UUID, year: int) -> Report:
    """Target against achieved for each of the group's objectives of ``year``."""
    db = work.session
    group = _group(db, group_id)
    period = year_period(year)
    tally = load(db, [group.id], day(work.now()))
    chosen = db.execute(select(GroupObjective, StrategyObjective)
                        .join(StrategyObjective, StrategyObjective.id == GroupObjective.strategy_objective_id)
                        .where(GroupObjective.group_id == group.id, GroupObjective.year == year,
                               GroupObjective.retired_at.is_(None))
                        .order_by(StrategyObjective.programme, StrategyObjective.position, StrategyObjective.code)
                        ).all()
    # A situation or an action linked to the group's objective of another year for the same
    # strategy objective serves this one too: a follow-up goes on across years.
    same: dict[uuid.UUID, set[str]] = {}
    for objective_id, strategy_id in db.execute(select(GroupObjective.id, GroupObjective.strategy_objective_id)
                                                .where(GroupObjective.group_id == group.id)):
        same.setdefault(strategy_id, set()).add(objective_id.hex)
    rows, extra, counts, measures = [], [], [], []
    for objective, strategy in chosen:
        ids = same[strategy.id]
        achieved = _achieved(tally, period, strategy, ids)
        rows.append(strategy.label)
        extra.append((PROGRAMMES.get(strategy.programme, strategy.programme), _indicator(db, strategy),
                      str(objective.target) if objective.target is not None else "",
                      percent(objective.target_share)))
        counts.append((achieved,))
        if objective.target_share is not None:  # « 30 jeunes suivis dont 80 % avec … »: of all followed
            followed = tally.spanning(FOLLOWED, period)
            measures.append(share(f"{strategy.label} : part des jeunes suivis", achieved, followed))
    council = db.get_one(Council, group.council_id)
    table = Table(key="objectives", title="Objectifs de l’année : cible et réalisé", row_header="Objectif",
                  rows=tuple(rows), columns=("Réalisé",), counts=tuple(counts), totals=False,
                  extra_columns=("Programme", "Indicateur", "Cible", "Part visée"), extra=tuple(extra))
    return Report("objectives", f"{group.name} ({council.name})", period,
                  (Section("Objectifs du groupe", (table,), tuple(measures)),))


def _indicator(db: Session, strategy: StrategyObjective) -> str:
    label, list_name = INDICATORS.get(strategy.indicator, (strategy.indicator, None))
    parameter = strategy.indicator_parameter
    if list_name is None or not parameter:
        return label
    return f"{label} : {labels(db, list_name).get(parameter, parameter)}"


def _achieved(tally: Tally, period: Period, strategy: StrategyObjective, ids: set[str]) -> int:
    """The indicator's count over the situations and actions that serve the objective."""
    parameter = strategy.indicator_parameter or ""
    match strategy.indicator:
        case "young_people_followed":
            return tally.spanning(FOLLOWED, period, objective=ids)
        case "young_people_with_action":
            return tally.total("young_with_action", period, type=parameter, objective=ids)
        case "actions_done":
            return tally.total("action_ended", period, outcome=DONE, objective=ids)
        case "closed_with_reason":
            return tally.total("closed", period, reason=parameter, objective=ids)
        case "families_informed":
            return tally.spanning(FOLLOWED, period, informed_before="1", objective=ids)
    raise ValueError(f"unknown indicator {strategy.indicator!r}")
