"""The register of rights requests (R12) at the service level: the legal clock, the states
and their moves as tables, the audit (ids and codes only), who asks never in clear, a double
submission, the search of the person's situations and the link across councils."""

from __future__ import annotations

import json
import uuid
from datetime import date

import pytest
import rightstest
from apptest import audit_bodies, charter_admin, encodings, raw_database_bytes, setup_work
from rightstest import PERSON, PERSON_REP, REQUESTER
from sqlalchemy import func, select

from ccop_cases.auditing.models import AuditEntry
from ccop_cases.identities.models import IDENTITY_FIELDS, IdentityRecord
from ccop_cases.identities.services import Identity
from ccop_cases.rights import services as rights
from ccop_cases.rights.models import RightsRequest, RightsRequestCase
from ccop_cases.rights.services import RightsError

TODAY = date(2026, 3, 2)  # the clock fixture's day


# --- the legal clock (GDPR art. 12(3)) ----------------------------------------------------------

@pytest.mark.parametrize("received,extended,due", [
    (date(2026, 1, 31), False, date(2026, 2, 28)),  # no 31 February: the month's last day
    (date(2028, 1, 31), False, date(2028, 2, 29)),  # a leap year
    (date(2026, 11, 30), False, date(2026, 12, 30)),
    (date(2026, 10, 31), False, date(2026, 11, 30)),
    (date(2026, 3, 31), False, date(2026, 4, 30)),
    (date(2026, 12, 31), False, date(2027, 1, 31)),  # across the year
    (date(2026, 2, 28), False, date(2026, 3, 28)),
    (date(2026, 1, 31), True, date(2026, 4, 30)),  # extended: received + 3 months
    (date(2026, 11, 30), True, date(2027, 2, 28)),
    (date(2027, 11, 30), True, date(2028, 2, 29)),
    (date(2026, 3, 2), True, date(2026, 6, 2)),
])
def test_the_deadline_is_one_month_or_three_once_extended(received, extended, due):
    assert rights.due_date(received, extended=extended) == due


def test_a_request_received_on_31_january_is_due_on_28_february(app, admin, db):
    world = rightstest.make_world(app, admin)
    request = rightstest.new_request(app, db, world, received_on=date(2026, 1, 31), state="received")
    assert request.due_on == date(2026, 2, 28)


def _columns(request: RightsRequest) -> dict[str, object]:
    return {c.key: getattr(request, c.key) for c in RightsRequest.__table__.columns}


def _trail(db) -> int:
    db.flush()
    return db.scalar(select(func.count()).select_from(AuditEntry))


def test_an_extension_moves_the_deadline_to_three_months_after_receipt_once(app, admin, db):
    world = rightstest.make_world(app, admin)
    request = rightstest.new_request(app, db, world, kind="access", received_on=date(2026, 2, 10))
    work = setup_work(app, db)
    rights.extend(work, request, "complexity")
    db.commit()
    assert (request.due_on, request.extension_reason, request.extended_on) == (date(2026, 5, 10), "complexity", TODAY)
    assert audit_bodies(db, "rights.extended")[-1]["details"] == {"reason": "complexity", "due_on": "2026-05-10"}
    before, trail = _columns(request), _trail(db)
    with pytest.raises(RightsError, match="qu’une fois"):
        rights.extend(work, request, "number")
    assert (_columns(request), _trail(db)) == (before, trail)


@pytest.mark.parametrize("reason", [None, "", "urgence"])
def test_an_extension_without_a_known_reason_is_refused(app, admin, db, reason):
    world = rightstest.make_world(app, admin)
    request = rightstest.new_request(app, db, world, received_on=date(2026, 2, 10))
    before, trail = _columns(request), _trail(db)
    with pytest.raises(RightsError, match="motif de la prolongation") as refused:
        rights.extend(setup_work(app, db), request, reason)
    assert refused.value.field == "reason"
    assert (_columns(request), _trail(db)) == (before, trail)


def test_an_extension_after_the_deadline_is_refused(app, admin, db):
    world = rightstest.make_world(app, admin)
    late = rightstest.new_request(app, db, world, received_on=date(2026, 1, 31))  # due 28 February
    on_the_day = rightstest.new_request(app, db, world, received_on=date(2026, 2, 2))  # due today
    before, trail = _columns(late), _trail(db)
    with pytest.raises(RightsError, match="déjà dépassé"):
        rights.extend(setup_work(app, db), late, "complexity")
    assert (_columns(late), _trail(db)) == (before, trail)
    rights.extend(setup_work(app, db), on_the_day, "number")
    assert on_the_day.due_on == date(2026, 5, 2)


# --- states and moves -----------------------------------------------------------------------------

STATES = ("received", "identity_checked", "in_progress", "answered", "refused", "withdrawn")


def _in_state(app, db, world, state: str) -> RightsRequest:
    """A request of kind « other » brought to ``state`` through the services."""
    request = rightstest.new_request(app, db, world, kind="other", received_on=date(2026, 2, 20),
                                     state=state if state in STATES[:3] else "in_progress")
    work = setup_work(app, db)
    if state == "answered":
        rights.answer(work, request, "answered", TODAY)
    elif state == "refused":
        rights.refuse(work, request, "manifestly_unfounded", TODAY)
    elif state == "withdrawn":
        rights.withdraw(work, request, TODAY)
    db.commit()
    assert request.state == state
    return request


ACTS = {
    "check_identity": (lambda w, r, world: rights.check_identity(w, r, check="in_person", checked_on=TODAY),
                       {"received"}, "identity_checked"),
    "link": (lambda w, r, world: rights.link(w, r, world.other_case.id),
             {"identity_checked", "in_progress"}, "in_progress"),
    "answer": (lambda w, r, world: rights.answer(w, r, "answered", TODAY), {"in_progress"}, "answered"),
    "answer_no_data": (lambda w, r, world: rights.answer(w, r, "no_data", TODAY),
                       {"identity_checked", "in_progress"}, "answered"),
    "refuse": (lambda w, r, world: rights.refuse(w, r, "not_entitled", TODAY),
               {"received", "identity_checked", "in_progress"}, "refused"),
    "withdraw": (lambda w, r, world: rights.withdraw(w, r, TODAY),
                 {"received", "identity_checked", "in_progress"}, "withdrawn"),
    "extend": (lambda w, r, world: rights.extend(w, r, "complexity"),
               {"received", "identity_checked", "in_progress"}, None),  # the state stays
}


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("act", ACTS)
def test_each_act_from_each_state_is_allowed_or_refused_changing_nothing(app, admin, db, state, act):
    world = rightstest.make_world(app, admin)
    request = _in_state(app, db, world, state)
    do, allowed_from, to = ACTS[act]
    links = select(func.count()).select_from(RightsRequestCase).where(RightsRequestCase.request_id == request.id)
    before, trail, linked = _columns(request), _trail(db), db.scalar(links)
    if state in allowed_from:
        do(setup_work(app, db), request, world)
        assert request.state == (to or state)
        assert _trail(db) > trail  # audited
        return
    with pytest.raises(RightsError):
        do(setup_work(app, db), request, world)
    assert (_columns(request), _trail(db), db.scalar(links)) == (before, trail, linked)


# --- the audit: ids and codes only ------------------------------------------------------------------

def _values(*people: Identity) -> list[str]:
    found = []
    for person in people:
        for name in IDENTITY_FIELDS:
            value = getattr(person, name)
            if isinstance(value, date):
                found += [value.isoformat(), f"{value:%d/%m/%Y}", f"{value:%Y%m%d}"]
            elif value and name != "sex":  # « F » alone is in any text
                found.append(value)
    return found


def test_every_act_is_audited_with_ids_and_codes_only(app, admin, db):
    world = rightstest.make_world(app, admin)
    work = setup_work(app, db)
    request = rightstest.new_request(app, db, world, kind="restriction", state="identity_checked")
    found = rights.find_cases(work, request, PERSON.last_name, PERSON.given_names, PERSON.birth_date)
    rights.link(work, request, found[0].case_id)
    rights.extend(work, request, "number")
    rights.answer(work, request, "restricted", TODAY)
    rights.lift_restriction(work, request)
    refused = rightstest.new_request(app, db, world, kind="erasure")
    rights.refuse(work, refused, "public_interest", TODAY)
    withdrawn = rightstest.new_request(app, db, world, kind="access", state="received")
    rights.withdraw(work, withdrawn, TODAY)
    rights.set_keep_years(work, db.merge(world.gov.council), 4)
    db.commit()
    bodies = audit_bodies(db)
    acts = [(e["action"], e["target"]["id"], e["details"]) for e in bodies if str(e["action"]).startswith("rights.")]
    of_request = [(a, d) for a, t, d in acts if t == str(request.id)]
    ids = {str(request.id), str(refused.id), str(withdrawn.id), str(world.gov.council.id)}
    assert {action for action, _target, _details in acts} == {
        "rights.registered", "rights.identity_checked", "rights.searched", "rights.case_linked", "rights.extended",
        "rights.answered", "rights.refused", "rights.withdrawn", "rights.keep_years_set"}
    assert {target for _action, target, _details in acts} == ids
    assert [a for a, _d in of_request] == ["rights.registered", "rights.identity_checked", "rights.searched",
                                           "rights.case_linked", "rights.extended", "rights.answered"]
    details = dict(of_request)
    assert details["rights.registered"] == {"kind": "restriction", "channel": "letter", "requester": "representative",
                                            "due_on": "2026-04-02"}
    assert details["rights.identity_checked"] == {"check": "id_document"}
    assert details["rights.searched"] == {"results": "1"}
    assert details["rights.case_linked"] == {"case_id": str(world.case.id)}
    assert details["rights.extended"] == {"reason": "number", "due_on": "2026-06-02"}
    assert details["rights.answered"] == {"answer": "restricted", "in_time": "True", "extended": "True"}
    assert [(e["action"], e["target"]["id"], e["details"]) for e in bodies if e["action"] in (
        "case.restricted", "case.restriction_lifted")] == [
        ("case.restricted", str(world.case.id), {"request_id": str(request.id)}),
        ("case.restriction_lifted", str(world.case.id), {"request_id": str(request.id)})]
    trail = json.dumps(bodies, ensure_ascii=False)
    assert [v for v in _values(REQUESTER, PERSON, PERSON_REP) if v in trail] == []


# --- who asks, never in clear ---------------------------------------------------------------------

def test_the_requesters_identity_is_never_in_clear_in_the_database(committed_app, tmp_path):
    app = committed_app
    admin = charter_admin(app)
    db = app.extensions["ccop"].database.session()
    world = rightstest.make_world(app, admin)
    request = rightstest.new_request(app, db, world, state="received")
    assert rights.requester(setup_work(app, db), request) == REQUESTER  # stored, sealed
    db.close()
    raw = raw_database_bytes(app, tmp_path)
    assert str(request.id).encode() in raw or request.id.hex.encode() in raw  # the reader sees the register
    assert [v for v in _values(REQUESTER) for enc in encodings(v) if enc in raw] == []


def test_a_double_submission_lands_once(app, admin, db):
    world = rightstest.make_world(app, admin)
    council, work = db.merge(world.gov.council), setup_work(app, db)
    new = rights.NewRequest("access", date(2026, 2, 27), "desk", "young", REQUESTER, uuid.uuid4())
    first, created = rights.register(work, council, new, world.dpo.person.id)
    again, created_again = rights.register(work, council, new, world.dpo.person.id)
    db.commit()
    assert (again.id, created, created_again) == (first.id, True, False)
    assert db.scalar(select(func.count()).select_from(RightsRequest)) == 1
    assert db.scalar(select(func.count()).select_from(IdentityRecord).where(IdentityRecord.unit_id == first.id)) == 1
    assert len(audit_bodies(db, "rights.registered")) == 1


# --- the person's situations --------------------------------------------------------------------------

def test_find_cases_finds_the_persons_situation_in_the_council_only_and_audits_the_count(app, admin, db):
    world = rightstest.make_world(app, admin)
    request = rightstest.new_request(app, db, world, state="identity_checked")
    found = rights.find_cases(setup_work(app, db), request, PERSON.last_name, PERSON.given_names,
                              PERSON.birth_date)
    # The namesake of the other council (same name, same birth date) is not found; nor the other young person.
    assert found == [rights.Found(world.case.id, world.case.reference, world.gov.group.name, False)]
    assert audit_bodies(db, "rights.searched")[-1]["details"] == {"results": "1"}
    nobody = rights.find_cases(setup_work(app, db), request, "Inconnu", "Personne", date(2012, 1, 1))
    assert nobody == [] and audit_bodies(db, "rights.searched")[-1]["details"] == {"results": "0"}


def test_find_cases_waits_for_the_identity_check(app, admin, db):
    world = rightstest.make_world(app, admin)
    request = rightstest.new_request(app, db, world, state="received")
    with pytest.raises(RightsError, match="Vérifiez d’abord l’identité"):
        rights.find_cases(setup_work(app, db), request, PERSON.last_name, PERSON.given_names, PERSON.birth_date)
    assert audit_bodies(db, "rights.searched") == []


def test_a_situation_of_another_council_cannot_be_linked(app, admin, db):
    world = rightstest.make_world(app, admin)
    request = rightstest.new_request(app, db, world, state="identity_checked")
    before, trail = _columns(request), _trail(db)
    for case_id in (world.foreign_case.id, uuid.uuid4()):
        with pytest.raises(LookupError):
            rights.link(setup_work(app, db), request, case_id)
    assert (_columns(request), _trail(db)) == (before, trail)
    assert db.scalar(select(func.count()).select_from(RightsRequestCase)) == 0
