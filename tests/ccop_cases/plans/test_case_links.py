"""A situation and its actions linked to the group's objectives of the year and to the council's
FIPD actions: the selects offer only what is in force; a forged id of another group or council
is refused on its field (R22, audited), nothing written; the case page and history show them."""

from __future__ import annotations

import json
import uuid
from datetime import date

import pytest
from apptest import audit_bodies, post
from casetest import fipd_action, latest_case, propose
from sqlalchemy import func, select

from ccop_cases.cases import services as cases
from ccop_cases.cases.models import Case, CaseAction, CaseChange, CaseParticipant
from ccop_cases.charter import services as charter
from ccop_cases.charter.models import Membership
from ccop_cases.plans import services as plans
from ccop_cases.plans.models import StrategyObjective
from ccop_cases.work import DomainError

FOLLOW = "Suivre individuellement les jeunes exposés à la délinquance"
ACTION = {"act-action_type": "educational_worksite", "act-start_date": "2026-03-01", "act-outcome": "ongoing"}


def _objective(work, group, code: str, year: int = 2026, **targets):
    chosen = work.session.execute(select(StrategyObjective).where(StrategyObjective.code == code)).scalar_one()
    return plans.set_group_objective(work, group, year, chosen.id, target=targets.get("target"),
                                     target_share=targets.get("target_share"))


@pytest.fixture
def aims(app, world, db, work):
    """The world's group's objectives: two of 2026 (one retired), one of 2025; one of another group
    of the same council; and FIPD actions: the council's (one retired), another council's."""
    group = db.merge(world.gov.group)
    sibling = charter.create_group(work, db.merge(world.gov.council), name="Groupe thématique", legal_basis="L132-5",
                                   vocation="thematic", perimeter="", theme="Transports", is_ccop=False,
                                   territory_label="other")
    made = {"follow": _objective(work, group, "p1_follow", target=30),
            "retired": _objective(work, group, "p1_parenting"),
            "last_year": _objective(work, group, "p1_citizenship", 2025),
            "sibling": _objective(work, sibling, "p1_follow")}
    plans.retire_group_objective(work, made["retired"])
    db.commit()
    made["fipd"] = fipd_action(app, world.gov.council, "FIPD-59-12")
    made["fipd_retired"] = fipd_action(app, world.gov.council, "FIPD-59-01")
    plans.retire_fipd_action(work, db.merge(made["fipd_retired"]))
    db.commit()
    return made


def _denials(db, rule: str) -> list[dict]:
    return [d for d in audit_bodies(db, "access.denied") if d["rule"] == rule]


# --- the proposal -----------------------------------------------------------------------------------


def test_the_proposal_offers_the_group_s_objectives_of_the_year_in_force_only(world, login_as, aims):
    form = login_as(world.participant).get(f"/groupes/{world.gov.group.id}/situations/nouvelle").text
    assert f'value="{aims["follow"].id}"' in form and "P1 — " + FOLLOW in form
    for other in ("retired", "last_year", "sibling"):
        assert str(aims[other].id) not in form


def test_a_proposal_serves_an_objective_shown_on_the_case_page_and_in_its_history(world, login_as, aims, db):
    client = login_as(world.participant)
    assert propose(client, world.gov, objective=str(aims["follow"].id)).status_code == 302
    case = latest_case(db)
    assert case.objective_id == aims["follow"].id
    page = client.get(f"/situations/{case.id}").text
    assert f"P1 — {FOLLOW} (2026)" in page.split('id="h-situation"')[1]
    assert f"Objectif du groupe : P1 — {FOLLOW}" in page.split('id="h-history"')[1]
    [proposed] = audit_bodies(db, "case.proposed")
    assert proposed["details"]["objective"] == str(aims["follow"].id)


def test_without_objectives_the_proposal_shows_no_objective_select(world, login_as):
    form = login_as(world.participant).get(f"/groupes/{world.gov.group.id}/situations/nouvelle").text
    assert "Objectif du groupe" not in form


@pytest.mark.parametrize("forged,rule", [("sibling", "R22"), ("other_council", "R22"), ("random", "R22"),
                                         ("retired", None), ("last_year", None)])
def test_a_proposal_with_an_objective_out_of_reach_is_refused_on_its_field(world, login_as, aims, other_gov, db, work,
                                                                           forged, rule):
    aims["other_council"] = _objective(work, db.merge(other_gov.group), "p1_follow")
    db.commit()
    value = str(uuid.uuid4()) if forged == "random" else str(aims[forged].id)
    response = propose(login_as(world.participant), world.gov, objective=value)
    assert response.status_code == 400 and "Objectif du groupe" in response.text
    assert 'aria-invalid="true"' in response.text and "Ndiaye-Lefèvre" in response.text  # input kept
    assert db.scalar(select(func.count()).select_from(Case)) == 0
    assert [d["target"]["id"] for d in _denials(db, "R22")] == ([str(world.gov.group.id)] if rule else [])


def test_a_proposal_with_an_objective_that_is_not_an_id_is_refused_by_the_form(world, login_as, aims, db):
    response = propose(login_as(world.participant), world.gov, objective="p1_follow")
    assert response.status_code == 400 and "Choix inconnu" in response.text
    assert db.scalar(select(func.count()).select_from(Case)) == 0


# --- the actions -------------------------------------------------------------------------------------


def test_the_action_form_offers_the_objectives_of_the_year_and_the_council_s_fipd_actions_in_force(world, login_as,
                                                                                                 proposed, aims):
    form = login_as(world.participant).get(f"/situations/{proposed.id}/actions").text
    assert "Financée par le FIPD" not in form and 'name="act-fipd_reference"' not in form
    assert "Action financée par le FIPD (vide : non financée)" in form and "— non financée —" in form
    assert f'value="{aims["fipd"].id}"' in form and "FIPD-59-12 — Chantiers éducatifs FIPD-59-12" in form
    assert str(aims["fipd_retired"].id) not in form
    assert f'value="{aims["follow"].id}"' in form
    assert str(aims["retired"].id) not in form and str(aims["sibling"].id) not in form


def test_an_action_funded_by_the_fipd_and_serving_an_objective_is_shown_with_both(world, login_as, proposed, aims, db):
    client, url = login_as(world.participant), f"/situations/{proposed.id}"
    assert post(client, f"{url}/actions", {**ACTION, "act-fipd_action": str(aims["fipd"].id),
                                           "act-objective": str(aims["follow"].id)}, token_from=url).status_code == 302
    action = db.scalar(select(CaseAction))
    assert (action.fipd_action_id, action.objective_id) == (aims["fipd"].id, aims["follow"].id)
    row = client.get(url).text.split('id="h-actions"')[1].split("</table>")[0]
    assert "FIPD-59-12 — Chantiers éducatifs FIPD-59-12" in row and f"P1 — {FOLLOW}" in row
    [added] = audit_bodies(db, "case.action_added")
    assert added["details"] == {"action_type": "educational_worksite", "result": "ongoing",
                                "fipd_action": str(aims["fipd"].id), "objective": str(aims["follow"].id)}
    listed = client.get(f"/groupes/{world.gov.group.id}/situations?fipd=1").text
    assert proposed.reference in listed  # the list's filter « Action financée par le FIPD »


def test_an_action_not_funded_shows_no(world, login_as, proposed, aims, db):
    client, url = login_as(world.participant), f"/situations/{proposed.id}"
    assert post(client, f"{url}/actions", {**ACTION, "act-fipd_action": ""}, token_from=url).status_code == 302
    assert db.scalar(select(CaseAction.fipd_action_id)) is None
    assert proposed.reference not in client.get(f"/groupes/{world.gov.group.id}/situations?fipd=1").text


@pytest.mark.parametrize("field,forged,says,rule", [
    ("fipd_action", "other_council", "pas une action FIPD du conseil", "R22"),
    ("fipd_action", "random", "pas une action FIPD du conseil", "R22"),
    ("fipd_action", "fipd_retired", "retirée", None),
    ("objective", "sibling", "pas un objectif de ce groupe", "R22"),
    ("objective", "retired", "en vigueur en 2026", None),
])
def test_an_action_linked_out_of_reach_is_refused_on_its_field_and_nothing_is_written(
        app, world, login_as, proposed, aims, other_gov, db, field, forged, says, rule):
    aims["other_council"] = fipd_action(app, other_gov.council, "FIPD-75-01")
    value = str(uuid.uuid4()) if forged == "random" else str(aims[forged].id)
    url = f"/situations/{proposed.id}"
    response = post(login_as(world.participant), f"{url}/actions", {**ACTION, f"act-{field}": value}, token_from=url)
    assert response.status_code == 400 and says in response.text
    assert f'id="act-{field}-errors"' in response.text
    assert db.scalar(select(func.count()).select_from(CaseAction)) == 0
    assert db.scalar(select(func.count()).select_from(CaseChange).where(CaseChange.field == "action")) == 0
    assert [d["target"]["id"] for d in _denials(db, "R22")] == ([str(proposed.id)] if rule else [])


def test_the_service_refuses_another_council_s_fipd_action_and_another_group_s_objective(app, world, proposed, aims,
                                                                                        other_gov, db, work):
    foreign = fipd_action(app, other_gov.council, "FIPD-75-01")
    member = db.scalar(select(Membership).join(CaseParticipant, CaseParticipant.membership_id == Membership.id)
                       .where(CaseParticipant.case_id == proposed.id))
    for links, field in (({"fipd_action_id": foreign.id}, "fipd_action"),
                         ({"objective_id": aims["sibling"].id}, "objective")):
        with pytest.raises(DomainError) as caught:
            cases.add_action(work, proposed, member, action_type="citizenship", start=date(2026, 3, 1), end=None,
                             outcome="ongoing", **links)
        assert (caught.value.field, caught.value.rule) == (field, "R22")


# --- changing a situation's objective ------------------------------------------------------------------


def test_a_participant_changes_the_objective_and_the_history_keeps_each_change(world, login_as, proposed, aims, db):
    client, url = login_as(world.participant), f"/situations/{proposed.id}"
    page = client.get(f"{url}/objectif").text
    assert f'value="{aims["follow"].id}"' in page and "— aucun —" in page
    assert post(client, f"{url}/objectif", {"obj-objective": str(aims["follow"].id)}, token_from=url).status_code == 302
    same = post(client, f"{url}/objectif", {"obj-objective": str(aims["follow"].id)}, token_from=url)
    assert same.status_code == 400 and "rien n’a été modifié" in same.text
    assert post(client, f"{url}/objectif", {"obj-objective": ""}, token_from=url).status_code == 302
    assert latest_case(db).objective_id is None
    history = client.get(url).text.split('id="h-history"')[1]
    assert f"Objectif du groupe : P1 — {FOLLOW}" in history and "Objectif du groupe : aucun" in history
    assert [e["details"]["objective"] for e in audit_bodies(db, "case.objective_set")] == [
        str(aims["follow"].id), "none"]
    assert FOLLOW not in json.dumps(audit_bodies(db, "case.objective_set"))


def test_a_forged_objective_of_another_group_is_refused_under_r22(world, login_as, proposed, aims, db):
    client, url = login_as(world.participant), f"/situations/{proposed.id}"
    response = post(client, f"{url}/objectif", {"obj-objective": str(aims["sibling"].id)}, token_from=url)
    assert response.status_code == 400 and "pas un objectif de ce groupe" in response.text
    assert latest_case(db).objective_id is None and _denials(db, "R22")


def test_the_objective_of_an_earlier_year_stays_shown_until_changed(world, login_as, proposed, aims, db):
    case = db.get(Case, proposed.id)
    case.objective_id = aims["last_year"].id  # set in 2025 (the service refuses it in 2026)
    db.commit()
    client, url = login_as(world.participant), f"/situations/{proposed.id}"
    assert "(2025)" in client.get(url).text.split('id="h-situation"')[1]
    form = client.get(f"{url}/objectif").text
    assert f'<option selected value="{aims["last_year"].id}">L’objectif actuel' in form


def test_an_outsider_cannot_change_the_objective(world, login_as, proposed, aims):
    url = f"/situations/{proposed.id}/objectif"
    assert login_as(world.outsider).get(url).status_code == 404
    assert login_as(world.excluded).get(url).status_code == 403
