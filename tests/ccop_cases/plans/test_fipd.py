"""A council's actions funded by the FIPD: recorded, corrected, retired and restored by the
administrator presiding the council; amounts typed and shown the French way; audited by ids."""

from __future__ import annotations

import json

import pytest
from apptest import audit_bodies, post
from sqlalchemy import select

from ccop_cases.plans import services as plans
from ccop_cases.plans.models import FipdAction
from ccop_cases.work import DomainError

VALUES = {"reference": "FIPD-2026-012", "title": "Chantiers éducatifs aux Tilleuls",
          "operator": "Association Tilleuls Prévention", "year": 2026, "amount_cents": 1_250_000}


def _refused(call, *args, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call(*args, **kwargs)
    return caught.value


def test_a_fipd_action_is_recorded_and_audited_with_ids_only(gov, db, work):
    action = plans.add_fipd_action(work, gov.council, **VALUES)
    [entry] = audit_bodies(db, "fipd_action.added")
    assert entry["target"] == {"type": "fipd_action", "id": str(action.id)}
    assert entry["details"] == {"council": str(gov.council.id), "year": "2026"}
    assert "Tilleuls" not in json.dumps(entry) and "FIPD-2026" not in json.dumps(entry)


def test_a_reference_is_unique_in_its_council_whatever_its_case_and_even_retired(gov, other_gov, db, work):
    action = plans.add_fipd_action(work, gov.council, **VALUES)
    plans.retire_fipd_action(work, action)
    error = _refused(plans.add_fipd_action, work, gov.council, **{**VALUES, "reference": "fipd-2026-012"})
    assert error.field == "reference" and "déjà celle d’une action FIPD de ce conseil" in str(error)
    plans.add_fipd_action(work, other_gov.council, **VALUES)  # another council: its own references


@pytest.mark.parametrize("changes,field", [
    ({"reference": "FIPD 2026"}, "reference"), ({"reference": ""}, "reference"), ({"reference": "R" * 41}, "reference"),
    ({"title": " "}, "title"), ({"title": "T" * 201}, "title"), ({"operator": ""}, "operator"),
    ({"year": 1999}, "year"), ({"year": 2028}, "year"), ({"amount_cents": -1}, "amount"),
])
def test_a_fipd_action_s_fields_are_checked(gov, work, changes, field):
    assert _refused(plans.add_fipd_action, work, gov.council, **{**VALUES, **changes}).field == field


def test_a_fipd_action_is_corrected_but_keeps_its_reference(gov, db, work):
    action = plans.add_fipd_action(work, gov.council, **VALUES)
    plans.change_fipd_action(work, action, title="Chantiers éducatifs", operator=VALUES["operator"], year=2025,
                             amount_cents=1_000_000)
    db.flush()  # audit_bodies expires the session
    assert (action.reference, action.title, action.year, action.amount_cents) == (
        "FIPD-2026-012", "Chantiers éducatifs", 2025, 1_000_000)
    assert audit_bodies(db, "fipd_action.changed")[0]["details"]["fields"] == "title.year.amount_cents"
    error = _refused(plans.change_fipd_action, work, action, title="Chantiers éducatifs",
                     operator=VALUES["operator"], year=2025, amount_cents=1_000_000)
    assert "Rien n’a changé" in str(error)


def test_a_retired_fipd_action_is_no_longer_offered_and_comes_back(gov, db, work):
    action = plans.add_fipd_action(work, gov.council, **VALUES)
    assert plans.fipd_choices(db, gov.council.id) == {
        str(action.id): "FIPD-2026-012 — Chantiers éducatifs aux Tilleuls"}
    plans.retire_fipd_action(work, action)
    assert plans.fipd_choices(db, gov.council.id) == {}
    assert "déjà retirée" in str(_refused(plans.retire_fipd_action, work, action))
    plans.restore_fipd_action(work, action)
    assert plans.fipd_choices(db, gov.council.id)
    assert [e["action"] for e in audit_bodies(db) if e["target"]["type"] == "fipd_action"] == [
        "fipd_action.added", "fipd_action.retired", "fipd_action.restored"]


# --- the console's pages -------------------------------------------------------------------------------


def test_the_council_page_leads_to_its_fipd_actions_recorded_with_a_french_amount(login_as, admin, gov, db):
    console = login_as(admin)
    council_page = console.get(f"/administration/conseils/{gov.council.id}").text
    url = f"/administration/conseils/{gov.council.id}/fipd"
    assert f'href="{url}"' in council_page
    form = {"reference": "FIPD-2026-012", "title": "Chantiers éducatifs", "operator": "Association Essai",
            "year": "2026"}
    dotted = post(console, url, {**form, "amount": "12.500"})
    assert dotted.status_code == 400 and "virgule décimale" in dotted.text and not db.scalar(select(FipdAction.id))
    assert post(console, url, {**form, "amount": "12 500"}).status_code == 302
    assert db.scalar(select(FipdAction.amount_cents)) == 1_250_000
    assert "12\u00a0500,00\u00a0€" in console.get(url).text
    again = post(console, url, {**form, "amount": "1 000,00"})
    assert again.status_code == 400 and "déjà celle d’une action FIPD de ce conseil" in again.text


def test_the_fipd_actions_of_a_council_are_paginated(login_as, admin, gov, db, work):
    for n in range(plans.PAGE_SIZE + 1):
        plans.add_fipd_action(work, gov.council, **{**VALUES, "reference": f"FIPD-{n:03d}"})
    db.commit()
    console = login_as(admin)
    url = f"/administration/conseils/{gov.council.id}/fipd"
    first, second = console.get(url).text, console.get(f"{url}?page=2").text
    assert "page 1 sur 2" in first and "FIPD-000" in first and "FIPD-020" not in first
    assert "FIPD-020" in second and "Page précédente" in second
    assert console.get(f"{url}?page=zero").status_code == 400


def test_a_fipd_action_is_corrected_and_retired_with_a_confirmation_on_its_page(login_as, admin, gov, db, work):
    action = plans.add_fipd_action(work, gov.council, **VALUES)
    db.commit()
    console = login_as(admin)
    url = f"/administration/fipd/{action.id}"
    page = console.get(url).text
    assert 'value="12\u00a0500,00"' in page and "FIPD-2026-012" in page
    assert post(console, url, {"title": VALUES["title"], "operator": VALUES["operator"], "year": "2026",
                               "amount": "13 000,50"}).status_code == 302
    db.expire_all()
    assert db.get(FipdAction, action.id).amount_cents == 1_300_050
    unconfirmed = post(console, f"{url}/etat", {"st-action": "retire"}, token_from=url)
    assert unconfirmed.status_code == 400 and "Cochez la case" in unconfirmed.text
    assert post(console, f"{url}/etat", {"st-action": "retire", "st-confirm": "y"}, token_from=url).status_code == 302
    db.expire_all()
    assert db.get(FipdAction, action.id).retired_at is not None
    assert "retirée le" in console.get(f"/administration/conseils/{gov.council.id}/fipd").text
