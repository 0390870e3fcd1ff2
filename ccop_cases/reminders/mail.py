"""The reminders' SMTP client: one connection for a run, TLS whenever the server allows it,
the password never sent in clear nor written anywhere."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

from ccop_cases.settings import SmtpServer

TIMEOUT_SECONDS = 30.0


class MailError(Exception):
    """The SMTP server could not take a message: a French message with the server's code only
    (its text may quote an address)."""


class RecipientRefused(MailError):
    """The server refused this message's recipient (an unknown or refused address): that
    person's reminder fails, the others still go. ``code``: the server's code(s) only."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


class Mailer:
    """Sends messages through one SMTP connection, opened at the first message."""

    def __init__(self, server: SmtpServer, timeout: float = TIMEOUT_SECONDS) -> None:
        self.server = server
        self.timeout = timeout
        self._smtp: smtplib.SMTP | None = None

    def send(self, message: EmailMessage) -> None:
        """Hand ``message`` to the server; raise :class:`MailError` unless it accepted it."""
        try:
            if self._smtp is None:
                self._smtp = self._connect()
            self._smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = ", ".join(sorted({str(code) for code, _ in exc.recipients.values()}))
            raise RecipientRefused(f"le serveur SMTP a refusé le destinataire (code {codes})", codes) from None
        except smtplib.SMTPResponseException as exc:
            raise MailError(f"le serveur SMTP a répondu par une erreur (code {exc.smtp_code})") from None
        except (smtplib.SMTPException, OSError) as exc:
            self._smtp = None
            raise MailError(f"le serveur SMTP {self.server.host}:{self.server.port} est injoignable "
                            f"({type(exc).__name__})") from None

    def close(self) -> None:
        """End the session politely; a server already gone is no error."""
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                self._smtp.close()
            self._smtp = None

    def _connect(self) -> smtplib.SMTP:
        server, context = self.server, ssl.create_default_context()
        smtp: smtplib.SMTP
        if server.implicit_tls:
            smtp = smtplib.SMTP_SSL(server.host, server.port, timeout=self.timeout, context=context)
        else:
            smtp = smtplib.SMTP(server.host, server.port, timeout=self.timeout)
            smtp.ehlo()
            if smtp.has_extn("starttls"):
                smtp.starttls(context=context)
                smtp.ehlo()
            elif server.username:
                smtp.close()
                raise MailError("le serveur SMTP ne propose pas STARTTLS : le mot de passe n’est jamais envoyé "
                                "en clair (utilisez smtps:// ou un serveur qui chiffre)")
        if server.username:
            smtp.login(server.username, server.password)
        return smtp
