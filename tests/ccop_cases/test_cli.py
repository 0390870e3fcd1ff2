"""Administration commands: create, unlock, reset-2fa, end-sessions."""

from __future__ import annotations

import re

from apptest import PASSWORD, login, post
from sqlalchemy import select

from ccop_cases.accounts import services
from ccop_cases.accounts.models import Person, RecoveryCode
from ccop_cases.cli import main


def _run(app, *args):
    return app.test_cli_runner().invoke(main, args=list(args))


def test_users_create_prints_a_one_time_password_that_must_be_changed(app, client):
    result = _run(app, "users", "create", "Nouvelle.Agente")
    assert result.exit_code == 0, result.output
    one_time = re.search(r"usage unique : (\S+)", result.output).group(1)
    r = post(client, "/connexion", {"username": "nouvelle.agente", "password": one_time})
    assert r.location == "/compte/configuration"
    assert client.get("/compte/configuration").location == "/compte/mot-de-passe"


def test_users_create_refuses_a_duplicate_or_invalid_username(app):
    assert _run(app, "users", "create", "double").exit_code == 0
    again = _run(app, "users", "create", "double")
    assert again.exit_code != 0 and "existe déjà" in again.output
    bad = _run(app, "users", "create", "nom avec espaces")
    assert bad.exit_code != 0 and "Identifiant invalide" in bad.output


def test_users_unlock_lifts_a_lock(app, account, clock):
    c = app.test_client()
    for _ in range(20):
        post(c, "/connexion", {"username": account.username, "password": "mauvais"})
        clock.advance(seconds=1000)
    assert post(c, "/connexion", {"username": account.username, "password": PASSWORD}).status_code == 429
    assert _run(app, "users", "unlock", account.username).exit_code == 0
    assert post(c, "/connexion", {"username": account.username, "password": PASSWORD}).status_code == 302


def test_users_reset_2fa_forces_a_new_enrolment_and_ends_sessions(app, login_as, account, db):
    c = login_as(account)
    result = _run(app, "users", "reset-2fa", account.username)
    assert result.exit_code == 0 and "1 session(s)" in result.output
    assert c.get("/").location == "/connexion"
    person = db.get(Person, account.person.id)
    assert person.totp_secret_enc is None and person.totp_enrolled_at is None
    assert db.scalars(select(RecoveryCode).where(RecoveryCode.person_id == person.id)).all() == []
    fresh = app.test_client()
    r = post(fresh, "/connexion", {"username": account.username, "password": PASSWORD})
    assert r.location == "/compte/configuration"
    assert fresh.get("/compte/configuration").location == "/compte/double-authentification"


def test_users_end_sessions_logs_out_every_client(app, login_as, account):
    clients = [login_as(account), login_as(account)]
    result = _run(app, "users", "end-sessions", account.username)
    assert result.exit_code == 0 and "2 session(s)" in result.output
    assert [c.get("/").location for c in clients] == ["/connexion", "/connexion"]


def test_users_commands_on_unknown_username_fail_clearly(app):
    result = _run(app, "users", "end-sessions", "personne")
    assert result.exit_code != 0 and "Aucun compte" in result.output


def test_demo_commands_refuse_outside_development(app):
    result = _run(app, "demo", "seed")
    assert result.exit_code != 0 and "development" in result.output


def test_demo_seed_creates_enrolled_accounts_that_can_log_in(app, clock, db, settings):
    from dataclasses import replace

    from apptest import Account

    from ccop_cases.demo import CREDENTIALS_FILE
    rt = app.extensions["ccop"]
    rt.settings = replace(settings, env="development")
    try:
        result = _run(app, "demo", "seed")
    finally:
        rt.settings = settings
    assert result.exit_code == 0, result.output
    line = next(x for x in result.output.splitlines() if x.startswith("demo.coordination"))
    password = re.search(r"mot de passe : (\S+)", line).group(1)
    secret = re.search(r"clé TOTP : (\S+)", line).group(1)
    person = db.scalar(select(Person).where(Person.username == "demo.coordination"))
    acct = Account(person, "demo.coordination", password, secret, [])
    assert login(app.test_client(), acct, clock).location == "/"
    (settings.instance_dir / CREDENTIALS_FILE).unlink()
    assert services.remaining_recovery_codes(db, person) == 10
