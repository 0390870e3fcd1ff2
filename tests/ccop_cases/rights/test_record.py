"""The person's own record (R12, GDPR art. 15; the one nominative export, R8): it holds every
field of the person and nothing of anyone else, leaves once, after a fresh code, for the
council's DPO only, is never written to disk, and its audit entry holds its hash, no content."""

from __future__ import annotations

import builtins
import hashlib
import html
import json
import os
import tempfile
import uuid
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import rightstest
from apptest import audit_bodies, fresh_code, post, setup_work
from rightstest import OTHER, OTHER_REP, PERSON, PERSON_REP, REQUESTER
from sqlalchemy import select

from ccop_cases.accounts.models import Person
from ccop_cases.cases import lists
from ccop_cases.cases import services as cases
from ccop_cases.cases.models import Case, CaseChange
from ccop_cases.charter.models import Membership
from ccop_cases.encryption import seal_text
from ccop_cases.identities import services as identities
from ccop_cases.plans import services as plans
from ccop_cases.rights import record as records
from ccop_cases.rights import services as rights
from ccop_cases.rights.models import RightsRequest

PERSON_NOTE = "Inscrite au club de judo du quartier"
OTHER_NOTE = "Rencontré au gymnase des Peupliers"
# What only the other young person's situation holds: its derogation, action, decision, review date.
OTHER_ONLY = ["Famille injoignable malgré plusieurs tentatives", "Chantier éducatif", "Relais de droit commun",
              "30/06/2026", OTHER_NOTE]
DOWNLOADED = "rights.record_downloaded"


def _seal_note(work: Any, case: Case, note: str) -> None:
    dek = identities.unit_key(work.session, work.keys, case.id)
    case.note_enc = seal_text(dek, note, column=Case.note_enc, row_id=case.id)


@pytest.fixture
def world(app, admin, db) -> rightstest.RightsWorld:
    """The shared world, with staff names, a note, an information record, an action and a
    decision on each young person's situation (different ones), and a participant of another
    institution."""
    world = rightstest.make_world(app, admin)
    for account, name in ((world.dpo, "Sophie Delorme-DPO"), (world.coordinator, "Claire Dubois-Martin"),
                          (world.participant, "Yann Le Goff")):
        db.get_one(Person, account.person.id).display_name = name
    db.get_one(Membership, world.participant_membership.id).institution = "mission_locale"
    work = setup_work(app, db)
    coordinator = db.get_one(Membership, world.coordinator_membership.id)
    mine, other = db.get_one(Case, world.case.id), db.get_one(Case, world.other_case.id)
    _seal_note(work, mine, PERSON_NOTE)
    _seal_note(work, other, OTHER_NOTE)
    cases.inform(work, mine, coordinator, who="representative_1", informed_on=date(2026, 3, 1), means="letter",
                 derogation_reason=None, review_date=None)
    cases.add_action(work, mine, coordinator, action_type="citizenship", start=date(2026, 3, 1), end=None,
                     outcome="ongoing")
    cases.record_decision(work, mine, coordinator, decision="review", next_review=date(2026, 4, 15), meeting_id=None)
    cases.inform(work, other, coordinator, who="young_person", informed_on=None, means=None,
                 derogation_reason="unreachable", review_date=date(2026, 5, 1), approves=True)
    cases.add_action(work, other, coordinator, action_type="educational_worksite", start=date(2026, 3, 2), end=None,
                     outcome="ongoing")
    cases.record_decision(work, other, coordinator, decision="hand_over", next_review=date(2026, 6, 30),
                          meeting_id=None)
    db.commit()
    return world


def _page(request_id: object) -> str:
    return f"/droits/demandes/{request_id}"


def _with_code(client: Any, account: Any, clock: Any, request_id: object) -> None:
    """Enter a code again, as the refused download leads to, and land back on the request."""
    back = post(client, f"/compte/confirmer?suite=rights.request&request_id={request_id}",
                {"code": fresh_code(account, clock)})
    assert back.status_code == 302 and back.location == _page(request_id)


def _download(client: Any, request_id: object) -> Any:
    return post(client, f"{_page(request_id)}/dossier", {}, token_from="/compte/mot-de-passe")


@pytest.fixture
def dpo(world, login_as, clock) -> Any:
    """The council's DPO, signed in, who just entered a code again."""
    client = login_as(world.dpo)
    assert post(client, "/compte/confirmer", {"code": fresh_code(world.dpo, clock)}).status_code == 302
    return client


def _text(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


def _fields(person: Any, *, iso: bool = True) -> list[str]:
    """Every value of an identity, its birth date as the record shows it (and as stored: ``iso``)."""
    values = [person.last_name, person.given_names, person.address, person.phone, person.email]
    if person.birth_date:
        values += [person.birth_date.strftime("%d/%m/%Y")] + ([person.birth_date.isoformat()] if iso else [])
    return [value for value in values if value]


def _staff(db) -> list[str]:
    """Every account's username, display name and function, and every designation's function."""
    people = db.scalars(select(Person)).all()
    names = [p.username for p in people] + [p.display_name for p in people] + [p.function for p in people]
    names += [m.function for m in db.scalars(select(Membership))]
    return sorted({name for name in names if name})


# --- what the record holds -----------------------------------------------------------------------------


def test_the_record_holds_every_field_of_the_person_and_nothing_of_anyone_else(app, db, world, dpo, clock):
    request = rightstest.new_request(app, db, world)
    response = _download(dpo, request.id)
    assert response.status_code == 200
    text = _text(response)
    labels = plans.every_label(db)
    expected = [*_fields(PERSON, iso=False), *_fields(PERSON_REP), "Féminin", PERSON_NOTE, world.case.reference,
                lists.PURPOSES["first_offence_prevention"], lists.REFERRAL_ORIGINS["school"],
                lists.SCHOOL_SITUATIONS["schooled_irregular"], lists.EXPOSURE_FACTORS["absenteeism"],
                "Représentant légal 1 : informé le 01/03/2026 (Courrier)",
                labels["action_type"]["citizenship"], labels["action_outcome"]["ongoing"],
                lists.DECISIONS["review"], "15/04/2026", "Éducation nationale — A proposé la situation",
                "Mission locale — Suivi scolaire", "CLSPD de Villefictive", request.reference, "CNIL"]
    assert [value for value in expected if value not in text] == []
    others = [*_fields(OTHER), *_fields(OTHER_REP), "Masculin", world.other_case.reference, *OTHER_ONLY,
              *_staff(db)]
    assert [value for value in others if value in text] == []


def test_the_record_is_a_self_contained_french_print_ready_file(app, db, world, dpo):
    request = rightstest.new_request(app, db, world)
    response = _download(dpo, request.id)
    assert response.headers["Content-Disposition"] == f"attachment; filename=dossier-{request.reference}.html"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.mimetype == "text/html"
    text = response.get_data(as_text=True)
    assert '<html lang="fr">' in text and "@media print" in text and "<style>" in text
    for outside in ("<script", "<link", "<img", "src=", "href=", "url("):
        assert outside not in text, outside


def test_a_request_linked_to_two_situations_gives_both(app, db, world, dpo):
    second = rightstest.second_group_case(app, world, institution="prevention_specialisee")
    request = rightstest.new_request(app, db, world, cases_=(world.case, second))
    text = _text(_download(dpo, request.id))
    assert "Situation S-2026-0001 — CCOP Quartier des Tilleuls" in text
    assert "Situation S-2026-0001 — CCOP Centre-ville" in text
    assert "Prévention spécialisée — A proposé la situation" in text
    assert text.count(PERSON.email) == 2 and text.count(PERSON_REP.phone) == 2
    details = audit_bodies(db, DOWNLOADED)[-1]["details"]
    assert sorted(details.values()) == sorted([str(world.case.id), str(second.id), details["sha256"]])


def test_the_history_names_an_institution_the_system_or_the_dpo_never_a_person(app, db, world, dpo, clock):
    request = rightstest.new_request(app, db, world)
    db.add_all([CaseChange(case_id=world.case.id, field="state", changed_by=None, changed_at=clock()),
                CaseChange(case_id=world.case.id, field="identity", changed_by=None, changed_at=clock(),
                           request_id=request.id)])
    db.commit()
    text = _download(dpo, request.id).get_data(as_text=True)
    assert "<td>Proposition</td><td>—</td><td>Éducation nationale</td>" in text
    history = html.unescape(text[text.index("Historique des modifications"):])
    assert "système" in history and "délégué à la protection des données" in history
    assert [name for name in _staff(db) if name in history] == []


# --- once, with a fresh code, by the council's DPO only ----------------------------------------------


def test_the_record_leaves_once_the_second_download_is_a_409_and_writes_nothing(app, db, world, dpo):
    request = rightstest.new_request(app, db, world)
    assert _download(dpo, request.id).status_code == 200
    db.expire_all()
    first = db.get_one(RightsRequest, request.id).record_downloaded_at
    entries = len(audit_bodies(db))
    again = _download(dpo, request.id)
    assert again.status_code == 409
    assert "déjà été téléchargé" in _text(again) and PERSON.last_name not in again.text
    db.expire_all()
    assert db.get_one(RightsRequest, request.id).record_downloaded_at == first
    assert len(audit_bodies(db)) == entries  # nothing audited, nothing written
    assert len(audit_bodies(db, DOWNLOADED)) == 1


def test_without_a_fresh_code_the_dpo_enters_one_and_lands_back_on_the_request(app, db, world, login_as, clock):
    request = rightstest.new_request(app, db, world)
    client = login_as(world.dpo)  # a login's code is not a code entered again
    refused = _download(client, request.id)
    assert refused.status_code == 302
    assert refused.location == f"/compte/confirmer?suite=rights.request&request_id={request.id}"
    db.expire_all()
    assert db.get_one(RightsRequest, request.id).record_downloaded_at is None
    assert audit_bodies(db, DOWNLOADED) == []
    _with_code(client, world.dpo, clock, request.id)
    assert _download(client, request.id).status_code == 200
    clock.advance(minutes=11)  # the code is fresh for ten minutes
    assert _download(client, request.id).location.startswith("/compte/confirmer")


# (who asks, expected status): another council's DPO is told nothing of this council's register
# (R22); staff of the group are refused by the decision (the DPO duty, R17).
WHO = [("other_dpo", 404, "R12"), ("coordinator", 403, "R17"), ("participant", 403, "R17")]


@pytest.mark.parametrize("who,status,rule", WHO)
def test_no_one_but_the_councils_dpo_downloads_the_record(app, db, world, login_as, clock, who, status, rule):
    request = rightstest.new_request(app, db, world)
    account = rightstest.other_council_dpo(app, world) if who == "other_dpo" else getattr(world, who)
    client = login_as(account)
    post(client, "/compte/confirmer", {"code": fresh_code(account, clock)})
    response = _download(client, request.id)
    assert response.status_code == status
    assert PERSON.last_name not in response.text
    denied = audit_bodies(db, "access.denied")[-1]
    assert (denied["target"]["id"], denied["rule"], denied["actor"]["id"]) == (str(request.id), rule,
                                                                             str(account.person.id))
    db.expire_all()
    assert db.get_one(RightsRequest, request.id).record_downloaded_at is None
    assert audit_bodies(db, DOWNLOADED) == []


def _answered(app, db, world) -> RightsRequest:
    request = rightstest.new_request(app, db, world)
    rights.answer(setup_work(app, db), request, "no_data", date(2026, 3, 2))
    db.commit()
    return request


def _purged(app, db, world) -> RightsRequest:
    request = rightstest.new_request(app, db, world)
    cases.erase(setup_work(app, db), db.get_one(Case, world.case.id), "rights_erasure")
    db.commit()
    return request


# (the request, the French message): only an access request in progress with a live situation.
NOT_NOW = [
    (lambda app, db, world: rightstest.new_request(app, db, world, kind="rectification"), "demande d’accès"),
    (lambda app, db, world: rightstest.new_request(app, db, world, state="identity_checked"),
     "demande en cours"),
    (_answered, "demande en cours"),
    (_purged, "Aucune situation conservée"),
]


@pytest.mark.parametrize("make,message", NOT_NOW, ids=["rectification", "identity_checked", "answered", "purged"])
def test_a_record_only_leaves_for_an_access_request_in_progress(app, db, world, dpo, make, message):
    request = make(app, db, world)
    response = _download(dpo, request.id)
    assert response.status_code == 302 and response.location == _page(request.id)
    assert message in _text(dpo.get(response.location))
    db.expire_all()
    assert db.get_one(RightsRequest, request.id).record_downloaded_at is None
    assert audit_bodies(db, DOWNLOADED) == []


# --- never on disk; its hash audited, never its content ---------------------------------------------


def _files(root: Path) -> set[str]:
    """Every file under ``root`` (SQLite's own journals aside: they come and go with any write)."""
    return {str(Path(folder) / name) for folder, _dirs, names in os.walk(root) for name in names
            if not name.endswith(("-journal", "-wal", "-shm"))}


def test_the_record_is_built_in_memory_and_no_file_remains(app, db, world, dpo, monkeypatch):
    request = rightstest.new_request(app, db, world)
    instance, temporary = Path(app.extensions["ccop"].settings.instance_dir), Path(tempfile.gettempdir())
    before = (_files(instance), set(os.listdir(temporary)))
    token_page = dpo.get("/compte/mot-de-passe").text  # the CSRF token, read before the guards go up
    token = token_page.split('name="csrf_token"', 1)[1].split('value="', 1)[1].split('"', 1)[0]

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the record must not touch the disk")

    real_open = builtins.open

    def read_only_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if any(flag in mode for flag in "wax+"):
            refuse()
        return real_open(file, mode, *args, **kwargs)

    with monkeypatch.context() as guards:
        for name in ("mkstemp", "mkdtemp", "NamedTemporaryFile", "TemporaryFile", "SpooledTemporaryFile",
                     "TemporaryDirectory"):
            guards.setattr(tempfile, name, refuse)
        guards.setattr(builtins, "open", read_only_open)
        response = dpo.post(f"{_page(request.id)}/dossier", data={"csrf_token": token})
    assert response.status_code == 200 and PERSON.last_name in _text(response)
    assert (_files(instance), set(os.listdir(temporary))) == before
    needle = PERSON.last_name.encode()
    assert [path for path in _files(instance) if needle in Path(path).read_bytes()] == []


def test_the_audit_entry_holds_the_hash_of_the_bytes_received_and_no_name(app, db, world, dpo):
    request = rightstest.new_request(app, db, world)
    response = _download(dpo, request.id)
    entry = audit_bodies(db, DOWNLOADED)[-1]
    assert entry["target"] == {"id": str(request.id), "type": "rights_request"}
    assert entry["details"] == {"case_1": str(world.case.id), "sha256": hashlib.sha256(response.data).hexdigest()}
    trail = json.dumps(audit_bodies(db), ensure_ascii=False)
    people = [*_fields(PERSON), *_fields(PERSON_REP), *_fields(REQUESTER), *_fields(OTHER), *_fields(OTHER_REP)]
    assert [value for value in people if value in trail] == []
    assert PERSON_NOTE not in trail and "Prévention de la primo-délinquance" not in trail


# --- the code's page leads back to an address of this app only -----------------------------------------


@pytest.mark.parametrize("query,target", [
    ("suite=rights.request&request_id={id}", "/droits/demandes/{id}"),
    ("suite=rights.request&request_id=pas-un-id", "/"),  # an id that does not fit the address
    ("suite=rights.request", "/"),  # the id missing
    ("suite=rights.record&request_id={id}", "/"),  # a POST-only address
    ("suite=https://exemple.invalid/", "/"),
    ("suite=oversight.trail", "/controle/"),
])
def test_the_code_leads_back_to_a_page_of_this_app_with_its_id(app, db, world, login_as, clock, query, target):
    request = rightstest.new_request(app, db, world)
    client = login_as(world.dpo)
    response = post(client, "/compte/confirmer?" + query.format(id=request.id), {"code": fresh_code(world.dpo, clock)})
    assert response.status_code == 302 and response.location == target.format(id=request.id)


def test_many_situations_are_audited_one_id_per_key_over_several_entries(app, db, world):
    """An audit value is one id: past 15 situations, a second entry carries the rest, with the hash."""
    request = rightstest.new_request(app, db, world)
    linked = [SimpleNamespace(id=uuid.uuid4()) for _ in range(17)]
    digest = records.downloaded(setup_work(app, db), request, linked, b"<html></html>")  # type: ignore[arg-type]
    db.commit()
    entries = [e["details"] for e in audit_bodies(db, DOWNLOADED)]
    assert [len(e) for e in entries] == [16, 3] and {e["sha256"] for e in entries} == {digest}
    assert sorted(v for e in entries for k, v in e.items() if k != "sha256") == sorted(str(c.id) for c in linked)
