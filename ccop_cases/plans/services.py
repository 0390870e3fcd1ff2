"""Reading and maintaining the closed lists, the national strategy's objectives, the groups'
objectives per year and the councils' FIPD actions.

Flask-free; every change is audited in the caller's transaction, with ids and codes only.
Nothing is ever deleted: a code, an objective or a FIPD action is retired, and stays readable
on the records that carry it. A code in use keeps its label (never renamed in meaning).
Refusals raise ``PlanError`` with a French message naming the field.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from typing import Protocol

from sqlalchemy import column, func, select, table
from sqlalchemy.orm import Session

from ccop_cases.charter.models import Council, WorkingGroup
from ccop_cases.plans.indicators import INDICATORS, PROGRAMMES
from ccop_cases.plans.models import MAINTAINED_LISTS, FipdAction, GroupObjective, ListEntry, StrategyObjective
from ccop_cases.work import DomainError, Work

PAGE_SIZE = 20
CODE = re.compile(r"[a-z0-9_]{2,40}")
REFERENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,39}")
FIRST_YEAR = 2000
TARGET_MAX = 100_000

# Codes the service itself writes or counts: retiring one would break one of its acts.
ONGOING = "ongoing"  # the outcome of an action still running (cases.services.ONGOING)
DONE = "done"  # the outcome the reports count as an action carried out (reports.facts)
NOT_RETAINED = "not_retained"  # the closing reason of a duplicate proposal not retained
USED_BY_CODE = {
    ("action_outcome", DONE): "c’est le résultat que les rapports comptent comme action réalisée (objectifs, "
                                "bilan du FIPD)",
    ("action_outcome", ONGOING): "c’est le résultat d’une action qui se poursuit, que le service lit pour "
                                 "signaler les actions arrivées à leur fin prévue",
    ("closing_reason", NOT_RETAINED): "c’est le motif que le service enregistre quand le coordonnateur ne "
                                      "retient pas une proposition en double",
}

# Where each list's codes are stored on the records. Named as tables, not imported: the cases
# sit above this package (the layers contract of pyproject.toml). The purge-time counters keep
# codes in their dimension: a code found there (even inside a longer one) counts as used, as
# freezing a label too soon is the safe error.
_CASE_ACTION = table("case_action", column("action_type"), column("outcome"))
_CASE = table("case", column("closing_reason"))
_COUNTER = table("report_counter", column("dimension"))
_STORED = {"action_type": (_CASE_ACTION, _CASE_ACTION.c.action_type),
           "action_outcome": (_CASE_ACTION, _CASE_ACTION.c.outcome), "closing_reason": (_CASE, _CASE.c.closing_reason)}


class PlanError(DomainError):
    """A change of a list, an objective or a FIPD action refused (French, naming the field)."""


# --- the maintained closed lists -------------------------------------------------------------------


def labels(session: Session, list_name: str, *, retired: bool = True) -> dict[str, str]:
    """The list's codes and French labels, in the administrator's order; ``retired=False``
    keeps only the codes a new record may take (a retired code stays readable)."""
    query = select(ListEntry.code, ListEntry.label).where(ListEntry.list_name == list_name)
    if not retired:
        query = query.where(ListEntry.retired_at.is_(None))
    return dict(session.execute(query.order_by(ListEntry.position, ListEntry.code)).all())


def every_label(session: Session) -> dict[str, dict[str, str]]:
    """``labels`` of every maintained list (retired codes too), in one query: what a page showing
    records reads their codes with."""
    found: dict[str, dict[str, str]] = {name: {} for name in MAINTAINED_LISTS}
    for list_name, code, label in session.execute(select(ListEntry.list_name, ListEntry.code, ListEntry.label)
                                                  .order_by(ListEntry.position, ListEntry.code)):
        found.setdefault(list_name, {})[code] = label
    return found


def entries(session: Session, list_name: str) -> list[ListEntry]:
    return list(session.scalars(select(ListEntry).where(ListEntry.list_name == list_name)
                                .order_by(ListEntry.position, ListEntry.code)))


def entry(session: Session, list_name: str, code: str) -> ListEntry | None:
    return session.scalar(select(ListEntry).where(ListEntry.list_name == list_name, ListEntry.code == code))


def uses(session: Session, list_name: str, code: str) -> int:
    """How many records carry the code: situations or actions, objectives of the national
    strategy measured by it, purge-time counters."""
    records, stored = _STORED[list_name]
    found = session.scalar(select(func.count()).select_from(records).where(stored == code)) or 0
    measuring = [name for name, (_label, parameter_list) in INDICATORS.items() if parameter_list == list_name]
    found += session.scalar(select(func.count()).select_from(StrategyObjective).where(
        StrategyObjective.indicator.in_(measuring), StrategyObjective.indicator_parameter == code)) or 0
    return found + (session.scalar(select(func.count()).select_from(_COUNTER)
                                   .where(_COUNTER.c.dimension.contains(code, autoescape=True))) or 0)


def _list_label(session: Session, list_name: str, label: str, *, code: str | None = None) -> str:
    label = " ".join(label.split())
    if not label:
        raise PlanError("Libellé : ce champ est obligatoire.", "label")
    if len(label) > 160:
        raise PlanError("Libellé : 160 caractères au plus.", "label")
    taken = {other.label.casefold(): other.code for other in entries(session, list_name) if other.code != code}
    if label.casefold() in taken:
        raise PlanError(f"Libellé : c’est déjà celui du code « {taken[label.casefold()]} » de cette liste.", "label")
    return label


def add_code(work: Work, list_name: str, code: str, label: str) -> ListEntry:
    """Add a code at the end of a list; a code is unique in its list forever (even retired)."""
    db = work.session
    if list_name not in MAINTAINED_LISTS:
        raise PlanError("Liste inconnue.")
    code = code.strip()
    if not CODE.fullmatch(code):
        raise PlanError("Code : de 2 à 40 caractères, lettres minuscules sans accent, chiffres ou « _ » "
                        "(par exemple chantier_nature).", "code")
    if entry(db, list_name, code) is not None:
        raise PlanError(f"Code : « {code} » existe déjà dans cette liste, peut-être retiré. Un code n’est jamais "
                        "réutilisé : rétablissez-le, ou choisissez-en un autre.", "code")
    label = _list_label(db, list_name, label)
    position = db.scalar(select(func.max(ListEntry.position)).where(ListEntry.list_name == list_name)) or 0
    added = ListEntry(list_name=list_name, code=code, label=label, position=position + 1, created_at=work.now())
    db.add(added)
    db.flush()
    work.audit.record("list.added", "list_entry", added.id, list=list_name, code=code)
    return added


def relabel(work: Work, target: ListEntry, label: str) -> None:
    """Change a code's label, only while no record carries it (never renamed in meaning)."""
    label = _list_label(work.session, target.list_name, label, code=target.code)
    if label == target.label:
        raise PlanError("Libellé : c’est déjà le libellé de ce code, rien n’a été modifié.", "label")
    if uses(work.session, target.list_name, target.code):
        raise PlanError("Ce code est déjà utilisé : son libellé ne change plus, pour que les situations, les actions "
                        "et les bilans qui le portent gardent leur sens. Si le sens change, retirez ce code et "
                        "ajoutez-en un nouveau.", "label")
    target.label = label
    work.audit.record("list.relabelled", "list_entry", target.id, list=target.list_name, code=target.code)


def retire_code(work: Work, target: ListEntry) -> None:
    """Retire a code: new records no longer take it; those that carry it keep it."""
    reason = USED_BY_CODE.get((target.list_name, target.code))
    if reason:
        raise PlanError(f"Le code « {target.code} » ne peut pas être retiré : {reason}.")
    if target.retired_at is None and len(labels(work.session, target.list_name, retired=False)) == 1:
        raise PlanError("C’est le dernier code en vigueur de la liste : ajoutez-en un autre avant de le retirer.")
    _set_retired(work, target, True, "list", "Ce code", "retiré", list=target.list_name, code=target.code)


def restore_code(work: Work, target: ListEntry) -> None:
    _set_retired(work, target, False, "list", "Ce code", "retiré", list=target.list_name, code=target.code)


class _Retirable(Protocol):
    id: uuid.UUID
    retired_at: datetime | None


TARGET_TYPES = {"list": "list_entry"}  # an audit action's prefix, when it is not the target's type


def _set_retired(work: Work, target: _Retirable, retire: bool, kind: str, this: str, retired: str,
                 **details: str) -> None:
    """Retire (``retire``) or restore a code, an objective or a FIPD action: never twice, and
    audited as ``<kind>.retired`` or ``<kind>.restored`` with ids and codes only. ``this`` and
    ``retired`` say it in French: « Ce code » … « retiré »."""
    if retire and target.retired_at is not None:
        raise PlanError(f"{this} est déjà {retired}.")
    if not retire and target.retired_at is None:
        raise PlanError(f"{this} est en vigueur : il n’y a rien à rétablir.")
    target.retired_at = work.now() if retire else None
    work.audit.record(f"{kind}.{'retired' if retire else 'restored'}", TARGET_TYPES.get(kind, kind), target.id,
                      **details)


# --- the national strategy's objectives ----------------------------------------------------------


def strategy_objectives(session: Session, *, retired: bool = True) -> list[StrategyObjective]:
    query = select(StrategyObjective).order_by(StrategyObjective.programme, StrategyObjective.position)
    return list(session.scalars(query if retired else query.where(StrategyObjective.retired_at.is_(None))))


def add_objective(work: Work, *, programme: str, label: str, indicator: str,
                  parameter: tuple[str, str] | None) -> StrategyObjective:
    """Add an objective of the national strategy; ``parameter``: (list, code) where the
    indicator counts by a code of a maintained list, which must be in force."""
    db = work.session
    if programme not in PROGRAMMES:
        raise PlanError("Programme : choix inconnu.", "programme")
    if indicator not in INDICATORS:
        raise PlanError("Indicateur : choix inconnu.", "indicator")
    code = _parameter(db, indicator, parameter)
    label = " ".join(label.split())
    if not label or len(label) > 200:
        raise PlanError("Libellé : de 1 à 200 caractères.", "label")
    if db.scalar(select(StrategyObjective.id).where(func.lower(StrategyObjective.label) == label.lower())):
        raise PlanError("Libellé : un objectif de ce nom existe déjà (peut-être retiré : rétablissez-le).", "label")
    position = db.scalar(select(func.max(StrategyObjective.position))) or 0
    objective = StrategyObjective(code=_objective_code(db, programme), programme=programme, label=label,
                                  indicator=indicator, indicator_parameter=code, position=position + 1,
                                  created_at=work.now())
    db.add(objective)
    db.flush()
    work.audit.record("strategy_objective.added", "strategy_objective", objective.id, code=objective.code,
                      programme=programme, indicator=indicator, parameter=code or "")
    return objective


def _parameter(db: Session, indicator: str, parameter: tuple[str, str] | None) -> str | None:
    list_name = INDICATORS[indicator][1]
    if list_name is None:
        if parameter:
            raise PlanError("Paramètre : cet indicateur n’en prend pas, laissez « — ».", "parameter")
        return None
    if not parameter:
        raise PlanError(f"Paramètre : cet indicateur compte selon un code de la liste « "
                        f"{MAINTAINED_LISTS[list_name]} », choisissez-le.", "parameter")
    if parameter[0] != list_name or parameter[1] not in labels(db, list_name, retired=False):
        raise PlanError(f"Paramètre : choisissez un code en vigueur de la liste « {MAINTAINED_LISTS[list_name]} ».",
                        "parameter")
    return parameter[1]


def _objective_code(db: Session, programme: str) -> str:
    taken = set(db.scalars(select(StrategyObjective.code)))
    number = 1
    while f"{programme.lower()}_{number:02d}" in taken:
        number += 1
    return f"{programme.lower()}_{number:02d}"


def retire_objective(work: Work, objective: StrategyObjective) -> None:
    """Retire an objective: groups no longer choose it; the years that did keep it."""
    _set_retired(work, objective, True, "strategy_objective", "Cet objectif", "retiré", code=objective.code)


def restore_objective(work: Work, objective: StrategyObjective) -> None:
    _set_retired(work, objective, False, "strategy_objective", "Cet objectif", "retiré", code=objective.code)


# --- a group's objectives of a year ----------------------------------------------------------------


def years(today: date) -> range:
    """The years a group sets objectives for: the five past ones, this one and the next."""
    return range(today.year - 5, today.year + 2)


def group_objectives(session: Session, group_id: uuid.UUID,
                     year: int) -> list[tuple[GroupObjective, StrategyObjective]]:
    return list(session.execute(select(GroupObjective, StrategyObjective)
                                .join(StrategyObjective, StrategyObjective.id == GroupObjective.strategy_objective_id)
                                .where(GroupObjective.group_id == group_id, GroupObjective.year == year)
                                .order_by(StrategyObjective.programme, StrategyObjective.position)).all())


def _targets(target: int | None, target_share: int | None) -> None:
    if target is not None and not 1 <= target <= TARGET_MAX:
        raise PlanError("Cible : un nombre entier de 1 à 100 000, ou vide.", "target")
    if target_share is not None and not 0 <= target_share <= 100:
        raise PlanError("Part visée : un pourcentage entier de 0 à 100, ou vide.", "target_share")


def set_group_objective(work: Work, group: WorkingGroup, year: int, strategy_objective_id: uuid.UUID, *,
                        target: int | None, target_share: int | None) -> GroupObjective:
    """Set one of the group's objectives for ``year``, chosen from the strategy's objectives in
    force; one already set and retired that year is set again with these targets."""
    db = work.session
    if year not in years(work.today()):
        raise PlanError("Année : de cinq ans en arrière à l’an prochain.", "year")
    chosen = db.get(StrategyObjective, strategy_objective_id)
    if chosen is None or chosen.retired_at is not None:
        raise PlanError("Objectif : choisissez un objectif en vigueur de la stratégie nationale.", "objective")
    _targets(target, target_share)
    objective = db.scalar(select(GroupObjective).where(GroupObjective.group_id == group.id,
                                                       GroupObjective.year == year,
                                                       GroupObjective.strategy_objective_id == chosen.id))
    if objective is not None and objective.retired_at is None:
        raise PlanError("Objectif : il est déjà fixé pour cette année ; changez sa cible sur sa page.", "objective")
    if objective is None:
        objective = GroupObjective(group_id=group.id, year=year, strategy_objective_id=chosen.id,
                                   created_at=work.now())
        db.add(objective)
    objective.target, objective.target_share, objective.retired_at = target, target_share, None
    db.flush()
    _audit_targets(work, objective, chosen)
    return objective


def change_targets(work: Work, objective: GroupObjective, *, target: int | None, target_share: int | None) -> None:
    if objective.retired_at is not None:
        raise PlanError("Cet objectif est retiré : rétablissez-le avant de changer sa cible.")
    _targets(target, target_share)
    if (objective.target, objective.target_share) == (target, target_share):
        raise PlanError("Ce sont déjà ses cibles : rien n’a été modifié.", "target")
    objective.target, objective.target_share = target, target_share
    _audit_targets(work, objective, work.session.get_one(StrategyObjective, objective.strategy_objective_id))


def _audit_targets(work: Work, objective: GroupObjective, chosen: StrategyObjective) -> None:
    work.audit.record("group_objective.set", "group_objective", objective.id, group=objective.group_id,
                      year=objective.year, objective=chosen.code, target=_blank(objective.target),
                      target_share=_blank(objective.target_share))


def _blank(number: int | None) -> str:
    return "" if number is None else str(number)


def retire_group_objective(work: Work, objective: GroupObjective) -> None:
    """Retire a group's objective: no new link to it; situations and actions linked keep it."""
    _set_retired(work, objective, True, "group_objective", "Cet objectif", "retiré", group=str(objective.group_id),
                 year=str(objective.year))


def restore_group_objective(work: Work, objective: GroupObjective) -> None:
    chosen = work.session.get_one(StrategyObjective, objective.strategy_objective_id)
    if objective.retired_at is not None and chosen.retired_at is not None:
        raise PlanError("L’objectif de la stratégie nationale qu’il reprend est retiré : rétablissez-le d’abord.")
    _set_retired(work, objective, False, "group_objective", "Cet objectif", "retiré", group=str(objective.group_id),
                 year=str(objective.year))


def objective_label(chosen: StrategyObjective) -> str:
    return f"{chosen.programme} — {chosen.label}"


def objective_choices(session: Session, group_id: uuid.UUID, year: int) -> dict[str, str]:
    """The group's objectives in force for ``year`` a situation or an action may serve (id: label)."""
    return {str(objective.id): objective_label(chosen)
            for objective, chosen in group_objectives(session, group_id, year) if objective.retired_at is None}


def check_objective(session: Session, group_id: uuid.UUID, objective_id: uuid.UUID, year: int,
                    field: str) -> GroupObjective:
    """The group's objective in force for ``year`` with this id; another group's id (forged)
    is refused under R22, a retired one or another year's as a mere input error."""
    objective = session.get(GroupObjective, objective_id)
    if objective is None or objective.group_id != group_id:
        raise PlanError("Objectif du groupe : ce n’est pas un objectif de ce groupe.", field, rule="R22")
    if objective.retired_at is not None or objective.year != year:
        raise PlanError(f"Objectif du groupe : choisissez un objectif en vigueur en {year} (celui-ci est retiré ou "
                        "d’une autre année).", field)
    return objective


# --- the council's FIPD actions ------------------------------------------------------------------


def fipd_page(session: Session, council_id: uuid.UUID, page: int) -> tuple[list[FipdAction], int]:
    """One page of the council's FIPD actions (the latest years first) and the number of pages."""
    where = FipdAction.council_id == council_id
    total = session.scalar(select(func.count()).select_from(FipdAction).where(where)) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(page, pages)
    found = session.scalars(select(FipdAction).where(where).order_by(FipdAction.year.desc(), FipdAction.reference)
                            .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE))
    return list(found), pages


def _fipd_fields(work: Work, *, title: str, operator: str, year: int, amount_cents: int) -> tuple[str, str]:
    title, operator = " ".join(title.split()), " ".join(operator.split())
    if not title or len(title) > 200:
        raise PlanError("Intitulé : de 1 à 200 caractères.", "title")
    if not operator or len(operator) > 160:
        raise PlanError("Opérateur : de 1 à 160 caractères (une structure, jamais une personne).", "operator")
    if not FIRST_YEAR <= year <= work.today().year + 1:
        raise PlanError(f"Année : de {FIRST_YEAR} à l’an prochain.", "year")
    if amount_cents < 0:
        raise PlanError("Montant : il ne peut pas être négatif.", "amount")
    return title, operator


def add_fipd_action(work: Work, council: Council, *, reference: str, title: str, operator: str, year: int,
                    amount_cents: int) -> FipdAction:
    """Record an action of the council funded by the FIPD; its reference is unique in the council."""
    db = work.session
    reference = reference.strip()
    if not REFERENCE.fullmatch(reference):
        raise PlanError("Référence : de 1 à 40 caractères, lettres, chiffres, « - », « _ », « . » ou « / », sans "
                        "espace (par exemple FIPD-2026-012).", "reference")
    if db.scalar(select(FipdAction.id).where(FipdAction.council_id == council.id,
                                             func.lower(FipdAction.reference) == reference.lower())):
        raise PlanError(f"Référence : « {reference} » est déjà celle d’une action FIPD de ce conseil, peut-être "
                        "retirée (rétablissez-la).", "reference")
    title, operator = _fipd_fields(work, title=title, operator=operator, year=year, amount_cents=amount_cents)
    action = FipdAction(council_id=council.id, reference=reference, title=title, operator=operator, year=year,
                        amount_cents=amount_cents, created_at=work.now())
    db.add(action)
    db.flush()
    work.audit.record("fipd_action.added", "fipd_action", action.id, council=council.id, year=year)
    return action


def change_fipd_action(work: Work, action: FipdAction, *, title: str, operator: str, year: int,
                       amount_cents: int) -> None:
    """Correct a FIPD action's title, operator, year or amount (its reference stays)."""
    title, operator = _fipd_fields(work, title=title, operator=operator, year=year, amount_cents=amount_cents)
    new = {"title": title, "operator": operator, "year": year, "amount_cents": amount_cents}
    changed = [name for name, value in new.items() if getattr(action, name) != value]
    if not changed:
        raise PlanError("Rien n’a changé : modifiez un champ avant d’enregistrer.")
    for name in changed:
        setattr(action, name, new[name])
    work.audit.record("fipd_action.changed", "fipd_action", action.id, council=action.council_id,
                      fields=".".join(changed))


def retire_fipd_action(work: Work, action: FipdAction) -> None:
    """Retire a FIPD action: no new action links to it; those linked keep it."""
    _set_retired(work, action, True, "fipd_action", "Cette action FIPD", "retirée", council=str(action.council_id))


def restore_fipd_action(work: Work, action: FipdAction) -> None:
    _set_retired(work, action, False, "fipd_action", "Cette action FIPD", "retirée", council=str(action.council_id))


def fipd_choices(session: Session, council_id: uuid.UUID) -> dict[str, str]:
    """The council's FIPD actions in force an action of a situation may be funded by (id: label)."""
    found = session.execute(select(FipdAction.id, FipdAction.reference, FipdAction.title)
                            .where(FipdAction.council_id == council_id, FipdAction.retired_at.is_(None))
                            .order_by(FipdAction.year.desc(), FipdAction.reference))
    return {str(action_id): f"{reference} — {title}" for action_id, reference, title in found}


def check_fipd_action(session: Session, council_id: uuid.UUID, action_id: uuid.UUID, field: str) -> FipdAction:
    """The council's FIPD action in force with this id; another council's id (forged) is refused
    under R22, a retired one as a mere input error."""
    action = session.get(FipdAction, action_id)
    if action is None or action.council_id != council_id:
        raise PlanError("Action financée par le FIPD : ce n’est pas une action FIPD du conseil de ce groupe.", field,
                        rule="R22")
    if action.retired_at is not None:
        raise PlanError("Action financée par le FIPD : cette action est retirée, choisissez-en une en vigueur.", field)
    return action
