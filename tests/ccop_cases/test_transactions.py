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
