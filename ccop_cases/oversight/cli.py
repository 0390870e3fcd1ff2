"""``ccop audit …``: checkpoints for a timer, exports for overseers, verification, retention."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from flask.cli import AppGroup
from sqlalchemy.exc import DBAPIError

from ccop_cases import auditing
from ccop_cases.auditing import signing_key
from ccop_cases.oversight import services
from ccop_cases.web import runtime as rt

OPERATOR = "operator-cli"

audit = AppGroup("audit", help="Journal d’audit : points de contrôle, export, vérification.")


def _public_key_hex() -> str:
    key = signing_key(rt.runtime().keys).public_key()
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


def _date(value: str | None, *, end_of_day: bool = False) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value).replace(tzinfo=UTC)
    except ValueError as exc:
        raise click.BadParameter("date attendue au format AAAA-MM-JJ") from exc
    return moment + timedelta(days=1) if end_of_day else moment


@audit.command("checkpoint")
def checkpoint() -> None:
    """Ajouter un battement à chaque chaîne et signer sa tête (toutes les 30 min pour 60 de battement)."""
    with rt.operator_work("audit-checkpoint") as work:
        points, refusals = services.checkpoint(work)
    for point in points:
        click.echo(f"Point de contrôle signé, chaîne {point.chain} : {point.size} entrées, "
                   f"tête {point.head.hex()} (épingle {point.size}:{point.head.hex()}).")
    if refusals:
        raise click.ClickException("\n".join(str(refusal) for refusal in refusals))


def _chain(value: str) -> uuid.UUID:
    try:
        return auditing.key_of(value)
    except ValueError as exc:
        raise click.BadParameter("« platform » ou l’identifiant d’un conseil (voir « ccop audit chains »)") from exc


@audit.command("chains")
def chains() -> None:
    """Lister les chaînes du journal : la plateforme, puis une par conseil."""
    with rt.operator_work(OPERATOR) as work:
        for row in services.chain_heads(work.session):
            click.echo(f"{auditing.name_of(row.chain)}\t{row.size} entrées\t{row.name}")


@audit.command("public-key")
def public_key() -> None:
    """Afficher la clé publique à épingler par l’organisme de contrôle."""
    key = _public_key_hex()
    click.echo(key)
    click.echo(f"Empreinte : {hashlib.sha256(bytes.fromhex(key)).hexdigest()[:16]}", err=True)


@audit.command("export")
@click.option("--from", "start", help="Début (AAAA-MM-JJ) ; par défaut le début du journal.")
@click.option("--to", "end", help="Fin (AAAA-MM-JJ) ; par défaut maintenant.")
@click.option("--out", "out", required=True, type=click.Path(path_type=Path), help="Dossier (nouveau).")
@click.option("--chain", "chain", default="platform", show_default=True,
              help="La chaîne : « platform » ou l’identifiant d’un conseil (voir « ccop audit chains »).")
def export(start: str | None, end: str | None, out: Path, chain: str) -> None:
    """Exporter une chaîne du journal : archive signée et vérifiable hors ligne."""
    try:
        with rt.operator_work(OPERATOR) as work:
            manifest = services.export(work, out, _chain(chain), start=_date(start), end=_date(end, end_of_day=True))
    except (services.ExportError, FileExistsError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Archive de la chaîne {chain} écrite dans {out} : entrées {manifest['first_seq']} à "
               f"{manifest['last_seq']}. "
               f"Vérification : python verify_audit_export.py --key {_public_key_hex()} {out}")


@audit.command("verify", context_settings={"ignore_unknown_options": True})
@click.argument("bundle", type=click.Path(path_type=Path))
@click.option("--key", help="Clé publique épinglée, 64 chiffres hexadécimaux (par défaut celle de ce serveur).")
@click.option("--pin", help="Point de contrôle épinglé TAILLE:TÊTE d’un export précédent.")
def verify(bundle: Path, key: str | None, pin: str | None) -> None:
    """Vérifier une archive (même code que le vérificateur autonome)."""
    argv = ["--key", key or _public_key_hex(), *(["--pin", pin] if pin else []), str(bundle)]
    raise SystemExit(auditing.verify_export(argv))


@audit.command("prune")
@click.option("--before", help="Date (AAAA-MM-JJ) ; par défaut la durée de conservation réglée.")
def prune(before: str | None) -> None:
    """Effacer le contenu des entrées anciennes ; leurs empreintes restent (chaîne intacte)."""
    settings = rt.runtime().settings
    limit = _date(before) or rt.now() - timedelta(days=settings.audit_retention_days)
    try:
        with rt.operator_work("audit-retention") as work:
            count = services.prune(work, limit)
    except DBAPIError as exc:
        if "retention period" not in str(exc.orig):
            raise
        raise click.ClickException(
            "Refusé (R13) : la base de données garde le contenu des entrées plus récentes que la durée "
            "de conservation réglée par « ccop db upgrade » (CCOP_AUDIT_RETENTION_DAYS) ; rien n’a été "
            "effacé. Donnez une date plus ancienne à --before.") from exc
    click.echo(f"{count} entrée(s) antérieure(s) au {limit:%Y-%m-%d} réduite(s) à leur empreinte.")
