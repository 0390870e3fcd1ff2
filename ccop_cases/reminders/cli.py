"""``ccop reminders send``: each person who chose reminders gets, once a day, the number of
items waiting for them and a link to the home page (R8), for a daily timer."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ccop_cases.reminders import services as service
from ccop_cases.reminders.mail import Mailer, MailError, RecipientRefused
from ccop_cases.settings import SettingsError
from ccop_cases.web import runtime as rt

reminders = AppGroup("reminders", help="Rappels par courriel (le nombre d’éléments en attente, rien d’autre).")


@reminders.command("send")
def send() -> None:
    """Envoyer à chacun, une fois par jour, le nombre d’éléments qui l’attendent et le lien de l’accueil."""
    try:
        server = rt.runtime().settings.smtp
    except SettingsError as exc:
        raise click.ClickException(f"Configuration invalide : {exc}") from exc
    if server is None:
        click.echo("Rappels désactivés : CCOP_SMTP_URL n’est pas définie ; aucun courriel envoyé.")
        return
    mailer, sent, nothing, refused = Mailer(server), 0, 0, 0
    try:
        with rt.operator_work("reminders") as work:
            people = service.recipients(work.session, work.today())
            with click.progressbar(people, label="Rappels") as bar:
                for person in work.durable(bar):  # one person per transaction: each one sent is recorded
                    count = service.waiting(work.session, person, work.now())
                    if not count:
                        nothing += 1
                        continue
                    try:
                        with work.savepoint():  # a refused address fails alone: nothing recorded for it
                            service.remind(work, person, count, mailer.send)
                    except RecipientRefused as exc:
                        work.audit.record("reminder.failed", "person", person.id, outcome="error",
                                          smtp_code=exc.code.replace(", ", "-"))
                        refused += 1
                    else:
                        sent += 1
            work.audit.record("reminders.run", "reminders", "", sent=sent, nothing_waiting=nothing, refused=refused)
    except MailError as exc:
        with rt.operator_work("reminders") as work:
            work.audit.record("reminders.run", "reminders", "", outcome="error", sent=sent, nothing_waiting=nothing)
        raise click.ClickException(
            f"Envoi interrompu : {exc}. {sent} rappel(s) envoyé(s) et enregistré(s) ; relancez "
            "« ccop reminders send » une fois le serveur rétabli : les autres partiront, chacun une fois.") from None
    finally:
        mailer.close()
    click.echo(f"Rappels : {sent} courriel(s) envoyé(s) ; {nothing} personne(s) sans élément en attente.")
    if refused:  # a failed run for the timer: the addresses need correcting
        raise click.ClickException(
            f"{refused} destinataire(s) refusé(s) par le serveur SMTP : faites corriger leur adresse sur la page "
            "« Mon compte » (identifiants dans le journal d’audit, action « Rappel non remis ») ; "
            "les autres rappels sont partis.")
