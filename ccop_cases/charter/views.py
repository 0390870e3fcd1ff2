"""The member's side: their groups, their designation, signing the charter and the rules."""

from __future__ import annotations

import uuid

from flask import Blueprint, flash, g, redirect, render_template, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from ccop_cases.access.contacts import exclusions
from ccop_cases.access.loaders import load_group, on_group
from ccop_cases.access.permissions import permission
from ccop_cases.access.standing import pending_texts
from ccop_cases.accounts import services as accounts
from ccop_cases.accounts.services import LoginRefused
from ccop_cases.charter import services
from ccop_cases.charter.forms import SignForm
from ccop_cases.charter.models import (
    GROUP_STATUSES,
    INSTITUTIONS,
    ROLES,
    GoverningText,
    Membership,
    Signature,
    WorkingGroup,
)
from ccop_cases.web import runtime as rt

bp = Blueprint("charter", __name__)


@bp.route("/")
@permission("authenticated")
def home() -> str | Response:
    """Landing page: the person's groups; unsigned texts come before anything else (R2, R3)."""
    db = rt.db()
    memberships = list(db.scalars(select(Membership).where(Membership.person_id == g.person.id)
                                  .order_by(Membership.start_date.desc())))
    rows = []
    for m in memberships:
        group = db.get(WorkingGroup, m.group_id)
        can_sign = on_group("group.sign", m.group_id).allowed
        pending = pending_texts(db, m) if can_sign else []
        if pending:
            return redirect(url_for("charter.sign", group_id=m.group_id))
        rows.append((m, group, on_group("group.exchange", m.group_id)))
    left = accounts.remaining_recovery_codes(db, g.person)
    return render_template("charter/home.html", rows=rows, recovery_left=left, statuses=GROUP_STATUSES,
                           roles=ROLES, exclusions=exclusions(db, g.person))


@bp.route("/groupes/<uuid:group_id>")
@permission("authenticated")
def group(group_id: uuid.UUID) -> str:
    """The member's designation in one group and what they signed."""
    group, membership, _decision = load_group(group_id, "group.view")
    db = rt.db()
    signatures = db.execute(select(Signature, GoverningText)
                            .join(GoverningText, GoverningText.id == Signature.text_id)
                            .where(Signature.membership_id == membership.id)
                            .order_by(Signature.signed_at.desc())).all()
    return render_template("charter/group.html", group=group, membership=membership, signatures=signatures,
                           decision=on_group("group.exchange", group.id),
                           statuses=GROUP_STATUSES, roles=ROLES, institutions=INSTITUTIONS)


@bp.route("/groupes/<uuid:group_id>/signature", methods=["GET", "POST"])
@permission("authenticated")
def sign(group_id: uuid.UUID) -> str | Response | tuple[str, int]:
    """Read the full text of the current charter and rules, then sign with a fresh code."""
    group, membership, _decision = load_group(group_id, "group.sign")
    db = rt.db()
    pending = pending_texts(db, membership)
    if not pending:
        flash("Vous avez signé les textes en vigueur de ce groupe.", "info")
        return redirect(url_for("charter.group", group_id=group.id))
    form = SignForm()
    if form.validate_on_submit():
        try:
            accounts.reauthenticate(rt.work(), g.person, g.web_session, form.code.data or "")
        except LoginRefused:  # the failed code is counted and audited (committed as the view returns)
            form.code.errors = ["Code incorrect : la signature n’a pas été enregistrée."]
        else:
            for text in pending:
                services.sign(rt.work(), membership, text)
            flash("Signature enregistrée. Merci.", "success")
            return redirect(url_for("charter.home"))
    return render_template("charter/sign.html", group=group, pending=pending, form=form), 400 if form.errors else 200
