"""Recording how an action ended: its last day and its outcome, by a participant of an open
situation; the evaluation of the actions (issue 15) counts what is recorded here."""

from __future__ import annotations

import uuid

import pytest
from apptest import audit_bodies, post
from sqlalchemy import select

from ccop_cases.cases.models import CaseAction, CaseChange

ACTION = {"act-action_type": "citizenship", "act-start_date": "2026-03-01", "act-outcome": "ongoing"}


@pytest.fixture
def running(world, login_as, db, proposed):
    """An action still running on the proposed situation, recorded by its participant."""
    url = f"/situations/{proposed.id}"
    assert post(login_as(world.participant), f"{url}/actions", ACTION, token_from=url).status_code == 302
    return db.scalar(select(CaseAction).where(CaseAction.case_id == proposed.id))


def test_a_participant_records_the_end_and_outcome_of_a_running_action(world, login_as, db, proposed, running):
    client, url = login_as(world.participant), f"/situations/{proposed.id}"
    assert "Enregistrer la fin" in client.get(url).text
    form = client.get(f"{url}/actions/{running.id}/fin").text
    assert 'value="done"' in form and 'value="ongoing"' not in form  # « En cours » is no way to end
    changes = len(db.scalars(select(CaseChange).where(CaseChange.case_id == proposed.id)).all())
    response = post(client, f"{url}/actions/{running.id}/fin", {"fin-end_date": "2026-03-02", "fin-outcome": "done"},
                    token_from=url)
    assert response.status_code == 302
    db.expire_all()
    action = db.get(CaseAction, running.id)
    assert (str(action.end_date), action.outcome) == ("2026-03-02", "done")
    assert len(db.scalars(select(CaseChange).where(CaseChange.case_id == proposed.id)).all()) == changes + 1
    entry = audit_bodies(db, "case.action_ended")[-1]
    assert entry["details"] == {"action_id": str(running.id), "result": "done"}
    page = client.get(url).text
    assert "Enregistrer la fin" not in page  # ended: nothing more to record
    assert "Fin d’action : Réalisée" in page  # the history, in French
    again = post(client, f"{url}/actions/{running.id}/fin", {"fin-end_date": "2026-03-02", "fin-outcome": "refused"},
                 token_from=url)
    assert again.status_code == 400 and "déjà terminée" in again.text


@pytest.mark.parametrize("data,message", [
    ({"fin-end_date": "2026-02-28", "fin-outcome": "done"}, "précède son début"),
    ({"fin-end_date": "2026-03-03", "fin-outcome": "done"}, "La fin est à venir"),
    ({"fin-end_date": "2026-03-02", "fin-outcome": "ongoing"}, "Choix inconnu"),
    ({"fin-end_date": "", "fin-outcome": "done"}, "obligatoire"),
    ({"fin-end_date": "02/03/2026x", "fin-outcome": "done"}, "date"),
], ids=["before its start", "in the future", "still running", "no date", "malformed date"])
def test_a_bad_end_is_refused_in_french_and_nothing_changes(world, login_as, db, proposed, running, data, message):
    url = f"/situations/{proposed.id}"
    response = post(login_as(world.participant), f"{url}/actions/{running.id}/fin", data, token_from=url)
    assert response.status_code == 400 and message in response.text
    db.expire_all()
    action = db.get(CaseAction, running.id)
    assert (action.end_date, action.outcome) == (None, "ongoing")
    assert audit_bodies(db, "case.action_ended") == []


def test_out_of_reach_actions_answer_404_and_are_audited(app, world, login_as, db, proposed, running):
    url = f"/situations/{proposed.id}"
    outsider = login_as(world.outsider)  # a member of the group not named on the situation
    assert outsider.get(f"{url}/actions/{running.id}/fin").status_code == 404
    participant = login_as(world.participant)
    assert participant.get(f"{url}/actions/{uuid.uuid4()}/fin").status_code == 404  # the form is not shown either
    forged = post(participant, f"{url}/actions/{uuid.uuid4()}/fin", {"fin-end_date": "2026-03-02",
                                                                      "fin-outcome": "done"}, token_from=url)
    assert forged.status_code == 404
    assert sum(e["target"]["id"] == str(proposed.id) for e in audit_bodies(db, "access.denied")) >= 3
    db.expire_all()
    assert db.get(CaseAction, running.id).outcome == "ongoing"


@pytest.mark.parametrize("data", [
    {**ACTION, "act-outcome": "done"},
    {**ACTION, "act-outcome": "done", "act-end_date": "2026-03-03"},
], ids=["ended without an end", "ended in the future"])
def test_an_action_recorded_as_ended_needs_an_end_that_has_come(world, login_as, db, proposed, data):
    """Otherwise it would never count as ended, and could not be ended any more."""
    url = f"/situations/{proposed.id}"
    response = post(login_as(world.participant), f"{url}/actions", data, token_from=url)
    assert response.status_code == 400 and "une action terminée a une date de fin" in response.text
    assert db.scalars(select(CaseAction).where(CaseAction.case_id == proposed.id)).all() == []
