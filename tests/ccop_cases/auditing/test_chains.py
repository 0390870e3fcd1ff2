"""Issue 17: one audit chain per council, and a read's entry in one statement on PostgreSQL.

Each council's events go to its own chain (own seq, head, checkpoints, export); the events
of no council to the platform's. An export holds one chain, verifies alone, and the verifier
refuses an entry of another chain. On PostgreSQL a read's entry is appended by one statement
(migration 0013's ``audit_append_read``) whose entry the library would have written byte for
byte, and only while what the decision read is unchanged.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from apptest import make_account, make_governance, post, setup_work
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import literal, select, text

from audit import Event
from audit.bundle import entry_line
from audit.events import chain_hash, encode_entry
from audit.verify_audit_export import CODE, TOKEN, canonical_json, verify_bundle
from ccop_cases.auditing import PLATFORM, READ_ACTIONS, SqlAuditStore, auditor, name_of, signing_key
from ccop_cases.auditing.chains import COUNCIL_OF, council_of
from ccop_cases.auditing.models import AuditEntry, AuditHead
from ccop_cases.cli import main

ON_POSTGRESQL = os.environ.get("CCOP_DATABASE_URL", "").startswith("postgresql")
postgresql_only = pytest.mark.skipif(not ON_POSTGRESQL, reason="the one-statement append is PostgreSQL's")
MIGRATION = Path(__file__).parents[3] / "migrations" / "versions" / "0013_audit_chains.py"


def _councils(app):
    """Two councils, each with its constituted group, on the app's database (committed)."""
    first = make_governance(app, admin=make_account(app, "president.a"))
    second = make_governance(app, admin=make_account(app, "president.b"))
    return first, second


def _chain(session, chain):
    session.expire_all()
    return session.execute(select(AuditEntry.seq, AuditEntry.prev, AuditEntry.hash, AuditEntry.body)
                           .where(AuditEntry.chain == chain).order_by(AuditEntry.seq)).all()


def _linked(rows) -> bool:
    """seq 1, 2, … without gap, each linked to the hash before it and hashing its own body."""
    prev = bytes(32)
    for expected, row in enumerate(rows, start=1):
        if row.seq != expected or row.prev != prev or chain_hash(row.prev, row.body) != row.hash:
            return False
        prev = row.hash
    return True


# --- one chain per council ------------------------------------------------------------------------

def test_two_councils_appending_concurrently_never_share_a_sequence(committed_app):
    rt = committed_app.extensions["ccop"]
    a, b = _councils(committed_app)
    a_id, b_id = a.council.id, b.council.id
    a.session.close()
    b.session.close()
    errors: list[BaseException] = []

    def append(council_id, n):
        try:
            for i in range(n):
                with rt.database.session() as session:
                    writer = auditor(session, rt.clock, "test-setup", "system", council=council_id)
                    writer.record("group.act_recorded", "council", council_id, i=i)
                    session.commit()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=append, args=(council, 20)) for council in (a_id, b_id, a_id, b_id)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with rt.database.session() as session:
        for council, other in ((a_id, b_id), (b_id, a_id)):
            rows = _chain(session, council)
            assert _linked(rows)
            bodies = [json.loads(row.body) for row in rows]
            assert {body["chain"] for body in bodies} == {str(council)}
            assert sum("i" in body["details"] for body in bodies) == 40
            assert str(other) not in b"".join(row.body for row in rows).decode()
        heads = {row.chain: row.seq for row in session.execute(select(AuditHead.chain, AuditHead.seq))}
        assert heads[a_id] == len(_chain(session, a_id)) and heads[b_id] == len(_chain(session, b_id))


@postgresql_only
def test_appends_of_different_councils_never_wait_for_each_other(committed_app):
    rt = committed_app.extensions["ccop"]
    a, b = _councils(committed_app)
    a_id, b_id = a.council.id, b.council.id
    holder = rt.database.session()
    auditor(holder, rt.clock, "test-setup", "system", council=a_id).record("group.act_recorded", "council", a_id)
    holder.flush()  # council A's head is locked until this transaction ends
    try:
        with rt.database.session() as other:
            other.execute(text("SET LOCAL lock_timeout = '2s'"))
            auditor(other, rt.clock, "test-setup", "system", council=b_id).record("group.act_recorded", "council", b_id)
            other.commit()  # B went through while A was held
        with rt.database.session() as third, pytest.raises(Exception, match="lock timeout"):
            third.execute(text("SET LOCAL lock_timeout = '200ms'"))
            auditor(third, rt.clock, "test-setup", "system", council=a_id).record("group.act_recorded", "council",
                                                                                  a_id)
    finally:
        holder.rollback()
        holder.close()
        a.session.close()
        b.session.close()


def test_events_go_to_their_council_chain_and_the_rest_to_the_platform(app, world, proposed, db):
    """Whatever made them (web requests, services called directly, set-up jobs), entries about
    an object of a council are on that council's chain; the others on the platform's."""
    entries = db.execute(select(AuditEntry.chain, AuditEntry.body)).all()
    council = world.gov.council.id
    on_council = [json.loads(body) for chain, body in entries if chain == council]
    assert on_council and {e["chain"] for e in on_council} == {str(council)}
    misplaced = []
    for chain, body in entries:
        entry = json.loads(body)
        if entry["action"] == "audit.heartbeat":
            continue
        owner = council_of(db, entry["target"]["type"], entry["target"]["id"])
        if entry["target"]["type"] in COUNCIL_OF and owner is not None and chain != owner:
            misplaced.append(entry)
        if chain == PLATFORM and owner is not None:
            misplaced.append(entry)
    assert misplaced == []
    actions = {e["action"] for e in on_council}
    assert {"case.proposed", "membership.designated", "charter.signed"} <= actions
    platform = {json.loads(body)["action"] for chain, body in entries if chain == PLATFORM}
    assert "account.created" in platform and "login.succeeded" in platform


def test_a_transaction_that_took_a_council_chain_never_takes_the_platform_one_after(app, db):
    """Lock order: a unit acting in no council that appended to a council's chain keeps its
    later events of no council on that chain until its transaction ends (no transaction
    holds a council's head and then waits for the platform's)."""
    gov = make_governance(app, admin=make_account(app, "president.ordre"))
    writer = auditor(db, app.extensions["ccop"].clock, "test-setup", "system")
    writer.record("membership.suspended", "working_group", gov.group.id)
    writer.record("account.sessions_ended", "person", "p1")
    db.commit()
    writer.record("account.sessions_ended", "person", "p2")
    db.flush()
    chains = {json.loads(body)["target"]["id"]: chain for chain, body in db.execute(
        select(AuditEntry.chain, AuditEntry.body).where(AuditEntry.action == "account.sessions_ended"))}
    assert chains == {"p1": gov.council.id, "p2": PLATFORM}


def test_read_actions_are_the_ones_the_database_guard_lets_keep_write_seq():
    source = MIGRATION.read_text()
    listed = source.split("READ_ACTIONS = (", 1)[1].split(")", 1)[0]
    assert {name.strip().strip('"') for name in listed.split(",") if name.strip()} == READ_ACTIONS


# --- exports: one chain each ----------------------------------------------------------------------

def _export(runner, chain: str, out: Path) -> Path:
    result = runner.invoke(main, ["audit", "export", "--chain", chain, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def _public_key(app) -> bytes:
    return signing_key(app.extensions["ccop"].keys).public_key().public_bytes_raw()


def test_an_export_of_one_council_verifies_alone_and_holds_nothing_of_another(committed_app, tmp_path):
    rt = committed_app.extensions["ccop"]
    a, b = _councils(committed_app)
    runner = committed_app.test_cli_runner()
    bundle = _export(runner, str(a.council.id), tmp_path / "a")
    result = verify_bundle(bundle, _public_key(committed_app))
    assert result.exit_code == 0 and f"chain {a.council.id}" in result.summary()
    lines = (bundle / "entries.jsonl").read_bytes().decode()
    entries = [json.loads(line)["entry"] for line in lines.splitlines()]
    assert entries and {e["chain"] for e in entries} == {str(a.council.id)}
    for other in (str(b.council.id), str(b.group.id), "platform"):
        assert other not in lines
    manifest = json.loads((bundle / "manifest.json").read_bytes())
    assert manifest["chain"] == str(a.council.id) and manifest["v"] == "2"
    with rt.database.session() as session:  # the export's own entry is on the exported chain
        exported = [json.loads(row.body) for row in _chain(session, a.council.id)
                    if json.loads(row.body)["action"] == "audit.exported"]
    assert [e["details"]["chain"] for e in exported] == [str(a.council.id)]
    a.session.close()
    b.session.close()


def test_an_entry_moved_from_another_council_into_an_export_is_refused(committed_app, tmp_path):
    """The key holder moves an entry of council B into A's export, re-hashes the files and
    re-signs the manifest with the real key: the verifier names it ``foreign_entry``."""
    a, b = _councils(committed_app)
    runner = committed_app.test_cli_runner()
    bundle_a = _export(runner, str(a.council.id), tmp_path / "a")
    bundle_b = _export(runner, str(b.council.id), tmp_path / "b")
    foreign = (bundle_b / "entries.jsonl").read_bytes().splitlines(keepends=True)[2]
    own = (bundle_a / "entries.jsonl").read_bytes().splitlines(keepends=True)
    forged = tmp_path / "forged"
    shutil.copytree(bundle_a, forged)
    (forged / "entries.jsonl").write_bytes(b"".join([*own[:3], foreign, *own[3:]]))
    _resign(committed_app, forged)
    result = verify_bundle(forged, _public_key(committed_app))
    assert result.exit_code == 1
    codes = [problem.code for problem in result.problems]
    assert "foreign_entry" in codes and codes.index("foreign_entry") == min(
        i for i, code in enumerate(codes) if code in ("foreign_entry", "seq_reordered", "seq_gap", "chain_break"))
    a.session.close()
    b.session.close()


def _resign(app, bundle: Path) -> None:
    """What only the key holder can do: new file hashes and counts in a manifest signed again."""
    import hashlib

    manifest = json.loads((bundle / "manifest.json").read_bytes())
    lines = (bundle / "entries.jsonl").read_bytes().splitlines()
    manifest["entries"] = str(len(lines))
    manifest["files"] = {name: hashlib.sha256((bundle / name).read_bytes()).hexdigest() for name in manifest["files"]}
    body = canonical_json(manifest)
    (bundle / "manifest.json").write_bytes(body)
    (bundle / "manifest.sig").write_text(signing_key(app.extensions["ccop"].keys).sign(body).hex() + "\n")


def test_the_console_exports_the_chain_chosen_and_refuses_an_unknown_one(app, world, proposed, login_as, clock, db):
    from apptest import current_code

    dpo = make_account(app, "dpo.chains")
    from ccop_cases.accounts.models import Person
    db.get(Person, dpo.person.id).is_dpo = True
    db.commit()
    client = login_as(dpo)
    post(client, "/compte/confirmer?suite=oversight.trail", {"code": current_code(dpo, clock)})
    page = client.get("/controle/").text
    council = str(world.gov.council.id)
    assert f'<option value="{council}">Conseil : CLSPD de Villefictive</option>' in page
    assert '<option value="platform">Plateforme</option>' in page
    only = client.get(f"/controle/?journal={council}").text
    assert "Plateforme</td>" not in only and "CLSPD de Villefictive</td>" in only
    forged = post(client, "/controle/export", {"journal": str(uuid.uuid4())}, token_from="/controle/")
    assert forged.status_code == 302 and "Journal inconnu" in client.get(forged.location).text
    download = post(client, "/controle/export", {"journal": council}, token_from="/controle/")
    assert download.status_code == 200 and council in download.headers["Content-Disposition"]


# --- PostgreSQL: a read's entry in one statement --------------------------------------------------

EVENTS = st.builds(
    Event, action=st.sampled_from(sorted(READ_ACTIONS)), actor_id=st.from_regex(TOKEN, fullmatch=True),
    actor_role=st.from_regex(CODE, fullmatch=True), target_type=st.from_regex(CODE, fullmatch=True),
    target_id=st.from_regex(TOKEN, fullmatch=True), request=st.none() | st.from_regex(CODE, fullmatch=True),
    details=st.dictionaries(st.from_regex(r"[a-z][a-z0-9_]{0,15}", fullmatch=True),
                            st.from_regex(TOKEN, fullmatch=True), max_size=4))


@postgresql_only
def test_the_one_statement_append_writes_the_library_entry(committed_app):
    """Property: for any read event, the entry the database assembles and hashes is the one
    ``audit.events`` encodes, byte for byte, at the seq, prev and ts it appended it."""
    rt = committed_app.extensions["ccop"]
    council = uuid.uuid4()
    with rt.database.session() as session:  # the chain's head, at a write's seq
        setup = auditor(session, rt.clock, "test-setup", "system", council=council)
        setup.record("group.act_recorded", "council", council)
        session.commit()

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(event=EVENTS, ts=st.sampled_from(["2026-12-01T02:00:00.000000Z", "2099-01-01T00:00:00.123456Z"]))
    def appended_as_encoded(event, ts):
        with rt.database.session() as session:
            before = tuple(session.execute(select(AuditHead.seq, AuditHead.hash, AuditHead.ts, AuditHead.write_seq)
                                           .where(AuditHead.chain == council)).one())
            session.commit()
            seq = SqlAuditStore(session, council).append_read(event, ts, before[3], select(literal(1)), {})
            session.commit()
            assert seq == before[0] + 1
            row = session.execute(select(AuditEntry).where(AuditEntry.chain == council, AuditEntry.seq == seq)
                                  ).scalar_one()
            stamp = max(ts, before[2])
            assert row.body == encode_entry(event, seq=seq, ts=stamp, prev=before[1], chain=str(council))
            assert row.hash == chain_hash(before[1], row.body) and row.ts == stamp
            assert entry_line(row.body, row.hash).startswith(b'{"entry":{"action":"' + event.action.encode())
            head = session.execute(select(AuditHead.seq, AuditHead.hash, AuditHead.write_seq)
                                   .where(AuditHead.chain == council)).one()
            assert tuple(head) == (seq, row.hash, before[3])  # a read: write_seq stays

    appended_as_encoded()


@postgresql_only
@pytest.mark.parametrize("case", ["a write since the mark", "facts changed", "no head yet", "no mark"])
def test_the_one_statement_append_appends_nothing_when_the_decision_may_not_stand(committed_app, case):
    rt = committed_app.extensions["ccop"]
    council = uuid.uuid4()
    event = Event(action="case.viewed", actor_id="p1", actor_role="member", target_type="case", target_id="c1")
    with rt.database.session() as session:
        if case != "no head yet":
            auditor(session, rt.clock, "test-setup", "system", council=council).record(
                "group.act_recorded", "council", council)
            session.commit()
        mark = session.scalar(select(AuditHead.write_seq).where(AuditHead.chain == council)) or 0
        if case == "no mark":  # a caller's bug: NULL never stands for "unchanged"
            mark = None
        if case == "a write since the mark":
            auditor(session, rt.clock, "test-setup", "system", council=council).record(
                "membership.suspended", "council", council)
            session.commit()
        facts = select(literal(1)).where(literal(case != "facts changed"))
        before = len(_chain(session, council))
        session.commit()
        assert SqlAuditStore(session, council).append_read(event, "2026-12-01T02:00:00.000000Z", mark, facts,
                                                           {}) is None
        session.commit()
        assert len(_chain(session, council)) == before


@postgresql_only
def test_a_case_page_is_audited_in_one_statement(committed_app, monkeypatch):
    """The ordinary read of a case page never takes the two-step way: its entry is the
    database's function's (the ORM-side append is made to fail)."""
    from casetest import coordinator_with_a_case

    rt = committed_app.extensions["ccop"]
    client, case_page = coordinator_with_a_case(committed_app, "lecture.directe")
    client.get(case_page)  # the chain's head exists from the case's own writes; one read to warm up

    def no_two_step(self, build):
        raise AssertionError("the two-step append was used for a read")

    with rt.database.session() as session:
        before = session.scalar(select(AuditHead.seq).where(AuditHead.chain != PLATFORM))
    monkeypatch.setattr(SqlAuditStore, "append_next", no_two_step)
    assert client.get(case_page).status_code == 200
    with rt.database.session() as session:
        rows = session.execute(select(AuditEntry.chain, AuditEntry.body).where(AuditEntry.chain != PLATFORM)
                               .order_by(AuditEntry.seq.desc()).limit(1)).all()
        assert session.scalar(select(AuditHead.seq).where(AuditHead.chain != PLATFORM)) == before + 1
    assert json.loads(rows[0].body)["action"] == "case.viewed" and rows[0].chain != PLATFORM


@postgresql_only
def test_an_audited_revocation_committed_after_the_read_refuses_the_page(app, world, login_as, proposed,
                                                                          monkeypatch, clock):
    """As ``test_a_revocation_committed_after_the_read_refuses_the_page``, with the revocation
    made by the console's service (audited on the council's chain): the one statement sees
    the chain moved, appends nothing, and the page is decided again (R15)."""
    from ccop_cases.cases import services
    from ccop_cases.charter import services as charter
    from ccop_cases.charter.models import Membership

    database, member = app.extensions["ccop"].database, world.participant
    client = login_as(member)
    real_read = services.read

    def read_then_suspend(work, case):
        view = real_read(work, case)
        with database.session() as other:
            membership = other.scalar(select(Membership).where(Membership.person_id == member.person.id))
            charter.suspend_member(setup_work(app, other), membership, "Absences répétées")
            other.commit()
        return view

    monkeypatch.setattr(services, "read", read_then_suspend)
    response = client.get(f"/situations/{proposed.id}")
    assert response.status_code == 403 and "R15" in response.text
    with database.session() as session:
        viewed = session.scalars(select(AuditEntry.seq).where(AuditEntry.action == "case.viewed")).all()
    assert viewed == []


def test_a_checkpoint_signs_each_chain_and_names_it(committed_app):
    a, b = _councils(committed_app)
    result = committed_app.test_cli_runner().invoke(main, ["audit", "checkpoint"])
    assert result.exit_code == 0, result.output
    for name in ("platform", str(a.council.id), str(b.council.id)):
        assert f"chaîne {name} :" in result.output
    listing = committed_app.test_cli_runner().invoke(main, ["audit", "chains"])
    assert "platform\t" in listing.output and f"{a.council.id}\t" in listing.output
    assert "CLSPD de Villefictive" in listing.output
    a.session.close()
    b.session.close()


def test_names_of_chains():
    assert name_of(PLATFORM) == "platform" and name_of(uuid.UUID(int=5)) == str(uuid.UUID(int=5))



# --- the single chain of before 0013 is the platform chain's history ------------------------------

def test_the_single_chain_of_before_goes_on_as_the_platform_chain_and_its_pin_holds(settings, tmp_path, new_app):
    """A trail written at revision 0012 (format-1 entries, a format-1 checkpoint pinned by an
    overseer), upgraded: the platform chain continues it, its export verifies with the old
    pin, and the council events written since are on the council's chain."""
    from dataclasses import replace

    from apptest import database_url, drop_schema
    from sqlalchemy import create_engine

    from audit import Checkpoint
    from audit.events import format_ts, make_record
    from ccop_cases.migrate import upgrade

    url, schema = database_url(tmp_path)
    try:
        upgrade(url, "0012")
        key = signing_key(new_app(replace(settings, database_url=url, migration_database_url=url))
                          .extensions["ccop"].keys)
        engine = create_engine(url)
        prev, ts = bytes(32), format_ts(datetime.now(UTC))  # the app of this test runs on the real clock
        with engine.begin() as connection:  # what the service of before wrote, under its guards
            for seq in (1, 2, 3):
                record = make_record(Event(action="login.succeeded", actor_id=f"p{seq}", actor_role="member",
                                           target_type="person", target_id=f"p{seq}"), seq=seq, ts=ts, prev=prev)
                connection.execute(text("INSERT INTO audit_entry (seq, ts, prev, hash, body, action, actor_id) "
                                        "VALUES (:seq, :ts, :prev, :hash, :body, 'login.succeeded', 'p')"),
                                   {"seq": seq, "ts": ts, "prev": prev, "hash": record.hash, "body": record.body})
                connection.execute(text("UPDATE audit_head SET seq = :seq, hash = :hash, ts = :ts WHERE id = 1"),
                                   {"seq": seq, "hash": record.hash, "ts": ts})
                prev = record.hash
            old = Checkpoint.sign(key, size=3, head=prev, ts=ts)
            connection.execute(text("INSERT INTO audit_checkpoint (size, head, ts, key_id, signature) "
                                    "VALUES (3, :head, :ts, :key_id, :signature)"),
                               {"head": old.head, "ts": ts, "key_id": old.key_id, "signature": old.signature})
        engine.dispose()
        upgrade(url)
        app = new_app(replace(settings, database_url=url, migration_database_url=url))
        gov = make_governance(app, admin=make_account(app, "president.histoire"))
        runner = app.test_cli_runner()
        bundle = _export(runner, "platform", tmp_path / "platform")
        result = verify_bundle(bundle, _public_key(app), pin=(3, prev))
        assert result.exit_code == 0, result.summary()
        lines = [json.loads(line) for line in (bundle / "entries.jsonl").read_text().splitlines()]
        assert [line["entry"]["v"] for line in lines[:3]] == ["1", "1", "1"]
        assert {line["entry"]["chain"] for line in lines[3:]} == {"platform"}
        assert lines[3]["entry"]["prev"] == prev.hex()
        council = verify_bundle(_export(runner, str(gov.council.id), tmp_path / "council"), _public_key(app))
        assert council.exit_code == 0 and "council.created" in (tmp_path / "council" / "entries.jsonl").read_text()
        gov.session.close()
        app.extensions["ccop"].database.dispose()
    finally:
        if schema:
            drop_schema(schema)
