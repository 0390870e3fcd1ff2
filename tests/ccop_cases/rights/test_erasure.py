"""Erasure and objection granted (R12, GDPR art. 17 and 21): the situation is crypto-shredded
at once through the retention service, with the scheduled purge's guarantees, and the
request keeps only its own minimal record."""

from __future__ import annotations

import json
from datetime import date

import pytest
import rightstest
from apptest import audit_bodies, charter_admin, encodings, raw_database_bytes, setup_work
from rightstest import OTHER, PERSON, PERSON_REP, REQUESTER, RightsWorld
from sqlalchemy import func, select

from ccop_cases.cases import services as cases
from ccop_cases.cases.models import Case, CaseChange
from ccop_cases.encryption import seal_text
from ccop_cases.identities import services as identities
from ccop_cases.identities.models import IDENTITY_FIELDS, DataKeyRecord, IdentityRecord, IdentityToken
from ccop_cases.identities.services import Identity
from ccop_cases.retention import services as retention
from ccop_cases.rights import services as rights
from ccop_cases.rights.services import RightsError

TODAY = date(2026, 3, 2)  # the clock fixture's day
NOTE = "Suivi éducatif renforcé, signalé par le collège Jean-Moulin."
# (kind, the answer that grants it, the purge reason the situation's tombstone keeps)
ERASING = [("erasure", "erased", "rights_erasure"), ("objection", "objection_granted", "rights_objection")]


def _values(*people: Identity) -> list[str]:
    """Every field of these identities as text (the birth date both ways it is written)."""
    found = [NOTE]
    for person in people:
        for name in IDENTITY_FIELDS:
            value = getattr(person, name)
            if isinstance(value, date):
                found += [value.isoformat(), f"{value:%d/%m/%Y}"]
            elif value and name != "sex":  # « F » alone is found in any text
                found.append(value)
    return found


def _enrich(app, db, world: RightsWorld) -> Case:
    """The person's situation followed (a change sealed in its history) and with a note."""
    work = setup_work(app, db)
    case = db.get_one(Case, world.case.id)
    cases.follow(work, case, world.coordinator_membership)
    case.note_enc = seal_text(identities.unit_key(db, work.keys, case.id), NOTE, column=Case.note_enc,
                              row_id=case.id)
    db.commit()
    return case


def _held(db, case_id) -> dict[str, int]:
    db.expire_all()
    counts = {model.__name__: db.scalar(select(func.count()).select_from(model).where(model.unit_id == case_id))
              for model in (DataKeyRecord, IdentityRecord, IdentityToken)}
    counts["CaseChange"] = db.scalar(select(func.count()).select_from(CaseChange)
                                     .where(CaseChange.case_id == case_id, CaseChange.value_enc.is_not(None)))
    return counts


def _ciphertexts(db, case_id) -> list[bytes]:
    """Every sealed value and the wrapped key of the situation, as stored."""
    found = [db.scalar(select(DataKeyRecord.wrapped).where(DataKeyRecord.unit_id == case_id))]
    for row in db.scalars(select(IdentityRecord).where(IdentityRecord.unit_id == case_id)):
        found += [getattr(row, f"{name}_enc") for name in IDENTITY_FIELDS]
    found += list(db.scalars(select(CaseChange.value_enc).where(CaseChange.case_id == case_id)))
    found.append(db.scalar(select(Case.note_enc).where(Case.id == case_id)))
    return [value for value in found if value]


@pytest.mark.parametrize("kind,code,reason", ERASING)
def test_granting_it_shreds_the_situation_and_the_request_keeps_its_record(app, admin, db, login_as, kind, code,
                                                                           reason):
    world = rightstest.make_world(app, admin)
    case = _enrich(app, db, world)
    request = rightstest.new_request(app, db, world, kind=kind)
    assert _held(db, case.id) == {"DataKeyRecord": 1, "IdentityRecord": 2, "IdentityToken": 1, "CaseChange": 1}
    retention.answer_request(setup_work(app, db), request, code, TODAY)
    db.commit()

    # No ciphertext, no index row, no data key: nothing left that a key could open.
    assert _held(db, case.id) == {"DataKeyRecord": 0, "IdentityRecord": 0, "IdentityToken": 0, "CaseChange": 0}
    tombstone = db.get_one(Case, case.id)
    assert (tombstone.state, tombstone.purge_reason, tombstone.note_enc) == ("purged", reason, None)
    assert db.scalar(select(func.count()).select_from(CaseChange).where(CaseChange.case_id == case.id)) == 0
    gone = login_as(world.coordinator).get(f"/situations/{case.id}")
    assert gone.status_code == 410 and case.reference in gone.text and PERSON.last_name not in gone.text
    # Its participations went with it, as in the scheduled purge: a participant no longer reaches it.
    assert login_as(world.participant).get(f"/situations/{case.id}").status_code == 404

    # The request keeps its own record: codes, dates, the tombstone's reference.
    assert (request.state, request.answer, request.answered_on, request.purged_at) == ("answered", code, TODAY, None)
    assert rights.linked_cases(db, request.id) == []
    assert rights.linked_references(db, request.id) == [
        rights.Linked(case.id, case.reference, world.gov.group.id, world.gov.group.name, True)]
    assert rights.requester(setup_work(app, db), request) == REQUESTER  # shed later, by the register's retention

    purged, answered = audit_bodies(db, "case.purged"), audit_bodies(db, "rights.answered")
    assert [(e["target"]["id"], e["details"]["reason"], e["details"]["identities"], e["details"]["data_keys"])
            for e in purged] == [(str(case.id), reason, "2", "1")]
    assert [(e["target"]["id"], e["details"]["answer"], e["details"]["in_time"]) for e in answered] == [
        (str(request.id), code, "True")]
    trail = json.dumps(audit_bodies(db), ensure_ascii=False)
    assert [v for v in _values(PERSON, PERSON_REP, REQUESTER) if v in trail] == []

    # The other young person of the group, and the namesake of the other council, are untouched.
    other, foreign = db.get_one(Case, world.other_case.id), db.get_one(Case, world.foreign_case.id)
    assert (other.state, foreign.state) == ("proposed", "proposed")
    assert identities.read_unit(db, setup_work(app, db).keys, other.id)[0][1] == OTHER
    assert identities.read_unit(db, setup_work(app, db).keys, foreign.id)[0][1] == PERSON


def test_the_raw_database_keeps_no_trace_of_an_erased_situation(committed_app, tmp_path):
    app = committed_app
    admin = charter_admin(app)
    db = app.extensions["ccop"].database.session()
    world = rightstest.make_world(app, admin)
    case = _enrich(app, db, world)
    request = rightstest.new_request(app, db, world, kind="erasure")
    sealed = _ciphertexts(db, case.id)
    # The key; the 7 fields of the person, 5 of the representative; a change; the note.
    assert len(sealed) == 1 + 7 + 5 + 1 + 1
    before = raw_database_bytes(app, tmp_path)
    assert all(value in before or value.hex().encode() in before for value in sealed)  # the reader sees them
    retention.answer_request(setup_work(app, db), request, "erased", TODAY)
    db.commit()
    db.close()
    raw = raw_database_bytes(app, tmp_path)
    assert [v for v in sealed if v in raw or v.hex().encode() in raw] == []
    assert [v for v in _values(PERSON, PERSON_REP) for enc in encodings(v) if enc in raw] == []


@pytest.mark.parametrize("code", ["erased", "objection_granted"])
def test_answer_refuses_an_erasing_answer_while_live_situations_remain(app, admin, db, code):
    world = rightstest.make_world(app, admin)
    request = rightstest.new_request(app, db, world, kind="erasure" if code == "erased" else "objection")
    with pytest.raises(RuntimeError, match="answer_request"):
        rights.answer(setup_work(app, db), request, code, TODAY)
    db.commit()
    assert (request.state, request.answer, request.answered_on) == ("in_progress", None, None)
    assert db.get_one(Case, world.case.id).state == "proposed"
    assert _held(db, world.case.id)["IdentityRecord"] == 2
    assert audit_bodies(db, "rights.answered") == [] and audit_bodies(db, "case.purged") == []


def test_an_erasure_without_a_linked_situation_is_refused_in_french(app, admin, db):
    world = rightstest.make_world(app, admin)
    request = rightstest.new_request(app, db, world, kind="erasure", state="identity_checked")
    with pytest.raises(RightsError, match="liez les situations concernées") as refused:
        retention.answer_request(setup_work(app, db), request, "erased", TODAY)
    assert refused.value.field == "answer"
    db.commit()
    assert (request.state, request.answer) == ("identity_checked", None)
    assert audit_bodies(db, "case.purged") == [] and audit_bodies(db, "rights.answered") == []
    # « No data held » answers it, and erases nothing.
    retention.answer_request(setup_work(app, db), request, "no_data", TODAY)
    db.commit()
    assert (request.state, request.answer) == ("answered", "no_data")
    assert db.scalar(select(func.count()).select_from(Case).where(Case.state == "purged")) == 0
