"""Operational logs: request id bound, secrets redacted, no submitted values."""

from __future__ import annotations

import json

from apptest import PASSWORD, current_code, post

from ccop_cases.logs import configure, get_logger, redact


def test_redaction_processor_drops_secret_keys():
    event = redact(None, "info", {"event": "x", "password": "p", "otp_code": "1", "csrf_token": "t",
                                  "person_id": "42", "session_token": "s", "totp_secret": "k"})
    assert event == {"event": "x", "password": "[redacted]", "otp_code": "[redacted]",
                     "csrf_token": "[redacted]", "person_id": "42",
                     "session_token": "[redacted]", "totp_secret": "[redacted]"}


def test_json_logs_in_production_carry_the_request_id_and_redact(capsys):
    configure("json")
    get_logger().info("something", password="ne-doit-pas-sortir", request_id="abc")
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert line["request_id"] == "abc" and line["password"] == "[redacted]"
    configure("console")


def test_a_full_login_logs_no_password_code_or_cookie(app, account, clock, capsys):
    c = app.test_client()
    code = current_code(account, clock)
    post(c, "/connexion", {"username": account.username, "password": PASSWORD})
    post(c, "/connexion/code", {"code": code})
    text = capsys.readouterr().err
    cookie = c.get_cookie("ccop").value
    for secret in (PASSWORD, code, cookie, account.totp_secret, account.username):
        assert secret not in text
    request_lines = [line for line in text.splitlines() if " request " in line]
    assert len(request_lines) == 4  # two GETs for the CSRF tokens, two POSTs
    assert all("request_id=" in line for line in request_lines)
