"""``ccop demo seed`` gives the demo council FIPD actions and its CCOP objectives of this year and
the last, links the demo's situations and actions to them, and stays idempotent."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import func, select

from ccop_cases.cases.models import Case, CaseAction
from ccop_cases.cli import main
from ccop_cases.demo import CREDENTIALS_FILE, DEMO_FIPD, DEMO_OBJECTIVES
from ccop_cases.plans.models import FipdAction, GroupObjective


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
    funded = db.scalars(select(CaseAction.fipd_action_id).where(CaseAction.fipd_action_id.is_not(None))).all()
    demo_01 = db.scalar(select(FipdAction.id).where(FipdAction.reference == "FIPD-DEMO-01"))
    assert funded and set(funded) == {demo_01}
    assert _count(db, CaseAction, CaseAction.objective_id.is_(None)) == 0
    assert _count(db, Case, Case.objective_id.is_(None)) == 0
    # each situation serves its group's objective of the year it was proposed in
    years = dict(db.execute(select(Case.id, GroupObjective.year).join(GroupObjective,
                                                                      GroupObjective.id == Case.objective_id)).all())
    proposed = dict(db.execute(select(Case.id, Case.proposed_at)).all())
    assert all(years[case_id] == proposed[case_id].year for case_id in years)
