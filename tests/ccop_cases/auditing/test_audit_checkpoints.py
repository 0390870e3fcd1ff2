"""Checkpoints in the app: signed only over a chain that verifies from the last one (item 5),
exports that say whether they run to the head, and the heartbeat timer's tolerance (item 7).

The bends below write into the audit tables directly, their triggers dropped inside the
test's rolled-back transaction, connected as the schema's owner (``owner_app``): what a role
that owns the tables could do, whatever the triggers of the day refuse."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from apptest import setup_audit
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import Uuid, bindparam, func, select, text
from sqlalchemy.orm import Session

from audit import verify_bundle
from ccop_cases.auditing import signing_key
from ccop_cases.auditing.models import AuditCheckpoint, AuditEntry
from ccop_cases.cli import main

FOREIGN = bytes(range(32))  # a hash no entry has


def _public_key(app) -> bytes:
    return signing_key(app.extensions["ccop"].keys).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def _append(app, db: Session, count: int) -> None:
    audit = setup_audit(app, db)
    for number in range(count):
        audit.record("audit.viewed", "audit_log", str(number))
    db.flush()


def _without_triggers(db: Session) -> None:
    if db.get_bind().dialect.name == "postgresql":
        for table in ("audit_entry", "audit_head", "audit_checkpoint"):
            db.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
        return
    names = db.scalars(text("SELECT name FROM sqlite_master WHERE type = 'trigger' "
                            "AND tbl_name LIKE 'audit%'")).all()
    for name in names:
        db.execute(text(f'DROP TRIGGER "{name}"'))


def _head_one_step_to_a_foreign_hash(db: Session) -> None:
    db.execute(text("UPDATE audit_head SET seq = seq + 1, hash = :h"), {"h": FOREIGN})


def _head_to_a_foreign_hash(db: Session) -> None:
    db.execute(text("UPDATE audit_head SET hash = :h"), {"h": FOREIGN})


def _changed_body(db: Session) -> None:
    body = db.scalar(select(AuditEntry.body).where(AuditEntry.seq == 4))
    assert b'"id":"1"' in body  # seq 4 is the second of seq 3-6
    db.execute(text("UPDATE audit_entry SET body = :b WHERE seq = 4"),
               {"b": body.replace(b'"id":"1"', b'"id":"7"')})


def _deleted_entry(db: Session) -> None:
    db.execute(text("DELETE FROM audit_entry WHERE seq = 4"))


def _rewritten_before_the_checkpoint(db: Session) -> None:
    db.execute(text("UPDATE audit_entry SET prev = :h WHERE seq = 3"), {"h": FOREIGN})


# (bend, seq named, words of the French reason)
BENDS = [
    (_head_one_step_to_a_foreign_hash, 7, "la tête du journal n’est pas sa dernière entrée"),
    (_head_to_a_foreign_hash, 6, "la tête du journal n’est pas sa dernière entrée"),
    (_changed_body, 4, "son contenu ne correspond plus à son empreinte"),
    (_deleted_entry, 4, "une entrée manque"),
    (_rewritten_before_the_checkpoint, 3, "elle ne se rattache pas"),
]


@pytest.mark.parametrize(("bend", "seq", "reason"), BENDS, ids=[b[0].__name__ for b in BENDS])
def test_item5_a_checkpoint_over_a_bent_chain_is_refused_and_nothing_is_signed(owner_app, bend, seq, reason):
    app, db = owner_app, owner_app.extensions["ccop"].database.session()
    runner = app.test_cli_runner()
    _append(app, db, 1)
    assert runner.invoke(main, ["audit", "checkpoint"]).exit_code == 0  # seq 2: the last signed
    _append(app, db, 4)  # seq 3-6
    _without_triggers(db)
    bend(db)
    db.flush()
    checkpoints = db.scalar(select(func.count()).select_from(AuditCheckpoint))
    entries = db.scalar(select(func.count()).select_from(AuditEntry))
    result = runner.invoke(main, ["audit", "checkpoint"])
    assert result.exit_code == 1
    assert f"Point de contrôle refusé (R13) : la chaîne « platform » du journal d’audit ne se vérifie pas à " \
           f"l’entrée n° {seq} : {reason}" in result.output
    assert "Rien n’a été signé" in result.output and "prévenez le DPO" in result.output
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(AuditCheckpoint)) == checkpoints
    assert db.scalar(select(func.count()).select_from(AuditEntry)) == entries  # no heartbeat kept


def test_item5_an_export_to_now_over_a_bent_chain_is_refused_in_french(owner_app, tmp_path):
    app, db = owner_app, owner_app.extensions["ccop"].database.session()
    _append(app, db, 3)
    _without_triggers(db)
    _head_one_step_to_a_foreign_hash(db)
    db.flush()
    result = app.test_cli_runner().invoke(main, ["audit", "export", "--out", str(tmp_path / "b")])
    assert result.exit_code == 1 and "Point de contrôle refusé (R13)" in result.output
    assert not (tmp_path / "b" / "manifest.json").exists()


def test_item5_checkpoints_over_an_intact_chain_are_signed_one_after_the_other(app, db):
    runner = app.test_cli_runner()
    for count in (2, 3, 1):
        _append(app, db, count)
        result = runner.invoke(main, ["audit", "checkpoint"])
        assert result.exit_code == 0 and "Point de contrôle signé" in result.output, result.output
    sizes = db.scalars(select(AuditCheckpoint.size).order_by(AuditCheckpoint.size)).all()
    assert sizes == [3, 7, 9]


# --- item 7: the export says whether it runs to the head ---------------------------------------

def test_item7_an_export_to_now_runs_to_the_head_and_says_so(app, db, tmp_path):
    _append(app, db, 2)
    runner = app.test_cli_runner()
    assert runner.invoke(main, ["audit", "export", "--out", str(tmp_path / "b")]).exit_code == 0
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_bytes())
    assert manifest["head_size"] == manifest["last_seq"]
    verified = runner.invoke(main, ["audit", "verify", str(tmp_path / "b")])
    assert verified.exit_code == 0
    assert f"to the head at export (seq {manifest['head_size']})" in verified.output


def test_item7_an_export_of_a_period_says_it_stops_before_the_head(app, db, clock, tmp_path):
    runner = app.test_cli_runner()
    _append(app, db, 2)
    assert runner.invoke(main, ["audit", "checkpoint"]).exit_code == 0  # size 3
    clock.advance(days=3)
    _append(app, db, 2)
    day = str(clock().date() - timedelta(days=3))
    result = runner.invoke(main, ["audit", "export", "--to", day, "--out", str(tmp_path / "b")])
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_bytes())
    head = db.scalar(select(func.max(AuditEntry.seq)))
    assert (manifest["last_seq"], manifest["head_size"]) == ("3", str(head))
    report = verify_bundle(tmp_path / "b", _public_key(app))
    assert (report.status, report.to_head) == ("valid", False)
    assert f"stops before the head at export (seq {head})" in report.summary()


# --- item 7: the systemd timer runs the checkpoint at half the heartbeat interval --------------

DEPLOY = Path(__file__).resolve().parents[3] / "deploy" / "systemd"


def test_item7_the_shipped_timer_runs_at_half_the_default_heartbeat_interval(settings):
    timer = (DEPLOY / "ccop-audit-checkpoint.timer").read_text(encoding="utf-8")
    service = (DEPLOY / "ccop-audit-checkpoint.service").read_text(encoding="utf-8")
    assert settings.audit_heartbeat_minutes == 60
    assert "\nOnCalendar=*:00/30\n" in timer and "\nPersistent=true\n" in timer
    assert "\nUnit=ccop-audit-checkpoint.service\n" in timer
    assert "\nExecStart=/opt/ccop/venv/bin/ccop audit checkpoint\n" in service
    assert "\nType=oneshot\n" in service


def test_issue17_a_broken_council_chain_stops_no_other_chain_from_being_signed(owner_app):
    """One checkpoint run signs every chain that verifies; the one that does not keeps
    nothing of the run (no heartbeat, no checkpoint), is named in the refusal, and the run
    fails (exit 1) so the timer's unit shows it."""
    import uuid

    from ccop_cases.auditing import PLATFORM, auditor

    app, db = owner_app, owner_app.extensions["ccop"].database.session()
    rt = app.extensions["ccop"]
    broken, sound = uuid.UUID(int=0xA), uuid.UUID(int=0xB)
    for council in (broken, sound):
        auditor(db, rt.clock, "test-setup", "system", council=council).record("group.act_recorded", "council",
                                                                              council)
    _append(app, db, 1)  # the platform's
    db.flush()
    _without_triggers(db)
    db.execute(text("UPDATE audit_head SET seq = seq + 1, hash = :h WHERE chain = :c")
               .bindparams(bindparam("c", type_=Uuid())), {"h": FOREIGN, "c": broken})
    db.flush()
    before = {chain: db.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.chain == chain))
              for chain in (broken, sound, PLATFORM)}
    result = app.test_cli_runner().invoke(main, ["audit", "checkpoint"])
    assert result.exit_code == 1
    assert f"la chaîne « {broken} » du journal d’audit ne se vérifie pas" in result.output
    assert "Rien n’a été signé sur cette chaîne" in result.output
    assert f"Point de contrôle signé, chaîne {sound} :" in result.output
    assert "Point de contrôle signé, chaîne platform :" in result.output
    db.expire_all()
    signed = {row.chain for row in db.execute(select(AuditCheckpoint.chain))}
    assert signed == {sound, PLATFORM}
    after = {chain: db.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.chain == chain))
             for chain in (broken, sound, PLATFORM)}
    assert after == {broken: before[broken], sound: before[sound] + 1, PLATFORM: before[PLATFORM] + 1}
