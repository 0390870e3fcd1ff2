"""Retention epochs (issue 18): each data key is bound to the month its unit must be gone by;
a moved deadline rewraps it in the same transaction; ``ccop retention run`` turns the month —
destroys the past epochs' keys, once, audited, resumable — and never an epoch still in use.
Controlled clock; the shared key store's ratchet is put back after each test (conftest)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest
import rightstest
from apptest import KEYS_EPOCH, audit_bodies, post, setup_work
from casetest import latest_case, propose
from sqlalchemy import select

from ccop_cases.cases import rectification
from ccop_cases.cases.models import Case
from ccop_cases.cli import main
from ccop_cases.encryption import DataKey, DecryptionError
from ccop_cases.identities import services as identities
from ccop_cases.identities.models import DataKeyRecord, DestroyedEpoch
from ccop_cases.rights import services as rights


def _run(app, *args):
    return app.test_cli_runner().invoke(main, ["retention", "run", *args])


def _to(clock, day: date) -> None:
    clock.now = datetime(day.year, day.month, day.day, 9, 0, tzinfo=UTC)


def _keys(app):
    return app.extensions["ccop"].keys


def _bound(app, db, unit_id) -> tuple[str | None, bytes]:
    db.expire_all()
    record = db.get_one(DataKeyRecord, unit_id)
    return identities.epoch_of_unit(_keys(app), unit_id, record.epoch_enc), record.wrapped


def _close(coordinator, case) -> None:
    url = f"/situations/{case.id}"
    post(coordinator, f"{url}/cloture", {"clo-reason": "objectives_met", "clo-confirm": "y"}, token_from=url)


def _opens(app, db, unit_id) -> bool:
    try:
        identities.read_unit(db, _keys(app), unit_id)
    except DecryptionError:
        return False
    return True


# --- binding and rebinding ----------------------------------------------------------------------


def test_a_case_is_bound_to_its_25th_birthday_and_rewrapped_when_closing_brings_its_deadline_forward(
        app, world, login_as, db):
    coordinator = login_as(world.coordinator)
    assert propose(coordinator, world.gov, birth_date="2010-06-15").status_code == 302
    case = latest_case(db)
    epoch, wrapped = _bound(app, db, case.id)
    assert epoch == "2035-06" and wrapped[0] == 0x02  # the 25th birthday's month, wrap format 2
    key_before = identities.unit_key(db, _keys(app), case.id)

    _close(coordinator, case)
    epoch, rewrapped = _bound(app, db, case.id)
    assert db.get_one(Case, case.id).purge_due == date(2026, 6, 2)  # 92 days after 2026-03-02
    assert epoch == "2026-06" and rewrapped != wrapped
    assert identities.unit_key(db, _keys(app), case.id).secret_bytes() == key_before.secret_bytes()
    with pytest.raises(DecryptionError):  # the old wrapping named the old epoch: it no longer opens as this one
        DataKey.unwrap(_keys(app), db.get_one(DataKeyRecord, case.id).kek_id, wrapped, unit_id=case.id,
                       epoch="2026-06")
    assert _opens(app, db, case.id)


def test_a_rectified_birth_date_moves_the_epoch_in_the_same_transaction(app, admin, db):
    world = rightstest.make_world(app, admin)
    request = rightstest.new_request(app, db, world, kind="rectification")
    assert _bound(app, db, world.case.id)[0] == "2036-05"  # born 2011-05-20
    work = setup_work(app, db)
    now = rectification.current(work, db.merge(world.case))
    young = now.young.__class__(**{**now.young.__dict__, "birth_date": date(2009, 11, 3)})
    changed = rectification.rectify(work, db.merge(world.case), None, request.id,
                                    rectification.Correction(young, now.representatives, now.school_situation,
                                                             now.exposure_factors, now.note, note_attested=True))
    assert "young_person.birth_date" in changed
    assert _bound(app, db, world.case.id)[0] == "2034-11"  # before any commit: one transaction
    db.rollback()
    assert _bound(app, db, world.case.id)[0] == "2036-05"


def test_answering_a_request_rebinds_who_asked_to_its_keep_until(app, admin, db):
    world = rightstest.make_world(app, admin)
    request = rightstest.new_request(app, db, world, kind="other", received_on=date(2026, 2, 10))
    # Before the answer: the longest it may be kept (answered on 2026-05-10, kept ten years).
    assert _bound(app, db, request.id)[0] == "2036-05"
    rights.answer(setup_work(app, db), request, "answered", date(2026, 3, 2))
    assert request.keep_until == date(2029, 3, 2)
    assert _bound(app, db, request.id)[0] == "2029-03"
    assert rights.requester(setup_work(app, db), request) == rightstest.REQUESTER


def test_a_unit_whose_deadline_has_passed_is_bound_to_this_month_not_to_a_destroyed_one(app, world, login_as, db,
                                                                                         clock):
    _run(app)
    _to(clock, date(2026, 8, 10))
    assert "2026-03, 2026-04, 2026-05, 2026-06, 2026-07" in _run(app).output
    assert _keys(app).epoch == "2026-08"
    client = login_as(world.participant)
    assert propose(client, world.gov, birth_date="2001-08-15").status_code == 302  # 24, turns 25 in 5 days
    case = latest_case(db)
    assert _bound(app, db, case.id)[0] == "2026-08"
    identities.rebind(db, _keys(app), case.id, date(2026, 1, 1), date(2026, 8, 10))  # a deadline long past
    assert _bound(app, db, case.id)[0] == "2026-08" and _opens(app, db, case.id)


# --- the turn of the month ------------------------------------------------------------------------


def test_the_turn_of_the_month_destroys_each_past_epoch_once_and_audits_it(app, world, login_as, db, clock):
    assert propose(login_as(world.participant), world.gov, birth_date="2010-06-15").status_code == 302
    later = latest_case(db)
    assert _keys(app).epoch == KEYS_EPOCH
    _to(clock, date(2026, 5, 1))
    planned = _run(app, "--dry-run")
    assert "Changement de mois : clé détruite pour l’époque ou les époques 2026-03, 2026-04." in planned.output
    assert _keys(app).epoch == KEYS_EPOCH and audit_bodies(db, "keys.epoch_destroyed") == []
    first = _run(app)
    assert first.exit_code == 0, first.output
    assert "Clé détruite pour l’époque ou les époques : 2026-03, 2026-04" in first.output
    assert _keys(app).epoch == "2026-05"
    destroyed = [(e["target"]["id"], e["actor"]["id"]) for e in audit_bodies(db, "keys.epoch_destroyed")]
    assert destroyed == [("2026-03", "retention"), ("2026-04", "retention")]
    assert sorted(db.scalars(select(DestroyedEpoch.epoch))) == ["2026-03", "2026-04"]
    run = audit_bodies(db, "retention.run")[-1]["details"]
    assert run["epochs_destroyed"] == "2"

    again = _run(app)  # the same day, and the next: nothing more to destroy, nothing audited twice
    _to(clock, date(2026, 5, 31))
    third = _run(app)
    assert again.exit_code == third.exit_code == 0 and "Clé détruite" not in again.output + third.output
    assert len(audit_bodies(db, "keys.epoch_destroyed")) == 2
    assert _opens(app, db, later.id)  # a later epoch still opens
    status = app.test_cli_runner().invoke(main, ["keys", "status"]).output
    assert "Époque la plus ancienne encore lisible : 2026-05" in status
    assert "époques suivantes : 1 clé(s) de données" in status and "2035-06" not in status  # no birth month


def test_an_epoch_still_used_by_a_unit_is_never_destroyed_and_the_run_says_so_loudly(app, world, login_as, db,
                                                                                     clock):
    coordinator = login_as(world.coordinator)
    assert propose(coordinator, world.gov, birth_date="2010-06-15").status_code == 302
    case = latest_case(db)
    _close(coordinator, case)
    assert _bound(app, db, case.id)[0] == "2026-06"
    # A bug: the purge date moves without its key being rewrapped, so the unit outlives its epoch.
    db.get_one(Case, case.id).purge_due = date(2026, 9, 1)
    db.commit()

    _to(clock, date(2026, 7, 1))
    assert "une époque serait gardée, 1 clé(s) de données" in _run(app, "--dry-run").output
    refused = _run(app)
    assert refused.exit_code == 1
    assert "ATTENTION : l’époque 2026-06 n’a pas été détruite : 1 clé(s) de données" in refused.output
    assert _keys(app).epoch == "2026-06"  # the months before it went; it stays, and so do the later ones
    assert [e["target"]["id"] for e in audit_bodies(db, "keys.epoch_destroyed")] == ["2026-03", "2026-04", "2026-05"]
    kept = audit_bodies(db, "keys.epoch_kept")[-1]  # the month is not in the trail (a birth month, for an open case)
    assert (kept["target"]["id"], kept["outcome"], kept["details"]["units"]) == ("", "error", "1")
    assert _opens(app, db, case.id)

    db.get_one(Case, case.id).purge_due = date(2026, 6, 2)  # fixed: the next run purges it, then turns
    db.commit()
    fixed = _run(app)
    assert fixed.exit_code == 0, fixed.output
    assert "1 effacée(s)" in fixed.output and "2026-06" in fixed.output and _keys(app).epoch == "2026-07"


def test_a_turn_interrupted_after_its_record_is_resumed_and_audited_once(app, db, clock, monkeypatch):
    keys = _keys(app)
    _to(clock, date(2026, 4, 2))

    def crash(*_args, **_kwargs):
        raise KeyboardInterrupt  # the process dies between the record and the key store

    with monkeypatch.context() as patched:
        patched.setattr(type(keys), "ratchet", crash)
        interrupted = _run(app)
    assert interrupted.exit_code != 0 and keys.epoch == KEYS_EPOCH
    assert [e["target"]["id"] for e in audit_bodies(db, "keys.epoch_destroyed")] == ["2026-03"]  # recorded first

    resumed = _run(app)
    assert resumed.exit_code == 0, resumed.output
    assert keys.epoch == "2026-04"
    assert [e["target"]["id"] for e in audit_bodies(db, "keys.epoch_destroyed")] == ["2026-03"]


def test_keys_sealed_before_epochs_are_bound_by_the_run(app, world, login_as, db):
    assert propose(login_as(world.participant), world.gov, birth_date="2010-06-15").status_code == 302
    case = latest_case(db)
    record = db.get_one(DataKeyRecord, case.id)
    key = identities.unit_key(db, _keys(app), case.id)
    record.kek_id, record.wrapped = key.wrap(_keys(app), unit_id=case.id)  # as before epochs: format 1
    record.epoch_enc = None
    db.commit()
    assert _bound(app, db, case.id)[0] is None and _opens(app, db, case.id)
    result = _run(app)
    assert result.exit_code == 0 and "1 clé(s) de données rattachée(s)" in result.output
    assert _bound(app, db, case.id)[0] == "2035-06" and _opens(app, db, case.id)


def test_a_store_without_epochs_is_started_by_the_run(own_keys_app):
    keys = own_keys_app.extensions["ccop"].keys
    (keys.directory / "epoch.json").unlink()
    assert keys.epoch is None
    result = own_keys_app.test_cli_runner().invoke(main, ["retention", "run"])
    assert result.exit_code == 0 and f"Époques de conservation commencées ({KEYS_EPOCH})" in result.output
    session = own_keys_app.extensions["ccop"].database.session()
    assert [e["target"]["id"] for e in audit_bodies(session, "keys.epochs_started")] == [KEYS_EPOCH]
    session.close()



# --- found by the second review ---------------------------------------------------------------------


def test_an_overdue_open_request_moves_with_the_days_and_never_holds_the_turn_back(app, admin, db, clock):
    world = rightstest.make_world(app, admin)
    # Received long ago (or a typo) and never answered: its longest keep counts from today.
    request = rightstest.new_request(app, db, world, kind="other", received_on=date(2015, 1, 10))
    assert _bound(app, db, request.id)[0] == "2036-03"  # ten years from 2026-03-02
    _to(clock, date(2026, 4, 1))
    result = _run(app)
    assert result.exit_code == 0, result.output
    assert _keys(app).epoch == "2026-04" and _bound(app, db, request.id)[0] == "2036-04"
    assert rights.requester(setup_work(app, db), request) == rightstest.REQUESTER


def test_a_key_sealed_before_epochs_that_cannot_be_read_is_reported_and_the_run_goes_on(app, world, login_as, db,
                                                                                       clock):
    coordinator = login_as(world.coordinator)
    assert propose(coordinator, world.gov, birth_date="2010-06-15").status_code == 302
    due = latest_case(db)
    _close(coordinator, due)
    clock.advance(seconds=1)  # latest_case goes by the time of the proposal
    assert propose(coordinator, world.gov, birth_date="2011-02-03").status_code == 302
    broken = latest_case(db)
    assert broken.id != due.id
    record = db.get_one(DataKeyRecord, broken.id)
    kek_id, wrapped = identities.unit_key(db, _keys(app), broken.id).wrap(_keys(app), unit_id=broken.id)
    record.kek_id, record.epoch_enc = kek_id, None  # sealed before epochs (format 1)…
    record.wrapped = wrapped[:-1] + bytes([wrapped[-1] ^ 1])  # …and altered
    db.commit()

    _to(clock, date(2026, 6, 3))  # the closed one's purge date (2026-06-02) is past
    result = _run(app)
    assert result.exit_code == 1 and "ATTENTION : 1 situation(s) illisible(s)" in result.output, result.output
    db.expire_all()
    assert db.get_one(Case, due.id).state == "purged", result.output  # the rest of the run was done
    assert [e["target"]["id"] for e in audit_bodies(db, "record.unreadable")] == [str(broken.id)]  # once


def test_a_store_without_its_epochs_is_refused_when_keys_are_already_bound(own_keys_app):
    rt = own_keys_app.extensions["ccop"]
    session = rt.database.session()
    unit = uuid.uuid4()
    identities.open_unit(session, rt.keys, unit, rt.clock(), date(2030, 5, 1))
    session.commit()
    (rt.keys.directory / "epoch.json").unlink()  # a key backup from before epochs, put back
    result = own_keys_app.test_cli_runner().invoke(main, ["retention", "run"])
    assert result.exit_code == 1 and "n’a pas d’époques de conservation alors que 1 clé(s)" in result.output
    assert rt.keys.epoch is None  # no new ratchet over the lost one
    assert [e["outcome"] for e in audit_bodies(session, "keys.epochs_missing")] == ["error"]
    assert audit_bodies(session, "keys.epochs_started") == []
    session.close()


def test_copies_sealed_before_epochs_stop_opening_once_a_rotation_follows_the_binding_run(own_keys_app):
    """docs/operations.md (Retention epochs): dumps taken before the first binding run hold
    keys sealed under the KEK alone; the rotation after that run is what closes them."""
    rt = own_keys_app.extensions["ccop"]
    session = rt.database.session()
    unit = uuid.uuid4()
    key = identities.open_unit(session, rt.keys, unit, rt.clock(), None)  # format 1, as before epochs
    record = session.get_one(DataKeyRecord, unit)
    old_copy = (record.kek_id, bytes(record.wrapped))  # what a dump taken now holds
    session.commit()
    assert DataKey.unwrap(rt.keys, *old_copy, unit_id=unit).secret_bytes() == key.secret_bytes()
    assert own_keys_app.test_cli_runner().invoke(main, ["keys", "rotate"]).exit_code == 0
    session.expire_all()
    assert identities.unit_key(session, rt.keys, unit).secret_bytes() == key.secret_bytes()
    with pytest.raises(DecryptionError):
        DataKey.unwrap(rt.keys, *old_copy, unit_id=unit)
    session.close()


def test_a_purge_again_after_a_restore_has_its_own_row_in_the_annual_report_only_when_it_happened(app, world,
                                                                                                   login_as, db):
    from ccop_cases.reports import services as reports
    from ccop_cases.retention import services as retention

    def purges() -> dict[str, tuple[int, ...]]:
        report = reports.annual(setup_work(app, db), world.gov.group.id, 2026)
        found = next(t for s in report.sections for t in s.tables if t.key == "purges")
        return dict(zip(found.rows, found.counts, strict=True))

    row = reports.RARE_PURGE_REASONS["epoch_passed"]
    assert row not in purges()
    assert propose(login_as(world.participant), world.gov).status_code == 302
    retention.purge(setup_work(app, db), latest_case(db), "epoch_passed")
    db.commit()
    assert purges()[row] == (1,)
