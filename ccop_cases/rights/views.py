"""The DPO's register of the persons' requests (R12): record a request, check who asks, find
the situations it concerns, extend, answer, refuse; the person's own record; rectification.

Every route goes through ``load_request`` (the council's DPO only; another council's request
answers 404) and every act is audited by its service in the request's transaction.
"""

from __future__ import annotations

import uuid

from flask import Blueprint, redirect, render_template, render_template_string, url_for
from werkzeug.wrappers import Response

from ccop_cases.access.loaders import load_request, on_council_rights
from ccop_cases.access.permissions import permission
from ccop_cases.rights import record as records
from ccop_cases.rights import services
from ccop_cases.web import runtime as rt
from ccop_cases.web.refusals import refused

bp = Blueprint("rights", __name__, url_prefix="/droits")
Page = str | Response | tuple[str, int]


# placeholder: the lead's register page replaces this (GET /droits/demandes/<id>, endpoint
# ``request``); here only so that a code entered again leads back somewhere, and the record's
# download form has a page.
@bp.route("/demandes/<uuid:request_id>")
@permission("authenticated")
def request(request_id: uuid.UUID) -> Page:
    """Show a rights request (placeholder)."""
    found = load_request(request_id)
    return render_template_string(
        '{% extends "base.html" %}{% block title %}Demande {{ r.reference }}{% endblock %}'
        '{% block content %}<h1>Demande {{ r.reference }}</h1>'
        '{% include "rights/_record_form.html" %}{% endblock %}', r=found)


# --- the person's own record (R12, GDPR art. 15; the one nominative export, R8) ----------------------


def _needs_code(request_id: uuid.UUID) -> Response | None:
    """The record leaves only after a code entered again (R21); the code's page leads back to
    the request's (a redirect cannot replay this POST)."""
    found = load_request(request_id)  # the council's DPO only: 404 otherwise, audited
    if on_council_rights(found.council_id, "rights.record").remedy != "accounts.reauth":
        return None  # allowed, or refused under another rule: load_request answers it next
    return redirect(url_for("accounts.reauth", suite="rights.request", request_id=request_id))


@bp.route("/demandes/<uuid:request_id>/dossier", methods=["POST"])
@permission("authenticated")
def record(request_id: uuid.UUID) -> Page:
    """Download, once, the person's own record of an access request: built in memory, never
    written to disk, its hash audited (never its content)."""
    if (redirection := _needs_code(request_id)) is not None:
        return redirection
    found = load_request(request_id, "rights.record")
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
