"""The DPO's register of the persons' requests (R12): record a request, check who asks, find
the situations it concerns, extend, answer, refuse; the person's own record; rectification.

Every route goes through ``load_request`` or ``on_council_rights`` (the council's DPO only;
another council's request answers 404) and every act is audited by its service in the
request's transaction. The register's lists show codes and dates; who asks is shown on the
request's own page only, and that read is audited.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, g, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from ccop_cases.access.loaders import (
    deny,
    duty,
    load_group,
    load_request,
    on_council_rights,
    require,
)
from ccop_cases.access.permissions import permission
from ccop_cases.access.policy import CASE_HIDDEN, HIDDEN
from ccop_cases.cases import forms as case_forms
from ccop_cases.cases import rectification
from ccop_cases.charter.models import Council
from ccop_cases.identities.services import Identity
from ccop_cases.retention import services as retention
from ccop_cases.rights import forms, services
from ccop_cases.rights import record as records
from ccop_cases.rights.lists import (
    ANSWERS,
    ANSWERS_BY_KIND,
    CHANNELS,
    ERASING,
    EXTENSION_REASONS,
    IDENTITY_CHECKS,
    KINDS,
    REFUSALS,
    REQUESTERS,
    STATES,
    State,
    can_move,
    is_instructed,
    is_open,
)
from ccop_cases.rights.models import RightsRequest
from ccop_cases.security.inputs import page_number
from ccop_cases.web import runtime as rt
from ccop_cases.web.errors import render_error
from ccop_cases.web.refusals import done, refused
from ccop_cases.work import DomainError

bp = Blueprint("rights", __name__, url_prefix="/droits")
Page = str | Response | tuple[str, int]
LABELS = {"kinds": KINDS, "channels": CHANNELS, "requesters": REQUESTERS, "checks": IDENTITY_CHECKS,
          "extensions": EXTENSION_REASONS, "answers": ANSWERS, "refusals": REFUSALS, "states": STATES}
FILTERS: dict[str, str] = {"open": "En cours", "": "Toutes", **STATES}


def _councils() -> list[Council]:
    """The councils whose DPO the person is; R17 (403, audited) for whoever holds no DPO duty."""
    require(duty("oversight.read"), "route", request.endpoint)
    return services.councils_of(rt.db(), g.person.id)


@bp.route("/")
@permission("authenticated")
def register() -> Page:
    """The register of the councils whose DPO the person is: open requests first, by deadline."""
    councils = _councils()
    state = request.args.get("etat", "open")
    if state not in FILTERS:
        state = "open"
    rows, pages = services.page(rt.db(), [c.id for c in councils], page_number(), state=state)
    number = min(page_number(), pages)
    rt.audit().record("rights.listed", "rights_register", "", page=number, state_filter=state or "all")
    late = {r.id for r in rows if is_open(r.state) and r.due_on < rt.today()}
    return render_template("rights/register.html", councils=councils, rows=rows, pages=pages, number=number,
                           state=state, filters=FILTERS, late=late, keep=forms.KeepForm(prefix="keep"),
                           names={c.id: c.name for c in councils}, **LABELS)


@bp.route("/conseils/<uuid:council_id>/conservation", methods=["POST"])
@permission("authenticated")
def keep_years(council_id: uuid.UUID) -> Page:
    """How many years the council's ended requests stay in the register (3 by default)."""
    council = _council(council_id)
    form = forms.KeepForm(prefix="keep")
    if form.validate():
        try:
            services.set_keep_years(rt.work(), council, int(form.years.data))
        except DomainError as exc:
            refused(exc, "council", council.id)
        else:
            return done(f"Les demandes closes de ce conseil seront conservées {form.years.data} an(s) après leur "
                        "réponse.", "rights.register")
    else:
        refused(DomainError("Durée de conservation : choix inconnu."), "council", council.id)
    return redirect(url_for("rights.register"))


def _council(council_id: uuid.UUID) -> Council:
    council = rt.db().get(Council, council_id)
    if council is None:
        deny(HIDDEN, "council", council_id)
    require(on_council_rights(council.id), "council", council.id)
    return council


@bp.route("/conseils/<uuid:council_id>/nouvelle", methods=["GET", "POST"])
@permission("authenticated")
def new(council_id: uuid.UUID) -> Page:
    """Record a request as received (its deadline starts from the day of receipt)."""
    council = _council(council_id)
    form = forms.NewRequestForm()
    if request.method == "GET":
        form.submission_id.data = str(uuid.uuid4())
        form.received_on.data = rt.today()
    elif form.validate():
        who = Identity(form.last_name.data, form.given_names.data, None, None, form.address.data or None,
                       form.phone.data or None, form.email.data or None)
        try:
            created, _new = services.register(rt.work(), council, services.NewRequest(
                form.kind.data, form.received_on.data, form.channel.data, form.requester.data, who,
                uuid.UUID(form.submission_id.data)), g.person.id)
        except DomainError as exc:
            refused(exc, "council", council.id, form)
        else:
            return done(f"Demande {created.reference} enregistrée : réponse due au plus tard le "
                        f"{created.due_on:%d/%m/%Y}. Vérifiez maintenant l’identité du demandeur.",
                        "rights.request", request_id=created.id)
    return render_template("rights/new.html", council=council, form=form), \
        400 if form.errors or form.form_errors else 200


def _request_page(found: RightsRequest, http_status: int = 200, **given: Any) -> tuple[str, int]:
    """The request's page: who asks (decrypted: the read is audited), the situations linked,
    the acts its state allows, each with its form (``given`` keeps a refused one's input)."""
    db, work = rt.db(), rt.work()
    answer = forms.AnswerForm(prefix="ans", formdata=None)
    page_forms: dict[str, Any] = {
        "check": forms.IdentityCheckForm(prefix="idc", formdata=None, checked_on=rt.today()),
        "search": forms.SearchForm(prefix="srch", formdata=None),
        "extend": forms.ExtendForm(prefix="ext", formdata=None),
        "answer": answer, "refuse": forms.RefuseForm(prefix="ref", formdata=None, refused_on=rt.today()),
        "withdraw": forms.WithdrawForm(prefix="wd", formdata=None, withdrawn_on=rt.today()),
        "lift": forms.LiftForm(prefix="lift", formdata=None), **given}
    page_forms["answer"].answer.choices = {code: ANSWERS[code] for code in ANSWERS_BY_KIND[found.kind]}
    if "answer" not in given:
        page_forms["answer"].answered_on.data = rt.today()
    work.audit.record("rights.viewed", "rights_request", found.id)
    return render_template(
        "rights/request.html", req=found, council=db.get_one(Council, found.council_id),
        requester=services.requester(work, found), linked=services.linked_references(db, found.id),
        live=services.linked_cases(db, found.id), is_open=is_open(found.state),
        instructed=is_instructed(found.state), checkable=can_move(found.state, State.IDENTITY_CHECKED),
        late=is_open(found.state) and found.due_on < rt.today(),
        restricting=found.answer == "restricted" and found.restriction_lifted_on is None,
        erasing=[c for c in ANSWERS_BY_KIND[found.kind] if c in ERASING],
        today=rt.today(), forms=page_forms, **LABELS,
        # each form also by its own name: the layout's error summary reads the forms it is given
        **{f"{name}_form": form for name, form in page_forms.items() if isinstance(form, FlaskForm)}), http_status


@bp.route("/demandes/<uuid:request_id>", endpoint="request")
@permission("authenticated")
def request_page(request_id: uuid.UUID) -> Page:
    """One request: who asks, its clock, the situations it concerns and what can be done next."""
    return _request_page(load_request(request_id))


ACTS: dict[str, tuple[str, Any, str]] = {  # url part: (form prefix, form class, success message)
    "identite": ("idc", forms.IdentityCheckForm, "Identité du demandeur vérifiée : recherchez les situations."),
    "prolongation": ("ext", forms.ExtendForm, "Délai prolongé de deux mois : informez la personne du motif."),
    "reponse": ("ans", forms.AnswerForm, "Réponse enregistrée."),
    "refus": ("ref", forms.RefuseForm, "Refus enregistré : informez la personne du motif et de son droit de saisir "
                                       "la CNIL."),
    "retrait": ("wd", forms.WithdrawForm, "Retrait de la demande enregistré."),
    "levee": ("lift", forms.LiftForm, "Limitation levée : les situations se modifient de nouveau."),
}
FORM_KEYS = {"idc": "check", "ext": "extend", "ans": "answer", "ref": "refuse", "wd": "withdraw", "lift": "lift"}


@bp.route("/demandes/<uuid:request_id>/<act>", methods=["POST"])
@permission("authenticated")
def request_act(request_id: uuid.UUID, act: str) -> Page:
    """An act on the request: identity checked, extension, answer, refusal, withdrawal, lifting."""
    if act not in ACTS:
        deny(HIDDEN, "rights_request", request_id)
    found = load_request(request_id)
    prefix, form_class, message = ACTS[act]
    form = form_class(prefix=prefix)
    if act == "reponse":
        form.answer.choices = {code: ANSWERS[code] for code in ANSWERS_BY_KIND[found.kind]}
    if form.validate():
        try:
            _apply(act, form, found)
        except DomainError as exc:
            refused(exc, "rights_request", found.id, form)
        else:
            return done(f"{found.reference} : {message}", "rights.request", request_id=found.id)
    return _request_page(found, 400, **{FORM_KEYS[prefix]: form})


def _apply(act: str, form: Any, found: RightsRequest) -> None:
    work = rt.work()
    if act == "identite":
        services.check_identity(work, found, check=form.identity_check.data, checked_on=form.checked_on.data)
    elif act == "prolongation":
        services.extend(work, found, form.reason.data or None)
    elif act == "reponse":
        if form.answer.data in ERASING and not form.confirm.data:
            raise services.RightsError("Cochez la confirmation : l’effacement des situations liées est définitif.",
                                       "confirm")
        retention.answer_request(work, found, form.answer.data, form.answered_on.data)
    elif act == "refus":
        services.refuse(work, found, form.refusal_reason.data or None, form.refused_on.data)
    elif act == "retrait":
        services.withdraw(work, found, form.withdrawn_on.data)
    else:
        if not form.confirm.data:
            raise services.RightsError("Cochez la confirmation pour lever la limitation.", "confirm")
        services.lift_restriction(work, found)


@bp.route("/demandes/<uuid:request_id>/recherche", methods=["POST"])
@permission("authenticated")
def search(request_id: uuid.UUID) -> Page:
    """The council's situations of the young person (exact name and birth date); the identity
    typed is used for the search only and kept nowhere."""
    found = load_request(request_id)
    form = forms.SearchForm(prefix="srch")
    if not form.validate():
        return _request_page(found, 400, search=form)
    try:
        results = services.find_cases(rt.work(), found, form.last_name.data, form.given_names.data,
                                      form.birth_date.data)
    except DomainError as exc:
        refused(exc, "rights_request", found.id, form)
        return _request_page(found, 400, search=form)
    if not results:
        form.form_errors.append("Aucune situation des groupes du conseil ne correspond exactement à ce nom et à "
                                "cette date de naissance. Vérifiez l’orthographe et la date, ou répondez « aucune "
                                "donnée détenue ».")
        return _request_page(found, 404, search=form, results=[])
    return _request_page(found, 200, search=form, results=results, link=forms.LinkForm(prefix="lnk"))


@bp.route("/demandes/<uuid:request_id>/situations", methods=["POST"])
@permission("authenticated")
def link(request_id: uuid.UUID) -> Page:
    """Name a situation found by the search as concerned by the request."""
    found = load_request(request_id)
    form = forms.LinkForm(prefix="lnk")
    if not form.validate():
        return _request_page(found, 400)
    case_id = uuid.UUID(form.case_id.data)
    try:
        case = services.link(rt.work(), found, case_id)
    except LookupError:
        deny(CASE_HIDDEN, "case", case_id)  # not a situation of this council: nothing is revealed (R22)
    except DomainError as exc:
        refused(exc, "rights_request", found.id)
        return redirect(url_for("rights.request", request_id=found.id))
    return done(f"Situation {case.reference} liée à la demande {found.reference}.", "rights.request",
                request_id=found.id)


@bp.route("/groupes/<uuid:group_id>")
@permission("authenticated")
def group_requests(group_id: uuid.UUID) -> Page:
    """For the coordonnateur: the requests about the group's situations (codes and dates only),
    to act on the DPO's instruction (rectification)."""
    group, _membership, _decision = load_group(group_id, "rights.group")
    rows, pages = services.page(rt.db(), [group.council_id], page_number(), state="", group_id=group.id)
    number = min(page_number(), pages)
    refs = {r.id: services.linked_references(rt.db(), r.id, group.id) for r in rows}
    late = {r.id for r in rows if is_open(r.state) and r.due_on < rt.today()}
    rt.audit().record("rights.listed", "working_group", group.id, page=number, state_filter="all")
    return render_template("rights/group.html", group=group, rows=rows, pages=pages, number=number, refs=refs,
                           late=late, **LABELS)


# --- the person's own record (R12, GDPR art. 15; the one nominative export, R8) ----------------------


@bp.route("/demandes/<uuid:request_id>/dossier", methods=["POST"])
@permission("authenticated")
def record(request_id: uuid.UUID) -> Page:
    """Download, once, the person's own record of an access request: built in memory, never
    written to disk, its hash audited (never its content)."""
    found = load_request(request_id)  # the council's DPO only: 404 otherwise, audited
    decision = on_council_rights(found.council_id, "rights.record")
    if decision.remedy == "accounts.reauth":  # a code entered again first (R21); a redirect cannot replay this POST
        return redirect(url_for("accounts.reauth", suite="rights.request", request_id=request_id))
    require(decision, "rights_request", request_id)
    work = rt.work()
    linked = services.linked_cases(work.session, found.id)
    try:
        records.check(found, linked)
    except records.AlreadyDownloaded as exc:  # nothing written: the first download stands
        return render_template("errors/error.html", code=409, title="Dossier déjà téléchargé",
                               message=str(exc)), 409
    except services.RightsError as exc:
        refused(exc, "rights_request", request_id)
        return redirect(url_for("rights.request", request_id=request_id))
    body = render_template("rights/record.html", record=records.assemble(work, found, linked)).encode("utf-8")
    records.downloaded(work, found, linked, body)
    return Response(body, mimetype="text/html", headers={
        "Content-Disposition": f"attachment; filename=dossier-{found.reference}.html",
        "Cache-Control": "no-store"})

# --- rectification by the DPO (GDPR art. 16) -------------------------------------------------------------
# The correction itself is ``cases.rectification`` (the coordonnateur makes the same one, on the DPO's
# instruction, through the situation's acts); this route is the DPO's own, who holds no designation in the
# group: the history names the « délégué à la protection des données » as the author.


@bp.route("/demandes/<uuid:request_id>/situations/<uuid:case_id>/rectifier", methods=["GET", "POST"])
@permission("authenticated")
def rectify(request_id: uuid.UUID, case_id: uuid.UUID) -> Page:
    """Correct a live situation the rectification request in progress concerns."""
    found = load_request(request_id, "rights.manage")
    case = next((c for c in services.linked_cases(rt.db(), found.id) if c.id == case_id), None)
    if case is None:
        deny(CASE_HIDDEN, "case", case_id)  # not linked to this request: nothing is revealed (R22)
    if found.kind != "rectification":
        return render_error(400, f"La demande {found.reference} n’est pas une demande de rectification : les "
                                 "données de la situation ne se corrigent que sur une telle demande (R12).")
    if not is_open(found.state):  # a request with a situation linked is in progress until it ends
        return render_error(409, f"La demande {found.reference} n’est pas en cours : une rectification se fait "
                                 "pendant l’instruction de la demande, avant sa réponse (R12).")
    form = case_forms.RectifyForm(prefix="rec")
    del form.rights_request  # the request is the URL's
    if request.method == "GET":
        form.fill(rectification.current(rt.work(), case))  # the identity decrypted: a read, audited
        rt.work().audit.record("case.viewed", "case", case.id, sections="rectification", request_id=found.id)
    elif form.validate():
        try:
            changed = rectification.rectify(rt.work(), case, None, found.id, form.correction())
        except DomainError as exc:
            refused(exc, "case", case.id, form)
        else:
            return done(f"{case.reference} rectifiée ({len(changed)} champ(s) corrigé(s)) pour la demande "
                        f"{found.reference} : enregistrez la réponse à la personne.", "rights.request",
                        request_id=found.id)
    return render_template("cases/rectify.html", case=case, form=form, reference=found.reference,
                           restricted=case.restricted_at is not None,
                           back=(url_for("rights.request", request_id=found.id), found.reference)), \
        400 if form.errors or form.form_errors else 200
