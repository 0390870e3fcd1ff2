"""The members' case workspace: lists, search, proposal, the case page and its acts.

Every route loads its object through the decision function: out of reach → 404, purged →
410, refused → 403 naming the rule. Names travel only in POST bodies, never in URLs.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from ccop_cases.access.loaders import deny, finish_read, load_case, load_group, on_case, on_group, visible_cases
from ccop_cases.access.permissions import permission
from ccop_cases.access.policy import HIDDEN, Scope
from ccop_cases.accounts.models import Person, by_name
from ccop_cases.cases import forms, lists, rectification, services
from ccop_cases.cases.models import Case, CaseParticipant, is_open
from ccop_cases.charter.models import INSTITUTIONS, Membership, MembershipStatus, WorkingGroup
from ccop_cases.identities.services import Identity
from ccop_cases.meetings import services as meetings
from ccop_cases.plans import services as plans
from ccop_cases.retention import services as retention
from ccop_cases.rights.lists import State
from ccop_cases.rights.models import RightsRequest, RightsRequestCase
from ccop_cases.security.inputs import page_number, query_code, query_flag, query_id
from ccop_cases.web import runtime as rt
from ccop_cases.web.refusals import refused
from ccop_cases.work import DomainError

bp = Blueprint("cases", __name__)
Page = str | Response | tuple[str, int]


def _settings() -> Any:
    return rt.runtime().settings


@bp.route("/groupes/<uuid:group_id>/situations")
@permission("authenticated", read_only=True)
def listing(group_id: uuid.UUID) -> Page:
    """My situations; for the coordonnateur, all the group's. Sorted and filtered by codes and
    ids of the query string; a forged one is a French 400, never ignored."""
    group, membership, decision = load_group(group_id, "group.exchange")
    everything = decision.scope == Scope.ALL
    # Every designation of the group: a member stays named on a situation after theirs ended.
    participants = _member_choices(group, active_only=False) if everything else {}
    to_do = lists.TO_DO if everything else {k: v for k, v in lists.TO_DO.items()
                                           if k not in lists.COORDINATION_TO_DO}
    participant = query_id("participant", {uuid.UUID(k) for k in participants})
    filters = services.Filters(state=query_code("etat", lists.STATES), overdue=query_flag("retard"),
                               purpose=query_code("finalite", lists.PURPOSES), participant=participant,
                               origin=query_code("origine", lists.REFERRAL_ORIGINS), fipd=query_flag("fipd"),
                               to_do=query_code("a_traiter", to_do))
    sort = query_code("tri", lists.SORTS) or "modification"
    number, today = page_number(), rt.today()
    named = None if everything else membership.id
    cases, pages = services.listing(rt.db(), group.id, named, filters, sort=sort, page=number, today=today)
    duplicates = services.count(rt.db(), group.id, None, services.Filters(to_do="doublon"), today) \
        if everything else 0
    finish_read(lambda audit: audit.record("case.listed", "working_group", group.id, count=len(cases), page=number),
                lambda: on_group("group.exchange", group.id), "working_group", group.id)
    return render_template("cases/list.html", group=group, cases=cases, pages=pages, number=min(number, pages),
                           everything=everything, filters=filters, sort=sort, args=_list_args(), lists=lists,
                           to_do=to_do, participants=participants, today=today, duplicates=duplicates)


LIST_ARGS = ("tri", "etat", "retard", "finalite", "participant", "origine", "fipd", "a_traiter")


def _list_args() -> dict[str, str]:
    """The list's sort and filters as checked, for the pagination's links (codes and ids only)."""
    return {name: request.args[name] for name in LIST_ARGS if request.args.get(name)}


@bp.route("/groupes/<uuid:group_id>/recherche", methods=["GET", "POST"])
@permission("authenticated", read_only=True)
def search(group_id: uuid.UUID) -> Page:
    """Exact search by name and birth date (spelling variants found; no free-text search)."""
    group, _membership, _decision = load_group(group_id, "group.exchange")
    form = forms.SearchForm()
    results: list[Any] | None = None
    if form.validate_on_submit():
        found = services.find(rt.work(), group, form.last_name.data, form.given_names.data, form.birth_date.data)
        # Need-to-know (R4): a member finds only the situations they are named on; the others are
        # not even hinted at. The trail keeps how many were withheld (a count, for oversight).
        visible = visible_cases([c.id for c in found])
        results = [c for c in found if c.id in visible]
        finish_read(lambda audit: audit.record("case.searched", "working_group", group.id, count=len(results),
                                               withheld=len(found) - len(results)),
                    lambda: on_group("group.exchange", group.id), "working_group", group.id)
    return render_template("cases/search.html", group=group, form=form, results=results), 400 if form.errors else 200


@bp.route("/groupes/<uuid:group_id>/situations/nouvelle", methods=["GET", "POST"])
@permission("authenticated")
def propose(group_id: uuid.UUID) -> Page:
    """Propose the situation of a young person."""
    group, membership, decision = load_group(group_id, "group.exchange")
    form = forms.ProposeForm()
    form.objective.choices = _objectives(group)
    if request.method == "GET":
        form.submission_id.data = str(uuid.uuid4())
    if form.validate_on_submit():
        try:
            if group.is_ccop and not form.inside_perimeter.data:  # R23: the coordonnateur only
                _decided(on_group("group.propose_outside", group.id), "inside_perimeter")
            case, created = services.propose(rt.work(), group, membership, _proposal(form),
                                             sees_all=decision.scope == Scope.ALL)
        except DomainError as exc:
            refused(exc, "working_group", group.id, form)
        else:
            flash(f"Situation {case.reference} proposée." if created else
                  f"Cette proposition était déjà enregistrée ({case.reference}).", "success" if created else "info")
            return redirect(url_for("cases.case", case_id=case.id))
    return render_template("cases/propose.html", group=group, form=form, membership=membership), \
        400 if form.errors else 200


def _person(form: Any, prefix: str, *, young: bool = False) -> Identity | None:
    def get(name: str) -> str | None:
        return (getattr(form, prefix + name).data or "").strip() or None

    if not young and not get("last_name"):
        return None
    return Identity(last_name=get("last_name") or "", given_names=get("given_names") or "",
                    birth_date=form.birth_date.data if young else None, sex=form.sex.data if young else None,
                    address=get("address"), phone=get("phone"), email=get("email"))


def _proposal(form: forms.ProposeForm) -> services.Proposal:
    young = _person(form, "", young=True)
    assert young is not None  # noqa: S101
    reps = [p for p in (_person(form, "rep1_"), _person(form, "rep2_")) if p]
    return services.Proposal(
        young=young, representatives=reps, school_situation=form.school_situation.data or "",
        purpose=form.purpose.data or "", referral_origin=form.referral_origin.data or "",
        exposure_factors=list(form.exposure_factors.data or []), submission_id=uuid.UUID(form.submission_id.data),
        note=form.note.data or "", note_attested=form.note_attested.data, inside_perimeter=form.inside_perimeter.data,
        override_reason=form.override_reason.data or None, confirm_under_12=form.confirm_under_12.data,
        objective_id=_chosen(form.objective))


def _chosen(field: Any) -> uuid.UUID | None:
    """The id an optional choice among rows of the database holds (its shape checked by the form)."""
    return uuid.UUID(field.data) if field.data else None


def _objectives(group: WorkingGroup) -> dict[str, str]:
    """The choices of an « Objectif » select: none, or one of the group's objectives of the year."""
    return {"": "—", **plans.objective_choices(rt.db(), group.id, rt.today().year)}


def _decided(decision: Any, field: str) -> None:
    """A refusal of the decision function shown on the form's field, as a service's would be."""
    if not decision:
        raise DomainError(decision.message, field, rule=decision.rule)


@bp.route("/situations/<uuid:case_id>")
@permission("authenticated", read_only=True)
def case(case_id: uuid.UUID) -> Page:
    """The case page (participants and coordonnateur only)."""
    case, group, membership, decision = load_case(case_id, "case.view", archive_redirect=True)
    return _case_page(case, group, membership, decision.scope == Scope.ALL)


@bp.route("/situations/<uuid:case_id>/archive")
@permission("authenticated", read_only=True)
def archive_read(case_id: uuid.UUID) -> Page:
    """A closed case is read only with a reason code, which the audit trail keeps (R10)."""
    case, group, membership, decision = load_case(case_id, "case.read_archive")
    form = forms.ArchiveReasonForm(request.args)
    if "motif" in request.args and form.validate():
        return _case_page(case, group, membership, decision.scope == Scope.ALL, reason=form.motif.data)
    return render_template("cases/archive_reason.html", case=case, form=form), 400 if form.errors else 200


def _case_page(case: Case, group: WorkingGroup, membership: Membership, coordinator: bool, *,
               reason: str | None = None) -> tuple[str, int]:
    """The read-only summary of a case; each act has its own page (see ``case_act``)."""
    db = rt.db()
    view = services.read(rt.work(), case)  # every query is done before rendering
    # For the coordonnateur only: the open situation this proposal may duplicate (R4).
    duplicate = db.get(Case, case.duplicate_of) if coordinator and case.duplicate_of else None
    labels = plans.every_label(db)  # the maintained lists' codes, retired ones too
    history = services.history_labels(db, labels, view)
    requests = _request_references({c.request_id for c, _value, _who in view.history if c.request_id})
    # Restricted at the person's request (R12): no act is offered; the coordonnateur may still
    # rectify on a rectification request in progress (art. 18(1)(a)).
    restricted = case.restricted_at is not None
    rectifiable = coordinator and is_open(case.state) and bool(_rectification_requests(case.id))
    finish_read(lambda audit: services.audit_read(audit, case, reason),
                lambda: on_case("case.read_archive" if reason else "case.view", case.id), "case", case.id)
    return render_template(
        "cases/case.html", view=view, group=group, membership=membership, lists=lists, institutions=INSTITUTIONS,
        labels=labels, history=history,
        coordinator=coordinator, open=is_open(case.state), writable=is_open(case.state) and not restricted,
        restricted=restricted, rectifiable=rectifiable, requests=requests, ongoing=services.ONGOING,
        missing=services.missing_from(view, rt.today()), today=rt.today(), acts=ACT_TITLES,
        duplicate=duplicate), 200


def _request_references(request_ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The references (DR-…) of the rights requests the history's changes answer (R12)."""
    if not request_ids:
        return {}
    rows = rt.db().execute(select(RightsRequest.id, RightsRequest.reference)
                           .where(RightsRequest.id.in_(sorted(request_ids, key=str))))
    return {row.id: row.reference for row in rows}


def _rectification_requests(case_id: uuid.UUID) -> dict[str, str]:
    """The rectification requests in progress naming the situation (R12), as the choices of
    the form that answers one: id -> reference and date of receipt."""
    rows = rt.db().execute(select(RightsRequest.id, RightsRequest.reference, RightsRequest.received_on)
                           .join(RightsRequestCase, RightsRequestCase.request_id == RightsRequest.id)
                           .where(RightsRequestCase.case_id == case_id, RightsRequest.kind == "rectification",
                                  RightsRequest.state == State.IN_PROGRESS).order_by(RightsRequest.reference))
    return {str(rid): f"{reference}, reçue le {received:%d/%m/%Y}" for rid, reference, received in rows}


def _member_choices(group: WorkingGroup, *, active_only: bool = True) -> dict[str, str]:
    query = select(Membership.id, Person, Membership.institution).join(Person, Person.id == Membership.person_id)
    if active_only:
        query = query.where(Membership.status == MembershipStatus.ACTIVE)
    rows = rt.db().execute(query.where(Membership.group_id == group.id).order_by(by_name()))
    return {str(mid): f"{person.label} — {INSTITUTIONS[inst]}" for mid, person, inst in rows}


ACTS: dict[str, tuple[str, str, type]] = {  # url part: (decision action, form prefix, form)
    "information": ("case.inform", "inf", forms.InformForm),
    "actions": ("case.act", "act", forms.ActionForm),
    "decisions": ("case.manage", "dec", forms.DecisionForm),
    "participants": ("case.manage", "par", forms.ParticipantForm),
    "cloture": ("case.manage", "clo", forms.CloseForm),
    "objectif": ("case.edit", "obj", forms.ObjectiveForm),
    "rectification": ("case.rectify", "rec", forms.RectifyForm),
}
ACT_TITLES = {"information": "Enregistrer l’information de la famille (R11)", "actions": "Ajouter une action",
              "decisions": "Enregistrer une décision", "participants": "Désigner un participant",
              "cloture": "Clôturer le suivi", "objectif": "Changer l’objectif du groupe",
              "rectification": "Rectifier les données (demande de la personne, R12)"}


def _set_choices(act: str, form: Any, group: WorkingGroup, case: Case) -> None:
    """The choices of an act's form that the database holds: members, the codes in force of the
    maintained lists, the group's objectives of the year, the council's FIPD actions in force."""
    db = rt.db()
    if act == "participants":
        form.membership.choices = _member_choices(group)
    elif act == "actions":
        form.action_type.choices = plans.labels(db, "action_type", retired=False)
        form.outcome.choices = plans.labels(db, "action_outcome", retired=False)
        form.objective.choices = _objectives(group)
        form.fipd_action.choices = {"": "— non financée —", **plans.fipd_choices(db, group.council_id)}
    elif act == "cloture":
        form.reason.choices = plans.labels(db, "closing_reason", retired=False)
    elif act == "objectif":
        form.objective.choices = {"": "— aucun —", **plans.objective_choices(db, group.id, rt.today().year)}
    elif act == "rectification":
        form.rights_request.choices = _rectification_requests(case.id)


@bp.route("/situations/<uuid:case_id>/<act>", methods=["GET", "POST"])
@permission("authenticated")
def case_act(case_id: uuid.UUID, act: str) -> Page:
    """Record information, an action, a decision, a participant, or close the case."""
    if act not in ACTS:
        deny(HIDDEN, "case", case_id)
    action, prefix, form_class = ACTS[act]
    case, group, membership, decision = load_case(case_id, action)
    # A decision opened from a session's agenda (``retour``: the session's id, checked) is
    # recorded with the session and returns to its page; any other value is ignored.
    meeting_id = meetings.session_of(rt.db(), case, request.args.get("retour")) if act == "decisions" else None
    form = form_class(prefix=prefix)
    if act == "objectif" and request.method == "GET":
        form.objective.data = str(case.objective_id) if case.objective_id else ""
    _set_choices(act, form, group, case)
    if act == "rectification" and request.method == "GET":
        form.fill(rectification.current(rt.work(), case))  # the identity decrypted: a read, audited
        rt.work().audit.record("case.viewed", "case", case.id, sections="rectification")
    if act == "objectif" and case.objective_id and str(case.objective_id) not in form.objective.choices:
        form.objective.choices[str(case.objective_id)] = "L’objectif actuel (retiré, ou d’une autre année)"
    if request.method == "POST" and form.validate():
        try:
            message = _apply(act, form, case, membership, coordinator=decision.scope == Scope.ALL,
                             meeting_id=meeting_id)
        except DomainError as exc:
            refused(exc, "case", case.id, form)
        else:
            flash(message, "success")
            if meeting_id is not None:
                return redirect(url_for("meetings.meeting", meeting_id=meeting_id, _anchor="ordre-du-jour"))
            return redirect(url_for("cases.case", case_id=case.id) if is_open(case.state)
                            else url_for("cases.listing", group_id=group.id))
    status = 400 if form.errors or form.form_errors else 200
    if act == "rectification":
        return render_template("cases/rectify.html", case=case, form=form, reference=None,
                               restricted=case.restricted_at is not None,
                               back=(url_for("cases.case", case_id=case.id), case.reference)), status
    return render_template("cases/act.html", case=case, group=group, form=form, act=act, title=ACT_TITLES[act],
                           lists=lists, meeting_id=meeting_id), status


def _apply(act: str, form: Any, case: Case, m: Membership, *, coordinator: bool,
           meeting_id: uuid.UUID | None = None) -> str:
    work = rt.work()
    if act == "information":
        services.inform(work, case, m, who=form.who.data, informed_on=form.informed_on.data,
                        means=form.means.data or None, derogation_reason=form.derogation_reason.data or None,
                        review_date=form.review_date.data, approves=coordinator)
        return "Information enregistrée."
    if act == "actions":
        services.add_action(work, case, m, action_type=form.action_type.data, start=form.start_date.data,
                            end=form.end_date.data, outcome=form.outcome.data,
                            fipd_action_id=_chosen(form.fipd_action), objective_id=_chosen(form.objective))
        return "Action enregistrée."
    if act == "objectif":
        services.set_objective(work, case, m, _chosen(form.objective))
        return "Objectif du groupe enregistré."
    if act == "decisions":
        services.record_decision(work, case, m, decision=form.decision.data, next_review=form.next_review.data,
                                 meeting_id=meeting_id)
        return "Décision enregistrée."
    if act == "rectification":
        changed = rectification.rectify(work, case, m, uuid.UUID(form.rights_request.data), form.correction())
        return f"Rectification enregistrée ({len(changed)} champ(s) corrigé(s)), liée à la demande : le délégué à " \
               "la protection des données y répond depuis le registre."
    if act == "participants":
        target = work.session.get_one(Membership, uuid.UUID(form.membership.data))
        services.add_participant(work, case, target, form.reason.data, m)
        return "Participant désigné pour la situation."
    services.close(work, case, m, reason=form.reason.data)
    return f"Suivi de {case.reference} clôturé. Effacement prévu le {case.purge_due:%d/%m/%Y}."


@bp.route("/situations/<uuid:case_id>/actions/<uuid:action_id>/fin", methods=["GET", "POST"])
@permission("authenticated")
def end_action(case_id: uuid.UUID, action_id: uuid.UUID) -> Page:
    """Record how an action still running ended (its last day, its outcome)."""
    case, group, membership, _decision = load_case(case_id, "case.act")
    try:
        services.action_of(rt.db(), case, action_id)
    except LookupError:
        deny(HIDDEN, "case", case.id)  # an action of another situation: not revealed
    form = forms.EndActionForm(prefix="fin")
    form.outcome.choices = {code: label for code, label in plans.labels(rt.db(), "action_outcome", retired=False)
                            .items() if code != services.ONGOING}
    if request.method == "POST" and form.validate():
        try:
            services.end_action(rt.work(), case, action_id, membership, end=form.end_date.data,
                                outcome=form.outcome.data)
        except DomainError as exc:
            refused(exc, "case", case.id, form)
        else:
            flash("Fin de l’action enregistrée.", "success")
            return redirect(url_for("cases.case", case_id=case.id, _anchor="h-actions"))
    return render_template("cases/act.html", case=case, group=group, form=form, act="fin",
                           title="Enregistrer la fin de l’action", lists=lists, meeting_id=None), \
        400 if form.errors or form.form_errors else 200


@bp.route("/situations/<uuid:case_id>/suivre", methods=["POST"])
@permission("authenticated")
def follow(case_id: uuid.UUID) -> Page:
    """Start the follow-up (coordonnateur; the family must have been informed, R11)."""
    case, _group, membership, _decision = load_case(case_id, "case.manage")
    try:
        _decided(on_case("case.follow", case.id), "")
        services.follow(rt.work(), case, membership)
    except DomainError as exc:
        refused(exc, "case", case.id)
    else:
        flash("Suivi commencé.", "success")
    return redirect(url_for("cases.case", case_id=case.id))


@bp.route("/situations/<uuid:case_id>/participants/<uuid:participant_id>/retirer", methods=["GET", "POST"])
@permission("authenticated")
def remove_participant(case_id: uuid.UUID, participant_id: uuid.UUID) -> Page:
    """Withdraw a member from the case (coordonnateur): a page of its own asks for the reason
    and a confirmation; the member's access ends (R4)."""
    case, _group, _membership, _decision = load_case(case_id, "case.manage")
    db = rt.db()
    row = db.execute(select(CaseParticipant.id, Person).join(Membership, Membership.id ==
                                                             CaseParticipant.membership_id)
                     .join(Person, Person.id == Membership.person_id)
                     .where(CaseParticipant.id == participant_id, CaseParticipant.case_id == case.id,
                            CaseParticipant.removed_at.is_(None))).first()
    if row is None:
        deny(HIDDEN, "case_participant", participant_id)
    form = forms.RemovalForm()
    if form.validate_on_submit():
        try:
            services.remove_participant(rt.work(), case, participant_id, form.reason.data)
        except DomainError as exc:
            refused(exc, "case", case.id, form)
        else:
            flash(f"{row.Person.label} est retiré de la situation : son accès a pris fin.", "success")
            return redirect(url_for("cases.case", case_id=case.id))
    return render_template("cases/remove.html", case=case, username=row.Person.label, form=form), \
        400 if form.errors or form.form_errors else 200


@bp.route("/situations/<uuid:case_id>/information/<uuid:record_id>/approuver", methods=["POST"])
@permission("authenticated")
def approve(case_id: uuid.UUID, record_id: uuid.UUID) -> Page:
    """Approve a derogation to the information of the family (coordonnateur)."""
    case, _group, membership, _decision = load_case(case_id, "case.manage")
    try:
        services.approve_derogation(rt.work(), case, record_id, membership)
    except DomainError as exc:
        refused(exc, "case", case.id)
    else:
        flash("Dérogation approuvée.", "success")
    return redirect(url_for("cases.case", case_id=case.id))


@bp.route("/situations/<uuid:case_id>/doublon/<choice>", methods=["POST"])
@permission("authenticated")
def resolve_duplicate(case_id: uuid.UUID, choice: str) -> Page:
    """Resolve a possible duplicate (coordonnateur): name the proposer on the existing
    situation and shred this proposal, or do not retain the proposal."""
    case, group, membership, _decision = load_case(case_id, "case.manage")
    if choice not in ("rattacher", "decliner"):
        deny(HIDDEN, "case", case_id)
    if not forms.ConfirmForm().validate():
        flash("Cochez la case pour confirmer.", "error")
        return redirect(url_for("cases.case", case_id=case.id))
    work = rt.work()
    try:
        if choice == "rattacher":
            existing = services.merge_duplicate(work, case, membership)
            retention.purge(work, case, "duplicate_merged")
            message = f"Le proposant est désigné sur {existing.reference} ; la proposition en double est effacée."
        else:
            services.decline_duplicate(work, case, membership)
            message = f"Proposition {case.reference} non retenue."
    except DomainError as exc:
        refused(exc, "case", case.id)
        return redirect(url_for("cases.case", case_id=case.id))
    flash(message, "success")
    return redirect(url_for("cases.listing", group_id=group.id))
