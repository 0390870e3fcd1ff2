"""The closed lists the charter administrator maintains (action types, outcomes, closing
reasons): added, relabelled only while unused, retired and restored, never deleted; every
change audited with the list and the code only, in the change's own transaction."""

from __future__ import annotations

import json
from datetime import date

import pytest
from apptest import audit_bodies, post
from casetest import latest_case
from sqlalchemy import func, select

from ccop_cases.auditing.models import AuditEntry
from ccop_cases.cases import services as cases
from ccop_cases.cases.models import CaseAction, CaseParticipant
from ccop_cases.charter.models import Membership
from ccop_cases.plans import services as plans
from ccop_cases.plans.models import ListEntry
from ccop_cases.work import DomainError


def _refused(call, *args, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call(*args, **kwargs)
    return caught.value


def test_the_migration_seeded_the_codes_the_code_held(db):
    assert plans.labels(db, "action_type")["citizenship"] == "Action de citoyenneté"
    assert list(plans.labels(db, "action_outcome")) == ["ongoing", "done", "interrupted", "refused", "unavailable"]
    assert list(plans.labels(db, "closing_reason"))[-1] == "other"  # the order the code had


def test_a_code_is_added_at_the_end_and_audited_with_the_list_and_the_code_only(db, work):
    added = plans.add_code(work, "action_type", "nature_worksite", "Chantier nature")
    db.commit()
    assert list(plans.labels(db, "action_type", retired=False))[-1] == "nature_worksite"
    [entry] = audit_bodies(db, "list.added")
    assert entry["details"] == {"code": "nature_worksite", "list": "action_type"}
    assert entry["target"] == {"type": "list_entry", "id": str(added.id)}
    assert "Chantier" not in json.dumps(entry)


def test_the_audit_entry_is_in_the_change_s_transaction(db, work):
    plans.add_code(work, "closing_reason", "relocated_abroad", "Départ à l’étranger")
    assert db.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "list.added")) == 1
    db.rollback()  # the change undone: its entry with it
    assert plans.entry(db, "closing_reason", "relocated_abroad") is None
    assert db.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "list.added")) == 0


@pytest.mark.parametrize("code,message", [
    ("Nature", "lettres minuscules"), ("chantier-nature", "lettres minuscules"), ("x", "de 2 à 40"),
    ("a" * 41, "de 2 à 40"), ("chantier nature", "lettres minuscules"), ("éte", "lettres minuscules"),
    ("citizenship", "existe déjà"),
])
def test_a_code_is_a_new_lowercase_slug(db, work, code, message):
    error = _refused(plans.add_code, work, "action_type", code, "Un libellé neuf")
    assert error.field == "code" and message in str(error)


def test_a_retired_code_is_never_reused(db, work):
    plans.retire_code(work, plans.entry(db, "action_type", "second_chance"))
    error = _refused(plans.add_code, work, "action_type", "second_chance", "Deuxième chance, nouvelle formule")
    assert "jamais réutilisé" in str(error) and "rétablissez-le" in str(error)


def test_two_codes_of_a_list_never_share_a_label(db, work):
    error = _refused(plans.add_code, work, "action_type", "citizenship_2", "action de citoyenneté")
    assert error.field == "label" and "« citizenship »" in str(error)
    plans.add_code(work, "closing_reason", "citizenship", "Action de citoyenneté")  # another list: allowed


def test_an_unused_code_is_relabelled_and_audited(db, work):
    entry = plans.add_code(work, "action_type", "nature_worksite", "Chantier nature")
    plans.relabel(work, entry, "Chantier nature et environnement")
    assert plans.labels(db, "action_type")["nature_worksite"] == "Chantier nature et environnement"
    [relabelled] = audit_bodies(db, "list.relabelled")
    assert relabelled["details"] == {"code": "nature_worksite", "list": "action_type"}


def test_a_code_used_by_an_action_keeps_its_label(app, world, login_as, proposed, db, work):
    url = f"/situations/{proposed.id}"
    assert post(login_as(world.participant), f"{url}/actions", {
        "act-action_type": "educational_stay", "act-start_date": "2026-03-01", "act-end_date": "2026-03-02",
        "act-outcome": "done"}, token_from=url).status_code == 302
    for list_name, code in (("action_type", "educational_stay"), ("action_outcome", "done")):
        entry = plans.entry(db, list_name, code)
        error = _refused(plans.relabel, work, entry, "Un autre sens")
        assert error.field == "label" and "ne change plus" in str(error) and "retirez ce code" in str(error)
        assert plans.uses(db, list_name, code) == 1


def test_a_code_used_by_a_closed_situation_or_by_an_objective_keeps_its_label(app, world, login_as, proposed, db,
                                                                               work):
    coordinator, url = login_as(world.coordinator), f"/situations/{proposed.id}"
    assert post(coordinator, f"{url}/cloture", {"clo-reason": "moved_away", "clo-confirm": "y"},
                token_from=url).status_code == 302
    assert plans.uses(db, "closing_reason", "moved_away") == 1
    assert plans.uses(db, "action_type", "employment_support") == 1  # p1_remobilise is measured by it
    for list_name, code in (("closing_reason", "moved_away"), ("action_type", "employment_support")):
        assert "ne change plus" in str(_refused(plans.relabel, work, plans.entry(db, list_name, code), "Un sens neuf"))


def test_ongoing_and_the_codes_the_service_writes_are_never_retired(db, work):
    for list_name, code, says in (("action_outcome", "ongoing", "action qui se poursuit"),
                                  ("closing_reason", "not_retained", "proposition en double")):
        entry = plans.entry(db, list_name, code)
        error = _refused(plans.retire_code, work, entry)
        assert f"« {code} » ne peut pas être retiré" in str(error) and says in str(error)
        assert entry.retired_at is None
    assert cases.ONGOING == plans.ONGOING


def test_a_retired_code_leaves_the_choices_and_stays_readable_then_comes_back(db, work):
    entry = plans.entry(db, "action_outcome", "unavailable")
    plans.retire_code(work, entry)
    assert "unavailable" not in plans.labels(db, "action_outcome", retired=False)
    assert plans.labels(db, "action_outcome")["unavailable"] == "Indisponible"
    assert "déjà retiré" in str(_refused(plans.retire_code, work, entry))
    plans.restore_code(work, entry)
    assert "unavailable" in plans.labels(db, "action_outcome", retired=False)
    assert "rien à rétablir" in str(_refused(plans.restore_code, work, entry))
    assert [e["details"] for e in audit_bodies(db, "list.retired") + audit_bodies(db, "list.restored")] == [
        {"code": "unavailable", "list": "action_outcome"}] * 2


def test_the_last_code_in_force_of_a_list_stays(db, work):
    *others, last = plans.labels(db, "action_type", retired=False)
    for code in others:
        plans.retire_code(work, plans.entry(db, "action_type", code))
    error = _refused(plans.retire_code, work, plans.entry(db, "action_type", last))
    assert "dernier code en vigueur" in str(error)
    assert list(plans.labels(db, "action_type", retired=False)) == [last]


def test_nothing_ever_deletes_a_code(db, work):
    before = db.scalar(select(func.count()).select_from(ListEntry))
    entry = plans.add_code(work, "action_type", "nature_worksite", "Chantier nature")
    plans.retire_code(work, entry)
    assert db.scalar(select(func.count()).select_from(ListEntry)) == before + 1


# --- the codes in force are the choices; a retired code stays on its records ------------------------


def test_a_retired_code_is_no_longer_offered_nor_accepted_but_stays_on_the_case_page(app, world, login_as, proposed,
                                                                                   db, work):
    participant, url = login_as(world.participant), f"/situations/{proposed.id}"
    assert post(participant, f"{url}/actions", {"act-action_type": "educational_stay", "act-start_date": "2026-03-01",
                                                "act-outcome": "ongoing"}, token_from=url).status_code == 302
    plans.retire_code(work, plans.entry(db, "action_type", "educational_stay"))
    plans.retire_code(work, plans.entry(db, "closing_reason", "moved_away"))
    db.commit()
    form = participant.get(f"{url}/actions").text
    assert 'value="educational_stay"' not in form and 'value="citizenship"' in form
    refused = post(participant, f"{url}/actions", {"act-action_type": "educational_stay",
                                                   "act-start_date": "2026-03-02", "act-outcome": "ongoing"},
                   token_from=url)
    assert refused.status_code == 400 and "Choix inconnu" in refused.text
    assert db.scalar(select(func.count()).select_from(CaseAction)) == 1
    page = participant.get(url).text
    assert "Séjour éducatif" in page.split('id="h-actions"')[1]  # the label of the retired code, still shown
    assert "Séjour éducatif" in page.split('id="h-history"')[1]
    closing = login_as(world.coordinator).get(f"{url}/cloture").text
    assert 'value="moved_away"' not in closing and 'value="objectives_met"' in closing


def test_the_services_refuse_a_retired_code_whatever_the_form(app, world, proposed, db, work):
    plans.retire_code(work, plans.entry(db, "action_type", "educational_stay"))
    plans.retire_code(work, plans.entry(db, "closing_reason", "moved_away"))
    member = db.scalar(select(Membership).join(CaseParticipant, CaseParticipant.membership_id == Membership.id)
                       .where(CaseParticipant.case_id == proposed.id))
    error = _refused(cases.add_action, work, proposed, member, action_type="educational_stay", start=date(2026, 3, 1),
                     end=None, outcome="ongoing")
    assert error.field == "action_type" and "retiré de la liste" in str(error)
    error = _refused(cases.add_action, work, proposed, member, action_type="citizenship", start=date(2026, 3, 1),
                     end=None, outcome="en_cours")
    assert error.field == "outcome"
    error = _refused(cases.close, work, proposed, member, reason="moved_away")
    assert error.field == "reason" and latest_case(db).state == "proposed"


def test_a_code_added_in_the_console_is_offered_at_once(app, world, login_as, proposed, admin, db):
    console = login_as(admin)
    added = post(console, "/administration/listes/action_type", {"action_type-code": "nature_worksite",
                                                                 "action_type-label": "Chantier nature"},
                 token_from="/administration/listes")
    assert added.status_code == 302
    assert 'value="nature_worksite"' in login_as(world.participant).get(f"/situations/{proposed.id}/actions").text


# --- the console's pages -------------------------------------------------------------------------------


def test_the_lists_page_shows_every_list_and_adding_a_bad_code_is_a_french_400(login_as, admin, db):
    console = login_as(admin)
    page = console.get("/administration/listes").text
    for title in ("Types d’action", "Résultats d’action", "Motifs de clôture", "Objectifs de la stratégie nationale"):
        assert title in page
    refused = post(console, "/administration/listes/closing_reason", {"closing_reason-code": "Départ",
                                                                      "closing_reason-label": "Départ"},
                   token_from="/administration/listes")
    assert refused.status_code == 400 and "lettres minuscules" in refused.text
    assert 'value="Départ"' in refused.text  # the input kept for correction
    assert not audit_bodies(db, "list.added")


def test_the_label_of_a_used_code_is_frozen_on_its_page_and_by_the_service(login_as, admin, world, proposed, db):
    console = login_as(admin)
    url = f"/situations/{proposed.id}"
    post(login_as(world.participant), f"{url}/actions", {"act-action_type": "citizenship",
                                                         "act-start_date": "2026-03-01", "act-outcome": "ongoing"},
         token_from=url)
    page = console.get("/administration/listes/action_type/citizenship").text
    assert "son libellé ne change plus" in page and "Changer le libellé" not in page
    forced = post(console, "/administration/listes/action_type/citizenship", {"lib-label": "Citoyenneté active"},
                  token_from="/administration/listes/action_type/educational_stay")
    assert forced.status_code == 400 and "ne change plus" in forced.text
    assert plans.labels(db, "action_type")["citizenship"] == "Action de citoyenneté"


def test_retiring_a_code_asks_for_a_confirmation(login_as, admin, db):
    console = login_as(admin)
    page = "/administration/listes/action_outcome/unavailable"
    unconfirmed = post(console, f"{page}/etat", {"st-action": "retire"}, token_from=page)
    assert unconfirmed.status_code == 400 and "Cochez la case pour confirmer le retrait" in unconfirmed.text
    db.expire_all()
    assert plans.entry(db, "action_outcome", "unavailable").retired_at is None
    assert post(console, f"{page}/etat", {"st-action": "retire", "st-confirm": "y"}, token_from=page).status_code == 302
    db.expire_all()
    assert plans.entry(db, "action_outcome", "unavailable").retired_at is not None
    assert "Rétablir" in console.get(page).text
    assert post(console, f"{page}/etat", {"st-action": "restore"}, token_from=page).status_code == 302
    db.expire_all()
    assert plans.entry(db, "action_outcome", "unavailable").retired_at is None


def test_the_page_of_ongoing_says_why_it_cannot_be_retired_and_a_forced_retirement_is_refused(login_as, admin, db):
    console = login_as(admin)
    page = "/administration/listes/action_outcome/ongoing"
    assert "Ne peut pas être retiré" in console.get(page).text
    forced = post(console, f"{page}/etat", {"st-action": "retire", "st-confirm": "y"}, token_from=page)
    assert forced.status_code == 400 and "ne peut pas être retiré" in forced.text
    db.expire_all()
    assert plans.entry(db, "action_outcome", "ongoing").retired_at is None


@pytest.mark.parametrize("url", ["/administration/listes/motifs/other", "/administration/listes/closing_reason/autre",
                                 "/administration/listes/list_entry/other"])
def test_an_unknown_list_or_code_answers_404(login_as, admin, url):
    assert login_as(admin).get(url).status_code == 404
