"""The register's pages (R12): who reaches them, the DPO's flow, and bad input answered in French
with a 4xx and nothing half-written."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta

import pytest
import rightstest
from apptest import audit_bodies, make_account, post, setup_work
from sqlalchemy import func, select

from ccop_cases.accounts.models import Person
from ccop_cases.charter import services as charter
from ccop_cases.rights.models import RightsRequest, RightsRequestCase


@pytest.fixture
def world(app, admin):
    return rightstest.make_world(app, admin)


def _request_url(request) -> str:
    return f"/droits/demandes/{request.id}"


def _other_dpo(app, world):
    """The DPO of the other council."""
    acct = make_account(app, "dpo.other")
    session = world.other_gov.session
    session.get_one(Person, acct.person.id).is_dpo = True
    session.commit()
    charter.set_dpo(setup_work(app, session), world.other_gov.council, acct.username)
    session.commit()
    return acct


def test_the_dpo_registers_checks_finds_links_and_answers(app, world, login_as, db, clock):
    client = login_as(world.dpo)
    page = client.get(f"/droits/conseils/{world.gov.council.id}/nouvelle")
    submission = re.search(r'name="submission_id" type="hidden" value="([^"]+)"', page.text).group(1)
    received = clock().date()
    data = {"submission_id": submission, "kind": "access", "received_on": received.isoformat(), "channel": "letter",
            "requester": "representative", "last_name": rightstest.REQUESTER.last_name,
            "given_names": rightstest.REQUESTER.given_names, "email": rightstest.REQUESTER.email}
    created = post(client, f"/droits/conseils/{world.gov.council.id}/nouvelle", data)
    assert created.status_code == 302
    assert post(client, f"/droits/conseils/{world.gov.council.id}/nouvelle", data).status_code == 302
    assert db.scalar(select(func.count()).select_from(RightsRequest)) == 1  # a double submission lands once
    url = created.location
    request = db.scalar(select(RightsRequest))
    assert url == _request_url(request) and request.state == "received"
    assert "Fatou" not in url and str(request.id) in url  # the address names an id, never a person
    assert post(client, f"{url}/identite", {"idc-identity_check": "id_document",
                                            "idc-checked_on": received.isoformat()}, token_from=url).status_code == 302
    person = rightstest.PERSON
    found = post(client, f"{url}/recherche", {"srch-last_name": person.last_name, "srch-given_names": "Ines awa",
                                              "srch-birth_date": person.birth_date.isoformat()}, token_from=url)
    assert found.status_code == 200
    # Exactly the person's situation of this council: the namesake of the other council is not offered.
    assert re.findall(r'name="lnk-case_id" value="([^"]+)"', found.text) == [str(world.case.id)]
    linked = post(client, f"{url}/situations", {"lnk-case_id": str(world.case.id)}, token_from=url)
    assert linked.status_code == 302
    db.expire_all()
    assert db.get(RightsRequest, request.id).state == "in_progress"
    answered = post(client, f"{url}/reponse", {"ans-answer": "no_data", "ans-answered_on": received.isoformat()},
                    token_from=url)
    assert answered.status_code == 302
    db.expire_all()
    ended = db.get(RightsRequest, request.id)
    assert (ended.state, ended.answer, ended.answered_on) == ("answered", "no_data", received)
    assert ended.keep_until == date(received.year + 3, received.month, received.day)
    actions = [e["action"] for e in audit_bodies(db) if e["action"].startswith("rights.")]
    for expected in ("rights.registered", "rights.identity_checked", "rights.searched", "rights.case_linked",
                     "rights.answered", "rights.viewed"):
        assert expected in actions
    trail = str(audit_bodies(db))
    for value in (rightstest.REQUESTER.last_name, rightstest.REQUESTER.email, person.last_name, "Ines awa"):
        assert value not in trail  # ids and codes only
    searched = audit_bodies(db, "rights.searched")[0]
    assert searched["details"] == {"results": "1"}  # the count, never the name searched


BAD_INPUT = [  # (what, act, form, status, French message)
    ("no case found", "recherche", {"srch-last_name": "Personne", "srch-given_names": "Inconnue",
                                    "srch-birth_date": "2011-05-20"}, 404,
     "Aucune situation des groupes du conseil ne correspond exactement"),
    ("extension without a reason", "prolongation", {"ext-reason": ""}, 400,
     "Indiquez le motif de la prolongation"),
    ("answer without the record", "reponse", {"ans-answer": "record_sent", "ans-answered_on": "2026-03-02"}, 400,
     "Téléchargez d’abord le dossier de la personne"),
    ("answer from the future", "reponse", {"ans-answer": "no_data", "ans-answered_on": "2099-01-01"}, 400,
     "La date de la réponse se situe entre la réception de la demande et aujourd’hui"),
    ("erasure answer for an access request", "reponse", {"ans-answer": "erased", "ans-answered_on": "2026-03-02"},
     400, "Choix inconnu"),
    ("refusal without a legal reason", "refus", {"ref-refusal_reason": "", "ref-refused_on": "2026-03-02"}, 400,
     "Indiquez le motif légal du refus"),
]


@pytest.mark.parametrize("what,act,form,status,message", BAD_INPUT, ids=[row[0] for row in BAD_INPUT])
def test_bad_input_is_a_french_4xx_and_changes_nothing(app, world, login_as, db, what, act, form, status, message):
    request = rightstest.new_request(app, db, world)
    before = (request.state, request.due_on, request.extension_reason, request.answer)
    client = login_as(world.dpo)
    url = _request_url(request)
    response = post(client, f"{url}/{act}", form, token_from=url)
    assert response.status_code == status
    assert message in response.text
    db.expire_all()
    again = db.get(RightsRequest, request.id)
    assert (again.state, again.due_on, again.extension_reason, again.answer) == before


def test_a_case_of_another_council_is_never_linked(app, world, login_as, db):
    request = rightstest.new_request(app, db, world)
    client = login_as(world.dpo)
    url = _request_url(request)
    response = post(client, f"{url}/situations", {"lnk-case_id": str(world.foreign_case.id)}, token_from=url)
    assert response.status_code == 404
    assert db.scalar(select(func.count()).select_from(RightsRequestCase)
                     .where(RightsRequestCase.case_id == world.foreign_case.id)) == 0
    denied = audit_bodies(db, "access.denied")[-1]
    assert denied["target"] == {"id": str(world.foreign_case.id), "type": "case"}
    assert post(client, f"{url}/situations", {"lnk-case_id": str(uuid.uuid4())}, token_from=url).status_code == 404


def test_a_search_of_the_register_never_reaches_another_councils_namesake(app, world, db):
    from ccop_cases.rights import services as rights
    request = rightstest.new_request(app, db, world, state="identity_checked")
    person = rightstest.PERSON
    found = rights.find_cases(setup_work(app, db), request, person.last_name, person.given_names,
                              person.birth_date)
    assert [f.case_id for f in found] == [world.case.id]  # the namesake of the other council stays unseen


def test_who_reaches_the_register(app, world, login_as, db):
    """The council's DPO only; another council's DPO gets 404 (audited), anyone else the R17 refusal."""
    request = rightstest.new_request(app, db, world)
    url = _request_url(request)
    other = _other_dpo(app, world)
    assert login_as(world.dpo).get(url).status_code == 200
    assert login_as(other).get(url).status_code == 404
    assert audit_bodies(db, "access.denied")[-1]["rule"] == "R12"
    other_register = login_as(other).get("/droits/").text
    assert request.reference not in other_register
    for account in (world.coordinator, world.participant):
        client = login_as(account)
        assert client.get(url).status_code == 403
        assert client.get("/droits/").status_code == 403
        assert audit_bodies(db, "access.denied")[-1]["rule"] == "R17"
        assert client.get(f"/droits/conseils/{world.gov.council.id}/nouvelle").status_code == 403


def test_the_coordonnateur_sees_the_groups_requests_in_codes_only(app, world, login_as, db):
    request = rightstest.new_request(app, db, world)
    page = login_as(world.coordinator).get(f"/droits/groupes/{world.gov.group.id}")
    assert page.status_code == 200
    assert request.reference in page.text and world.case.reference in page.text
    for value in (rightstest.REQUESTER.last_name, rightstest.PERSON.last_name, rightstest.REQUESTER.email):
        assert value not in page.text
    assert login_as(world.participant).get(f"/droits/groupes/{world.gov.group.id}").status_code == 403


def test_the_dpo_home_marks_overdue_requests_and_those_due_within_a_week(app, world, login_as, db, clock):
    today = clock().date()
    soon = rightstest.new_request(app, db, world, received_on=today - timedelta(days=25))
    late = rightstest.new_request(app, db, world, received_on=today - timedelta(days=40))
    rightstest.new_request(app, db, world, received_on=today - timedelta(days=3))  # far from due
    home = login_as(world.dpo).get("/").text
    overdue = re.search(r"(\d+)</strong>\s*demandes? d’exercice des droits en retard</a>(.*?)</li>", home, re.S)
    within = re.search(r"(\d+)</strong>\s*demandes? à traiter dans les 7 jours</a>(.*?)</li>", home, re.S)
    assert overdue.group(1) == "1" and late.reference in overdue.group(2) and soon.reference not in overdue.group(2)
    assert within.group(1) == "1" and soon.reference in within.group(2)
    clock.advance(days=10)  # the soon one is now overdue too
    home = login_as(world.dpo).get("/").text
    overdue = re.search(r"(\d+)</strong>\s*demandes? d’exercice des droits en retard", home)
    assert overdue.group(1) == "2"
