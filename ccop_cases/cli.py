"""The ``ccop`` command: Flask's CLI bound to ``create_app`` plus operator commands.

``keys`` and ``db`` work without an application (a new deployment has no keys yet);
``users`` and ``demo`` are registered on ``app.cli`` by ``create_app``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click
from flask import Flask
from flask.cli import AppGroup, FlaskGroup, NoAppException

from ccop_cases import create_app
from ccop_cases import runtime as rt
from ccop_cases.accounts import services
from ccop_cases.encryption import init_key_dir
from ccop_cases.migrate import upgrade
from ccop_cases.settings import Settings, SettingsError


def _load_app() -> Flask:
    try:
        return create_app()
    except SettingsError as exc:
        # A clear message and a non-zero exit instead of a traceback.
        raise NoAppException(f"Configuration invalide : {exc}") from exc


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as exc:
        raise click.ClickException(f"Configuration invalide : {exc}") from exc


@click.group(cls=FlaskGroup, create_app=_load_app, add_version_option=False,
             load_dotenv=False, set_debug_flag=False)
def main() -> None:
    """ccop-cases : suivi des situations individuelles d'une CCOP (CLSPD/CISPD)."""


# --- keys and database (no application needed) ---------------------------------------------

@main.group()
def keys() -> None:
    """Clés de chiffrement (hors de la base de données)."""


@keys.command("init", with_appcontext=False)
def keys_init() -> None:
    """Créer le dossier de clés d'un nouveau déploiement (refuse d'écraser)."""
    settings = _settings()
    try:
        init_key_dir(settings.key_dir)
    except FileExistsError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Clés créées dans {settings.key_dir} (droits 0600). Sauvegardez ce dossier.")


@main.group()
def db() -> None:
    """Schéma de la base de données (migrations Alembic)."""


@db.command("upgrade", with_appcontext=False)
def db_upgrade() -> None:
    """Appliquer les migrations jusqu'à la dernière version."""
    upgrade(_settings().database_url)
    click.echo("Base de données à jour.")


# --- accounts --------------------------------------------------------------------------------

def _in_transaction(work: Callable[[Any], str]) -> None:
    """Run ``work(session)`` in one transaction of the app's database; echo its result."""
    session = rt.runtime().database.session()
    try:
        message = work(session)
        session.commit()
    except services.AccountError as exc:
        session.rollback()
        raise click.ClickException(str(exc)) from exc
    finally:
        session.close()
    click.echo(message)


users = AppGroup("users", help="Comptes des personnes (administration).")


@users.command("create")
@click.argument("username")
def users_create(username: str) -> None:
    """Créer un compte ; affiche un mot de passe à usage unique à changer à la première connexion."""
    def work(session: Any) -> str:
        person, one_time = services.create_person(session, rt.runtime().hasher, username, rt.now())
        return (f"Compte « {person.username} » créé.\nMot de passe à usage unique : {one_time}\n"
                "Transmettez-le par un canal sûr ; il devra être changé à la première connexion.")
    _in_transaction(work)


@users.command("unlock")
@click.argument("username")
def users_unlock(username: str) -> None:
    """Débloquer un identifiant après trop de tentatives."""
    def work(session: Any) -> str:
        services.clear_failures(session, username)
        return f"Identifiant « {username} » débloqué."
    _in_transaction(work)


@users.command("reset-2fa")
@click.argument("username")
def users_reset_2fa(username: str) -> None:
    """Réinitialiser la double authentification (nouvel enrôlement à la prochaine connexion)."""
    def work(session: Any) -> str:
        person = services.find_person(session, username)
        ended = services.reset_second_factor(session, person, rt.now())
        return f"Double authentification réinitialisée ; {ended} session(s) terminée(s)."
    _in_transaction(work)


@users.command("end-sessions")
@click.argument("username")
def users_end_sessions(username: str) -> None:
    """Terminer immédiatement toutes les sessions d'une personne."""
    def work(session: Any) -> str:
        person = services.find_person(session, username)
        ended = services.end_all_sessions(session, person.id, "ended_by_operator", rt.now())
        return f"{ended} session(s) terminée(s)."
    _in_transaction(work)

