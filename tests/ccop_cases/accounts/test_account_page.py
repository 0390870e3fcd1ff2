"""« Mon compte » (issue 14): the person sets the name and function they are shown under, their
e-mail address and their choice of reminders; French messages, CSRF, and a trail that keeps
which fields changed, never their values."""

from __future__ import annotations

import pytest
from apptest import audit_bodies, post
from sqlalchemy import select

from ccop_cases.accounts.models import Person
from ccop_cases.auditing.models import AuditEntry

URL = "/compte"
VALID = {"display_name": "Camille Martin", "function": "Coordonnatrice du CLSPD, Mairie",
         "email": "camille.martin@mairie-villefictive.example", "reminders": "y"}


def _person(db, account):
    db.expire_all()
    return db.get(Person, account.person.id)


def test_the_page_shows_the_account_and_saves_it(login_as, account, db):
    client = login_as(account)
    page = client.get(URL)
    assert page.status_code == 200 and "<h1>Mon compte</h1>" in page.text
    assert f"<code>{account.username}</code>" in page.text
    assert 'type="email"' in page.text and "Recevoir les rappels par courriel" in page.text
    done = post(client, URL, VALID)
    assert done.status_code == 302 and done.location == URL
    shown = client.get(URL).text
    assert "Vos informations ont été enregistrées." in shown
    assert 'value="Camille Martin"' in shown and 'value="camille.martin@mairie-villefictive.example"' in shown
    assert '<input checked id="reminders" name="reminders" type="checkbox" value="y">' in shown
    assert ">Camille Martin — Mon compte</a>" in shown  # the header names the person and leads here
    person = _person(db, account)
    assert (person.display_name, person.function, person.email, person.reminders) == (
        "Camille Martin", "Coordonnatrice du CLSPD, Mairie", "camille.martin@mairie-villefictive.example", True)
    assert person.label == "Camille Martin (Coordonnatrice du CLSPD, Mairie)"
    again = post(client, URL, VALID)
    assert again.status_code == 302 and "Aucune modification." in client.get(URL).text
    assert len(audit_bodies(db, "account.profile_changed")) == 1  # nothing changed: nothing written


def test_the_trail_keeps_which_fields_changed_never_their_values(login_as, account, db):
    client = login_as(account)
    post(client, URL, VALID)
    post(client, URL, {**VALID, "function": "Cheffe de service, Éducation nationale", "reminders": ""})
    entries = audit_bodies(db, "account.profile_changed")
    assert [(e["actor"]["id"], e["target"]["id"], e["details"]) for e in entries] == [
        (str(account.person.id), str(account.person.id), {"fields": "display_name.function.email.reminders"}),
        (str(account.person.id), str(account.person.id), {"fields": "function.reminders"})]
    raw = b"".join(db.scalars(select(AuditEntry.body).where(AuditEntry.body.is_not(None))))
    for value in ("Camille", "Martin", "Coordonnatrice", "Cheffe", "Éducation", "mairie-villefictive", "@"):
        assert value.encode() not in raw, value


REFUSALS = [  # what is posted -> field, French message; nothing is saved
    ({"email": "pas une adresse"}, "email",
     "Adresse électronique invalide : elle s’écrit nom@domaine.fr, sans espace."),
    ({"email": "camille@localhost"}, "email", "Adresse électronique invalide"),
    ({"email": "Camille <camille@mairie.example>"}, "email", "Adresse électronique invalide"),
    ({"email": "a@b.fr,c@d.fr"}, "email", "Adresse électronique invalide"),
    ({"email": "x" * 250 + "@mairie.example"}, "email", "254 caractères au plus."),
    ({"email": "", "reminders": "y"}, "email", "Indiquez une adresse électronique pour recevoir les rappels."),
    ({"display_name": "x" * 121}, "display_name", "120 caractères au plus."),
    ({"function": "y" * 161}, "function", "160 caractères au plus."),
    ({"display_name": "Camille\x07Martin"}, "display_name", "Caractères de contrôle interdits"),
]


@pytest.mark.parametrize("changes,field,message", REFUSALS)
def test_a_refused_value_says_why_in_french_keeps_the_input_and_saves_nothing(login_as, account, db, changes,
                                                                              field, message):
    client = login_as(account)
    response = post(client, URL, {**VALID, **changes})
    assert response.status_code == 400
    errors = response.text.split(f'id="{field}-errors"')[1].split("</ul>")[0]
    assert message in errors
    assert f'id="{field}"' in response.text and 'aria-invalid="true"' in response.text
    assert 'value="Camille Martin"' in response.text or field == "display_name"  # the input is kept
    person = _person(db, account)
    assert (person.display_name, person.email, person.reminders) == ("", None, False)
    assert audit_bodies(db, "account.profile_changed") == []


def test_without_the_csrf_token_nothing_is_saved(login_as, account, db):
    client = login_as(account)
    response = client.post(URL, data=VALID)
    assert response.status_code == 400 and "Le formulaire a expiré" in response.text
    assert _person(db, account).display_name == ""


def test_emptying_the_name_falls_back_to_the_login(login_as, account, db):
    client = login_as(account)
    post(client, URL, VALID)
    post(client, URL, {"display_name": "", "function": "", "email": "", "reminders": ""})
    person = _person(db, account)
    assert (person.display_name, person.function, person.email, person.reminders) == ("", "", None, False)
    assert person.label == account.username
    page = client.get(URL).text
    assert f">{account.username} — Mon compte</a>" in page
    assert '<input id="reminders" name="reminders" type="checkbox" value="y">' in page
