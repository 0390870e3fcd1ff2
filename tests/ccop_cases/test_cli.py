"""Administration commands: create, unlock, locked, reset-2fa, end-sessions; help without keys."""

from __future__ import annotations

import re

import pytest
from apptest import PASSWORD, login, post
from click.testing import CliRunner
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


# --- item 12 of issue 12: help without keys, unlock says what it did, the locked accounts ---------

def _without_keys(tmp_path):
    """An environment whose instance has no keys (a deployment before ``ccop keys init``)."""
    import os
    return {**{name: None for name in os.environ if name.startswith("CCOP_")},
            "CCOP_ENV": "production", "CCOP_INSTANCE_DIR": str(tmp_path)}


@pytest.mark.parametrize("args", [["--help"], ["users", "--help"], ["users", "unlock", "--help"],
                                  ["users", "locked", "--help"], ["audit", "--help"], ["keys", "--help"],
                                  ["retention", "run", "--help"], ["db", "--help"]])
def test_help_works_before_the_keys_exist(tmp_path, args):
    result = CliRunner().invoke(main, args, env=_without_keys(tmp_path))
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Usage: ") and "Configuration invalide" not in result.output
    assert "Error" not in result.output and not (tmp_path / "keys").exists()


@pytest.mark.parametrize("args", [["users", "unlock", "agent"], ["users", "locked"], ["keys", "status"],
                                  ["audit", "checkpoint"], ["routes"]])
def test_only_commands_that_need_the_keys_refuse_with_the_french_reason(tmp_path, args):
    result = CliRunner().invoke(main, args, env=_without_keys(tmp_path))
    assert result.exit_code == 1
    assert "Configuration invalide : Clés absentes" in result.output and "ccop keys init" in result.output
    assert "Usage:" not in result.output and "Traceback" not in result.output


def test_keys_init_still_works_without_an_application(tmp_path):
    result = CliRunner().invoke(main, ["keys", "init"], env=_without_keys(tmp_path))
    assert result.exit_code == 0 and "Clés créées" in result.output


def _lock(app, username):
    rt = app.extensions["ccop"]
    session = rt.database.session()
    for _ in range(services.LOCK_AFTER):
        services.record_failure(session, services.throttle_key(username), rt.clock())
    session.commit()
    session.close()


def test_users_unlock_says_whether_the_account_was_locked(app, account):
    _lock(app, account.username)
    first = _run(app, "users", "unlock", account.username.upper())
    assert first.exit_code == 0
    assert first.output.strip() == f"Le compte « {account.username} » était bloqué : il est débloqué."
    again = _run(app, "users", "unlock", account.username)
    assert again.exit_code == 0 and again.output.strip() == f"Le compte « {account.username} » n’était pas bloqué."


def test_users_locked_lists_the_locked_logins_only(app, account, clock):
    from apptest import make_account
    assert _run(app, "users", "locked").output.strip() == "Aucun compte bloqué."
    other = make_account(app, "agent.autre")
    _lock(app, account.username)
    clock.advance(minutes=5)
    _lock(app, other.username)
    _lock(app, "personne.inconnue")
    make_account(app, "agent.libre")
    listing = _run(app, "users", "locked")
    assert listing.exit_code == 0, listing.output
    lines = listing.output.splitlines()
    assert lines[0] == "2 compte(s) bloqué(s), les plus récents d'abord :"
    # Paris time, labelled (the clock reads 09:00 UTC: 10:00 in Paris in March, winter time).
    assert lines[1] == "  agent.autre — bloqué le 02/03/2026 à 10:05 (heure de Paris)"
    assert lines[2] == "  agent.test — bloqué le 02/03/2026 à 10:00 (heure de Paris)"
    assert "agent.libre" not in listing.output and "personne.inconnue" not in listing.output
    assert "1 identifiant(s) sans compte aussi bloqué(s)" in listing.output
    bounded = _run(app, "users", "locked", "--limit", "1")
    assert "agent.autre" in bounded.output and "  agent.test" not in bounded.output
    assert "… et 1 autre(s) : relancez avec --limit 2." in bounded.output
    _run(app, "users", "unlock", "agent.autre")
    assert "agent.autre" not in _run(app, "users", "locked").output


@pytest.mark.parametrize("given,port", [([], "5000"), (["PORT=8123"], "8123")])
def test_make_run_serves_on_the_port_given(given, port):
    import shutil
    import subprocess
    from pathlib import Path
    root = Path(__file__).resolve().parents[2]
    make = shutil.which("make")
    if make is None:
        pytest.skip("make is not installed")
    dry = subprocess.run([make, "-n", "run", *given], cwd=root, capture_output=True, text=True, check=True)  # noqa: S603
    assert f"ccop run --host 127.0.0.1 --port {port}" in dry.stdout
    usage = subprocess.run([make, "help", *given], cwd=root, capture_output=True, text=True, check=True)  # noqa: S603
    assert f"Serve on http://127.0.0.1:{port} " in usage.stdout
    assert "make run PORT=" in (root / "README.md").read_text("utf-8")


def test_keys_init_says_why_a_token_pin_file_is_refused_without_a_traceback(tmp_path):
    pin = tmp_path / "token.pin"
    pin.write_text("4321\n", encoding="utf-8")
    pin.chmod(0o644)
    env = {**_without_keys(tmp_path), "CCOP_KEY_PROVIDER": "pkcs11", "CCOP_PKCS11_MODULE": "/nowhere/lib.so",
           "CCOP_PKCS11_TOKEN": "ccop", "CCOP_PKCS11_PIN_FILE": str(pin)}
    result = CliRunner().invoke(main, ["keys", "init"], env=env)
    assert result.exit_code == 1 and "Configuration invalide : CCOP_PKCS11_PIN_FILE" in result.output
    assert "chmod 600" in result.output and "4321" not in result.output and result.exception.__class__ is SystemExit


def test_db_upgrade_creates_the_folder_of_a_new_sqlite_database(tmp_path):
    env = {**_without_keys(tmp_path / "instance"), "CCOP_ENV": "development"}
    result = CliRunner().invoke(main, ["db", "upgrade"], env=env)
    assert result.exit_code == 0 and "Base de données à jour" in result.output, result.output
    assert (tmp_path / "instance" / "ccop.sqlite3").exists()
