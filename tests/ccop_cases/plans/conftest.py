"""Fixtures of the plans tests: a second council's administrator, a Work on the test's session."""

from __future__ import annotations

import pytest
from apptest import make_account, make_governance, setup_work

from ccop_cases.accounts.models import Person


@pytest.fixture
def work(app, db):
    """A unit of work on the test's session (actor ``test-setup``); the test commits or not."""
    return setup_work(app, db)


@pytest.fixture
def other_admin(app):
    """A charter administrator presiding another council (with one group of its own)."""
    acct = make_account(app, "autre.administrateur")
    session = app.extensions["ccop"].database.session()
    session.get_one(Person, acct.person.id).is_charter_admin = True
    session.commit()
    session.close()
    return acct


@pytest.fixture
def other_gov(app, other_admin):
    return make_governance(app, admin=other_admin)
