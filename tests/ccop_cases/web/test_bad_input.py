"""Malformed input answers a French 400 page; nothing is stored and nothing of it is logged."""

from __future__ import annotations

import pytest
from apptest import csrf_token
from sqlalchemy import func, select

from ccop_cases.accounts.models import LoginThrottle, WebSession

MARKER = "valeur-temoin-7b3f"


def _form(client, fields: dict[str, str]) -> dict[str, str]:
    return {**fields, "csrf_token": csrf_token(client, "/connexion")}


BAD_BODIES = {
    "over_long_field": lambda tok: {"username": MARKER + "x" * 120_000, "password": "p", "csrf_token": tok},
    "null_byte": lambda tok: {"username": MARKER + "\x00", "password": "p", "csrf_token": tok},
}


def _stored_rows(db) -> int:
    return (db.scalar(select(func.count()).select_from(LoginThrottle))
            + db.scalar(select(func.count()).select_from(WebSession)))


@pytest.mark.parametrize("kind", sorted(BAD_BODIES))
def test_bad_form_values_answer_400_in_french_and_store_nothing(client, db, capsys, kind):
    data = BAD_BODIES[kind](csrf_token(client, "/connexion"))
    response = client.post("/connexion", data=data)
    assert response.status_code == 400
    assert "données invalides" in response.text
    assert _stored_rows(db) == 0
    assert MARKER not in capsys.readouterr().err


def test_control_characters_are_refused_on_the_field_in_french(client, db, capsys):
    # Since the charter console (issue 5), other control characters than NUL are refused
    # by each form, so the person sees which field to correct.
    response = client.post("/connexion", data=_form(client, {"username": MARKER + "\x1b[31m", "password": "p"}))
    assert response.status_code == 400
    assert "Caractères de contrôle interdits" in response.text
    assert _stored_rows(db) == 0
    assert MARKER not in capsys.readouterr().err


def test_non_utf8_body_answers_400(client, db, capsys):
    token = csrf_token(client, "/connexion")
    body = f"username={MARKER}%FF%FE&password=x&csrf_token={token}".encode()
    response = client.post("/connexion", data=body,
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400 and "données invalides" in response.text
    assert _stored_rows(db) == 0
    assert MARKER not in capsys.readouterr().err


def test_non_utf8_query_string_answers_400(client):
    assert client.get("/connexion?x=%C3%28").status_code == 400


@pytest.mark.parametrize("content_type,body", [
    ("application/json", b'{"username": "a", "password": "b"}'),
    ("text/plain", b"username=a&password=b"),
    ("multipart/form-data; boundary=x", b"--x--"),
])
def test_wrong_content_types_answer_400(client, db, content_type, body):
    response = client.post("/connexion", data=body, content_type=content_type)
    assert response.status_code == 400 and "données invalides" in response.text
    assert _stored_rows(db) == 0


def test_body_over_the_size_limit_answers_413_in_french(client):
    response = client.post("/connexion", data=b"a=" + b"b" * (2 * 1024 * 1024),
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413 and "taille autorisée" in response.text


def test_form_length_limits_answer_in_french_and_keep_the_username(client, db):
    response = client.post("/connexion", data=_form(client, {"username": "u" * 65, "password": ""}))
    assert response.status_code == 400
    assert "64 caractères au plus." in response.text
    assert "Ce champ est obligatoire." in response.text
    assert 'value="' + "u" * 65 + '"' in response.text  # kept for correction
    assert _stored_rows(db) == 0


def test_password_is_never_echoed_back(client):
    response = client.post("/connexion", data=_form(client, {"username": "", "password": MARKER}))
    assert MARKER not in response.text
