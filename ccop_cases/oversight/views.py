"""Oversight console (DPO and overseers): read the trail, download a verifiable bundle.

Never shows case content: entries hold ids and codes only. Reaching it needs the DPO duty
and a code entered again within the last minutes.
"""

from __future__ import annotations

import io
import shutil
import tempfile
import zipfile
from datetime import datetime, time, timedelta
from pathlib import Path

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from werkzeug.wrappers import Response

from ccop_cases import auditing
from ccop_cases.access.loaders import duty
from ccop_cases.access.permissions import permission
from ccop_cases.accounts import services as accounts
from ccop_cases.auditing import ACTIONS
from ccop_cases.auditing.catalogue import ACTOR_ROLES, outcome_label
from ccop_cases.cases import queries as case_queries
from ccop_cases.clock import PARIS
from ccop_cases.oversight import services
from ccop_cases.oversight.forms import ExportForm, FilterForm
from ccop_cases.security.inputs import page_number
from ccop_cases.web import runtime as rt
from ccop_cases.web.refusals import refused

bp = Blueprint("oversight", __name__, url_prefix="/controle")


def _day(value: object, *, end: bool = False) -> datetime | None:
    if value is None:
        return None
    # A day in Paris, as the trail shows its times (midnight to midnight, whatever the offset).
    moment = datetime.combine(value, time(), tzinfo=PARIS)  # type: ignore[arg-type]
    return moment + timedelta(days=1) if end else moment


def _needs_code() -> Response | None:
    """The trail's content is seen or exported only after a fresh code (R21)."""
    decision = duty("oversight.trail")
    if decision or decision.remedy != "accounts.reauth":
        return None  # a refusal under another rule was already answered by the route's permission
    # Back to the trail after the code: a redirect cannot replay the export's POST.
    return redirect(url_for("accounts.reauth", suite="oversight.trail"))


@bp.route("/")
@permission("oversight")
def trail() -> str | Response | tuple[str, int]:
    """List the audit trail with filters, newest first."""
    if (redirection := _needs_code()) is not None:
        return redirection
    db = rt.db()
    form = FilterForm(request.args)
    form.personne.choices = {"": "Toutes", **{str(pid): label for pid, label in accounts.people(db)}}
    journals = _journals()
    form.journal.choices = {"": "Tous", **journals}
    export_form = ExportForm()
    export_form.journal.choices = journals
    page_of = {"form": form, "actions": ACTIONS, "roles": ACTOR_ROLES, "outcome": outcome_label,
               "export": export_form, "journals": journals}
    if request.args and not form.validate():
        return render_template("oversight/trail.html", rows=[], pages=1, number=1, names={}, **page_of), 400
    # A reference is resolved to its cases' ids here: the trail holds ids, and neither the
    # reference nor a name is written to it (a reference of no case shows no entry).
    cases = tuple(case_queries.with_reference(db, form.situation.data)) if form.situation.data else None
    filters = services.Filters(_day(form.du.data), _day(form.au.data, end=True), form.personne.data or "",
                               form.action.data or "", form.regle.data or "", cases,
                               auditing.key_of(form.journal.data) if form.journal.data else None)
    number = page_number()
    rows, pages = services.page(db, filters, number)
    rt.audit().record("audit.viewed", "audit_log", "", page=min(number, pages), action_filter=filters.action,
                      actor_filter=filters.actor, rule_filter=filters.rule, case_filter=_cases_filter(cases),
                      chain_filter=form.journal.data or "")
    # Names at display time (never in the trail), in one query for the page.
    # References are numbered per group: say so when one matches situations of several groups.
    several = case_queries.group_names(db, cases) if cases and len(cases) > 1 else []
    return render_template("oversight/trail.html", rows=rows, pages=pages, number=min(number, pages),
                           names=accounts.labels(db, services.people_in(rows)), several=several, **page_of)


def _journals() -> dict[str, str]:
    """The chains to choose from: « Plateforme », then each council's by name."""
    return {auditing.name_of(head.chain): head.name if head.chain == auditing.PLATFORM else f"Conseil : {head.name}"
            for head in services.chain_heads(rt.db())}


def _cases_filter(cases: tuple[object, ...] | None) -> str:
    """The reference filter as the trail keeps it: the case's id, never the reference."""
    if cases is None:
        return ""
    return str(cases[0]) if len(cases) == 1 else f"matches:{len(cases)}"


@bp.route("/export", methods=["POST"])
@permission("oversight")
def export() -> Response | tuple[str, int]:
    """Download a signed bundle (zip) for offline verification."""
    if (redirection := _needs_code()) is not None:
        return redirection
    form = ExportForm()
    form.journal.choices = _journals()
    if not form.validate():
        problem = "Journal inconnu : choisissez-le dans la liste." if form.journal.errors else \
            "Dates invalides : utilisez le format AAAA-MM-JJ."
        flash(problem, "error")
        return redirect(url_for("oversight.trail"))
    chain = auditing.key_of(form.journal.data)
    workdir = Path(tempfile.mkdtemp(prefix="ccop-export-"))
    try:
        try:
            services.export(rt.work(), workdir / "bundle", chain, start=_day(form.du.data),
                            end=_day(form.au.data, end=True))
        except services.ExportError as exc:
            refused(exc, "audit_log", "")
            return redirect(url_for("oversight.trail"))
        archive = _zip(workdir / "bundle")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    name = f"journal-audit-{form.journal.data}-{rt.now():%Y%m%d-%H%M%S}.zip"
    return send_file(archive, mimetype="application/zip", as_attachment=True, download_name=name)


def _zip(directory: Path) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(directory.iterdir()):
            archive.write(path, f"bundle/{path.name}")
        archive.write(auditing.VERIFIER, "verify_audit_export.py")
    buffer.seek(0)
    return buffer
