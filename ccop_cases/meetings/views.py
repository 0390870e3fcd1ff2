"""Working-group sessions (R7): the coordonnateur schedules, sets the agenda, records who
attended and writes non-nominative minutes (R14); members see dates and references."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from ccop_cases.access import standing
from ccop_cases.access.loaders import deny, load_group, load_meeting, on_group, require
from ccop_cases.access.permissions import permission
from ccop_cases.access.policy import HIDDEN, decide
from ccop_cases.accounts.models import Person, by_name
from ccop_cases.cases.lists import DECISIONS, STATES
from ccop_cases.cases.models import OPEN_STATES, Case, CaseDecision
from ccop_cases.charter.models import Membership, WorkingGroup
from ccop_cases.meetings import forms, services
from ccop_cases.meetings.models import AgendaItem, Attendance, Meeting
from ccop_cases.web import runtime as rt
from ccop_cases.web.refusals import refused

bp = Blueprint("meetings", __name__)
Page = str | Response | tuple[str, int]


@bp.route("/groupes/<uuid:group_id>/seances", methods=["GET", "POST"])
@permission("authenticated")
def listing(group_id: uuid.UUID) -> Page:
    """Sessions of the group; the coordonnateur schedules a new one."""
    group, membership, _decision = load_group(group_id, "group.exchange")
    decision = on_group("group.coordinate", group.id)
    if request.method == "POST":
        require(decision, "working_group", group.id)
    coordinator = decision.allowed
    form = forms.ScheduleForm()
    if coordinator and form.validate_on_submit() and form.when.data is not None:  # the UTC moment
        meeting = services.schedule(rt.work(), group, membership, form.when.data)
        flash("Séance programmée.", "success")
        return redirect(url_for("meetings.meeting", meeting_id=meeting.id))
    meetings = rt.db().scalars(select(Meeting).where(Meeting.group_id == group.id)
                               .order_by(Meeting.scheduled_for.desc()).limit(50)).all()
    return render_template("meetings/list.html", group=group, meetings=meetings, form=form,
                           coordinator=coordinator), 400 if form.errors else 200


def _forms(meeting: Meeting, group: WorkingGroup, *, bound: bool = True) -> dict[str, Any]:
    """The coordonnateur's forms, showing the agenda and the attendance as they stand
    (``bound``: read the POSTed data, for the form of the act being done)."""
    db = rt.db()
    on_agenda = [str(item.case_id) for item in services.agenda(db, meeting)]
    present = db.scalars(select(Attendance.membership_id).where(Attendance.meeting_id == meeting.id)).all()
    posted: Any = {} if bound else {"formdata": None}
    agenda = forms.AgendaForm(prefix="ag", data={"cases": on_agenda}, **posted)
    attendance = forms.AttendanceForm(prefix="pr", data={"members": [str(m) for m in present]}, **posted)
    open_cases = db.scalars(select(Case).where(Case.group_id == group.id, Case.state.in_(OPEN_STATES))
                            .order_by(Case.reference)).all()
    # A situation restricted at the person's request (R12) is not offered, unless it was on the agenda
    # before: then it is marked, and may be taken off.
    agenda.cases.choices = {str(c.id): f"{c.reference} ({STATES[c.state]}"
                            f"{', traitement limité à la demande de la personne (R12)' if c.restricted_at else ''})"
                            for c in open_cases if c.restricted_at is None or str(c.id) in on_agenda}
    attendance.members.choices = {str(m.id): name for m, name in _signed_members(group)}
    return {"agenda_form": agenda, "attendance_form": attendance, "move_form": forms.MoveForm(prefix="od", **posted),
            "minutes_form": forms.MinutesForm(prefix="cr", data={"minutes": _minutes(meeting)}, **posted)}


def _minutes(meeting: Meeting) -> str:
    return services.minutes(rt.db(), rt.runtime().keys, meeting)


def _signed_members(group: WorkingGroup) -> list[tuple[Membership, str]]:
    """Members the decision function lets exchange today: signed, active, designated (R3, R4),
    their standings read in one query."""
    db, now = rt.db(), rt.now()
    allowed = {mid for mid, s in standing.group_members(db, group.id).items() if decide(s, "group.exchange", now)}
    rows = db.execute(select(Membership, Person).join(Person, Person.id == Membership.person_id)
                      .where(Membership.id.in_(allowed)).order_by(by_name())).all() if allowed else []
    return [(m, person.label) for m, person in rows]


def _session(meeting: Meeting) -> dict[str, Any]:
    """What the session's page and its print views show: the agenda in order (references,
    states, the decisions recorded in this session) and who attended, by display name."""
    db = rt.db()
    agenda = db.execute(select(Case.id, Case.reference, Case.state, Case.restricted_at.is_not(None))
                        .join(AgendaItem, AgendaItem.case_id == Case.id)
                        .where(AgendaItem.meeting_id == meeting.id)
                        .order_by(AgendaItem.position, Case.reference)).all()
    decided: dict[uuid.UUID, list[str]] = {}
    for case_id, decision in db.execute(select(CaseDecision.case_id, CaseDecision.decision)
                                        .where(CaseDecision.meeting_id == meeting.id)
                                        .order_by(CaseDecision.recorded_at)):
        decided.setdefault(case_id, []).append(DECISIONS[decision])
    present = [person.label for person in db.scalars(
        select(Person).join(Membership, Membership.person_id == Person.id)
        .join(Attendance, Attendance.membership_id == Membership.id)
        .where(Attendance.meeting_id == meeting.id).order_by(by_name()))]
    return {"agenda": agenda, "decided": decided, "present": present, "states": STATES}


def _page(meeting: Meeting, group: WorkingGroup, code: int = 200, **forms_: Any) -> tuple[str, int]:
    coordinator = on_group("group.coordinate", group.id).allowed
    return render_template("meetings/meeting.html", meeting=meeting, minutes=_minutes(meeting), group=group,
                           coordinator=coordinator, **_session(meeting),
                           **{**_forms(meeting, group, bound=False), **forms_}), code


@bp.route("/seances/<uuid:meeting_id>")
@permission("authenticated")
def meeting(meeting_id: uuid.UUID) -> Page:
    """A session: agenda of references, attendance, minutes."""
    meeting, group, _m, _decision = load_meeting(meeting_id, "group.exchange")
    return _page(meeting, group)


PRINTS = {"ordre-du-jour": "Ordre du jour", "compte-rendu": "Compte rendu"}


@bp.route("/seances/<uuid:meeting_id>/impression/<kind>")
@permission("authenticated")
def printed(meeting_id: uuid.UUID, kind: str) -> Page:
    """The agenda or the minutes to print: case references only, never a name of a followed
    person (R8). Minutes that would name one now (a situation proposed since they were
    written) are not printed until corrected (R14)."""
    if kind not in PRINTS:
        deny(HIDDEN, "meeting", meeting_id)
    meeting, group, _m, _decision = load_meeting(meeting_id, "group.exchange")
    text, naming = "", False
    if kind == "compte-rendu":
        text = _minutes(meeting)
        words, closed = services.identifying_words(rt.db(), rt.runtime().keys, group.id, text)
        naming = bool(words) or closed
    return render_template("meetings/print.html", meeting=meeting, group=group, kind=kind, title=PRINTS[kind],
                           minutes="" if naming else text, naming=naming, printed_at=rt.now(), **_session(meeting))


ACTS = {"ordre-du-jour": "agenda_form", "presences": "attendance_form", "compte-rendu": "minutes_form",
        "monter": "move_form", "descendre": "move_form"}


@bp.route("/seances/<uuid:meeting_id>/<act>", methods=["POST"])
@permission("authenticated")
def meeting_act(meeting_id: uuid.UUID, act: str) -> Page:
    """Set the agenda or move an item on it, record attendance or write the minutes (coordonnateur)."""
    if act not in ACTS:
        deny(HIDDEN, "meeting", meeting_id)
    meeting, group, _m, _decision = load_meeting(meeting_id, "group.coordinate")
    page_forms = _forms(meeting, group)
    name = ACTS[act]
    form = page_forms[name]  # bound to the POSTed data, with this group's choices
    if not form.validate():
        return _page(meeting, group, 400, **{name: form})
    work = rt.work()
    try:
        if act == "ordre-du-jour":
            services.set_agenda(work, meeting, [uuid.UUID(c) for c in form.cases.data or []])
        elif act == "presences":
            chosen = [work.session.get_one(Membership, uuid.UUID(m)) for m in form.members.data or []]
            services.record_attendance(work, meeting, chosen, {m.id for m, _ in _signed_members(group)})
        elif act in ("monter", "descendre"):
            services.move(work, meeting, uuid.UUID(form.case.data), -1 if act == "monter" else 1)
        else:
            services.write_minutes(work, meeting, form.minutes.data or "")
    except services.MeetingError as exc:
        # Refused minutes have their own action in the trail; the matched words never go there.
        refused(services.MeetingError(str(exc), rule=exc.rule), "meeting", meeting.id, form,  # atop the form
                action="meeting.minutes_refused" if act == "compte-rendu" else "access.denied")
        return _page(meeting, group, 400, **{name: form})
    if name == "move_form":
        return redirect(url_for("meetings.meeting", meeting_id=meeting.id, _anchor="ordre-du-jour"))
    flash("Enregistré.", "success")
    return redirect(url_for("meetings.meeting", meeting_id=meeting.id))
