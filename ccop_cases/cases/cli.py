"""``ccop retention run``: archive and purge situations when due (R10, R19), for a daily timer."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ccop_cases import runtime as rt
from ccop_cases.cases import retention as service

retention = AppGroup("retention", help="Conservation des situations : archivage et effacement.")


@retention.command("run")
@click.option("--dry-run", is_flag=True, help="Lister ce qui serait fait (références seulement), sans rien changer.")
def run(dry_run: bool) -> None:
    """Archiver les situations clôturées et effacer celles dont le délai est échu ou qui ont 25 ans."""
    runtime = rt.runtime()
    session = runtime.database.session()
    try:
        due = service.due(session, runtime.keys, rt.now(), runtime.settings.archive_after_days)
        if dry_run:
            for item in due:
                click.echo(f"{item.case.reference} {item.case.id} : {item.step} ({item.reason})")
            click.echo(f"{len(due)} situation(s) concernée(s) ; rien n’a été modifié (--dry-run).")
            return
        counts = {"archive": 0, "purge": 0, "unreadable": 0}
        with click.progressbar(due, label="Conservation") as bar:
            for item in bar:
                audit = rt.system_audit(session, "retention")
                if item.step == "unreadable":
                    audit.record("record.unreadable", "case", item.case.id, outcome="error")
                elif item.step == "archive":
                    service.archive(session, audit, item.case)
                else:
                    service.purge(session, audit, item.case, item.reason, rt.now())
                session.commit()  # one case per transaction: an interruption loses nothing
                counts[item.step] += 1
        rt.system_audit(session, "retention").record("retention.run", "retention", "", archived=counts["archive"],
                                                     purged=counts["purge"], unreadable=counts["unreadable"])
        session.commit()
    finally:
        session.close()
    click.echo(f"Conservation : {counts['archive']} situation(s) archivée(s), {counts['purge']} effacée(s).")
    if counts["unreadable"]:
        click.echo(f"ATTENTION : {counts['unreadable']} situation(s) illisible(s) (intégrité) : vérifiez les clés "
                   "et les sauvegardes ; rien n’a été effacé pour elles.", err=True)
