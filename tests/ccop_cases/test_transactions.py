"""Read transactions (``db.begin_read``): the database refuses writes in them, the next
transaction writes again, and on SQLite a reader does not queue behind a writer."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import DBAPIError

from ccop_cases.charter.models import Deployment
from ccop_cases.db import begin_read


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
        # The same pooled connection, now in an ordinary transaction.
        session.execute(update(Deployment).where(Deployment.id == 1).values(aipd_reference="AIPD-1"))
        session.commit()
    with database.session() as session:
        assert session.scalar(select(Deployment.aipd_reference)) == "AIPD-1"


def test_begin_read_refuses_a_session_already_in_a_transaction(committed_app):
    with _database(committed_app).session() as session:
        session.scalar(select(Deployment.mode))
        with pytest.raises(RuntimeError, match="no transaction in progress"):
            begin_read(session)


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
    from apptest import login, make_account, make_governance
    from test_cases import propose

    from ccop_cases.accounts.models import WebSession
    from ccop_cases.oversight.models import AuditEntry

    rt = committed_app.extensions["ccop"]
    gov = make_governance(committed_app)
    member = make_account(committed_app, "lecture.seule")
    gov.sign_all(gov.designate(member, role="coordonnateur"))
    client = committed_app.test_client()
    login(client, member, rt.clock)
    case_page = propose(client, gov).location
    rt.clock.advance(seconds=31)  # the session's last-seen time is now due

    assert client.get(case_page).status_code == 200
    with rt.database.session() as session:
        viewed = session.scalars(select(AuditEntry.action).where(AuditEntry.action == "case.viewed")).all()
        seen = session.scalars(select(WebSession.last_seen_at).where(WebSession.ended_at.is_(None))).all()
    assert viewed == ["case.viewed"]
    assert seen == [rt.clock()]
