"""The audit trail in the app: events of every sensitive act, append-only tables, same
transaction as the change, no gap under concurrency, exports verifiable offline, no
personal data anywhere in it, the oversight console."""

from __future__ import annotations

import io
import json
import threading
import uuid
import zipfile
from datetime import date, timedelta
from pathlib import Path

import pytest
from apptest import (
    PASSWORD,
    TRAIL_REFUSAL,
    audit_bodies,
    current_code,
    database_now,
    login,
    make_account,
    post,
    setup_audit,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import func, select, text
from sqlalchemy.exc import DatabaseError

from audit import verify_bundle
from ccop_cases.access.permissions import permission
from ccop_cases.accounts.models import Person
from ccop_cases.auditing import ACTIONS, auditor, signing_key
from ccop_cases.auditing.models import AuditEntry
from ccop_cases.cli import main
from ccop_cases.identities import services as identities


def _public_key(app) -> bytes:
    return signing_key(app.extensions["ccop"].keys).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def test_login_steps_and_failures_are_audited_with_ids_only(app, account, clock, db):
    c = app.test_client()
    post(c, "/connexion", {"username": account.username, "password": "mauvais"})
    login(c, account, clock)
    entries = [(e["action"], e["outcome"], e["rule"], e["target"]["id"]) for e in audit_bodies(db)]
    person = str(account.person.id)
    assert ("login.refused", "denied", "R21", person) in entries
    assert ("login.password_accepted", "success", None, person) in entries
    assert ("login.succeeded", "success", None, person) in entries


def test_unknown_user_refusal_is_audited_without_the_typed_username(app, db):
    post(app.test_client(), "/connexion", {"username": "prenom.inconnu", "password": "x"})
    [entry] = [e for e in audit_bodies(db) if e["action"] == "login.refused"]
    assert entry["target"]["id"] == "" and "prenom.inconnu" not in json.dumps(entry)


def test_every_audited_action_is_in_the_catalogue(app, account, clock, db):
    login(app.test_client(), account, clock)
    assert {e["action"] for e in audit_bodies(db)} <= set(ACTIONS)


def test_an_undeclared_action_is_refused(app, db):
    with pytest.raises(ValueError, match="undeclared"):
        setup_audit(app, db).record("case.teleported", "case", "1")


@pytest.mark.parametrize("statement", [
    "UPDATE audit_entry SET action = 'x'",
    "UPDATE audit_entry SET hash = prev",
    "DELETE FROM audit_entry",
    "UPDATE audit_head SET seq = 0",
    "DELETE FROM audit_head",
    "UPDATE audit_checkpoint SET ts = 'x'",
    "DELETE FROM audit_checkpoint",
])
def test_update_and_delete_on_audit_tables_are_refused(app, account, clock, db, statement):
    login(app.test_client(), account, clock)
    app.test_cli_runner().invoke(main, ["audit", "checkpoint"])
    with pytest.raises(DatabaseError, match=TRAIL_REFUSAL):
        db.execute(text(statement))
        db.flush()


def test_pruning_is_the_one_update_the_triggers_allow(app, clock, db):
    clock.now = database_now(db) - timedelta(days=400)  # older than the retention the database keeps
    login(app.test_client(), make_account(app), clock)
    db.execute(text("UPDATE audit_entry SET body = NULL WHERE seq = 1"))
    assert db.scalar(select(AuditEntry.body).where(AuditEntry.seq == 1)) is None


def test_exception_after_the_audit_append_keeps_neither_change_nor_entry_and_no_gap(settings, new_app, clock):
    app = new_app(settings)
    app.extensions["ccop"].clock = clock

    @app.route("/casse")
    @permission("public")
    def breaks() -> str:
        from ccop_cases.web import runtime as rt
        rt.db().add(Person(username="temoin.rollback", password_hash="x", created_at=rt.now()))
        rt.audit().record("account.created", "person", "temoin")
        raise RuntimeError("after the append")

    from conftest import _rolled_back
    with _rolled_back(app, clock):
        session = app.extensions["ccop"].database.session()
        before = session.scalar(select(func.count()).select_from(AuditEntry))
        assert app.test_client().get("/casse").status_code == 500
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == before
        assert session.scalar(select(Person).where(Person.username == "temoin.rollback")) is None
        setup_audit(app, session).record("account.created", "person", "suivant")
        assert session.scalar(select(func.max(AuditEntry.seq))) == before + 1


def test_concurrent_appends_leave_no_gap_and_no_fork(committed_app):
    app = committed_app
    rt = app.extensions["ccop"]
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(25):
                session = rt.database.session()
                auditor(session, rt.clock, f"writer-{n}", "system").record("audit.viewed", "audit_log", str(i))
                session.commit()
                session.close()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    session = rt.database.session()
    seqs = list(session.scalars(select(AuditEntry.seq).order_by(AuditEntry.seq)))
    assert seqs == list(range(1, 101))
    session.close()
    out = Path(rt.settings.instance_dir) / f"concurrent-{uuid.uuid4().hex}"
    assert app.test_cli_runner().invoke(main, ["audit", "export", "--out", str(out)]).exit_code == 0
    assert verify_bundle(out, _public_key(app)).exit_code == 0


def test_export_verifies_and_a_changed_byte_is_detected(app, account, clock, tmp_path):
    login(app.test_client(), account, clock)
    runner = app.test_cli_runner()
    out = tmp_path / "bundle"
    result = runner.invoke(main, ["audit", "export", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert runner.invoke(main, ["audit", "verify", str(out)]).exit_code == 0
    entries = out / "entries.jsonl"
    data = bytearray(entries.read_bytes())
    data[data.index(b'"login.succeeded"') + 2] ^= 1
    entries.write_bytes(bytes(data))
    tampered = runner.invoke(main, ["audit", "verify", str(out)])
    assert tampered.exit_code == 1


def test_export_of_a_period_ends_on_a_signed_checkpoint(app, account, clock, tmp_path):
    runner = app.test_cli_runner()
    login(app.test_client(), account, clock)
    assert runner.invoke(main, ["audit", "checkpoint"]).exit_code == 0
    clock.advance(days=3)
    login(app.test_client(), account, clock)
    day = clock().date() - timedelta(days=3)
    result = runner.invoke(main, ["audit", "export", "--from", str(day), "--to", str(day),
                                  "--out", str(tmp_path / "b")])
    assert result.exit_code == 0, result.output
    report = verify_bundle(tmp_path / "b", _public_key(app))
    assert report.exit_code == 0, report.summary()
    none = runner.invoke(main, ["audit", "export", "--from", "2001-01-01", "--to", "2001-01-02",
                                "--out", str(tmp_path / "c")])
    assert none.exit_code != 0 and "Aucun point de contrôle" in none.output


def test_prune_keeps_hashes_and_the_export_still_verifies(app, clock, tmp_path, db):
    clock.now = database_now(db) - timedelta(days=400)  # the database refuses to prune a younger entry
    account = make_account(app)
    login(app.test_client(), account, clock)
    clock.advance(days=400)
    runner = app.test_cli_runner()
    login(app.test_client(), account, clock)
    result = runner.invoke(main, ["audit", "prune"])
    assert result.exit_code == 0 and "réduite(s)" in result.output
    assert db.scalar(select(func.count()).where(AuditEntry.body.is_(None))) > 0
    assert runner.invoke(main, ["audit", "export", "--out", str(tmp_path / "b")]).exit_code == 0
    assert verify_bundle(tmp_path / "b", _public_key(app)).exit_code in (0, 2)  # 2: silence shows
    assert verify_bundle(tmp_path / "b", _public_key(app)).status != "tampered"


def test_public_key_command_prints_the_pinned_key(app):
    result = app.test_cli_runner().invoke(main, ["audit", "public-key"])
    assert result.output.splitlines()[0] == _public_key(app).hex()


# --- no personal data in the trail, the export or the logs ------------------------------------

SEEDED = ["Bérénice", "Koulibaly-Fontaine", "2011-02-14", "3 allée des Cerisiers", "0677889900",
          "berenice.k@example.net"]


def test_no_personal_value_reaches_the_export_or_the_logs(app, account, clock, db, tmp_path, capsys):
    rt = app.extensions["ccop"]
    unit = uuid.uuid4()
    dek = identities.open_unit(db, rt.keys, unit, rt.clock(), None)
    identities.write_identity(db, dek, unit, "young_person", 0, identities.Identity(
        SEEDED[1], SEEDED[0], date.fromisoformat(SEEDED[2]), "F", SEEDED[3], SEEDED[4], SEEDED[5]))
    db.commit()
    c = app.test_client()
    code = current_code(account, clock)
    post(c, "/connexion", {"username": account.username, "password": "faux " + SEEDED[0]})
    login(c, account, clock, code=code)
    cookie = c.get_cookie("ccop").value
    out = tmp_path / "bundle"
    assert app.test_cli_runner().invoke(main, ["audit", "export", "--out", str(out)]).exit_code == 0
    exported = b"".join(p.read_bytes() for p in out.iterdir())
    logs = capsys.readouterr().err.encode()
    secrets = [*SEEDED, PASSWORD, code, cookie, account.totp_secret, *account.recovery_codes]
    for value in secrets:
        assert value.encode() not in exported, value
        assert value.encode() not in logs, value


# --- oversight console ---------------------------------------------------------------------------

def _dpo(app):
    acct = make_account(app, "dpo.test")
    session = app.extensions["ccop"].database.session()
    session.get(Person, acct.person.id).is_dpo = True
    session.commit()
    return acct


@pytest.mark.parametrize("who,status", [("anonymous", 302), ("member", 403), ("dpo", 302)])
def test_oversight_console_by_role(app, login_as, account, who, status):
    client = {"anonymous": app.test_client, "member": lambda: login_as(account),
              "dpo": lambda: login_as(_dpo(app))}[who]()
    response = client.get("/controle/")
    assert response.status_code == status
    if who == "member":
        assert "R17" in response.text
    if who == "dpo":
        assert response.location.startswith("/compte/confirmer")


def test_member_refused_from_the_console_is_audited_with_its_rule(app, login_as, account, db):
    login_as(account).get("/controle/")
    denial = [e for e in audit_bodies(db) if e["action"] == "access.denied"]
    assert denial and denial[-1]["rule"] == "R17" and denial[-1]["actor"]["id"] == str(account.person.id)


def test_dpo_with_a_fresh_code_reads_and_exports_the_trail(app, login_as, clock, db):
    dpo = _dpo(app)
    c = login_as(dpo)
    page = post(c, "/compte/confirmer?suite=oversight.trail", {"code": current_code(dpo, clock)})
    assert page.location == "/controle/"
    listing = c.get("/controle/?action=login.succeeded")
    assert listing.status_code == 200 and "login.succeeded" in listing.text
    bad = c.get("/controle/?personne=pas%20un%20id")
    assert bad.status_code == 400 and "Personne inconnue" in bad.text
    refused = post(c, "/controle/export", {}, token_from="/controle/")  # one journal per archive: which?
    assert refused.status_code == 302 and "Journal inconnu" in c.get(refused.location).text
    download = post(c, "/controle/export", {"journal": "platform"}, token_from="/controle/")
    assert download.status_code == 200 and download.mimetype == "application/zip"
    bundle = Path(app.extensions["ccop"].settings.instance_dir) / f"dl-{uuid.uuid4().hex}"
    with zipfile.ZipFile(io.BytesIO(download.data)) as archive:
        archive.extractall(bundle)
    assert (bundle / "verify_audit_export.py").exists()
    assert verify_bundle(bundle / "bundle", _public_key(app)).exit_code == 0
    actions = [e["action"] for e in audit_bodies(db)]
    assert "audit.viewed" in actions and "audit.exported" in actions
    clock.advance(minutes=11)
    assert c.get("/controle/").location.startswith("/compte/confirmer")  # freshness expires
    stale = post(c, "/controle/export", {"journal": "platform"}, token_from="/compte/mot-de-passe")
    assert stale.location == "/compte/confirmer?suite=oversight.trail"  # not back to a POST-only URL


def test_unreadable_record_is_audited(app, account, db, clock):
    person = db.get(Person, account.person.id)
    person.totp_secret_enc = person.totp_secret_enc[:-1] + bytes([person.totp_secret_enc[-1] ^ 1])
    db.commit()
    login(app.test_client(), account, clock)
    assert any(e["action"] == "record.unreadable" and e["outcome"] == "error" for e in audit_bodies(db))
