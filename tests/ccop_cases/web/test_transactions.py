"""Read transactions (``work.begin_read``): the database refuses writes in them, the next
transaction writes again, and on SQLite a reader does not queue behind a writer. The case
tests' fixtures run here on real connections and commits (``app`` below), where the
database enforces the read-only transactions of the read-only views."""

from __future__ import annotations

import json
import threading
import time

import pytest
from casetest import GET_TABLE, ROLES
from sqlalchemy import select, update
from sqlalchemy.exc import DBAPIError

from ccop_cases.auditing.models import AuditEntry
from ccop_cases.charter.models import Deployment, Membership
from ccop_cases.work import begin_read


@pytest.fixture
def app(committed_app):
    return committed_app


def _database(app):
    return app.extensions["ccop"].database


def test_a_read_transaction_refuses_writes_and_the_next_one_writes_again(committed_app):
    database = _database(committed_app)
    with database.session() as session:
        begin_read(session)
        assert session.scalar(select(Deployment.mode).where(Deployment.id == 1)) == "pilot"
        with pytest.raises(DBAPIError):
            session.execute(update(Deployment).where(Deployment.id == 1).values(aipd_reference="AIPD-1"))
        session.rollback()
        # The next transaction of the same session writes (on the writing engine).
        session.execute(update(Deployment).where(Deployment.id == 1).values(aipd_reference="AIPD-1"))
        session.commit()
    with database.session() as session:
        assert session.scalar(select(Deployment.aipd_reference)) == "AIPD-1"


def test_begin_read_refuses_a_session_already_in_a_transaction(committed_app):
    with _database(committed_app).session() as session:
        session.scalar(select(Deployment.mode))
        with pytest.raises(RuntimeError, match="no transaction in progress"):
            begin_read(session)


def test_a_read_transaction_that_cannot_begin_leaves_the_session_free(committed_app, monkeypatch):
    database = _database(committed_app)

    def refuse() -> None:
        raise ConnectionError("base injoignable")

    with database.session() as session:
        with monkeypatch.context() as patch:
            patch.setattr(database.read_engine, "connect", refuse)
            with pytest.raises(ConnectionError):
                begin_read(session)
        assert not session.in_transaction()  # nothing half-begun, nothing routed to the read engine
        session.execute(update(Deployment).where(Deployment.id == 1).values(aipd_reference="AIPD-2"))
        session.commit()
        begin_read(session)
        with pytest.raises(DBAPIError):  # and the next read transaction is read-only again
            session.execute(update(Deployment).where(Deployment.id == 1).values(aipd_reference="AIPD-3"))


def test_a_reader_does_not_wait_for_a_writer_holding_its_lock(committed_app):
    database = _database(committed_app)
    writer = database.session()
    writer.execute(update(Deployment).where(Deployment.id == 1).values(aipd_reference="EN-COURS"))  # lock held
    seen: list[str | None] = []

    def read() -> None:
        with database.session() as reader:
            begin_read(reader)
            seen.append(reader.scalar(select(Deployment.aipd_reference)))

    started = time.monotonic()
    thread = threading.Thread(target=read)
    thread.start()
    thread.join(timeout=10)
    elapsed = time.monotonic() - started
    writer.rollback()
    writer.close()
    # A transaction that may write would have waited for the writer (busy timeout: 30 s).
    assert not thread.is_alive() and elapsed < 5
    assert seen == [None]  # the last committed state, not the writer's uncommitted change


def test_a_read_only_route_reads_then_audits_and_still_records_the_session(committed_app):
    """The case page (declared read-only) on real connections: its read is on the trail,
    and a last-seen time due on the same request is recorded in a write transaction."""
    from casetest import coordinator_with_a_case

    from ccop_cases.accounts.models import WebSession
    from ccop_cases.auditing.models import AuditEntry

    rt = committed_app.extensions["ccop"]
    client, case_page = coordinator_with_a_case(committed_app, "lecture.seule")
    rt.clock.advance(seconds=31)  # the session's last-seen time is now due

    assert client.get(case_page).status_code == 200
    with rt.database.session() as session:
        viewed = session.scalars(select(AuditEntry.action).where(AuditEntry.action == "case.viewed")).all()
        seen = session.scalars(select(WebSession.last_seen_at).where(WebSession.ended_at.is_(None))).all()
    assert viewed == ["case.viewed"]
    assert seen == [rt.clock()]


def test_routes_by_role_on_real_transactions(world, login_as, proposed):
    """The case tests' role table again, with read-only transactions enforced by the database."""
    seen = []
    for role in ROLES:
        client = login_as(getattr(world, role))  # each login moves the clock: last-seen writes happen too
        for route, expected in GET_TABLE.items():
            url = route.format(case=proposed.id, group=world.gov.group.id)
            seen.append((role, route, client.get(url).status_code, expected[ROLES.index(role)]))
    assert [row for row in seen if row[2] != row[3]] == []


def test_a_search_reads_then_audits_on_real_transactions(app, world, login_as, proposed):
    from apptest import post
    from casetest import YOUNG

    url = f"/groupes/{world.gov.group.id}/recherche"
    response = post(login_as(world.participant), url, {"last_name": "NDIAYE LEFEVRE", "given_names": "ines",
                                                       "birth_date": YOUNG["birth_date"]})
    assert response.status_code == 200 and proposed.reference in response.text
    with app.extensions["ccop"].database.session() as session:
        bodies = [json.loads(b) for b in session.scalars(select(AuditEntry.body)
                                                         .where(AuditEntry.action == "case.searched"))]
    assert [b["details"]["count"] for b in bodies] == ["1"]


@pytest.mark.parametrize(("revocation", "status", "rule"), [
    ("excluded", 403, "R15"),  # the member was excluded (R15) after the page was read
    ("suspended", 403, "R15"),
])
def test_a_revocation_committed_after_the_read_refuses_the_page(app, world, login_as, proposed, monkeypatch,
                                                                  revocation, status, rule):
    from ccop_cases.cases import services

    database, member = app.extensions["ccop"].database, world.participant
    client = login_as(member)
    real_read = services.read

    def read_then_revoke(work, case):
        view = real_read(work, case)
        with database.session() as other:  # committed by someone else between the read and its entry
            other.execute(update(Membership).where(Membership.person_id == member.person.id)
                          .values(status=revocation))
            other.commit()
        return view

    monkeypatch.setattr(services, "read", read_then_revoke)
    response = client.get(f"/situations/{proposed.id}")
    assert response.status_code == status and rule in response.text
    assert "Ndiaye" not in response.text
    with database.session() as session:
        actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.seq.desc()).limit(1)).all()
        viewed = session.scalars(select(AuditEntry.seq).where(AuditEntry.action == "case.viewed")).all()
    assert actions == ["access.denied"] and viewed == []


@pytest.mark.skipif(not __import__("os").environ.get("CCOP_DATABASE_URL", "").startswith("postgresql"),
                    reason="a server that drops connections: PostgreSQL")
def test_a_dead_pooled_connection_is_replaced_without_an_error(committed_app):
    """No ping on each checkout (issue 17): when the server dropped the pool's connections (a
    restart), the next request's first statement fails on its dead connection, is tried once
    more on a new one, and the page answers as if nothing happened."""
    from casetest import coordinator_with_a_case
    from sqlalchemy import create_engine, event, text

    rt = committed_app.extensions["ccop"]
    client, case_page = coordinator_with_a_case(committed_app, "connexion.perdue")
    rt.database.dispose()
    pids: set[int] = set()
    event.listen(rt.database.engine, "connect", lambda dbapi, _record: pids.add(dbapi.info.backend_pid))
    assert client.get(case_page).status_code == 200
    assert pids
    owner = create_engine(rt.settings.owner_database_url)
    with owner.begin() as connection:
        for pid in pids:
            assert connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
    owner.dispose()
    assert client.get(case_page).status_code == 200
