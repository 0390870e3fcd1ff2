"""The rights requests (R12) in the charter's annual report (R16): a register of known
requests, every cell of the section against the count worked out by hand, before and after
the register's retention and an erasure have purged what they purge."""

from __future__ import annotations

from datetime import date

import pytest
import rightstest
from apptest import setup_work
from rightstest import RightsWorld
from sqlalchemy import select

from ccop_cases.reports import render, services
from ccop_cases.reports.model import Report, Section, Table
from ccop_cases.retention import services as retention
from ccop_cases.rights import services as rights
from ccop_cases.rights.models import RightsRequest, RightsRequestCase

TODAY = date(2026, 3, 2)  # the clock fixture's day
KINDS = ("Accès (art. 15)", "Rectification (art. 16)", "Limitation du traitement (art. 18)", "Opposition (art. 21)",
         "Effacement (art. 17)", "Autre demande")
REFUSALS = ("Identité du demandeur non établie (art. 12(6))",
            "Demande manifestement infondée ou excessive (art. 12(5))",
            "Motifs légitimes et impérieux du traitement (art. 21(1))",
            "Mission d’intérêt public, prévention des infractions (art. 17(3)(b))",
            "Limitation prévue par la loi (art. 23, art. 52 loi Informatique et Libertés)",
            "Le demandeur n’a pas qualité pour agir")
EXTENDED = "Demandes dont le délai a été prolongé de deux mois (art. 12(3))"


def _register(app, db, world: RightsWorld) -> dict[str, RightsRequest]:
    """Nine requests; the comments give each one's row in the 2026 report."""
    new = rightstest.new_request
    r = {"r1": new(app, db, world, kind="rectification", received_on=date(2026, 2, 10)),  # told in time
         "r2": new(app, db, world, kind="other", received_on=date(2026, 1, 5)),  # told late (due 5 Feb)
         "r3": new(app, db, world, kind="access", received_on=date(2026, 2, 15)),  # extended, open
         "r4": new(app, db, world, kind="erasure", received_on=date(2026, 2, 20)),  # refused in time
         "r5": new(app, db, world, kind="objection", received_on=date(2026, 1, 2)),  # refused late (due 2 Feb)
         # Refused before any situation was linked: about no group, counted nowhere.
         "r6": new(app, db, world, kind="access", received_on=date(2026, 2, 25), state="received"),
         # About both young persons of the group: one request, counted once.
         "r7": new(app, db, world, kind="access", received_on=date(2026, 2, 26),
                   cases_=(world.case, world.other_case)),  # withdrawn
         "r8": new(app, db, world, kind="restriction", received_on=date(2026, 3, 1),
                   cases_=(world.other_case,)),  # open
         "r9": new(app, db, world, kind="other", received_on=date(2025, 12, 15))}  # 2025's report
    work = setup_work(app, db)
    rights.answer(work, r["r1"], "rectified", TODAY)
    rights.answer(work, r["r2"], "answered", TODAY)
    rights.extend(work, r["r3"], "complexity")
    rights.refuse(work, r["r4"], "public_interest", TODAY)
    rights.refuse(work, r["r5"], "compelling_grounds", TODAY)
    rights.refuse(work, r["r6"], "identity_not_established", TODAY)
    rights.withdraw(work, r["r7"], TODAY)
    db.commit()
    return r


@pytest.fixture
def register(app, admin, db, clock) -> tuple[RightsWorld, dict[str, RightsRequest]]:
    world = rightstest.make_world(app, admin)
    return world, _register(app, db, world)


def section(report: Report) -> Section:
    return next(s for s in report.sections if s.title == "Demandes d’exercice des droits (R12)")


def cells(t: Table) -> dict[str, int]:
    assert t.columns == ("Demandes",) and t.totals
    return {row: counts[0] for row, counts in zip(t.rows, t.counts, strict=True)}


def _rights(app, db, world: RightsWorld, year: int = 2026) -> Section:
    return section(services.annual(setup_work(app, db), world.gov.group.id, year))


def _assert_2026(found: Section) -> None:
    kinds, outcomes, refusals = found.tables
    assert (kinds.key, outcomes.key, refusals.key) == ("rights_kinds", "rights_outcomes", "rights_refusals")
    assert cells(kinds) == dict(zip(KINDS, (2, 1, 1, 1, 1, 1), strict=True))  # r3, r7 | r1 | r8 | r5 | r4 | r2
    assert cells(outcomes) == {"Réponse ou refus dans le délai": 2,  # r1, r4
                               "Réponse ou refus hors délai": 2,  # r2, r5
                               "Demande retirée": 1,  # r7
                               "Demande encore ouverte": 2}  # r3, r8
    assert cells(refusals) == dict(zip(REFUSALS, (0, 0, 1, 1, 0, 0), strict=True))  # r5 | r4
    assert [(m.label, m.value, m.base, m.count) for m in found.measures] == [(EXTENDED, 1, 1, True)]  # r3
    assert found.note == services.RIGHTS_NOTE


def test_the_annual_report_counts_the_groups_requests_of_the_year_cell_by_cell(app, db, register):
    world, _r = register
    _assert_2026(_rights(app, db, world))
    last_year = _rights(app, db, world, 2025)
    assert cells(last_year.tables[0]) == dict(zip(KINDS, (0, 0, 0, 0, 0, 1), strict=True))  # r9
    assert cells(last_year.tables[1])["Demande encore ouverte"] == 1


def test_the_register_section_is_published_through_the_small_cell_suppression(app, db, register):
    world, _r = register
    shown = render.show(services.annual(setup_work(app, db), world.gov.group.id, 2026))
    kinds = shown.grid("rights_kinds")
    assert kinds is not None
    # Every cell is 1 to 4 and shows « < 5 »; six of them adding up to 7 pin none, so the total shows.
    assert [cell.text for line in kinds.lines if not line.total for cell in line.cells] == ["< 5"] * 6
    assert kinds.published.total is not None and kinds.published.total.text == "7"
    extended = dict(next(s for s in shown.sections if s.title.startswith("Demandes d’exercice")).measures)
    assert extended[EXTENDED] == "< 5"


def test_another_groups_report_counts_none_of_these_requests(app, db, register):
    world, _r = register
    other = world.other_gov.group
    found = section(services.annual(setup_work(app, db), other.id, 2026))
    assert {row[0] for t in found.tables for row in t.counts} == {0}


def test_a_request_purged_by_the_registers_retention_is_still_counted(app, db, clock, register):
    world, r = register
    clock.advance(days=3 * 366)  # past every ended request's keep_until (3 years after 2 March 2026)
    work = setup_work(app, db)
    purged = retention.requests_due(work)
    assert {p.id for p in purged} == {r[k].id for k in ("r1", "r2", "r4", "r5", "r6", "r7")}
    for request in purged:
        retention.purge_request(work, request)
    db.commit()
    # The links lost their situation, not their group: the counts read the same.
    assert db.scalars(select(RightsRequestCase.case_id).where(RightsRequestCase.request_id == r["r7"].id)).all() \
        == [None, None]
    _assert_2026(_rights(app, db, world))


def test_a_request_that_erased_its_situation_is_still_counted(app, db, clock, register):
    world, _r = register
    erasure = rightstest.new_request(app, db, world, kind="erasure", received_on=TODAY)
    retention.answer_request(setup_work(app, db), erasure, "erased", TODAY)
    db.commit()
    found = _rights(app, db, world)
    assert cells(found.tables[0])["Effacement (art. 17)"] == 2  # r4 and this one
    assert cells(found.tables[1])["Réponse ou refus dans le délai"] == 3
    purges = next(t for s in services.annual(setup_work(app, db), world.gov.group.id, 2026).sections
                  for t in s.tables if t.key == "purges")
    assert dict(zip(purges.rows, (c[0] for c in purges.counts), strict=True))[
        "Effacement demandé par la personne et accordé (R12, art. 17)"] == 1
