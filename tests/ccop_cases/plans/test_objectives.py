"""The national strategy's objectives (the administrator adds, retires, restores) and a group's
objectives of a year with their targets (the administrator presiding the group's council)."""

from __future__ import annotations

import json

import pytest
from apptest import audit_bodies, post
from sqlalchemy import func, select

from ccop_cases.plans import services as plans
from ccop_cases.plans.models import GroupObjective, StrategyObjective
from ccop_cases.work import DomainError


def _refused(call, *args, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call(*args, **kwargs)
    return caught.value


def _strategy(db, code: str) -> StrategyObjective:
    return db.execute(select(StrategyObjective).where(StrategyObjective.code == code)).scalar_one()


# --- the national strategy ---------------------------------------------------------------------------


def test_the_migration_seeded_eight_objectives_of_the_three_programmes(db):
    seeded = plans.strategy_objectives(db)
    assert len(seeded) == 8 and {o.programme for o in seeded} == {"P1", "P2", "P3"}


def test_an_objective_is_added_with_its_indicator_and_a_code_of_its_own(db, work):
    added = plans.add_objective(work, programme="P1", label="Orienter vers le soin",
                                indicator="young_people_with_action", parameter=("action_type", "care_referral"))
    assert (added.code, added.indicator_parameter) == ("p1_01", "care_referral")
    other = plans.add_objective(work, programme="P1", label="Réaliser des actions", indicator="actions_done",
                                parameter=None)
    assert other.code == "p1_02" and other.indicator_parameter is None
    [entry, _second] = audit_bodies(db, "strategy_objective.added")
    assert entry["details"] == {"code": "p1_01", "programme": "P1", "indicator": "young_people_with_action",
                                "parameter": "care_referral"}
    assert "soin" not in json.dumps(entry)


@pytest.mark.parametrize("changes,field,says", [
    ({"programme": "P4"}, "programme", "Programme"),
    ({"indicator": "everything"}, "indicator", "Indicateur"),
    ({"parameter": None}, "parameter", "choisissez-le"),
    ({"parameter": ("closing_reason", "handed_over")}, "parameter", "code en vigueur de la liste « Types d’action »"),
    ({"parameter": ("action_type", "nature_worksite")}, "parameter", "code en vigueur"),
    ({"indicator": "actions_done"}, "parameter", "n’en prend pas"),
    ({"label": "  "}, "label", "de 1 à 200"),
    ({"label": "Soutenir les parents dans leur rôle éducatif"}, "label", "existe déjà"),
])
def test_an_objective_needs_a_programme_an_indicator_and_the_parameter_it_counts(db, work, changes, field, says):
    values = {"programme": "P1", "label": "Orienter vers le soin", "indicator": "young_people_with_action",
              "parameter": ("action_type", "care_referral"), **changes}
    error = _refused(plans.add_objective, work, **values)
    assert error.field == field and says in str(error)


def test_a_retired_code_is_no_parameter_of_a_new_objective(db, work):
    plans.retire_code(work, plans.entry(db, "action_type", "care_referral"))
    error = _refused(plans.add_objective, work, programme="P1", label="Orienter vers le soin",
                     indicator="young_people_with_action", parameter=("action_type", "care_referral"))
    assert error.field == "parameter"


def test_a_retired_objective_is_no_longer_chosen_for_a_year_and_comes_back(app, gov, db, work):
    follow = _strategy(db, "p1_follow")
    plans.retire_objective(work, follow)
    error = _refused(plans.set_group_objective, work, gov.group, 2026, follow.id, target=30, target_share=None)
    assert error.field == "objective" and "en vigueur" in str(error)
    plans.restore_objective(work, follow)
    plans.set_group_objective(work, gov.group, 2026, follow.id, target=30, target_share=None)
    assert [e["details"]["code"] for e in audit_bodies(db, "strategy_objective.retired")
            + audit_bodies(db, "strategy_objective.restored")] == ["p1_follow", "p1_follow"]


def test_the_console_adds_an_objective_with_a_parameter_grouped_by_list(login_as, admin, db):
    console = login_as(admin)
    page = console.get("/administration/listes").text
    assert '<optgroup label="Types d’action">' in page and 'value="action_type:care_referral"' in page
    added = post(console, "/administration/objectifs", {
        "obj-programme": "P2", "obj-label": "Orienter vers le soin", "obj-indicator": "young_people_with_action",
        "obj-parameter": "action_type:care_referral"}, token_from="/administration/listes")
    assert added.status_code == 302
    assert _strategy(db, "p2_01").indicator_parameter == "care_referral"
    mismatched = post(console, "/administration/objectifs", {
        "obj-programme": "P2", "obj-label": "Passer le relais", "obj-indicator": "young_people_with_action",
        "obj-parameter": "closing_reason:handed_over"}, token_from="/administration/listes")
    assert mismatched.status_code == 400 and "Paramètre" in mismatched.text


# --- a group's objectives of a year ---------------------------------------------------------------------


def test_a_group_sets_an_objective_once_a_year_with_its_targets(app, gov, db, work):
    follow = _strategy(db, "p1_follow")
    set_ = plans.set_group_objective(work, gov.group, 2026, follow.id, target=30, target_share=80)
    assert (set_.year, set_.target, set_.target_share) == (2026, 30, 80)
    error = _refused(plans.set_group_objective, work, gov.group, 2026, follow.id, target=10, target_share=None)
    assert error.field == "objective" and "déjà fixé" in str(error)
    plans.set_group_objective(work, gov.group, 2025, follow.id, target=20, target_share=None)  # another year
    [first, _second] = audit_bodies(db, "group_objective.set")
    assert first["details"] == {"group": str(gov.group.id), "year": "2026", "objective": "p1_follow", "target": "30",
                                "target_share": "80"}


@pytest.mark.parametrize("year,target,share,field", [
    (2019, 30, None, "year"), (2028, 30, None, "year"), (2026, 0, None, "target"), (2026, 100_001, None, "target"),
    (2026, None, 101, "target_share"), (2026, None, -1, "target_share"),
])
def test_targets_and_years_out_of_bounds_are_refused(app, gov, db, work, year, target, share, field):
    error = _refused(plans.set_group_objective, work, gov.group, year, _strategy(db, "p1_follow").id, target=target,
                     target_share=share)
    assert error.field == field


def test_a_retired_objective_of_the_year_is_set_again_with_new_targets(app, gov, db, work):
    follow = _strategy(db, "p1_follow")
    set_ = plans.set_group_objective(work, gov.group, 2026, follow.id, target=30, target_share=None)
    plans.retire_group_objective(work, set_)
    assert plans.objective_choices(db, gov.group.id, 2026) == {}
    again = plans.set_group_objective(work, gov.group, 2026, follow.id, target=40, target_share=None)
    assert again.id == set_.id and (again.target, again.retired_at) == (40, None)
    assert db.scalar(select(func.count()).select_from(GroupObjective)) == 1  # the same row, set again


def test_the_targets_of_a_retired_objective_do_not_change_and_its_strategy_objective_must_be_in_force(app, gov, db,
                                                                                                      work):
    follow = _strategy(db, "p1_follow")
    set_ = plans.set_group_objective(work, gov.group, 2026, follow.id, target=30, target_share=None)
    plans.change_targets(work, set_, target=35, target_share=70)
    assert "rien n’a été modifié" in str(_refused(plans.change_targets, work, set_, target=35, target_share=70))
    plans.retire_group_objective(work, set_)
    assert "rétablissez-le" in str(_refused(plans.change_targets, work, set_, target=40, target_share=None))
    plans.retire_objective(work, follow)
    assert "rétablissez-le d’abord" in str(_refused(plans.restore_group_objective, work, set_))
    plans.restore_objective(work, follow)
    plans.restore_group_objective(work, set_)
    assert set_.retired_at is None
    assert [e["action"] for e in audit_bodies(db) if e["target"]["type"] == "group_objective"] == [
        "group_objective.set", "group_objective.set", "group_objective.retired", "group_objective.restored"]


def test_the_console_page_of_a_year_sets_an_objective_and_retires_it_with_a_confirmation(login_as, admin, gov, db):
    console = login_as(admin)
    page = f"/administration/groupes/{gov.group.id}/objectifs/2026"
    assert "Objectifs 2026 du" in console.get(f"/administration/groupes/{gov.group.id}").text
    follow = _strategy(db, "p1_follow")
    bad = post(console, page, {"objective": str(follow.id), "target": "trente", "target_share": "80"})
    assert bad.status_code == 400 and "Nombre entier attendu" in bad.text
    assert post(console, page, {"objective": str(follow.id), "target": "30", "target_share": "80"}).status_code == 302
    listed = console.get(page).text
    assert "Suivre individuellement les jeunes exposés à la délinquance" in listed and "80 %" in listed
    set_ = db.scalar(select(GroupObjective))
    url = f"/administration/objectifs-du-groupe/{set_.id}"
    unconfirmed = post(console, f"{url}/etat", {"st-action": "retire"}, token_from=url)
    assert unconfirmed.status_code == 400 and "Cochez la case" in unconfirmed.text
    assert post(console, f"{url}/etat", {"st-action": "retire", "st-confirm": "y"}, token_from=url).status_code == 302
    db.expire_all()
    assert db.get(GroupObjective, set_.id).retired_at is not None
    assert post(console, url, {"target": "25", "target_share": ""}).status_code == 400  # retired: restore first


@pytest.mark.parametrize("year", [2019, 2028, 0])
def test_a_year_out_of_bounds_answers_404(login_as, admin, gov, year):
    assert login_as(admin).get(f"/administration/groupes/{gov.group.id}/objectifs/{year}").status_code == 404
