"""The register's retention (R12): ``ccop retention run`` sheds who asked once an ended
request's ``keep_until`` has passed; the request's codes and dates stay. Controlled clock."""

from __future__ import annotations

from datetime import UTC, date, datetime

import rightstest
from apptest import audit_bodies, setup_work
from rightstest import REQUESTER
from sqlalchemy import func, select

from ccop_cases.charter.models import Council
from ccop_cases.cli import main
from ccop_cases.identities.models import DataKeyRecord, IdentityRecord, IdentityToken
from ccop_cases.rights import services as rights
from ccop_cases.rights.models import RightsRequest, RightsRequestCase

ANSWERED = date(2026, 3, 2)  # the clock fixture's day
KEEP_UNTIL = date(2029, 3, 2)  # three years after the answer, by default


def _run(app, *args):
    return app.test_cli_runner().invoke(main, ["retention", "run", *args])


def _to(clock, day: date) -> None:
    clock.now = datetime(day.year, day.month, day.day, 9, 0, tzinfo=UTC)


def _held(db, unit) -> dict[str, int]:
    db.expire_all()
    return {model.__name__: db.scalar(select(func.count()).select_from(model).where(model.unit_id == unit))
            for model in (DataKeyRecord, IdentityRecord, IdentityToken)}


def _ended(app, db, world):
    """An answered and a refused request (ended today), and one still open."""
    work = setup_work(app, db)
    answered = rightstest.new_request(app, db, world, kind="other", received_on=date(2026, 2, 10))
    refused = rightstest.new_request(app, db, world, kind="erasure", received_on=date(2026, 2, 12))
    still_open = rightstest.new_request(app, db, world, kind="access", received_on=date(2026, 2, 20))
    rights.answer(work, answered, "answered", ANSWERED)
    rights.refuse(work, refused, "public_interest", ANSWERED)
    db.commit()
    return answered, refused, still_open


def test_the_register_sheds_who_asked_once_keep_until_has_passed_and_keeps_the_codes(app, admin, db, clock):
    world = rightstest.make_world(app, admin)
    answered, refused, still_open = _ended(app, db, world)
    assert (answered.keep_until, refused.keep_until, still_open.keep_until) == (KEEP_UNTIL, KEEP_UNTIL, None)
    _to(clock, date(2029, 3, 1))
    before = _run(app, "--dry-run")
    assert "0 demande(s) d’exercice des droits" in before.output and answered.reference not in before.output
    assert "0 demande(s) d’exercice des droits purgée(s)" in _run(app).output
    assert _held(db, answered.id) == {"DataKeyRecord": 1, "IdentityRecord": 1, "IdentityToken": 0}

    _to(clock, KEEP_UNTIL)
    dry = _run(app, "--dry-run")
    assert f"{answered.reference} {answered.id} : purge (rights_register)" in dry.output
    assert f"{refused.reference} {refused.id} : purge (rights_register)" in dry.output
    assert still_open.reference not in dry.output and "2 demande(s) d’exercice des droits" in dry.output
    assert [v for v in (REQUESTER.last_name, REQUESTER.given_names, REQUESTER.email, REQUESTER.address)
            if v and v in dry.output] == []
    assert _held(db, answered.id)["IdentityRecord"] == 1  # the dry run changed nothing

    result = _run(app)
    assert result.exit_code == 0, result.output
    assert "2 demande(s) d’exercice des droits purgée(s) du registre" in result.output
    for request in (answered, refused):
        assert _held(db, request.id) == {"DataKeyRecord": 0, "IdentityRecord": 0, "IdentityToken": 0}
        assert rights.requester(setup_work(app, db), db.get(RightsRequest, request.id)) is None
        links = db.execute(select(RightsRequestCase.case_id, RightsRequestCase.group_id)
                           .where(RightsRequestCase.request_id == request.id)).all()
        assert [tuple(link) for link in links] == [(None, world.gov.group.id)]
    kept = db.get(RightsRequest, answered.id)
    assert (kept.reference, kept.kind, kept.state, kept.answer, kept.received_on, kept.due_on, kept.answered_on,
            kept.keep_until, kept.identity_check) == (answered.reference, "other", "answered", "answered",
                                                      date(2026, 2, 10), date(2026, 3, 10), ANSWERED, KEEP_UNTIL,
                                                      "id_document")
    assert kept.purged_at is not None and kept.purged_at.date() == KEEP_UNTIL
    assert db.get(RightsRequest, refused.id).refusal_reason == "public_interest"
    assert _held(db, still_open.id)["IdentityRecord"] == 1  # an open request keeps who asked
    purged = audit_bodies(db, "rights.purged")
    assert {(e["target"]["id"], e["details"]["identities"], e["details"]["data_keys"]) for e in purged} == {
        (str(answered.id), "1", "1"), (str(refused.id), "1", "1")}
    assert audit_bodies(db, "retention.run")[-1]["details"]["requests_purged"] == "2"

    again = _run(app)  # idempotent: nothing left to shed
    assert "0 demande(s) d’exercice des droits purgée(s)" in again.output
    assert len(audit_bodies(db, "rights.purged")) == 2
    assert db.get(RightsRequest, answered.id).purged_at == kept.purged_at


def test_keep_years_apply_to_the_requests_ended_afterwards(app, admin, db, clock):
    world = rightstest.make_world(app, admin)
    work = setup_work(app, db)
    before = rightstest.new_request(app, db, world, kind="other", received_on=date(2026, 1, 5))
    rights.answer(work, before, "answered", ANSWERED)
    # On the council object the helpers merge (a copy of another session would be overwritten by it).
    rights.set_keep_years(setup_work(app, world.gov.session), world.gov.council, 5)  # type: ignore[arg-type]
    world.gov.session.commit()
    after = rightstest.new_request(app, db, world, kind="other", received_on=date(2026, 2, 27))
    rights.withdraw(work, after, ANSWERED)
    db.commit()
    # Three years after the answer (not the receipt) for the first; five for the second.
    assert (before.keep_until, after.keep_until) == (date(2029, 3, 2), date(2031, 3, 2))
    assert db.get(Council, world.gov.council.id).rights_keep_years == 5
    assert audit_bodies(db, "rights.keep_years_set")[-1]["details"] == {"years": "5"}
    _to(clock, date(2029, 3, 2))
    assert f"{before.reference} {before.id}" in (dry := _run(app, "--dry-run").output) and after.reference not in dry
    _to(clock, date(2031, 3, 2))
    assert after.reference in _run(app, "--dry-run").output
