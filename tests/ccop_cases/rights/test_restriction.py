"""A situation restricted at the person's request (R12, GDPR art. 18) is frozen: every write
route of the case workspace refuses it with R12, audited, nothing changed; its participants
still read it; it is not put on an agenda; once the restriction is lifted, it changes again."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

import pytest
import rightstest
from apptest import audit_bodies, post, setup_work
from sqlalchemy import select

from ccop_cases.access.policy import RESTRICTED
from ccop_cases.cases import services as cases
from ccop_cases.cases.models import (
    Case,
    CaseAction,
    CaseChange,
    CaseDecision,
    CaseParticipant,
    InformationRecord,
)
from ccop_cases.cases.views import ACTS
from ccop_cases.identities.models import IdentityRecord, IdentityToken
from ccop_cases.meetings import services as meetings
from ccop_cases.meetings.models import AgendaItem
from ccop_cases.rights import services as rights

BANNER = "Traitement limité à la demande de la personne (R12)"
ANSWERED_ON = date(2026, 3, 2)  # the clock's day (apptest.START)


def _restrict(app, db, world):
    """The person's restriction request answered « restricted »: the situation is frozen."""
    request = rightstest.new_request(app, db, world, kind="restriction")
    rights.answer(setup_work(app, db), request, "restricted", ANSWERED_ON)
    db.commit()
    return request


def _lift(app, db, request) -> None:
    rights.lift_restriction(setup_work(app, db), db.merge(request))
    db.commit()


@pytest.fixture
def frozen(app, admin, db):
    """The rights world, its situation holding an action running and a derogation waiting for
    approval (objects the write routes name), then restricted."""
    world = rightstest.make_world(app, admin)
    work = setup_work(app, db)
    case = db.merge(world.case)
    coordinator = db.merge(world.coordinator_membership)
    action = cases.add_action(work, case, coordinator, action_type="citizenship", start=date(2026, 3, 1), end=None,
                              outcome="ongoing")
    derogation = cases.inform(work, case, db.merge(world.participant_membership), who="representative_1",
                              informed_on=None, means=None, derogation_reason="unreachable",
                              review_date=date(2026, 6, 1))
    db.commit()
    participant = db.scalar(select(CaseParticipant).where(
        CaseParticipant.case_id == case.id, CaseParticipant.membership_id == world.participant_membership.id))
    request = _restrict(app, db, world)
    return world, request, {"action": action.id, "record": derogation.id, "participant": participant.id}


# (endpoint, act) -> (path under /situations/<case>, form data, who is refused under R12: the
# coordonnateur always; a participant where the act is theirs, the coordonnateur's acts refusing
# them under R4 first).
WRITES: dict[tuple[str, str | None], tuple[str, dict[str, str], str]] = {
    ("cases.case_act", "information"): ("information", {"inf-who": "young_person", "inf-informed_on": "2026-03-01",
                                                        "inf-means": "letter"}, "both"),
    ("cases.case_act", "actions"): ("actions", {"act-action_type": "citizenship", "act-start_date": "2026-03-01",
                                                "act-outcome": "ongoing"}, "both"),
    ("cases.case_act", "objectif"): ("objectif", {"obj-objective": ""}, "both"),
    ("cases.case_act", "decisions"): ("decisions", {"dec-decision": "review"}, "coordinator"),
    ("cases.case_act", "participants"): ("participants", {"par-membership": "{participant_membership}",
                                                          "par-reason": "school"}, "coordinator"),
    ("cases.case_act", "cloture"): ("cloture", {"clo-reason": "objectives_met", "clo-confirm": "y"}, "coordinator"),
    ("cases.end_action", None): ("actions/{action}/fin", {"fin-end_date": "2026-03-02", "fin-outcome": "done"},
                                 "both"),
    ("cases.follow", None): ("suivre", {}, "coordinator"),
    ("cases.remove_participant", None): ("participants/{participant}/retirer",
                                         {"reason": "removed_no_longer_needed", "confirm": "y"}, "coordinator"),
    ("cases.approve", None): ("information/{record}/approuver", {}, "coordinator"),
    ("cases.resolve_duplicate", "rattacher"): ("doublon/rattacher", {"confirm": "y"}, "coordinator"),
    ("cases.resolve_duplicate", "decliner"): ("doublon/decliner", {"confirm": "y"}, "coordinator"),
}
# The one case act a restriction does not freeze: the correction it may be waiting for
# (art. 18(1)(a)), on a rectification request in progress (tests in test_rectification.py).
NOT_FROZEN = {"rectification"}


def test_the_table_holds_every_write_route_of_the_case_workspace(app) -> None:
    """A new write route on a situation, or a new case act, must join the table."""
    routes = {rule.endpoint for rule in app.url_map.iter_rules()
              if rule.endpoint.startswith("cases.") and "POST" in (rule.methods or set())
              and "case_id" in rule.arguments}
    assert routes == {endpoint for endpoint, _act in WRITES}
    acts = {act for endpoint, act in WRITES if endpoint == "cases.case_act"}
    assert acts | NOT_FROZEN == set(ACTS)


def _snapshot(db, case_id: uuid.UUID) -> list[tuple]:
    """Every row about the situation, column by column (what a write would change)."""
    db.expire_all()
    found: list[tuple] = []
    for model, column in ((Case, Case.id), (CaseChange, CaseChange.case_id), (CaseAction, CaseAction.case_id),
                          (CaseDecision, CaseDecision.case_id), (CaseParticipant, CaseParticipant.case_id),
                          (InformationRecord, InformationRecord.case_id), (IdentityRecord, IdentityRecord.unit_id),
                          (IdentityToken, IdentityToken.unit_id), (AgendaItem, AgendaItem.case_id)):
        for row in db.scalars(select(model).where(column == case_id)):
            found.append((model.__tablename__, *(getattr(row, c.key) for c in model.__table__.columns)))
    return sorted(found, key=repr)


@pytest.mark.parametrize("who", ["coordinator", "participant"])
@pytest.mark.parametrize("route", list(WRITES), ids=lambda r: f"{r[0]}-{r[1]}")
def test_a_restricted_situation_refuses_every_write(app, db, login_as, frozen, who, route) -> None:
    world, _request, ids = frozen
    path, data, refused_under_r12 = WRITES[route]
    values = {**ids, "participant_membership": world.participant_membership.id}
    url = f"/situations/{world.case.id}/{path.format(**values)}"
    client = login_as(getattr(world, who))
    before, denials = _snapshot(db, world.case.id), len(audit_bodies(db, "access.denied"))
    response = post(client, url, {k: v.format(**values) for k, v in data.items()}, token_from="/")
    expected = "R12" if who == "coordinator" or refused_under_r12 == "both" else "R4"
    assert response.status_code == 403, (url, response.status_code)
    assert (BANNER in response.text) == (expected == "R12")
    denied = audit_bodies(db, "access.denied")[denials:]
    assert [(d["rule"], d["target"]["id"]) for d in denied] == [(expected, str(world.case.id))]
    assert _snapshot(db, world.case.id) == before


@pytest.mark.parametrize("who", ["coordinator", "participant"])
def test_a_restricted_situation_is_read_with_a_banner_and_no_act(db, login_as, frozen, who) -> None:
    world, _request, ids = frozen
    page = login_as(getattr(world, who)).get(f"/situations/{world.case.id}")
    assert page.status_code == 200
    assert BANNER in page.text
    acts = [f"/situations/{world.case.id}/{act}" for act in ACTS] + [
        f"/situations/{world.case.id}/suivre", f"/situations/{world.case.id}/actions/{ids['action']}/fin",
        f"/situations/{world.case.id}/information/{ids['record']}/approuver",
        f"/situations/{world.case.id}/participants/{ids['participant']}/retirer",
        f"/situations/{world.case.id}/doublon/"]
    assert [a for a in acts if f'"{a}' in page.text] == []


def test_a_restricted_closed_situation_is_still_read_from_the_archive(app, admin, db, login_as) -> None:
    world = rightstest.make_world(app, admin)
    work = setup_work(app, db)
    cases.close(work, db.merge(world.case), db.merge(world.coordinator_membership), reason="objectives_met")
    db.commit()
    _restrict(app, db, world)
    page = login_as(world.participant).get(f"/situations/{world.case.id}/archive?motif=rights_request")
    assert page.status_code == 200
    assert BANNER in page.text and rightstest.PERSON.last_name in page.text


def test_once_lifted_the_situation_changes_again(app, db, login_as, frozen) -> None:
    world, request, _ids = frozen
    _lift(app, db, request)
    participant = login_as(world.participant)
    url = f"/situations/{world.case.id}"
    added = post(participant, f"{url}/actions", {"act-action_type": "citizenship", "act-start_date": "2026-03-01",
                                                  "act-outcome": "ongoing"})
    assert added.status_code == 302
    decided = post(login_as(world.coordinator), f"{url}/decisions", {"dec-decision": "review"})
    assert decided.status_code == 302
    db.expire_all()
    assert len(db.scalars(select(CaseAction).where(CaseAction.case_id == world.case.id)).all()) == 2
    assert db.scalar(select(CaseDecision.decision).where(CaseDecision.case_id == world.case.id)) == "review"
    page = participant.get(url).text
    assert BANNER not in page and f'"{url}/actions"' in page
    assert [e["target"]["id"] for e in audit_bodies(db, "case.restriction_lifted")] == [str(world.case.id)]


# --- the agenda --------------------------------------------------------------------------------------


def test_the_agenda_refuses_a_restricted_situation_with_r12(app, admin, db) -> None:
    world = rightstest.make_world(app, admin)
    _restrict(app, db, world)
    work = setup_work(app, db)
    meeting = meetings.schedule(work, db.merge(world.gov.group), db.merge(world.coordinator_membership),
                                datetime(2026, 3, 10, 9, 0, tzinfo=world.case.proposed_at.tzinfo))
    with pytest.raises(meetings.MeetingError) as refused:
        meetings.set_agenda(work, meeting, [world.other_case.id, world.case.id])
    assert refused.value.rule == "R12" and refused.value.field == "cases"
    assert str(refused.value) == f"{world.case.reference} : {RESTRICTED.message}"
    meetings.set_agenda(work, meeting, [world.other_case.id])  # the other situation goes on
    assert [i.case_id for i in meetings.agenda(db, meeting)] == [world.other_case.id]


def test_the_agenda_speaks_the_words_of_the_decision_function() -> None:
    assert RESTRICTED.message == meetings.RESTRICTED
    assert RESTRICTED.message.startswith(BANNER)


def _meeting(app, db, world, on_agenda: list[uuid.UUID]):
    work = setup_work(app, db)
    meeting = meetings.schedule(work, db.merge(world.gov.group), db.merge(world.coordinator_membership),
                                world.case.proposed_at + timedelta(days=8))
    meetings.set_agenda(work, meeting, on_agenda)
    db.commit()
    return meeting


def test_the_agenda_form_does_not_offer_a_restricted_situation(app, admin, db, login_as) -> None:
    world = rightstest.make_world(app, admin)
    _restrict(app, db, world)
    meeting = _meeting(app, db, world, [])
    client = login_as(world.coordinator)
    page = client.get(f"/seances/{meeting.id}").text
    assert world.other_case.reference in page and world.case.reference not in page
    posted = post(client, f"/seances/{meeting.id}/ordre-du-jour", {"ag-cases": str(world.case.id)},
                  token_from=f"/seances/{meeting.id}")
    assert posted.status_code == 400 and "Choix inconnu." in posted.text
    assert meetings.agenda(db, meeting) == []


def test_a_situation_on_the_agenda_before_its_restriction_is_marked_and_may_be_taken_off(app, admin, db,
                                                                                        login_as) -> None:
    world = rightstest.make_world(app, admin)
    meeting = _meeting(app, db, world, [world.case.id, world.other_case.id])
    _restrict(app, db, world)
    client = login_as(world.coordinator)
    page = client.get(f"/seances/{meeting.id}").text
    assert f"{world.case.reference} (Proposée, traitement limité à la demande de la personne (R12))" in page
    assert f"decisions?retour={meeting.id}" in page  # the other situation's decision link stays
    assert f"/situations/{world.case.id}/decisions" not in page
    kept = post(client, f"/seances/{meeting.id}/ordre-du-jour",
                {"ag-cases": [str(world.case.id), str(world.other_case.id)]}, token_from=f"/seances/{meeting.id}")
    assert kept.status_code == 302
    taken_off = post(client, f"/seances/{meeting.id}/ordre-du-jour", {"ag-cases": str(world.other_case.id)},
                     token_from=f"/seances/{meeting.id}")
    assert taken_off.status_code == 302
    assert [i.case_id for i in meetings.agenda(db, meeting)] == [world.other_case.id]
