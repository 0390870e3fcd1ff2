"""``ccop retention run``: archive and purge situations when due (R10, R19), for a daily timer."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ccop_cases.retention import services as service
from ccop_cases.web import runtime as rt

retention = AppGroup("retention", help="Conservation des situations : archivage et effacement.")


@retention.command("run")
@click.option("--dry-run", is_flag=True, help="Lister ce qui serait fait (références seulement), sans rien changer.")
def run(dry_run: bool) -> None:
    """Archiver les situations clôturées et effacer celles dont le délai est échu ou qui ont 25 ans."""
    with rt.operator_work("retention") as work:
        due = service.due(work)
        if dry_run:
            for item in due:
                click.echo(f"{item.case.reference} {item.case.id} : {item.step} ({item.reason})")
            click.echo(f"{len(due)} situation(s) concernée(s) ; rien n’a été modifié (--dry-run).")
            return
        counts = {"archive": 0, "purge": 0, "unreadable": 0}
        with click.progressbar(due, label="Conservation") as bar:
            for item in work.durable(bar):  # one case per transaction: an interruption loses nothing
                if item.step == "unreadable":
                    work.audit.record("record.unreadable", "case", item.case.id, outcome="error")
                elif item.step == "archive":
                    service.archive(work, item.case)
                else:
                    service.purge(work, item.case, item.reason)
                counts[item.step] += 1
        work.audit.record("retention.run", "retention", "", archived=counts["archive"], purged=counts["purge"],
                          unreadable=counts["unreadable"])
    click.echo(f"Conservation : {counts['archive']} situation(s) archivée(s), {counts['purge']} effacée(s).")
    if counts["unreadable"]:  # a failed run for the timer: systemd shows it, the operator acts on it
        raise click.ClickException(f"ATTENTION : {counts['unreadable']} situation(s) illisible(s) (intégrité) : "
                                   "vérifiez les clés et les sauvegardes ; rien n’a été effacé pour elles, le "
                                   "reste de la conservation a été fait.")
