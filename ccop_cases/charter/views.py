"""The member's side: their groups, their designation, signing the charter and the rules."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from ccop_cases.access.contacts import exclusions
from ccop_cases.access.loaders import duty, load_group, on_group
from ccop_cases.access.permissions import permission
from ccop_cases.access.policy import Decision, Scope
from ccop_cases.access.standing import pending_texts
from ccop_cases.accounts import services as accounts
from ccop_cases.accounts.services import LoginRefused
from ccop_cases.auditing.catalogue import ACTOR_ROLES, RULES
from ccop_cases.cases import services as case_services
from ccop_cases.charter import services
from ccop_cases.charter.forms import SignForm
from ccop_cases.charter.models import (
    GROUP_STATUSES,
    INSTITUTIONS,
    ROLES,
    TEXT_KINDS,
    GoverningText,
    Membership,
    Signature,
    WorkingGroup,
)
from ccop_cases.clock import PARIS, day
from ccop_cases.meetings import services as meeting_services
from ccop_cases.meetings.models import Meeting
from ccop_cases.oversight import services as oversight
from ccop_cases.rights import services as rights
from ccop_cases.web import runtime as rt

bp = Blueprint("charter", __name__)


@dataclass(frozen=True)
class Item:
    """One line of the home: a count, what it counts, and the page where it is handled."""

    count: int
    singular: str
    plural: str
    url: str


@dataclass
class GroupHome:
    group: WorkingGroup
    coordinator: bool
    items: list[Item]
    next_meeting: Meeting | None


# The home's lines for a group: (list filter, singular, plural); each opens the list it counts.
MEMBER_ITEMS = (
    ({"retard": "1", "tri": "reexamen"}, "situation dont le réexamen est dépassé",
     "situations dont le réexamen est dépassé"),
    ({"a_traiter": "action"}, "situation avec une action en cours arrivée à sa fin prévue",
     "situations avec une action en cours arrivée à sa fin prévue"),
    ({"a_traiter": "information"}, "proposition dont la famille reste à informer (R11)",
     "propositions dont la famille reste à informer (R11)"),
)
COORDINATOR_ITEMS = (
    ({"etat": "proposed"}, "proposition à examiner", "propositions à examiner"),
    ({"a_traiter": "doublon"}, "doublon possible à rapprocher", "doublons possibles à rapprocher"),
    ({"a_traiter": "derogation"}, "situation avec une dérogation à approuver",
     "situations avec une dérogation à approuver"),
    ({"a_traiter": "derogation_echue"}, "situation dont une dérogation est à réexaminer (date passée)",
     "situations dont une dérogation est à réexaminer (date passée)"),
)


def _filters(args: dict[str, str]) -> case_services.Filters:
    return case_services.Filters(state=args.get("etat", ""), overdue=args.get("retard") == "1",
                                 to_do=args.get("a_traiter", ""))


def _group_home(group: WorkingGroup, membership: Membership, decision: Decision, today: date) -> GroupHome:
    """The counts of one group where the person may exchange: their own situations, or the
    whole group's for the coordonnateur (the decision's scope, R4)."""
    db, coordinator = rt.db(), decision.scope == Scope.ALL
    named = None if coordinator else membership.id
    lines = MEMBER_ITEMS + (COORDINATOR_ITEMS if coordinator else ())
    items = [Item(case_services.count(db, group.id, named, _filters(args), today), one, many,
                  url_for("cases.listing", group_id=group.id, **dict[str, Any](args))) for args, one, many in lines]
    if coordinator:
        members = url_for("charter.members", group_id=group.id)
        unsigned = len(services.coverage(db, group, "charter", today).unsigned)
        ending = len(services.ending_designations(db, [group.id], today))
        items += [Item(unsigned, "membre n’a pas signé la charte en vigueur",
                       "membres n’ont pas signé la charte en vigueur", members),
                  Item(ending, f"désignation se termine dans les {services.ENDING_NOTICE_DAYS} jours",
                       f"désignations se terminent dans les {services.ENDING_NOTICE_DAYS} jours", members)]
    return GroupHome(group, coordinator, items, meeting_services.next_meeting(db, group.id, rt.now()))


@bp.route("/")
@permission("authenticated")
def home() -> str | Response:
    """Mon tableau de bord: what waits in each group, then the platform duties' own lines.
    Unsigned texts come before anything else (R2, R3). Counts only: reading the home is not a
    case read; each count opens the list where its situations are handled."""
    db, today = rt.db(), rt.today()
    memberships = list(db.scalars(select(Membership).where(Membership.person_id == g.person.id)
                                  .order_by(Membership.start_date.desc())))
    rows: list[tuple[Membership, WorkingGroup, Decision]] = []
    homes: list[GroupHome] = []
    for m in memberships:
        group = db.get_one(WorkingGroup, m.group_id)
        can_sign = on_group("group.sign", m.group_id).allowed
        pending = pending_texts(db, m) if can_sign else []
        if pending:
            return redirect(url_for("charter.sign", group_id=m.group_id))
        decision = on_group("group.exchange", m.group_id)
        if decision.allowed and all(h.group.id != group.id for h in homes):  # the latest designation
            homes.append(_group_home(group, m, decision, today))
        rows.append((m, group, decision))
    admin = _admin_home(today) if duty("console.manage").allowed else None
    dpo = _dpo_home() if duty("oversight.read").allowed else None
    left = accounts.remaining_recovery_codes(db, g.person)
    return render_template("charter/home.html", rows=rows, homes=homes, admin=admin, dpo=dpo, recovery_left=left,
                           statuses=GROUP_STATUSES, roles=ROLES, exclusions=exclusions(db, g.person))


def _admin_home(today: date) -> dict[str, Any]:
    """The charter administrator's lines: the groups of the councils they preside, their status
    and signature coverage, the designations ending soon, and the deployment's mode (R20)."""
    db = rt.db()
    groups = services.presided_groups(db, g.person.id)
    ending = services.ending_designations(db, [gr.id for gr in groups], today)
    names = {gr.id: gr.name for gr in groups}
    return {"groups": [(gr, {kind: services.coverage(db, gr, kind, today) for kind in TEXT_KINDS}) for gr in groups],
            "ending": [(e, names[e.group_id]) for e in ending], "days": services.ENDING_NOTICE_DAYS,
            "deployment": services.deployment(db), "kinds": TEXT_KINDS}


DENIALS_DAYS = 7


def _dpo_home() -> dict[str, Any]:
    """The DPO's lines: the last checkpoint and its age, the exports, the refusals of the week
    by rule (counts and codes from the trail: never a case's content)."""
    db, now = rt.db(), rt.now()
    # From the start of a Paris day, as the trail's « Du » filter that the lines open reads it.
    first_day = (now.astimezone(PARIS) - timedelta(days=DENIALS_DAYS)).date()
    since = datetime.combine(first_day, time(), tzinfo=PARIS)
    total, latest = oversight.exports(db)
    point = oversight.last_checkpoint(db)
    age = now - point.at if point else timedelta()
    # A timer signs one every half heartbeat interval: older than a whole one, it has stopped.
    late = age > timedelta(minutes=rt.runtime().settings.audit_heartbeat_minutes)
    # The persons' requests (R12) of the councils whose DPO this is: overdue, and due within a week.
    requests = rights.deadlines(db, [c.id for c in rights.councils_of(db, g.person.id)], day(now))
    return {"requests": requests, "soon_days": rights.SOON_DAYS,
            "checkpoint": point, "age": _duration(age), "late": late, "exports": total, "latest_exports": latest,
            "denials": oversight.denials_by_rule(db, since), "since": first_day, "days": DENIALS_DAYS,
            "rules": RULES, "names": accounts.labels(db, oversight.people_in(latest)), "actor_roles": ACTOR_ROLES}


def _duration(delta: timedelta) -> str:
    """« 5 minutes », « 3 heures », « 2 jours »: the unit that says it best."""
    minutes = int(delta.total_seconds() // 60)
    for size, one, many in ((1440, "jour", "jours"), (60, "heure", "heures")):
        if minutes >= size:
            n = minutes // size
            return f"{n} {one if n == 1 else many}"
    return "moins d’une minute" if minutes < 1 else f"{minutes} minute{'s' if minutes > 1 else ''}"


@bp.route("/groupes/<uuid:group_id>/membres")
@permission("authenticated")
def members(group_id: uuid.UUID) -> str:
    """The coordonnateur's view of the group's members: who has not signed the current texts,
    whose designation ends soon (to remind them, or their institution)."""
    group, _membership, _decision = load_group(group_id, "group.coordinate")
    today = rt.today()
    return render_template("charter/members.html", group=group, roster=services.roster(rt.db(), group, today),
                           ending={e.membership_id for e in services.ending_designations(rt.db(), [group.id], today)},
                           days=services.ENDING_NOTICE_DAYS, roles=ROLES, institutions=INSTITUTIONS)


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
