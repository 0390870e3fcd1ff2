"""The ``ccop`` command: Flask's CLI bound to ``create_app`` plus operator commands.

``--help`` (of every command), ``keys init`` and ``db upgrade`` work without an application
(a new deployment has no keys yet); the other commands run inside the application context
and, when it cannot start, refuse with its French reason.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path

import click
from flask import Flask
from flask.cli import FlaskGroup
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from ccop_cases import create_app, demo
from ccop_cases.accounts import services
from ccop_cases.accounts.models import LoginThrottle, Person
from ccop_cases.clock import day
from ccop_cases.encryption import epoch_of, init_keys, where
from ccop_cases.identities import rotation
from ccop_cases.identities import services as identity_services
from ccop_cases.identities.services import UNREADABLE_EPOCH
from ccop_cases.migrate import MigrationError, upgrade
from ccop_cases.oversight import cli as oversight_cli
from ccop_cases.reminders import cli as reminders_cli
from ccop_cases.retention import cli as retention_cli
from ccop_cases.settings import Settings, SettingsError
from ccop_cases.web import runtime as rt
from ccop_cases.web import timefmt
from ccop_cases.work import Work

OPERATOR = "operator-cli"  # the actor of operator commands in the audit trail


def _load_app() -> Flask:
    try:
        return create_app()
    except SettingsError as exc:
        # A clear message and a non-zero exit instead of a traceback or a usage error.
        raise click.ClickException(f"Configuration invalide : {exc}") from exc


class _Commands(FlaskGroup):
    """Flask's group, but listing and finding commands never starts the application: the
    commands are all declared here (the app adds none), so ``ccop --help`` works before
    ``ccop keys init``, and only a command that needs the app loads it."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load_plugin_commands()
        return click.Group.list_commands(self, ctx)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        self._load_plugin_commands()
        return click.Group.get_command(self, ctx, name)


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as exc:
        raise click.ClickException(f"Configuration invalide : {exc}") from exc


@click.group(cls=_Commands, create_app=_load_app, add_version_option=False,
             load_dotenv=False, set_debug_flag=False)
def main() -> None:
    """ccop-cases : suivi des situations individuelles d'une CCOP (CLSPD/CISPD)."""


# --- keys and database (no application needed) ---------------------------------------------

@main.group()
def keys() -> None:
    """Clés de chiffrement (hors de la base de données)."""


@keys.command("init", with_appcontext=False)
def keys_init() -> None:
    """Créer les clés d'un nouveau déploiement (dossier ou jeton PKCS#11 ; refuse d'écraser)."""
    settings = _settings()
    epoch = epoch_of(day(datetime.now(UTC)))
    try:
        init_keys(settings, epoch)
    except FileExistsError as exc:
        raise click.ClickException(str(exc)) from exc
    except SettingsError as exc:  # the token's PIN file
        raise click.ClickException(f"Configuration invalide : {exc}") from exc
    click.echo(f"Clés créées ({where(settings)}), époque de conservation {epoch}. "
               "Sauvegardez-les à part de la base de données, et pas plus longtemps que la borne de "
               "docs/operations.md (section « Key backups »).")


@main.group()
def db() -> None:
    """Schéma de la base de données (migrations Alembic)."""


@db.command("upgrade", with_appcontext=False)
def db_upgrade() -> None:
    """Appliquer les migrations jusqu'à la dernière version (en tant que propriétaire du schéma).

    Règle aussi la conservation du journal que la base impose (CCOP_AUDIT_RETENTION_DAYS)
    et, sur PostgreSQL, les droits du rôle restreint du service (CCOP_APP_ROLE).
    """
    settings = _settings()
    if settings.owner_database_url.startswith("sqlite:///"):  # a first upgrade creates the database's folder
        Path(settings.owner_database_url.removeprefix("sqlite:///")).parent.mkdir(mode=0o700, parents=True,
                                                                                 exist_ok=True)
    try:
        upgrade(settings.owner_database_url, app_role=settings.app_role,
                retention_days=settings.audit_retention_days,
                key_dir=settings.key_dir if settings.key_dir.exists() else None)
    except MigrationError as exc:
        raise click.ClickException(str(exc)) from exc
    except DBAPIError as exc:  # the database's own words may quote SQL: only their gist is said
        # 42501: insufficient privilege; 3F000: no usable schema to create in — not the owner.
        if getattr(exc.orig, "sqlstate", None) in ("42501", "3F000"):
            raise click.ClickException(
                "Mise à jour refusée par la base de données : le rôle utilisé n’a pas les droits du "
                "propriétaire du schéma (c’est sans doute le rôle restreint du service). Donnez l’URL du "
                "propriétaire dans CCOP_MIGRATION_DATABASE_URL et relancez « ccop db upgrade ». "
                "Rien n’a été modifié.") from exc
        raise click.ClickException(f"Mise à jour impossible : la base de données a répondu par une erreur "
                                   f"({type(exc.orig).__name__}). Rien n’a été modifié.") from exc
    click.echo("Base de données à jour."
               + (f" Droits du rôle restreint « {settings.app_role} » appliqués." if settings.app_role else ""))


@keys.command("status")
def keys_status() -> None:
    """Versions de clé de chiffrement, époques de conservation, et nombre de clés de données sous chacune."""
    keys = rt.runtime().keys
    with rt.operator_work(OPERATOR) as work:
        counts = identity_services.count_by_kek(work.session)
        by_epoch = identity_services.count_by_epoch(work.session, keys)
    click.echo(f"Fournisseur : {where(rt.runtime().settings)}")
    for version, status in sorted(keys.versions.items()):
        current = " (courante)" if version == keys.current_key_id else ""
        click.echo(f"{version} : {status}{current}, {counts.get(version, 0)} clé(s) de données")
    click.echo(keys_epochs(keys.epoch, by_epoch))


def keys_epochs(ratchet: str | None, by_epoch: Mapping[str | None, int]) -> str:
    """The data keys by epoch, for an operator: before the ratchet (unreadable: purged since a
    restored dump), the ratchet's month (destroyed at the next turn), later ones as one total —
    never month by month, which for open situations would be a histogram of birth months."""
    if ratchet is None:
        return "Époques de conservation : pas encore commencées (« ccop retention run » les commence)."
    counted = {e: n for e, n in by_epoch.items() if e not in (None, UNREADABLE_EPOCH)}
    lines = [f"Époque la plus ancienne encore lisible : {ratchet} (les précédentes sont détruites)",
             f"  sans époque : {by_epoch.get(None, 0)} clé(s) de données",
             f"  {ratchet} : {counted.get(ratchet, 0)} clé(s) de données (détruite au prochain changement de mois)",
             f"  époques suivantes : {sum(n for e, n in counted.items() if e > ratchet)} clé(s) de données"]
    passed = sum(n for e, n in counted.items() if e < ratchet)
    if passed:
        lines.append(f"  époques détruites : {passed} clé(s) de données, illisibles (effacées depuis la sauvegarde "
                     "restaurée : « ccop retention run » les purge)")
    if by_epoch.get(UNREADABLE_EPOCH):
        lines.append(f"  époque illisible : {by_epoch[UNREADABLE_EPOCH]} clé(s) de données "
                     "(intégrité : voir le journal)")
    return "\n".join(lines)


@keys.command("rotate")
@click.option("--batch-size", default=500, show_default=True, help="Clés par transaction.")
def keys_rotate(batch_size: int) -> None:
    """Nouvelle version de clé, réemballage de chaque clé de données, retrait de l'ancienne.

    Reprend là où elle s'est arrêtée si elle a été interrompue ; les valeurs chiffrées
    des champs ne sont pas modifiées.
    """
    keys = rt.runtime().keys
    with rt.operator_work(OPERATOR) as work:
        current, resumed, stale = rotation.begin(work, keys)
        click.echo(f"Reprise d'une rotation interrompue vers {current}." if resumed
                   else f"Nouvelle version de clé : {current}.")
        with click.progressbar(length=stale, label="Réemballage des clés de données") as bar:
            for size in rotation.rewrap_all(work, keys, batch_size):
                bar.update(size)
        for version in rotation.retire_unused(work, keys):
            click.echo(f"Version {version} retirée.")
    click.echo(f"Rotation terminée : {stale} clé(s) de données réemballée(s).")


# --- accounts --------------------------------------------------------------------------------

def _in_transaction(act: Callable[[Work], str]) -> None:
    """Run ``act(work)`` in one unit of work (change and audit entries together)."""
    try:
        with rt.operator_work(OPERATOR) as work:
            message = act(work)
    except services.AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(message)


@main.group()
def users() -> None:
    """Comptes des personnes (administration)."""


@users.command("create")
@click.argument("username")
def users_create(username: str) -> None:
    """Créer un compte ; affiche un mot de passe à usage unique à changer à la première connexion."""
    def act(work: Work) -> str:
        person, one_time = services.create_person(work, username)
        return (f"Compte « {person.username} » créé.\nMot de passe à usage unique : {one_time}\n"
                "Transmettez-le par un canal sûr ; il devra être changé à la première connexion.")
    _in_transaction(act)


@users.command("grant")
@click.argument("username")
@click.argument("duty", type=click.Choice(["charter-admin", "dpo"]))
def users_grant(username: str, duty: str) -> None:
    """Attribuer une fonction de plateforme : administrateur de la charte (président) ou DPO."""
    def act(work: Work) -> str:
        session, audit = work.session, work.audit
        person = services.find_person(session, username)
        setattr(person, "is_charter_admin" if duty == "charter-admin" else "is_dpo", True)
        audit.record("account.duty_granted", "person", person.id, duty=duty)
        return f"Fonction « {duty} » attribuée à « {person.username} »."
    _in_transaction(act)


@users.command("unlock")
@click.argument("username")
def users_unlock(username: str) -> None:
    """Débloquer un identifiant après trop de tentatives (dit s'il était bloqué)."""
    def act(work: Work) -> str:
        session = work.session
        was_locked = services.is_locked(session, username)
        services.unlock(work, username)  # also clears the failures that slow it down
        name = username.strip().lower()
        return (f"Le compte « {name} » était bloqué : il est débloqué." if was_locked
                else f"Le compte « {name} » n’était pas bloqué.")
    _in_transaction(act)


@users.command("locked")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 1000),
              help="Nombre maximal de comptes affichés.")
def users_locked(limit: int) -> None:
    """Lister les comptes bloqués (identifiants de connexion seulement), les plus récents d'abord."""
    with rt.operator_work(OPERATOR) as work:
        session = work.session
        locked = session.execute(select(LoginThrottle.key, LoginThrottle.locked_at)
                                 .where(LoginThrottle.locked_at.is_not(None))
                                 .order_by(LoginThrottle.locked_at.desc())).all()
        # The throttle is keyed by a hash of the typed username: match it against the accounts.
        by_key = {services.throttle_key(name): name for name in session.scalars(select(Person.username))}
    accounts = [(by_key[key], at) for key, at in locked if key in by_key and at is not None]
    if not accounts:
        click.echo("Aucun compte bloqué.")
    else:
        click.echo(f"{len(accounts)} compte(s) bloqué(s), les plus récents d'abord :")
        for name, at in accounts[:limit]:
            click.echo(f"  {name} — bloqué le {timefmt.paris(at)}")
        if len(accounts) > limit:
            click.echo(f"  … et {len(accounts) - limit} autre(s) : relancez avec --limit {len(accounts)}.")
        click.echo("Pour débloquer : ccop users unlock IDENTIFIANT")
    if unknown := len(locked) - len(accounts):
        click.echo(f"{unknown} identifiant(s) sans compte aussi bloqué(s) (essais d'identifiants inconnus).")


@users.command("reset-2fa")
@click.argument("username")
def users_reset_2fa(username: str) -> None:
    """Réinitialiser la double authentification (nouvel enrôlement à la prochaine connexion)."""
    def act(work: Work) -> str:
        session = work.session
        person = services.find_person(session, username)
        ended = services.reset_second_factor(work, person)
        return f"Double authentification réinitialisée ; {ended} session(s) terminée(s)."
    _in_transaction(act)


@users.command("end-sessions")
@click.argument("username")
def users_end_sessions(username: str) -> None:
    """Terminer immédiatement toutes les sessions d'une personne."""
    def act(work: Work) -> str:
        session = work.session
        person = services.find_person(session, username)
        ended = services.end_all_sessions(work, person.id, "ended_by_operator")
        return f"{ended} session(s) terminée(s)."
    _in_transaction(act)


main.add_command(demo.cli)
main.add_command(oversight_cli.audit)
main.add_command(retention_cli.retention)
main.add_command(reminders_cli.reminders)
