"""``ccop retention run``: archive and purge situations when due (R10, R19), shed the
requesters of the rights requests whose retention is over (R12), and at the turn of the
month destroy the keys of the past retention epochs, for a daily timer."""

from __future__ import annotations

import uuid

import click
from flask.cli import AppGroup

from ccop_cases.retention import services as service
from ccop_cases.rights.models import RightsRequest
from ccop_cases.web import runtime as rt

retention = AppGroup("retention",
                     help="Conservation des situations et du registre des droits : archivage et effacement.")


@retention.command("run")
@click.option("--dry-run", is_flag=True, help="Lister ce qui serait fait (références seulement), sans rien changer.")
def run(dry_run: bool) -> None:
    """Archiver les situations clôturées, effacer celles dont le délai est échu ou qui ont 25 ans, purger
    du registre l’identité des demandeurs des demandes d’exercice des droits dont la conservation est échue,
    et détruire la clé des époques de conservation passées (au changement de mois)."""
    with rt.operator_work("retention") as work:
        due = service.due(work)
        requests = service.requests_due(work)
        if dry_run:
            for planned in due:
                click.echo(f"{planned.case.reference} {planned.case.id} : {planned.step} ({planned.reason})")
            for request in requests:
                click.echo(f"{request.reference} {request.id} : purge (rights_register)")
            leaving = {planned.case.id for planned in due if planned.step == "purge"} | {r.id for r in requests}
            turn = service.turn_plan(work, leaving)
            if turn.destroyed:
                click.echo("Changement de mois : clé détruite pour l’époque ou les époques "
                           f"{', '.join(turn.destroyed)}.")
            if turn.kept:
                click.echo(f"Changement de mois : une époque serait gardée, {turn.units} clé(s) de données l’utilisant "
                           "encore (voir « ccop keys status »).")
            click.echo(f"{len(due)} situation(s) et {len(requests)} demande(s) d’exercice des droits concernée(s) ; "
                       "rien n’a été modifié (--dry-run).")
            return
        try:
            if service.start_epochs(work):
                click.echo(f"Époques de conservation commencées ({work.keys.epoch}).")
        except service.EpochsLost as exc:
            raise click.ClickException(
                f"Le magasin de clés n’a pas d’époques de conservation alors que {exc.args[0]} clé(s) de données en "
                "utilisent : ce n’est pas celui avec lequel elles ont été scellées (sauvegarde trop ancienne, fichier "
                "epoch.json supprimé). Remettez-le depuis la dernière sauvegarde des clés ; rien n’a été fait."
            ) from exc
        counts = {"archive": 0, "purge": 0, "unreadable": 0, "requests": 0, "bound": 0}
        reported: set[uuid.UUID] = set()  # unreadable units, audited once
        with click.progressbar(service.to_bind(work), label="Rattachement des clés à leur époque") as bar:
            for unit in work.durable(bar):  # one per transaction
                moved = service.bind(work, unit)
                if moved is None:
                    reported.add(unit.id)
                counts["unreadable" if moved is None else "bound"] += int(moved is not False)
        items: list[service.Due | RightsRequest] = [
            *(item for item in due if not (item.step == "unreadable" and item.case.id in reported)), *requests]
        with click.progressbar(items, label="Conservation") as bar:
            for item in work.durable(bar):  # one case or request per transaction: an interruption loses nothing
                if isinstance(item, RightsRequest):
                    service.purge_request(work, item)
                    counts["requests"] += 1
                    continue
                if item.step == "unreadable":
                    work.audit.record("record.unreadable", "case", item.case.id, outcome="error")
                elif item.step == "archive":
                    service.archive(work, item.case)
                else:
                    service.purge(work, item.case, item.reason)
                counts[item.step] += 1
        turn = service.turn_of_month(work)
        work.audit.record("retention.run", "retention", "", archived=counts["archive"], purged=counts["purge"],
                          unreadable=counts["unreadable"], requests_purged=counts["requests"], bound=counts["bound"],
                          epochs_destroyed=len(turn.destroyed))
    if not service.clear_journal(work.session.get_bind()):  # the erased values leave SQLite's log too
        click.echo("Journal d’écriture de la base occupé : il sera vidé au prochain passage.")
    click.echo(f"Conservation : {counts['archive']} situation(s) archivée(s), {counts['purge']} effacée(s) ; "
               f"{counts['requests']} demande(s) d’exercice des droits purgée(s) du registre.")
    if counts["bound"]:
        click.echo(f"{counts['bound']} clé(s) de données rattachée(s) à l’époque de leur échéance.")
    if turn.destroyed:
        click.echo(f"Clé détruite pour l’époque ou les époques : {', '.join(turn.destroyed)} ; ce qui y était "
                   "scellé est illisible partout, sauvegardes comprises, avec les clés vivantes.")
    if turn.kept:
        raise click.ClickException(
            f"ATTENTION : l’époque {turn.kept} n’a pas été détruite : {turn.units} clé(s) de données l’utilisent "
            "encore (ou une époque scellée est illisible), alors que leur situation aurait dû être effacée avant. "
            "Lisez « ccop keys status » et le journal (keys.epoch_kept), corrigez, puis relancez : les époques "
            "suivantes attendent.")
    if counts["unreadable"]:  # a failed run for the timer: systemd shows it, the operator acts on it
        raise click.ClickException(f"ATTENTION : {counts['unreadable']} situation(s) illisible(s) (intégrité) : "
                                   "vérifiez les clés et les sauvegardes ; rien n’a été effacé pour elles, le "
                                   "reste de la conservation a été fait.")
