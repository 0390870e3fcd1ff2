"""The member's side: their groups, their designation, signing the charter and the rules."""

from __future__ import annotations

import uuid

from flask import Blueprint, flash, g, redirect, render_template, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from ccop_cases import runtime as rt
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
from ccop_cases.charter.policy import decide
from ccop_cases.security.permissions import permission, require

bp = Blueprint("charter", __name__)


def load_group(group_id: uuid.UUID, action: str) -> tuple[WorkingGroup, Membership]:
    """The group and the person's designation in it if the decision function allows
    ``action``; 404 when out of reach (a forged id looks like another group's, R22)."""
    decision = decide(rt.db(), g.person, action, group_id, now=rt.now(), load=True)
    require(decision, "working_group", group_id)
    assert decision.group and decision.membership  # noqa: S101 - loaded on an allowed decision
    return decision.group, decision.membership


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
        can_sign = decide(db, g.person, "group.sign", group, now=rt.now()).allowed
        pending = services.pending_texts(db, m) if can_sign else []
        if pending:
            return redirect(url_for("charter.sign", group_id=group.id))  # type: ignore[union-attr]
        rows.append((m, group, decide(db, g.person, "group.exchange", group, now=rt.now())))
    left = accounts.remaining_recovery_codes(db, g.person)
    return render_template("charter/home.html", rows=rows, recovery_left=left, statuses=GROUP_STATUSES,
                           roles=ROLES)


@bp.route("/groupes/<uuid:group_id>")
@permission("authenticated")
def group(group_id: uuid.UUID) -> str:
    """The member's designation in one group and what they signed."""
    group, membership = load_group(group_id, "group.view")
    db = rt.db()
    signatures = db.execute(select(Signature, GoverningText)
                            .join(GoverningText, GoverningText.id == Signature.text_id)
                            .where(Signature.membership_id == membership.id)
                            .order_by(Signature.signed_at.desc())).all()
    return render_template("charter/group.html", group=group, membership=membership, signatures=signatures,
                           decision=decide(db, g.person, "group.exchange", group, now=rt.now()),
                           statuses=GROUP_STATUSES, roles=ROLES, institutions=INSTITUTIONS)


@bp.route("/groupes/<uuid:group_id>/signature", methods=["GET", "POST"])
@permission("authenticated")
def sign(group_id: uuid.UUID) -> str | Response | tuple[str, int]:
    """Read the full text of the current charter and rules, then sign with a fresh code."""
    group, membership = load_group(group_id, "group.sign")
    db = rt.db()
    pending = services.pending_texts(db, membership)
    if not pending:
        flash("Vous avez signé les textes en vigueur de ce groupe.", "info")
        return redirect(url_for("charter.group", group_id=group.id))
    form = SignForm()
    if form.validate_on_submit():
        try:
            accounts.reauthenticate(db, rt.audit(), rt.runtime().keys, g.person, g.web_session,
                                    form.code.data or "", rt.now())
        except LoginRefused:
            db.commit()  # the failed code is counted and audited
            form.code.errors = ["Code incorrect : la signature n’a pas été enregistrée."]
        else:
            for text in pending:
                services.sign(db, rt.audit(), membership, text, rt.now())
            db.commit()
            flash("Signature enregistrée. Merci.", "success")
            return redirect(url_for("charter.home"))
    return render_template("charter/sign.html", group=group, pending=pending, form=form), 400 if form.errors else 200
