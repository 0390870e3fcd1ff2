"""Rectification at the person's request (R12, GDPR art. 16): the coordonnateur on a
rectification request in progress, or the DPO on the request's own route; each changed field
is one history line linked to the request, the identity is re-sealed and found again by the
exact search under its corrected name only, the trail keeps ids and field codes."""

from __future__ import annotations

import json
from datetime import date

import pytest
import rightstest
from apptest import audit_bodies, encodings, make_account, post, raw_database_bytes, setup_work
from rightstest import PERSON, PERSON_REP
from sqlalchemy import select

from ccop_cases.access.policy import NO_RECTIFICATION
from ccop_cases.accounts.models import Person
from ccop_cases.cases import rectification
from ccop_cases.cases import services as cases
from ccop_cases.cases.models import Case, CaseChange
from ccop_cases.identities.services import Identity
from ccop_cases.rights import services as rights

NEW_NAME, NEW_GIVEN, NEW_PHONE = "Mbaye-Durandal", "Inès Awa", "07 01 02 03 04"
BIRTH = PERSON.birth_date.isoformat()  # type: ignore[union-attr]


def _form(request_id=None, **changes) -> dict:
    """The rectification form as it is pre-filled with the person's situation, with ``changes``."""
    data = {"rec-last_name": PERSON.last_name, "rec-given_names": PERSON.given_names, "rec-sex": PERSON.sex,
            "rec-birth_date": BIRTH, "rec-address": PERSON.address, "rec-phone": PERSON.phone,
            "rec-email": PERSON.email, "rec-rep1_last_name": PERSON_REP.last_name,
            "rec-rep1_given_names": PERSON_REP.given_names, "rec-rep1_phone": PERSON_REP.phone,
            "rec-rep1_email": PERSON_REP.email, "rec-rep1_address": PERSON_REP.address,
            "rec-school_situation": "schooled_irregular", "rec-exposure_factors": ["absenteeism"], "rec-note": "",
            **({"rec-rights_request": str(request_id)} if request_id else {})}
    return {**data, **{f"rec-{name}": value for name, value in changes.items()}}


def _history(db, case_id):
    db.expire_all()
    return list(db.scalars(select(CaseChange).where(CaseChange.case_id == case_id, CaseChange.request_id.is_not(None))
                           .order_by(CaseChange.field)))


def _found(app, db, world, last_name: str, given: str = PERSON.given_names) -> list:
    work = setup_work(app, db)
    return [f.id for f in cases.find(work, db.merge(world.gov.group), last_name, given, PERSON.birth_date)]


@pytest.fixture
def world(app, admin):
    return rightstest.make_world(app, admin)


def test_the_coordonnateur_without_a_rectification_request_is_refused_under_r12(db, login_as, world) -> None:
    client = login_as(world.coordinator)
    url = f"/situations/{world.case.id}/rectification"
    page = client.get(url)
    assert page.status_code == 403 and NO_RECTIFICATION.message in page.text
    posted = post(client, url, _form(last_name=NEW_NAME), token_from="/")
    assert posted.status_code == 403
    assert [(d["rule"], d["target"]["id"]) for d in audit_bodies(db, "access.denied")] == \
        [("R12", str(world.case.id))] * 2
    assert _history(db, world.case.id) == []
    assert f"/situations/{world.case.id}/rectification" not in client.get(f"/situations/{world.case.id}").text


def test_an_access_request_in_progress_does_not_open_rectification(app, db, login_as, world) -> None:
    rightstest.new_request(app, db, world, kind="access")
    assert login_as(world.coordinator).get(f"/situations/{world.case.id}/rectification").status_code == 403


def test_the_coordonnateur_rectifies_on_the_request_and_the_history_names_it(app, db, login_as, world) -> None:
    request = rightstest.new_request(app, db, world, kind="rectification")
    client = login_as(world.coordinator)
    case_url = f"/situations/{world.case.id}"
    assert f"{case_url}/rectification" in client.get(case_url).text  # offered on the case page
    form = client.get(f"{case_url}/rectification")
    assert form.status_code == 200
    assert f'value="{PERSON.last_name}"' in form.text and f'value="{PERSON.phone}"' in form.text  # pre-filled
    assert f"{request.reference}, reçue le 02/03/2026" in form.text
    posted = post(client, f"{case_url}/rectification", _form(request.id, last_name=NEW_NAME, phone=NEW_PHONE,
                                                             school_situation="apprenticeship"))
    assert posted.status_code == 302 and posted.location == case_url
    changes = _history(db, world.case.id)
    assert [(c.field, c.request_id, c.changed_by) for c in changes] == [
        (code, request.id, world.coordinator_membership.id)
        for code in ("school_situation", "young_person.last_name", "young_person.phone")]
    assert all(c.value_enc and NEW_NAME.encode() not in c.value_enc for c in changes)
    page = client.get(case_url).text
    assert page.count(f"demande {request.reference}") == 3
    assert f"Rectification — Nom du jeune : {NEW_NAME}" in page and "Rectification — Scolarité, emploi : En " \
                                                                    "apprentissage" in page
    assert NEW_NAME in page and PERSON.last_name not in page.split('id="h-history"')[0]


def test_the_exact_search_finds_the_corrected_identity_and_no_longer_the_former(app, db, login_as, world) -> None:
    request = rightstest.new_request(app, db, world, kind="rectification")
    assert _found(app, db, world, PERSON.last_name) == [world.case.id]
    posted = post(login_as(world.coordinator), f"/situations/{world.case.id}/rectification",
                  _form(request.id, last_name=NEW_NAME, birth_date="2011-05-21"))
    assert posted.status_code == 302
    work = setup_work(app, db)
    group = db.merge(world.gov.group)
    assert [f.id for f in cases.find(work, group, NEW_NAME, NEW_GIVEN, date(2011, 5, 21))] == [world.case.id]
    assert [f.id for f in cases.find(work, group, PERSON.last_name, PERSON.given_names, PERSON.birth_date)] == []
    assert [f.id for f in cases.find(work, group, NEW_NAME, NEW_GIVEN, PERSON.birth_date)] == []


def test_the_trail_keeps_the_request_and_the_field_codes_never_a_value(app, db, login_as, world) -> None:
    request = rightstest.new_request(app, db, world, kind="rectification")
    post(login_as(world.coordinator), f"/situations/{world.case.id}/rectification",
         _form(request.id, last_name=NEW_NAME, phone=NEW_PHONE, rep1_email="f.ndiaye@example.net",
               note="Rendez-vous Zéphyrine", note_attested="y"))
    entries = audit_bodies(db, "case.rectified")
    assert {e["target"]["id"] for e in entries} == {str(world.case.id)}
    assert [e["details"] for e in entries] == [{"request_id": str(request.id), "field": code} for code in (
        "young_person.last_name", "young_person.phone", "representative_1.email", "note")]
    trail = json.dumps(audit_bodies(db), ensure_ascii=False)
    assert [v for v in (NEW_NAME, PERSON.last_name, NEW_PHONE, PERSON.phone, "f.ndiaye@example.net", "Zéphyrine",
                        "Inès") if v in trail] == []


def test_a_submission_that_changes_nothing_is_refused_in_french(app, db, login_as, world) -> None:
    request = rightstest.new_request(app, db, world, kind="rectification")
    refused = post(login_as(world.coordinator), f"/situations/{world.case.id}/rectification", _form(request.id))
    assert refused.status_code == 400 and "Aucune donnée n’a changé" in refused.text
    assert _history(db, world.case.id) == [] and audit_bodies(db, "case.rectified") == []


BAD_INPUT = [
    ({"rights_request": "00000000-0000-0000-0000-000000000007"}, "Choix inconnu."),
    ({"last_name": ""}, "Ce champ est obligatoire."),
    ({"rep1_last_name": ""}, "Indiquez le nom du représentant légal"),
    ({"note": "Vu au collège", "note_attested": ""}, "Cochez l’attestation"),
    ({"exposure_factors": ["violence_exposure"]}, "programme 2"),
    ({"rep2_given_names": "Awa"}, "Indiquez le nom du représentant légal"),
]


@pytest.mark.parametrize("changes,message", BAD_INPUT)
def test_a_bad_rectification_is_refused_and_nothing_is_written(app, db, login_as, world, changes, message) -> None:
    request = rightstest.new_request(app, db, world, kind="rectification")
    data = _form(request.id, **changes)
    refused = post(login_as(world.coordinator), f"/situations/{world.case.id}/rectification", data)
    assert refused.status_code == 400 and message in refused.text
    assert _history(db, world.case.id) == []
    assert _found(app, db, world, PERSON.last_name) == [world.case.id]


# --- the DPO's route --------------------------------------------------------------------------------


def _dpo_url(request, case) -> str:
    return f"/droits/demandes/{request.id}/situations/{case.id}/rectifier"


def test_the_dpo_rectifies_a_situation_of_the_request(app, db, login_as, world) -> None:
    request = rightstest.new_request(app, db, world, kind="rectification")
    client = login_as(world.dpo)
    assert _dpo_url(request, world.case) in client.get(f"/droits/demandes/{request.id}").text
    form = client.get(_dpo_url(request, world.case))
    assert form.status_code == 200 and f'value="{PERSON.email}"' in form.text and "rec-rights_request" not in form.text
    posted = post(client, _dpo_url(request, world.case), _form(given_names="Inès Awa Marie", sex="X"))
    assert posted.status_code == 302 and posted.location == f"/droits/demandes/{request.id}"
    changes = _history(db, world.case.id)
    assert [(c.field, c.request_id, c.changed_by) for c in changes] == [
        ("young_person.given_names", request.id, None), ("young_person.sex", request.id, None)]
    page = login_as(world.participant).get(f"/situations/{world.case.id}").text
    assert "délégué à la protection des données — Rectification — Prénoms du jeune : Inès Awa Marie — demande " \
           f"{request.reference}" in page
    assert "Rectification — Sexe du jeune : Autre ou non précisé" in page
    assert _found(app, db, world, PERSON.last_name, "Inès Awa Marie") == [world.case.id]


def test_the_dpo_cannot_reach_a_situation_the_request_does_not_name(app, db, login_as, world) -> None:
    request = rightstest.new_request(app, db, world, kind="rectification")
    client = login_as(world.dpo)
    for case in (world.other_case, world.foreign_case):
        assert client.get(_dpo_url(request, case)).status_code == 404
        assert post(client, _dpo_url(request, case), _form(last_name=NEW_NAME),
                    token_from=f"/droits/demandes/{request.id}").status_code == 404
    denied = [(d["rule"], d["target"]["id"]) for d in audit_bodies(db, "access.denied")]
    assert denied == [("R4", str(world.other_case.id))] * 2 + [("R4", str(world.foreign_case.id))] * 2
    assert _history(db, world.other_case.id) == [] and _history(db, world.foreign_case.id) == []


def test_another_councils_dpo_is_answered_404(app, db, login_as, world) -> None:
    request = rightstest.new_request(app, db, world, kind="rectification")
    stranger = make_account(app, "dpo.stranger")
    db.get_one(Person, stranger.person.id).is_dpo = True
    db.commit()
    assert login_as(stranger).get(_dpo_url(request, world.case)).status_code == 404


def test_the_dpo_rectifies_only_on_a_rectification_request_in_progress(app, db, login_as, world) -> None:
    access = rightstest.new_request(app, db, world, kind="access")
    client = login_as(world.dpo)
    wrong_kind = client.get(_dpo_url(access, world.case))
    assert wrong_kind.status_code == 400 and "n’est pas une demande de rectification" in wrong_kind.text
    answered = rightstest.new_request(app, db, world, kind="rectification")
    rights.answer(setup_work(app, db), db.merge(answered), "rectified", date(2026, 3, 2))
    db.commit()
    ended = post(client, _dpo_url(answered, world.case), _form(last_name=NEW_NAME),
                 token_from=f"/droits/demandes/{answered.id}")
    assert ended.status_code == 409 and "n’est pas en cours" in ended.text
    assert _history(db, world.case.id) == []


# --- restriction (art. 18(1)(a)): the correction it waits for is still made -------------------------


def test_a_restricted_situation_is_still_rectified_on_the_request(app, db, login_as, world) -> None:
    restriction = rightstest.new_request(app, db, world, kind="restriction")
    rights.answer(setup_work(app, db), db.merge(restriction), "restricted", date(2026, 3, 2))
    db.commit()
    request = rightstest.new_request(app, db, world, kind="rectification")
    coordinator = login_as(world.coordinator)
    case_url = f"/situations/{world.case.id}"
    page = coordinator.get(case_url).text
    assert "Traitement limité à la demande de la personne (R12)" in page and f"{case_url}/rectification" in page
    assert post(coordinator, f"{case_url}/rectification", _form(request.id, last_name=NEW_NAME)).status_code == 302
    dpo = login_as(world.dpo)
    form = dpo.get(_dpo_url(request, world.case))
    assert form.status_code == 200 and "reste possible" in form.text
    assert post(dpo, _dpo_url(request, world.case), _form(last_name=NEW_NAME, phone=NEW_PHONE)).status_code == 302
    assert [c.field for c in _history(db, world.case.id)] == ["young_person.last_name", "young_person.phone"]
    assert db.get_one(Case, world.case.id).restricted_at is not None  # still frozen for every other act


# --- at rest ----------------------------------------------------------------------------------------


def test_no_rectified_value_is_in_clear_in_the_database(committed_app, tmp_path) -> None:
    app = committed_app
    session = app.extensions["ccop"].database.session()
    admin = make_account(app, "rect.admin")
    session.get_one(Person, admin.person.id).is_charter_admin = True
    session.commit()
    world = rightstest.make_world(app, admin)
    request = rightstest.new_request(app, session, world, kind="rectification")
    new_rep = Identity("Mbaye", "Aminata", None, None, "9 allée Pervenche, 99001 Villefictive", "07 55 66 77 88",
                       "aminata.mbaye@example.org")
    correction = rectification.Correction(
        Identity(NEW_NAME, "Inès Awa", date(2011, 5, 21), "F", "12 place Capucine, 99001 Villefictive", NEW_PHONE,
                 "ines.mbaye@example.org"), [PERSON_REP, new_rep], "apprenticeship", ["absenteeism"],
        "Rendez-vous Zéphyrine", note_attested=True)
    work = setup_work(app, session)
    changed = rectification.rectify(work, session.merge(world.case), None, request.id, correction)
    session.commit()
    assert "representative_2.last_name" in changed and "note" in changed
    raw = raw_database_bytes(app, tmp_path)
    values = [NEW_NAME, "Mbaye", "Aminata", "Pervenche", "Capucine", NEW_PHONE, "07 55 66 77 88",
              "ines.mbaye@example.org", "aminata.mbaye@example.org", "Zéphyrine", "2011-05-21", PERSON.last_name]
    assert [v for v in values for enc in encodings(v) if enc in raw] == []
