"""Fictional demo data for ``make run`` (development only): accounts with known credentials."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select
from sqlalchemy.orm import Session

from ccop_cases import runtime as rt
from ccop_cases.accounts import services
from ccop_cases.accounts.models import Person
from ccop_cases.encryption import open_totp_secret, seal_totp_secret
from ccop_cases.security import otp

# Obviously fictional accounts; usernames say what each one shows.
DEMO_USERS = ("demo.coordination", "demo.police", "demo.ecole", "demo.nouveau")
CREDENTIALS_FILE = "demo-credentials.txt"

cli = AppGroup("demo", help="Données fictives de démonstration (development uniquement).")


def _require_development() -> None:
    if rt.runtime().settings.env != "development":
        raise click.ClickException("Réservé à CCOP_ENV=development : jamais de comptes de démonstration en production.")


def seed_accounts(db: Session) -> list[tuple[str, str, str]]:
    """Create the demo accounts that are missing; return (username, password, totp secret) of new ones."""
    created = []
    for username in DEMO_USERS:
        if db.scalar(select(Person.id).where(Person.username == username)) is not None:
            continue
        person, _ = services.create_person(db, rt.system_audit(db, "demo-seed"), rt.runtime().hasher,
                                           username, rt.now())
        password = "-".join(secrets.token_hex(3) for _ in range(4))
        person.password_hash = rt.runtime().hasher.hash(password)
        if username == "demo.nouveau":  # shows first-login enrolment: no TOTP yet
            created.append((username, password, "(enrôlement à la première connexion)"))
            continue
        person.must_change_password = False
        secret = otp.new_secret()
        person.totp_secret_enc = seal_totp_secret(rt.runtime().keys, person.id, secret)
        person.totp_enrolled_at = rt.now()
        services.new_recovery_codes(db, person)
        created.append((username, password, secret))
    return created


def _append_credentials(path: Path, rows: list[tuple[str, str, str]]) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as handle:
        for username, password, secret in rows:
            handle.write(f"{username:<20} mot de passe : {password}   clé TOTP : {secret}\n")


@cli.command("seed")
def seed() -> None:
    """Créer les comptes de démonstration manquants et afficher comment se connecter."""
    _require_development()
    session = rt.runtime().database.session()
    with session.begin():
        rows = seed_accounts(session)
    path = rt.runtime().settings.instance_dir / CREDENTIALS_FILE
    if rows:
        _append_credentials(path, rows)
    click.echo("Comptes de démonstration (fictifs) :")
    click.echo(path.read_text("utf-8") if path.exists() else "(aucun)")
    click.echo("Code du moment pour un compte : .venv/bin/ccop demo code demo.coordination")


@cli.command("code")
@click.argument("username")
def code(username: str) -> None:
    """Afficher le code TOTP du moment d'un compte de démonstration."""
    _require_development()
    if username not in DEMO_USERS:
        raise click.ClickException("Seuls les comptes de démonstration sont concernés.")
    session = rt.runtime().database.session()
    person = services.find_person(session, username)
    if person.totp_secret_enc is None:
        raise click.ClickException("Ce compte n'a pas encore de double authentification.")
    click.echo(otp.current_code(open_totp_secret(rt.runtime().keys, person.id,
                                                 person.totp_secret_enc), rt.now()))
