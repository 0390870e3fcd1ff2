"""``ccop demo seed`` gives the demo council FIPD actions and its CCOP objectives of this year and
the last, links the demo's situations and actions to them, seeds a year of activity for the
reports, and stays idempotent."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import func, select

from ccop_cases.cases.models import Case, CaseAction
from ccop_cases.cli import main
from ccop_cases.demo import CREDENTIALS_FILE, DEMO_FIPD, DEMO_OBJECTIVES
from ccop_cases.meetings.models import Attendance, Meeting
from ccop_cases.plans.models import FipdAction, GroupObjective
from ccop_cases.reports.models import ReportCounter


def _seed(app, settings):
    rt = app.extensions["ccop"]
    rt.settings = replace(settings, env="development")
    try:
        result = app.test_cli_runner().invoke(main, args=["demo", "seed"])
    finally:
        rt.settings = settings
    assert result.exit_code == 0, result.output


def _count(db, model, *where) -> int:
    return db.scalar(select(func.count()).select_from(model).where(*where)) or 0


def test_the_demo_links_its_situations_and_actions_to_fipd_actions_and_objectives(app, db, settings, clock):
    _seed(app, settings)
    _seed(app, settings)  # twice: nothing more
    (settings.instance_dir / CREDENTIALS_FILE).unlink()
    assert _count(db, FipdAction) == len(DEMO_FIPD)
    assert sorted(db.scalars(select(FipdAction.year)).all()) == [clock().year - 1] + [clock().year] * 2
    assert _count(db, GroupObjective) == 2 * len(DEMO_OBJECTIVES)
    assert set(db.scalars(select(GroupObjective.year))) == {clock().year - 1, clock().year}
    assert _count(db, GroupObjective, GroupObjective.target.is_not(None)) == 2 * 2
    # every FIPD action of the demo funds actions of the year of activity
    funded = db.scalars(select(CaseAction.fipd_action_id).where(CaseAction.fipd_action_id.is_not(None))).all()
    assert set(funded) == set(db.scalars(select(FipdAction.id)))
    assert _count(db, Case, Case.objective_id.is_(None), Case.state != "purged") == 0  # a tombstone keeps none
    # each situation serves its group's objective of the year it was proposed in
    years = dict(db.execute(select(Case.id, GroupObjective.year).join(GroupObjective,
                                                                      GroupObjective.id == Case.objective_id)).all())
    proposed = dict(db.execute(select(Case.id, Case.proposed_at)).all())
    assert all(years[case_id] == proposed[case_id].year for case_id in years)


def test_the_demo_seeds_a_year_of_activity_for_the_reports(app, db, settings, clock):
    """`make run` shows reports with something in them: a session each month of the year
    before today, situations proposed in each of those months and in every state, actions
    ended with each kind of outcome, and purged situations whose counts the reports keep."""
    _seed(app, settings)
    (settings.instance_dir / CREDENTIALS_FILE).unlink()
    today = clock().date()
    months = {(m.year, m.month) for m in db.scalars(select(Meeting.scheduled_for))}
    assert len(months) >= 11 and max(months) <= (today.year, today.month)
    proposed = {(c.proposed_at.year, c.proposed_at.month) for c in db.scalars(select(Case))}
    assert len(proposed) >= 11
    assert set(db.scalars(select(Case.state))) == {"proposed", "followed", "closed", "purged"}
    assert {"done", "interrupted", "ongoing"} <= set(db.scalars(select(CaseAction.outcome)))
    purged = _count(db, Case, Case.state == "purged")
    assert purged >= 3
    assert db.scalar(select(func.sum(ReportCounter.value)).where(ReportCounter.metric == "proposed")) == purged
    assert _count(db, Attendance) > 2 * len(months)
