"""The console's closed lists, objectives and FIPD actions.

The platform's lists (action types, outcomes, closing reasons) and the national strategy's
objectives are any charter administrator's (the ``console.manage`` duty); a council's FIPD
actions and a group's objectives only the administrator presiding the council's (R17, R22:
another council's answer 404). Retiring asks for a confirmation; nothing is ever deleted.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from flask import Blueprint, render_template
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

from ccop_cases.access.loaders import deny, duty, load_console, require
from ccop_cases.access.permissions import permission
from ccop_cases.access.policy import HIDDEN
from ccop_cases.charter.models import Council, WorkingGroup
from ccop_cases.plans import forms, services
from ccop_cases.plans.indicators import INDICATORS, PROGRAMMES
from ccop_cases.plans.models import MAINTAINED_LISTS, FipdAction, GroupObjective, ListEntry, StrategyObjective
from ccop_cases.plans.money import euros, parse_euros, typed
from ccop_cases.security.inputs import page_number
from ccop_cases.web import runtime as rt
from ccop_cases.web.refusals import done, refused
from ccop_cases.work import DomainError, Work

bp = Blueprint("plans", __name__, url_prefix="/administration")
Page = str | Response | tuple[str, int]


def _status(forms_: dict[str, Any]) -> int:
    return 400 if any(form.errors or form.form_errors for form in forms_.values()) else 200


def _change_state(form: forms.StateForm, target: Any, target_type: str, *,
                  retire: Callable[[Work, Any], None], restore: Callable[[Work, Any], None]) -> str | None:
    """Retire (confirmed) or restore ``target``; the message to flash, or None when refused
    (the errors are on ``form``)."""
    if not form.validate():
        return None
    if form.action.data == "retire" and not form.confirm.data:
        form.confirm.errors = ["Cochez la case pour confirmer le retrait."]
        return None
    try:
        (retire if form.action.data == "retire" else restore)(rt.work(), target)
    except DomainError as exc:
        refused(exc, target_type, target.id, form)
        return None
    return "Retiré : plus aucun nouvel enregistrement ne le reprend ; ceux qui le portent le gardent." \
        if form.action.data == "retire" else "Rétabli."


# --- the platform's closed lists and the national strategy's objectives -----------------------------


def _parameters() -> dict[str, Any]:
    """The parameter choices of an objective: « liste:code » of the codes in force, by list."""
    db = rt.db()
    lists = sorted({name for _label, name in INDICATORS.values() if name})
    return {"": "—", **{MAINTAINED_LISTS[name]: {f"{name}:{code}": label for code, label
                                                 in services.labels(db, name, retired=False).items()}
                        for name in lists}}


def _lists_page(**forms_: Any) -> tuple[str, int]:
    db = rt.db()
    every = {f"add_{name}": forms.CodeForm(prefix=name) for name in MAINTAINED_LISTS}
    every["objective"] = forms.StrategyObjectiveForm(prefix="obj")
    every.update(forms_)
    every["objective"].parameter.choices = _parameters()
    parameter_labels = {name: services.labels(db, name) for name in MAINTAINED_LISTS}
    return render_template("plans/lists.html", lists=MAINTAINED_LISTS,
                           adds={name: every[f"add_{name}"] for name in MAINTAINED_LISTS},
                           entries={name: services.entries(db, name) for name in MAINTAINED_LISTS},
                           objectives=services.strategy_objectives(db), programmes=PROGRAMMES, indicators=INDICATORS,
                           parameter_labels=parameter_labels, **every), _status(every)


@bp.route("/listes")
@permission("console")
def lists() -> Page:
    """The maintained closed lists and the national strategy's objectives; add to them."""
    return _lists_page()


@bp.route("/listes/<list_name>", methods=["POST"])
@permission("console")
def add_code(list_name: str) -> Page:
    """Add a code to a list (a code is never reused, even retired)."""
    if list_name not in MAINTAINED_LISTS:
        raise NotFound()
    form = forms.CodeForm(prefix=list_name)
    if form.validate():
        try:
            services.add_code(rt.work(), list_name, form.code.data, form.label.data)
        except DomainError as exc:
            refused(exc, "list_entry", "", form)
        else:
            return done(f"Code « {form.code.data.strip()} » ajouté à la liste « {MAINTAINED_LISTS[list_name]} ».",
                         "plans.lists", _anchor=list_name)
    return _lists_page(**{f"add_{list_name}": form})


def _entry(list_name: str, code: str) -> ListEntry:
    found = services.entry(rt.db(), list_name, code) if list_name in MAINTAINED_LISTS else None
    if found is None:
        raise NotFound()  # a platform list's codes are no one's secret: nothing to audit
    return found


def _entry_page(target: ListEntry, **forms_: Any) -> tuple[str, int]:
    every = {"label": forms.LabelForm(prefix="lib", data={"label": target.label}),
             "state": forms.StateForm(prefix="st"), **forms_}
    uses = services.uses(rt.db(), target.list_name, target.code)
    return render_template("plans/entry.html", entry=target, list_label=MAINTAINED_LISTS[target.list_name],
                           uses=uses, protected=services.USED_BY_CODE.get((target.list_name, target.code)),
                           **every), _status(every)


@bp.route("/listes/<list_name>/<code>", methods=["GET", "POST"])
@permission("console")
def entry(list_name: str, code: str) -> Page:
    """One code: its label (changed only while no record carries it), retire or restore it."""
    target = _entry(list_name, code)
    form = forms.LabelForm(prefix="lib", data={"label": target.label})
    if form.validate_on_submit():
        try:
            services.relabel(rt.work(), target, form.label.data)
        except DomainError as exc:
            refused(exc, "list_entry", target.id, form)
        else:
            return done("Libellé modifié.", "plans.entry", list_name=list_name, code=code)
    return _entry_page(target, label=form)


@bp.route("/listes/<list_name>/<code>/etat", methods=["POST"])
@permission("console")
def entry_state(list_name: str, code: str) -> Page:
    """Retire a code (confirmed; « ongoing » and the codes the service writes never) or restore it."""
    target = _entry(list_name, code)
    form = forms.StateForm(prefix="st")
    message = _change_state(form, target, "list_entry", retire=services.retire_code, restore=services.restore_code)
    if message is None:
        return _entry_page(target, state=form)
    return done(message, "plans.entry", list_name=list_name, code=code)


@bp.route("/objectifs", methods=["POST"])
@permission("console")
def add_objective() -> Page:
    """Add an objective of the national strategy, with the indicator that measures it."""
    form = forms.StrategyObjectiveForm(prefix="obj")
    form.parameter.choices = _parameters()
    if form.validate():
        name, _sep, code = (form.parameter.data or "").partition(":")
        try:
            services.add_objective(rt.work(), programme=form.programme.data, label=form.label.data,
                                   indicator=form.indicator.data, parameter=(name, code) if code else None)
        except DomainError as exc:
            refused(exc, "strategy_objective", "", form)
        else:
            return done("Objectif ajouté : les groupes peuvent le retenir pour l’année.", "plans.lists",
                         _anchor="objectifs")
    return _lists_page(objective=form)


def _objective(objective_id: uuid.UUID) -> StrategyObjective:
    found = rt.db().get(StrategyObjective, objective_id)
    if found is None:
        deny(HIDDEN, "strategy_objective", objective_id)
    return found


def _objective_page(objective: StrategyObjective, **forms_: Any) -> tuple[str, int]:
    every = {"state": forms.StateForm(prefix="st"), **forms_}
    parameter_list = INDICATORS[objective.indicator][1]
    parameter = services.labels(rt.db(), parameter_list).get(objective.indicator_parameter or "") \
        if parameter_list else None
    return render_template("plans/objective.html", objective=objective, programmes=PROGRAMMES,
                           indicators=INDICATORS, parameter=parameter, **every), _status(every)


@bp.route("/objectifs/<uuid:objective_id>")
@permission("console")
def objective(objective_id: uuid.UUID) -> Page:
    """An objective of the national strategy: retire or restore it."""
    return _objective_page(_objective(objective_id))


@bp.route("/objectifs/<uuid:objective_id>/etat", methods=["POST"])
@permission("console")
def objective_state(objective_id: uuid.UUID) -> Page:
    """Retire (confirmed) or restore an objective of the national strategy."""
    target = _objective(objective_id)
    form = forms.StateForm(prefix="st")
    message = _change_state(form, target, "strategy_objective", retire=services.retire_objective,
                            restore=services.restore_objective)
    if message is None:
        return _objective_page(target, state=form)
    return done(message, "plans.objective", objective_id=objective_id)


# --- a council's FIPD actions ------------------------------------------------------------------------


@bp.route("/conseils/<uuid:council_id>/fipd", methods=["GET", "POST"])
@permission("console")
def fipd(council_id: uuid.UUID) -> Page:
    """The council's actions funded by the FIPD (paginated); record one."""
    council = load_console(Council, council_id)
    form = forms.FipdForm()
    if form.validate_on_submit():
        try:
            services.add_fipd_action(rt.work(), council, reference=form.reference.data, title=form.title.data,
                                     operator=form.operator.data, year=int(form.year.data),
                                     amount_cents=parse_euros(form.amount.data))
        except DomainError as exc:
            refused(exc, "council", council.id, form)
        else:
            return done(f"Action FIPD {form.reference.data.strip()} enregistrée.", "plans.fipd",
                         council_id=council.id)
    number = page_number()
    actions, pages = services.fipd_page(rt.db(), council.id, number)
    return render_template("plans/fipd.html", council=council, actions=actions, pages=pages,
                           number=min(number, pages), form=form, euros=euros), _status({"form": form})


def _fipd_action(action_id: uuid.UUID) -> FipdAction:
    """A FIPD action, for the administrator presiding its council only (404 otherwise, audited)."""
    found = rt.db().get(FipdAction, action_id)
    if found is None:
        deny(HIDDEN, "fipd_action", action_id)
    require(duty("console.manage", found.council_id), "fipd_action", action_id)
    return found


def _fipd_page(action: FipdAction, **forms_: Any) -> tuple[str, int]:
    data = {"title": action.title, "operator": action.operator, "year": str(action.year),
            "amount": typed(action.amount_cents)}
    every = {"form": forms.FipdChangeForm(data=data), "state": forms.StateForm(prefix="st"), **forms_}
    return render_template("plans/fipd_action.html", action=action, council=rt.db().get_one(Council, action.council_id),
                           euros=euros, **every), _status(every)


@bp.route("/fipd/<uuid:action_id>", methods=["GET", "POST"])
@permission("console")
def fipd_action(action_id: uuid.UUID) -> Page:
    """One FIPD action: correct its title, operator, year or amount (its reference stays)."""
    action = _fipd_action(action_id)
    form = forms.FipdChangeForm()
    if form.validate_on_submit():
        try:
            services.change_fipd_action(rt.work(), action, title=form.title.data, operator=form.operator.data,
                                        year=int(form.year.data), amount_cents=parse_euros(form.amount.data))
        except DomainError as exc:
            refused(exc, "fipd_action", action.id, form)
        else:
            return done("Action FIPD modifiée.", "plans.fipd_action", action_id=action.id)
        return _fipd_page(action, form=form)
    return _fipd_page(action, **({"form": form} if form.errors else {}))


@bp.route("/fipd/<uuid:action_id>/etat", methods=["POST"])
@permission("console")
def fipd_state(action_id: uuid.UUID) -> Page:
    """Retire (confirmed) or restore a FIPD action."""
    action = _fipd_action(action_id)
    form = forms.StateForm(prefix="st")
    message = _change_state(form, action, "fipd_action", retire=services.retire_fipd_action,
                            restore=services.restore_fipd_action)
    if message is None:
        return _fipd_page(action, state=form)
    return done(message, "plans.fipd_action", action_id=action.id)


# --- a group's objectives of a year -----------------------------------------------------------------


def _strategy_choices() -> dict[str, Any]:
    """The strategy's objectives in force, by programme (id: label)."""
    by_programme: dict[str, dict[str, str]] = {}
    for chosen in services.strategy_objectives(rt.db(), retired=False):
        by_programme.setdefault(PROGRAMMES[chosen.programme], {})[str(chosen.id)] = chosen.label
    return {"": "— choisir —", **by_programme}


@bp.route("/groupes/<uuid:group_id>/objectifs/<int:year>", methods=["GET", "POST"])
@permission("console")
def group_objectives(group_id: uuid.UUID, year: int) -> Page:
    """A group's objectives of a year, with their targets; set one."""
    group = load_console(WorkingGroup, group_id)
    years = services.years(rt.today())
    if year not in years:
        raise NotFound()
    form = forms.GroupObjectiveForm()
    form.objective.choices = _strategy_choices()
    if form.validate_on_submit():
        try:
            services.set_group_objective(rt.work(), group, year, uuid.UUID(form.objective.data),
                                         target=forms.number(form.target),
                                         target_share=forms.number(form.target_share))
        except DomainError as exc:
            refused(exc, "working_group", group.id, form)
        else:
            return done("Objectif fixé pour l’année.", "plans.group_objectives", group_id=group.id, year=year)
    return render_template("plans/group_objectives.html", group=group, year=year, years=years, form=form,
                           objectives=services.group_objectives(rt.db(), group.id, year),
                           programmes=PROGRAMMES), _status({"form": form})


def _group_objective(objective_id: uuid.UUID) -> tuple[GroupObjective, WorkingGroup]:
    """A group's objective, for the administrator presiding its council only (404 otherwise, audited)."""
    db = rt.db()
    found = db.get(GroupObjective, objective_id)
    if found is None:
        deny(HIDDEN, "group_objective", objective_id)
    group = db.get_one(WorkingGroup, found.group_id)
    require(duty("console.manage", group.council_id), "group_objective", objective_id)
    return found, group


def _group_objective_page(objective: GroupObjective, group: WorkingGroup, **forms_: Any) -> tuple[str, int]:
    data = {"target": "" if objective.target is None else str(objective.target),
            "target_share": "" if objective.target_share is None else str(objective.target_share)}
    every = {"form": forms.TargetsForm(data=data), "state": forms.StateForm(prefix="st"), **forms_}
    chosen = rt.db().get_one(StrategyObjective, objective.strategy_objective_id)
    return render_template("plans/group_objective.html", objective=objective, group=group, chosen=chosen,
                           programmes=PROGRAMMES, indicators=INDICATORS, **every), _status(every)


@bp.route("/objectifs-du-groupe/<uuid:objective_id>", methods=["GET", "POST"])
@permission("console")
def group_objective(objective_id: uuid.UUID) -> Page:
    """One of a group's objectives of a year: change its targets."""
    objective, group = _group_objective(objective_id)
    form = forms.TargetsForm()
    if form.validate_on_submit():
        try:
            services.change_targets(rt.work(), objective, target=forms.number(form.target),
                                    target_share=forms.number(form.target_share))
        except DomainError as exc:
            refused(exc, "group_objective", objective.id, form)
        else:
            return done("Cible enregistrée.", "plans.group_objective", objective_id=objective.id)
        return _group_objective_page(objective, group, form=form)
    return _group_objective_page(objective, group, **({"form": form} if form.errors else {}))


@bp.route("/objectifs-du-groupe/<uuid:objective_id>/etat", methods=["POST"])
@permission("console")
def group_objective_state(objective_id: uuid.UUID) -> Page:
    """Retire (confirmed) or restore one of a group's objectives of a year."""
    objective, group = _group_objective(objective_id)
    form = forms.StateForm(prefix="st")
    message = _change_state(form, objective, "group_objective", retire=services.retire_group_objective,
                            restore=services.restore_group_objective)
    if message is None:
        return _group_objective_page(objective, group, state=form)
    return done(message, "plans.group_objective", objective_id=objective.id)
