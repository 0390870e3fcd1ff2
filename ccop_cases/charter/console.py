"""The charter administrator's console: councils, groups and their constitution, texts,
designations, suspension and exclusion, deployment mode. Every act is audited."""

from __future__ import annotations

import difflib
import uuid
from collections.abc import Callable
from typing import Any

from flask import Blueprint, g, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response

from ccop_cases.access.loaders import deny, designation, load_console
from ccop_cases.access.permissions import permission
from ccop_cases.access.policy import HIDDEN
from ccop_cases.accounts import services as accounts
from ccop_cases.accounts.forms import NameForm
from ccop_cases.accounts.models import Person, by_name
from ccop_cases.accounts.services import LoginRefused
from ccop_cases.cases import services as case_services
from ccop_cases.charter import forms, services
from ccop_cases.charter.models import (
    GROUP_STATUSES,
    INSTITUTIONS,
    MEMBERSHIP_STATUSES,
    ROLES,
    TEXT_KINDS,
    Council,
    GroupStatus,
    Membership,
    WorkingGroup,
)
from ccop_cases.meetings import services as meeting_services
from ccop_cases.web import runtime as rt
from ccop_cases.web.refusals import done, refused
from ccop_cases.work import DomainError

bp = Blueprint("console", __name__, url_prefix="/administration")
Page = str | Response | tuple[str, int]


def _code_ok(form: Any) -> bool:
    """A fresh code for sensitive acts (exclusion, 2FA reset, production); failures are kept."""
    try:
        accounts.reauthenticate(rt.work(), g.person, g.web_session, form.code.data or "")
    except LoginRefused:  # the failure is counted and audited (committed as the view returns)
        form.code.errors = ["Code incorrect : rien n’a été modifié."]
        return False
    return True


@bp.route("/", methods=["GET", "POST"])
@permission("console")
def index() -> Page:
    """Councils, their groups, the deployment mode; create a council."""
    db = rt.db()
    form = forms.CouncilForm()
    if form.validate_on_submit():
        council = services.create_council(rt.work(), kind=form.kind.data, name=form.name.data,
                                          communes=form.communes.data, president=g.person)
        return done("Conseil créé.", "console.council", council_id=council.id)
    councils = db.scalars(select(Council).where(Council.president_id == g.person.id).order_by(Council.name)).all()
    groups = {c.id: db.scalars(select(WorkingGroup).where(WorkingGroup.council_id == c.id)
                               .order_by(WorkingGroup.name)).all() for c in councils}
    return render_template("charter/console/index.html", form=form, councils=councils, groups=groups,
                           deployment=services.deployment(db), statuses=GROUP_STATUSES), 400 if form.errors else 200


@bp.route("/conseils/<uuid:council_id>", methods=["GET", "POST"])
@permission("console")
def council(council_id: uuid.UUID) -> Page:
    """One council and its groups; create a group."""
    council = load_console(Council, council_id)
    form = forms.GroupForm()
    if form.validate_on_submit():
        try:
            group = services.create_group(rt.work(), council, name=form.name.data, legal_basis=form.legal_basis.data,
                                          vocation=form.vocation.data, perimeter=form.perimeter.data or "",
                                          theme=form.theme.data or "", is_ccop=form.is_ccop.data,
                                          territory_label=form.territory_label.data)
        except services.CharterError as exc:
            refused(exc, "council", council.id)
        else:
            return done("Groupe créé : enregistrez son acte de constitution et ses textes.",
                         "console.group", group_id=group.id)
    return _council_page(council, form=form, dpo_form=forms.DpoForm(prefix="dpo"))


def _council_page(council: Council, *, form: Any, dpo_form: Any) -> tuple[str, int]:
    db = rt.db()
    groups = db.scalars(select(WorkingGroup).where(WorkingGroup.council_id == council.id)).all()
    dpo = db.get(Person, council.dpo_id) if council.dpo_id else None
    return render_template("charter/console/council.html", council=council, groups=groups, form=form,
                           dpo_form=dpo_form, dpo=dpo, statuses=GROUP_STATUSES), \
        400 if form.errors or dpo_form.errors else 200


@bp.route("/conseils/<uuid:council_id>/dpo", methods=["POST"])
@permission("console")
def council_dpo(council_id: uuid.UUID) -> Page:
    """Name the council's DPO, who answers the persons' requests (R12)."""
    council = load_console(Council, council_id)
    dpo_form = forms.DpoForm(prefix="dpo")
    if dpo_form.validate_on_submit():
        try:
            person = services.set_dpo(rt.work(), council, dpo_form.username.data)
        except services.CharterError as exc:
            refused(exc, "council", council.id, dpo_form)
        else:
            return done(f"{person.label} répond désormais aux demandes d’exercice des droits de ce conseil.",
                        "console.council", council_id=council.id)
    return _council_page(council, form=forms.GroupForm(formdata=None), dpo_form=dpo_form)


def _group_page(group: WorkingGroup, http_status: int = 200, **forms_: Any) -> tuple[str, int]:
    db = rt.db()
    members = db.execute(select(Membership, Person).join(Person, Person.id == Membership.person_id)
                         .where(Membership.group_id == group.id)
                         .order_by(Membership.status, by_name())).all()
    today = rt.today()
    coverage = {kind: services.coverage(db, group, kind, today) for kind in TEXT_KINDS}
    texts = {kind: services.current_text(db, group.id, kind) for kind in TEXT_KINDS}
    defaults = {"act": forms.ActForm(prefix="act"), "designation": forms.DesignationForm(prefix="des"),
                "status": forms.StatusForm(prefix="st")}
    return render_template("charter/console/group.html", group=group, members=members, coverage=coverage,
                           texts=texts, statuses=GROUP_STATUSES, member_statuses=MEMBERSHIP_STATUSES,
                           roles=ROLES, institutions=INSTITUTIONS, kinds=TEXT_KINDS, today=today,
                           **{**defaults, **forms_}), http_status


@bp.route("/groupes/<uuid:group_id>")
@permission("console")
def group(group_id: uuid.UUID) -> Page:
    """A group: constitution, texts, members and signature coverage."""
    return _group_page(load_console(WorkingGroup, group_id))


@bp.route("/groupes/<uuid:group_id>/acte", methods=["POST"])
@permission("console")
def act(group_id: uuid.UUID) -> Page:
    """Record the constituting act (date, reference, SHA-256 of the text)."""
    group = load_console(WorkingGroup, group_id)
    form = forms.ActForm(prefix="act")
    if not form.validate():
        return _group_page(group, 400, act=form)
    try:
        services.record_act(rt.work(), group, act_date=form.act_date.data, reference=form.reference.data,
                            document=form.document.data)
    except services.CharterError as exc:
        refused(exc, "working_group", group_id)
        return redirect(url_for("console.group", group_id=group.id))
    return done("Acte de constitution enregistré (empreinte SHA-256 conservée).", "console.group",
                 group_id=group.id)


@bp.route("/groupes/<uuid:group_id>/etat", methods=["POST"])
@permission("console")
def status(group_id: uuid.UUID) -> Page:
    """Constitute or suspend the group (suspension confirmed); dissolution is ``dissolve``."""
    group = load_console(WorkingGroup, group_id)
    form = forms.StatusForm(prefix="st")
    if not form.validate():
        return _group_page(group, 400, status=form)
    if form.action.data != "constitute" and not form.confirm.data:
        form.confirm.errors = ["Cochez la case pour confirmer : l’accès de tous les membres est gelé aussitôt."]
        return _group_page(group, 400, status=form)
    try:
        services.change_status(rt.work(), group, form.action.data, reason=form.reason.data or "")
    except services.CharterError as exc:
        refused(exc, "working_group", group_id)
        return redirect(url_for("console.group", group_id=group.id))
    return done(f"Groupe : {GROUP_STATUSES[group.status]}.", "console.group", group_id=group.id)


@bp.route("/groupes/<uuid:group_id>/dissolution", methods=["GET", "POST"])
@permission("console")
def dissolve(group_id: uuid.UUID) -> Page:
    """Dissolve the group for good: its own page says what ends, then the group's exact name
    and a fresh code confirm it."""
    group = load_console(WorkingGroup, group_id)
    form = forms.DissolveForm()
    if group.status != GroupStatus.DISSOLVED and form.is_submitted():
        valid = form.validate()
        if form.name.data and form.name.data.strip() != group.name:  # said even when the code is missing
            form.name.errors = [f"Ce n’est pas le nom du groupe : recopiez exactement « {group.name} » pour "
                                "confirmer la dissolution. Rien n’a été modifié."]
            valid = False
        if valid and _code_ok(form):
            try:
                services.change_status(rt.work(), group, "dissolve", reason=form.reason.data or "")
            except services.CharterError as exc:
                refused(exc, "working_group", group_id)
                return redirect(url_for("console.group", group_id=group.id))
            return done("Groupe dissous : plus aucun échange n’est possible dans ce groupe.", "console.group",
                         group_id=group.id)
    db = rt.db()
    ends = {"members": len(services.active_members(db, group, rt.today())),
            "cases": case_services.count_in_group(db, group.id),
            "meetings": meeting_services.count_in_group(db, group.id)}
    return render_template("charter/console/dissolve.html", group=group, form=form, ends=ends,
                           statuses=GROUP_STATUSES), 400 if form.errors else 200


@bp.route("/groupes/<uuid:group_id>/textes/<kind>", methods=["GET", "POST"])
@permission("console")
def text(group_id: uuid.UUID, kind: str) -> Page:
    """Adopt a new version of the charter or the rules: preview the differences, then confirm."""
    group = load_console(WorkingGroup, group_id)
    if kind not in TEXT_KINDS:
        deny(HIDDEN, "working_group", group.id)  # an unknown kind of text: the group is the target
    db = rt.db()
    current = services.current_text(db, group.id, kind)
    form = forms.TextForm(data={"kind": kind, "text": current.text if current else ""})
    diff: list[str] | None = None  # None: nothing previewed yet
    if request.method == "POST" and form.validate():
        diff = list(difflib.unified_diff((current.text if current else "").splitlines(),
                                         form.text.data.splitlines(), "en vigueur", "nouvelle", lineterm=""))
        seen = services.sha256_text(form.text.data)
        if form.step.data == "adopt" and form.previewed.data != seen:
            form.text.errors = ["Cette version n’a pas été prévisualisée telle quelle : relisez ci-dessous ses "
                                "différences et les membres qu’elle bloque, puis confirmez. Rien n’a été adopté."]
        elif form.step.data == "adopt":
            try:
                version = services.adopt_text(rt.work(), group, kind=kind, text=form.text.data,
                                              adopted_on=form.adopted_on.data)
            except services.CharterError as exc:
                refused(exc, "working_group", group_id)
            else:
                return done(f"{TEXT_KINDS[kind]}, version {version.version} adoptée : chaque membre devra "
                             "la signer avant tout nouvel échange.", "console.group", group_id=group.id)
        form.previewed.data = seen
    return render_template("charter/console/text.html", group=group, kind=kind, label=TEXT_KINDS[kind],
                           current=current, form=form, diff=diff,
                           blocked=_blocked(kind, len(services.active_members(db, group, rt.today())),
                                            services.has_active_coordinator(db, group, rt.today()))), \
        400 if form.errors else 200


def _blocked(kind: str, members: int, with_coordinator: bool) -> str:
    """What adopting a new version does to the members, said before it is confirmed (R2, R3)."""
    act, rule = ("signer", "R3") if kind == "charter" else ("prendre connaissance de", "R2")
    if not members:
        return f"Aucun membre actif n’est désigné : personne n’aura à {act} cette version pour l’instant ({rule})."
    if members == 1:
        who = "1 membre, le coordonnateur," if with_coordinator else "1 membre"
        return f"{who} devra {act} la nouvelle version avant tout nouvel échange ({rule})."
    who = f"{members} membres, dont le coordonnateur," if with_coordinator else f"{members} membres"
    return f"{who} devront {act} la nouvelle version avant tout nouvel échange ({rule})."


@bp.route("/groupes/<uuid:group_id>/membres", methods=["POST"])
@permission("console")
def designate(group_id: uuid.UUID) -> Page:
    """Designate a member (creates the account invitation when the person is new)."""
    group = load_console(WorkingGroup, group_id)
    form = forms.DesignationForm(prefix="des")
    if not form.validate():
        return _group_page(group, 400, designation=form)
    d = services.Designation(form.username.data, form.institution.data, form.function.data, form.role.data,
                             form.reference.data, form.start_date.data, form.end_date.data,
                             display_name=form.display_name.data or "")
    decision = designation(group.council_id, d.role, d.username)
    if not decision:  # R17: the president never designates themself coordonnateur
        refused(DomainError(decision.message, "role", rule=decision.rule), "working_group", group.id, form)
        return _group_page(group, 400, designation=form)
    try:
        membership, one_time = services.designate(rt.work(), group, d)
    except DomainError as exc:
        refused(DomainError(str(exc), "username", rule=exc.rule), "working_group", group.id, form)
        return _group_page(group, 400, designation=form)
    return render_template("charter/console/designated.html", group=group, membership=membership,
                           person=rt.db().get_one(Person, membership.person_id), one_time=one_time, roles=ROLES)


def _member(membership_id: uuid.UUID) -> tuple[Membership, WorkingGroup, Person]:
    membership: Membership = load_console(Membership, membership_id)
    db = rt.db()
    return membership, db.get_one(WorkingGroup, membership.group_id), db.get_one(Person, membership.person_id)


@bp.route("/membres/<uuid:membership_id>")
@permission("console")
def member(membership_id: uuid.UUID, http_status: int = 200, **forms_: Any) -> Page:
    """One designation: dates, status, and the acts on it."""
    membership, group, person = _member(membership_id)
    defaults = {"end": forms.EndDateForm(prefix="end", data={"end_date": membership.end_date}),
                "suspend": forms.ReasonForm(prefix="sus"), "exclude": forms.ExcludeForm(prefix="exc"),
                "reset": forms.CodeOnlyForm(prefix="2fa"), "profile": NameForm(prefix="pro", obj=person)}
    return render_template("charter/console/member.html", membership=membership, group=group,
                           person=person, roles=ROLES, institutions=INSTITUTIONS,
                           member_statuses=MEMBERSHIP_STATUSES,
                           status_reason=services.status_reason(rt.db(), rt.runtime().keys, membership),
                           **{**defaults, **forms_}), http_status


@bp.route("/membres/<uuid:membership_id>/<act>", methods=["POST"])
@permission("console")
def member_act(membership_id: uuid.UUID, act: str) -> Page:
    """End date, suspension, reinstatement, exclusion (R15) or 2FA reset of a member."""
    membership, _group, person = _member(membership_id)
    work = rt.work()
    handlers: dict[str, tuple[type[FlaskForm], str, Callable[[Any], object], str]] = {
        "fin": (forms.EndDateForm, "end", lambda f: services.set_end_date(work, membership, f.end_date.data),
                "Date de fin enregistrée."),
        "suspendre": (forms.ReasonForm, "sus", lambda f: services.suspend_member(work, membership, f.reason.data),
                      "Participation suspendue : ses sessions ont pris fin."),
        "reprendre": (forms.ConfirmForm, "rep", lambda f: services.reinstate_member(work, membership),
                      "Suspension levée."),
        "exclure": (forms.ExcludeForm, "exc", lambda f: services.exclude_member(work, membership, f.reason.data),
                    "Membre exclu : ses sessions ont pris fin immédiatement (R15)."),
        "2fa": (forms.CodeOnlyForm, "2fa", lambda f: accounts.reset_second_factor(work, person),
                "Double authentification réinitialisée : nouvel enrôlement à la prochaine connexion."),
        "profil": (NameForm, "pro", lambda f: accounts.update_profile(work, person, display_name=f.display_name.data,
                                                                      function=f.function.data),
                   "Nom affiché et fonction enregistrés."),
    }
    if act not in handlers:
        deny(HIDDEN, "membership", membership.id)
    form_class, prefix, apply, message = handlers[act]
    form: Any = form_class(prefix=prefix)
    if not form.validate() or (hasattr(form, "code") and not _code_ok(form)):
        return member(membership_id, 400, **{{"fin": "end", "suspendre": "suspend", "exclure": "exclude",
                                              "2fa": "reset", "profil": "profile"}.get(act, "suspend"): form})
    try:
        apply(form)
    except DomainError as exc:  # a CharterError, or an AccountError on the name and function
        refused(exc, "membership", membership_id)
        return redirect(url_for("console.member", membership_id=membership.id))
    return done(message, "console.member", membership_id=membership.id)


@bp.route("/deploiement", methods=["GET", "POST"])
@permission("console")
def deployment() -> Page:
    """Leave pilot mode once the AIPD, the DPO and the register entry are recorded (R20)."""
    db = rt.db()
    row = services.deployment(db)
    form = forms.DeploymentForm()
    if row.mode == "pilot" and form.validate_on_submit() and _code_ok(form):
        try:
            services.go_to_production(rt.work(), aipd_reference=form.aipd_reference.data,
                                      dpo_designation=form.dpo_designation.data,
                                      register_entry=form.register_entry.data)
        except services.CharterError as exc:
            refused(exc, "deployment", row.id)
        else:
            return done("Déploiement passé en production.", "console.index")
    return render_template("charter/console/deployment.html", row=row, form=form), 400 if form.errors else 200
