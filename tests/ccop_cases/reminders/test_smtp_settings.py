"""CCOP_SMTP_URL and CCOP_BASE_URL: read at start, refused in French when unusable, and the
SMTP password never repeated in a message or a repr."""

from __future__ import annotations

import pytest

from ccop_cases.settings import Settings, SettingsError

BASE = {"CCOP_BASE_URL": "https://ccop.villefictive.example.fr/"}
DEFAULT_SENDER = "ne-pas-repondre@ccop.villefictive.example.fr"


def test_reminders_are_off_by_default():
    settings = Settings.from_env({})
    assert settings.smtp_url == "" and settings.smtp is None


@pytest.mark.parametrize("url,expected", [
    ("smtp://relais.example.fr", (False, "relais.example.fr", 25, "", "", DEFAULT_SENDER)),
    ("smtps://rappels:s%40cret@smtp.example.fr?from=ccop@mairie.example.fr",
     (True, "smtp.example.fr", 465, "rappels", "s@cret", "ccop@mairie.example.fr")),
    ("smtp://rappels:secret@smtp.example.fr:587/", (False, "smtp.example.fr", 587, "rappels", "secret",
                                                     DEFAULT_SENDER)),
])
def test_an_smtp_url_gives_the_server_the_account_and_the_sender(url, expected):
    server = Settings.from_env({"CCOP_SMTP_URL": url, **BASE}).smtp
    assert server is not None
    assert (server.implicit_tls, server.host, server.port, server.username, server.password, server.sender) == expected


@pytest.mark.parametrize("environ,message", [
    ({"CCOP_SMTP_URL": "smtp://relais.example.fr"}, "CCOP_BASE_URL est requise"),
    ({"CCOP_SMTP_URL": "http://Hunter2Secret@relais.example.fr", **BASE}, "smtp:// ou smtps://"),
    ({"CCOP_SMTP_URL": "smtp://u:Hunter2Secret@relais.example.fr:port", **BASE}, "doit avoir la forme"),
    ({"CCOP_SMTP_URL": "smtp://u:Hunter2Secret@", **BASE}, "doit avoir la forme"),
    ({"CCOP_SMTP_URL": "smtp://u:Hunter2Secret@relais.example.fr?starttls=0", **BASE}, "from="),
    ({"CCOP_SMTP_URL": "smtp://u:Hunter2Secret@relais.example.fr?from=personne", **BASE}, "expéditeur"),
    ({"CCOP_SMTP_URL": "smtp://Hunter2Secret@relais.example.fr", **BASE}, "ensemble"),
    ({"CCOP_SMTP_URL": "smtp://u:Hunter2Secret%C3%A9@relais.example.fr", **BASE}, "ASCII"),
    ({"CCOP_BASE_URL": "ccop.villefictive.example.fr"}, "CCOP_BASE_URL"),
    ({"CCOP_BASE_URL": "https://ccop.example.fr/?x=1"}, "CCOP_BASE_URL"),
])
def test_an_unusable_address_is_refused_without_repeating_the_password(environ, message):
    with pytest.raises(SettingsError, match=message) as refused:
        Settings.from_env(environ)
    assert "Hunter2Secret" not in str(refused.value)


def test_the_password_is_in_no_repr():
    settings = Settings.from_env({"CCOP_SMTP_URL": "smtps://u:Hunter2Secret@smtp.example.fr", **BASE})
    assert "Hunter2Secret" not in repr(settings) and "Hunter2Secret" not in repr(settings.smtp)
