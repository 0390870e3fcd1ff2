"""The shared rights world builds, and the register's first steps hold on it."""

from __future__ import annotations

from datetime import date

import rightstest

from ccop_cases.rights import services as rights


def test_a_request_reaches_its_situation_and_not_the_other_council(app, admin, db, clock) -> None:
    world = rightstest.make_world(app, admin)
    request = rightstest.new_request(app, db, world)
    assert request.state == "in_progress"
    assert request.due_on == date(2026, 4, 2)
    assert [c.id for c in rights.linked_cases(db, request.id)] == [world.case.id]
