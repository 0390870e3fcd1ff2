"""The case workspace: role table per route, every rule by its id, information of the family,
sessions and non-nominative minutes, retention by crypto-shredding, bad input."""

from __future__ import annotations

import json
import re
import uuid
from datetime import date, timedelta

import pytest
from apptest import audit_bodies, current_code, make_account, make_governance, post
from casetest import GET_TABLE, ROLES, YOUNG, coordinator_with_a_case, fipd_action, form_data, latest_case, propose
from sqlalchemy import func, select

from ccop_cases.cases.models import Case, CaseAction, CaseParticipant, InformationRecord
from ccop_cases.charter.models import Membership
from ccop_cases.cli import main
from ccop_cases.identities.models import DataKeyRecord, IdentityRecord, IdentityToken
from ccop_cases.meetings.models import Attendance, Meeting

# --- the journey ------------------------------------------------------------------------------

def test_member_proposes_and_the_case_page_shows_the_identity_to_participants(app, world, login_as, db):
    client = login_as(world.participant)
    response = propose(client, world.gov)
    case = latest_case(db)
    assert response.location == f"/situations/{case.id}"
    assert case.reference == f"S-{date.today().year if False else 2026}-0001" and case.state == "proposed"
    page = client.get(response.location).text
    assert "Ndiaye-Lefèvre" in page and "Inès Awa" in page and "Absentéisme" in page
    assert "famille doit être informée" in page
    history = page.split('id="h-history"')[1]
    who = "case.participant (Conseiller principal d&#39;éducation, Éducation nationale)"  # no display name yet
    assert re.search(rf"\d\d:\d\d — {re.escape(who)} — Proposition<", history), history[:400]
    viewed = audit_bodies(db, "case.viewed")
    assert viewed and viewed[-1]["details"]["sections"].startswith("identity")
    assert "Ndiaye" not in json.dumps(viewed)


def test_follow_requires_information_of_the_family_r11(app, world, login_as, proposed, db, clock):
    coordinator = login_as(world.coordinator)
    case_url = f"/situations/{proposed.id}"
    post(coordinator, f"{case_url}/suivre", {}, token_from=case_url)
    assert "R11" in coordinator.get(case_url).text and latest_case(db).state == "proposed"
    participant = login_as(world.participant)
    for who in ("young_person", "representative_1"):
        r = post(participant, f"{case_url}/information", {"inf-who": who, "inf-informed_on": "2026-03-01",
                                                          "inf-means": "letter"}, token_from=case_url)
        assert r.status_code == 302, r.text
    post(coordinator, f"{case_url}/suivre", {}, token_from=case_url)
    assert latest_case(db).state == "followed"


def test_a_derogation_needs_the_coordinators_approval_and_a_future_review(app, world, login_as, proposed, db):
    participant = login_as(world.participant)
    url = f"/situations/{proposed.id}"
    past = post(participant, f"{url}/information", {"inf-who": "young_person", "inf-derogation_reason": "unreachable",
                                                    "inf-review_date": "2026-01-01"}, token_from=url)
    assert past.status_code == 400 and "date de réexamen future" in past.text
    post(participant, f"{url}/information", {"inf-who": "young_person", "inf-derogation_reason": "unreachable",
                                             "inf-review_date": "2026-06-01"}, token_from=url)
    post(participant, f"{url}/information", {"inf-who": "representative_1", "inf-informed_on": "2026-03-01",
                                             "inf-means": "phone"}, token_from=url)
    coordinator = login_as(world.coordinator)
    post(coordinator, f"{url}/suivre", {}, token_from=url)
    assert latest_case(db).state == "proposed"  # derogation not yet approved
    record = db.scalar(select(InformationRecord).where(InformationRecord.derogation_reason.is_not(None)))
    post(coordinator, f"{url}/information/{record.id}/approuver", {}, token_from=url)
    post(coordinator, f"{url}/suivre", {}, token_from=url)
    assert latest_case(db).state == "followed"


def test_actions_decisions_participants_and_closing(app, world, login_as, proposed, db, clock):
    participant, coordinator = login_as(world.participant), login_as(world.coordinator)
    url = f"/situations/{proposed.id}"
    own = fipd_action(app, world.gov.council, "FIPD-59-12")
    foreign = fipd_action(app, make_governance(app, admin=make_account(app, "autre.president")).council, "FIPD-75-01")
    action = {"act-action_type": "educational_worksite", "act-start_date": "2026-03-01", "act-outcome": "ongoing"}
    forged = post(participant, f"{url}/actions", {**action, "act-fipd_action": str(foreign.id)}, token_from=url)
    assert forged.status_code == 400 and "pas une action FIPD du conseil de ce groupe" in forged.text
    assert db.scalar(select(func.count()).select_from(CaseAction)) == 0
    assert post(participant, f"{url}/actions", {**action, "act-fipd_action": str(own.id)},
                token_from=url).status_code == 302
    assert db.scalar(select(CaseAction.fipd_action_id)) == own.id
    assert "FIPD-59-12 — Chantiers éducatifs FIPD-59-12" in participant.get(url).text
    decision = post(participant, f"{url}/decisions", {"dec-decision": "review"}, token_from=url)
    assert decision.status_code == 403 and "coordonnateur" in decision.text
    outsider_membership = world.gov.session.scalar(select(CaseParticipant.membership_id))
    post(coordinator, f"{url}/decisions", {"dec-decision": "review", "dec-next_review": "2026-04-01"}, token_from=url)
    assert latest_case(db).next_review == date(2026, 4, 1)
    options = coordinator.get(f"{url}/participants").text
    other = options.split('case.outsider (')[0].rsplit('value="', 1)[1].split('"')[0]
    post(coordinator, f"{url}/participants", {"par-membership": other, "par-reason": "school"}, token_from=url)
    assert login_as(world.outsider).get(url).status_code == 200  # now designated for the case
    assert outsider_membership
    unconfirmed = post(coordinator, f"{url}/cloture", {"clo-reason": "objectives_met"}, token_from=url)
    assert unconfirmed.status_code == 400 and "Cochez la case" in unconfirmed.text
    closed = post(coordinator, f"{url}/cloture", {"clo-reason": "objectives_met", "clo-confirm": "y"}, token_from=url)
    assert closed.status_code == 302
    case = latest_case(db)
    assert case.state == "closed" and case.purge_due == clock().date() + timedelta(days=92)


# --- role table -------------------------------------------------------------------------------

@pytest.mark.parametrize("route", GET_TABLE)
@pytest.mark.parametrize("role", ROLES)
def test_get_routes_by_role(world, login_as, proposed, route, role):
    expected = GET_TABLE[route][ROLES.index(role)]
    url = route.format(case=proposed.id, group=world.gov.group.id)
    response = login_as(getattr(world, role)).get(url)
    assert response.status_code == expected
    if expected == 403:
        assert ("R15" if role == "excluded" else "R3") in response.text


POST_TABLE = {  # act -> (data, expected per role)
    "actions": ({"act-action_type": "citizenship", "act-start_date": "2026-03-01", "act-outcome": "ongoing"},
                (302, 404, 302, 403, 403)),
    "information": ({"inf-who": "young_person", "inf-informed_on": "2026-03-01", "inf-means": "letter"},
                    (302, 404, 302, 403, 403)),
    "decisions": ({"dec-decision": "review"}, (403, 404, 302, 403, 403)),
    "cloture": ({"clo-reason": "other", "clo-confirm": "y"}, (403, 404, 302, 403, 403)),
}


@pytest.mark.parametrize("act", POST_TABLE)
@pytest.mark.parametrize("role", ROLES)
def test_post_routes_by_role(world, login_as, proposed, act, role):
    data, expected = POST_TABLE[act]
    client = login_as(getattr(world, role))
    response = post(client, f"/situations/{proposed.id}/{act}", data, token_from="/compte/mot-de-passe")
    assert response.status_code == expected[ROLES.index(role)]


def test_excluded_or_unsigned_non_participants_learn_nothing_of_a_case(world, login_as, proposed, db):
    for name in ("excluded", "unsigned"):
        membership = db.scalar(select(Membership).where(Membership.person_id == getattr(world, name).person.id))
        db.execute(CaseParticipant.__table__.delete().where(CaseParticipant.membership_id == membership.id))
    db.commit()
    for name in ("excluded", "unsigned"):
        assert login_as(getattr(world, name)).get(f"/situations/{proposed.id}").status_code == 404


def test_forged_case_id_answers_404_and_is_audited(world, login_as, db):
    client = login_as(world.coordinator)
    assert client.get(f"/situations/{uuid.uuid4()}").status_code == 404
    assert post(client, f"/situations/{uuid.uuid4()}/actions", {}, token_from="/compte/mot-de-passe").status_code == 404
    assert any(e["rule"] == "R4" and e["target"]["type"] == "case" for e in audit_bodies(db, "access.denied"))


def test_a_case_of_another_group_is_404(app, world, login_as, proposed):
    other_gov = make_governance(app, admin=make_account(app, "autre.president"))
    stranger = make_account(app, "autre.coordonnateur")
    other_gov.sign_all(other_gov.designate(stranger, role="coordonnateur"))
    assert login_as(stranger).get(f"/situations/{proposed.id}").status_code == 404  # R22


# --- rules refused by id ------------------------------------------------------------------------

@pytest.mark.parametrize("changes,message", [
    ({"birth_date": "2000-05-20"}, "25 ans ou plus"),                        # R19
    ({"birth_date": "2016-05-20"}, "moins de 12 ans"),                       # R19
    ({"rep1_last_name": None, "rep1_given_names": None, "rep1_phone": None}, "représentant légal (R19)"),
    ({"inside_perimeter": None}, "seul le coordonnateur"),                   # R23
    ({"purpose": "intrafamily_violence"}, "programme 2"),                    # R23
    ({"exposure_factors": ["violence_exposure"]}, "programme 2"),
    ({"note": "Remarque"}, "secret professionnel (R5)"),                     # R5
])
def test_proposal_rules_are_refused_with_their_id_and_nothing_is_written(world, login_as, db, changes, message):
    response = propose(login_as(world.participant), world.gov, **changes)
    assert response.status_code == 400 and message in response.text
    assert db.scalar(select(func.count()).select_from(Case)) == 0
    assert db.scalar(select(func.count()).select_from(DataKeyRecord)) == 0
    assert 'value="Ndiaye-Lefèvre"' in response.text  # the input is kept for correction


def test_under_12_with_confirmation_and_coordinator_override_outside_perimeter(world, login_as, db):
    coordinator = login_as(world.coordinator)
    assert propose(coordinator, world.gov, birth_date="2015-01-10", confirm_under_12="y", inside_perimeter=None,
                   override_reason="moved_recently").status_code == 302
    assert latest_case(db).outside_perimeter_reason == "moved_recently"


def test_a_second_record_of_the_same_person_in_the_group_is_refused(world, login_as, proposed, db):
    again = propose(login_as(world.coordinator), world.gov, last_name="NDIAYE LEFEVRE", given_names="ines")
    assert again.status_code == 400 and proposed.reference in again.text
    assert db.scalar(select(func.count()).select_from(Case)) == 1


def _resolve(client, case, choice, confirm=True):
    url = f"/situations/{case.id}"
    return post(client, f"{url}/doublon/{choice}", {"confirm": "y"} if confirm else {}, token_from=url)


def test_a_members_duplicate_proposal_is_accepted_as_any_and_tells_nothing(world, login_as, proposed, db):
    """Issue 12 item 2: the same message as any proposal; only the coordonnateur sees the match."""
    outsider = login_as(world.outsider)
    response = propose(outsider, world.gov, last_name="NDIAYE LEFEVRE", given_names="ines")
    assert response.status_code == 302
    duplicate = latest_case(db)
    assert duplicate.duplicate_of == proposed.id and duplicate.reference != proposed.reference
    page = outsider.get(response.location, follow_redirects=True).text
    assert f"Situation {duplicate.reference} proposée." in page
    assert proposed.reference not in page and "doublon" not in page.lower()
    assert "doublon" not in outsider.get(f"/groupes/{world.gov.group.id}/situations").text.lower()
    coordinator = login_as(world.coordinator)
    listing = coordinator.get(f"/groupes/{world.gov.group.id}/situations").text
    assert "1 proposition à" in listing and "doublon possible" in listing
    case_page = coordinator.get(f"/situations/{duplicate.id}").text
    assert proposed.reference in case_page and "Désigner le proposant" in case_page


def test_the_coordinator_names_the_proposer_on_the_existing_situation_and_the_duplicate_is_shredded(
        world, login_as, proposed, db):
    outsider = login_as(world.outsider)
    propose(outsider, world.gov, given_names="Inès")
    duplicate = latest_case(db)
    coordinator = login_as(world.coordinator)
    unconfirmed = _resolve(coordinator, duplicate, "rattacher", confirm=False)
    assert unconfirmed.status_code == 302 and latest_case(db, duplicate.reference).state == "proposed"
    assert _resolve(coordinator, duplicate, "rattacher").status_code == 302
    assert latest_case(db, duplicate.reference).state == "purged"
    identities = select(func.count()).select_from(IdentityRecord).where(IdentityRecord.unit_id == duplicate.id)
    assert db.scalar(identities) == 0
    assert outsider.get(f"/situations/{proposed.id}").status_code == 200
    assert audit_bodies(db, "case.duplicate_merged")[-1]["details"] == {"into": str(proposed.id)}


def test_the_coordinator_declines_a_duplicate_like_any_proposal_not_retained(world, login_as, proposed, db):
    outsider = login_as(world.outsider)
    propose(outsider, world.gov, given_names="Inès")
    duplicate = latest_case(db)
    assert _resolve(login_as(world.participant), duplicate, "decliner").status_code == 404  # not on it
    assert _resolve(login_as(world.coordinator), duplicate, "decliner").status_code == 302
    declined = latest_case(db, duplicate.reference)
    assert declined.state == "closed" and declined.closing_reason == "not_retained" and declined.duplicate_of is None
    assert outsider.get(f"/situations/{proposed.id}").status_code == 404


# Issue 12 item 4: every refusal path -> one access.denied entry naming its rule and its target.
def _follow_too_early(world, login_as, proposed):
    url = f"/situations/{proposed.id}"
    post(login_as(world.coordinator), f"{url}/suivre", {}, token_from=url)
    return "R11", "case", str(proposed.id)


def _proposal(role, rule, **changes):
    def refuse(world, login_as, proposed):
        assert propose(login_as(getattr(world, role)), world.gov, **changes).status_code == 400
        return rule, "working_group", str(world.gov.group.id)
    return refuse


def _forged_case(world, login_as, proposed):
    forged = uuid.uuid4()
    assert login_as(world.participant).get(f"/situations/{forged}").status_code == 404
    return "R4", "case", str(forged)


def _case_out_of_reach(world, login_as, proposed):
    assert login_as(world.outsider).get(f"/situations/{proposed.id}").status_code == 404
    return "R4", "case", str(proposed.id)


def _unknown_act(world, login_as, proposed):
    client = login_as(world.participant)
    assert post(client, f"/situations/{proposed.id}/inconnu", {}, token_from="/compte/mot-de-passe").status_code == 404
    return "R4", "case", str(proposed.id)


REFUSALS = {
    "follow_before_information": _follow_too_early,
    "age_25_or_more": _proposal("participant", "R19", birth_date="2000-01-01"),
    "under_12_unconfirmed": _proposal("participant", "R19", birth_date="2016-05-20"),
    "minor_without_representative": _proposal("participant", "R19", rep1_last_name=None, rep1_given_names=None,
                                              rep1_phone=None),
    "outside_perimeter_by_a_member": _proposal("participant", "R23", inside_perimeter=None),
    "note_without_attestation": _proposal("participant", "R5", note="Remarque"),
    "coordinators_own_duplicate": _proposal("coordinator", "R9", given_names="Inès"),
    "forged_case_id": _forged_case,
    "case_of_which_one_is_not_a_participant": _case_out_of_reach,
    "unknown_act_on_a_case": _unknown_act,
}


@pytest.mark.parametrize("path", REFUSALS)
def test_every_refusal_is_audited_with_its_rule_and_target(world, login_as, proposed, db, path):
    before = len(audit_bodies(db, "access.denied"))
    rule, target_type, target_id = REFUSALS[path](world, login_as, proposed)
    entries = audit_bodies(db, "access.denied")[before:]
    assert [(e["rule"], e["target"]["type"], e["target"]["id"]) for e in entries] == [(rule, target_type, target_id)]
    assert entries[0]["outcome"] == "denied"


def test_the_coordinator_withdraws_a_participant_whose_access_ends(world, login_as, proposed, db):
    coordinator, participant = login_as(world.coordinator), login_as(world.participant)
    url = f"/situations/{proposed.id}"
    assert participant.get(url).status_code == 200
    row = db.scalar(select(CaseParticipant).where(CaseParticipant.reason == "proposer"))
    refused = post(participant, f"{url}/participants/{row.id}/retirer", {"reason": "removed_no_longer_needed"},
                   token_from=url)
    assert refused.status_code == 403
    post(coordinator, f"{url}/participants/{row.id}/retirer", {"reason": "removed_no_longer_needed", "confirm": "y"})
    assert participant.get(url).status_code == 404
    assert audit_bodies(db, "case.participant_removed")[-1]["details"]["reason"] == "removed_no_longer_needed"


def test_an_unreadable_case_is_reported_and_never_purged_blindly(app, world, proposed, db):
    identity = db.scalar(select(IdentityRecord).where(IdentityRecord.unit_id == proposed.id,
                                                      IdentityRecord.position == 0))
    identity.birth_date_enc = identity.last_name_enc  # moved value: fails to decrypt
    db.commit()
    result = app.test_cli_runner().invoke(main, ["retention", "run"])
    assert "illisible" in result.output
    assert result.exit_code != 0  # the timer's run fails, so the operator sees it
    assert latest_case(db).state == "proposed"
    assert audit_bodies(db, "record.unreadable")[-1]["target"]["id"] == str(proposed.id)


def test_a_closed_case_is_read_only_with_a_reason_and_never_edited_r10(world, login_as, proposed, db):
    coordinator = login_as(world.coordinator)
    url = f"/situations/{proposed.id}"
    post(coordinator, f"{url}/cloture", {"clo-reason": "moved_away", "clo-confirm": "y"}, token_from=url)
    assert coordinator.get(url).location == f"{url}/archive"
    page = coordinator.get(f"{url}/archive?motif=rights_request")
    assert page.status_code == 200 and "Ndiaye-Lefèvre" in page.text
    assert audit_bodies(db, "case.archive_read")[-1]["details"]["archive_reason"] == "rights_request"
    edit = post(coordinator, f"{url}/actions", {"act-action_type": "citizenship", "act-start_date": "2026-03-01",
                                                "act-outcome": "ongoing"}, token_from="/compte/mot-de-passe")
    assert edit.status_code == 403 and "R10" in edit.text


# --- search -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("role", "sees"), [("participant", True), ("coordinator", True), ("outsider", False)])
def test_search_finds_variants_only_on_ones_own_situations_and_audits_counts(world, login_as, proposed, db, role,
                                                                             sees):
    """Issue 12 item 2: a member not on the situation learns nothing, not even that it exists."""
    client = login_as(getattr(world, role))
    url = f"/groupes/{world.gov.group.id}/recherche"
    found = post(client, url, {"last_name": "ndiaye lefevre", "given_names": "INES", "birth_date": "2011-05-20"})
    none = post(client, url, {"last_name": "Ndiaye-Lefèvre", "given_names": "Inès", "birth_date": "2011-05-21"})
    assert (proposed.reference in found.text) is sees
    assert "Aucune des situations qui vous sont confiées ne correspond." in none.text
    if not sees:  # the same page as a search that matches no one
        assert found.text.split("<h2>Résultat</h2>")[1] == none.text.split("<h2>Résultat</h2>")[1]
    entry = audit_bodies(db, "case.searched")[-2]
    assert entry["details"] == {"count": "1" if sees else "0", "withheld": "0" if sees else "1"}
    assert "ndiaye" not in json.dumps(entry).lower()


@pytest.mark.parametrize(("born", "message"), [("2099-01-01", "ne peut pas être dans le futur"),
                                               ("1985-01-01", "antérieure à 1990")])
def test_search_with_an_impossible_birth_date_says_why_and_searches_nothing(world, login_as, db, born, message):
    client = login_as(world.coordinator)
    searched = len(audit_bodies(db, "case.searched"))
    response = post(client, f"/groupes/{world.gov.group.id}/recherche",
                    {"last_name": "Ndiaye", "given_names": "Inès", "birth_date": born})
    assert response.status_code == 400 and message in response.text
    assert 'value="Ndiaye"' in response.text and f'value="{born}"' in response.text  # kept for correction
    assert len(audit_bodies(db, "case.searched")) == searched


# --- sessions and minutes (R7, R14, R3) -----------------------------------------------------------

@pytest.fixture
def meeting(world, login_as, db):
    coordinator = login_as(world.coordinator)
    url = f"/groupes/{world.gov.group.id}/seances"
    assert post(coordinator, url, {"when": "2026-03-10T18:00"}).status_code == 302
    return coordinator, db.scalar(select(Meeting))


@pytest.mark.parametrize("minutes", ["Situation de Ndiaye-Lefèvre évoquée", "situation de NDIAYE LEFEVRE",
                                     "point sur ndiaye lefèvre", "le représentant M. Ndiaye était absent",
                                     "INES va mieux", "Fatou est venue"])
def test_minutes_naming_a_followed_person_are_refused(world, proposed, meeting, db, minutes):
    client, m = meeting
    url = f"/seances/{m.id}"
    response = post(client, f"{url}/compte-rendu", {"cr-minutes": minutes}, token_from=url)
    assert response.status_code == 400
    refusal = response.text.split('<p class="errors" role="alert">')[1].split("</p>")[0]
    assert "R14" in refusal and proposed.reference not in refusal  # the check must not become a name search
    db.expire_all()
    assert db.get(Meeting, m.id).minutes_enc is None
    assert audit_bodies(db, "meeting.minutes_refused")[-1]["rule"] == "R14"


# Issue 12 item 1. YOUNG: « Inès Awa Ndiaye-Lefèvre », born 2011-05-20.
@pytest.mark.parametrize(("minutes", "word"), [
    ("Point sur la jeune Lefèvre, à revoir", "lefevre"),   # one part of the compound surname
    ("Point sur la jeune LEFEVRE", "lefevre"),
    ("Awa va mieux", "awa"),                                # a second given name
    ("Née le 20/05/2011", "20 05 2011"),
    ("née le 20-05-11", "20 05 11"),
    ("née le 2011-05-20", "2011 05 20"),
    ("née le 20 mai 2011", "20 mai 2011"),
    ("née le 20.5.2011", "20 5 2011"),
])
def test_minutes_naming_part_of_a_name_or_the_birth_date_are_refused_and_say_which_word(
        world, proposed, meeting, db, minutes, word):
    client, m = meeting
    url = f"/seances/{m.id}"
    response = post(client, f"{url}/compte-rendu", {"cr-minutes": minutes}, token_from=url)
    assert response.status_code == 400
    refusal = response.text.split('<p class="errors" role="alert">')[1].split("</p>")[0]
    assert "R14" in refusal and f"« {word} »" in refusal
    db.expire_all()
    assert db.get(Meeting, m.id).minutes_enc is None
    assert audit_bodies(db, "meeting.minutes_refused")[-1]["rule"] == "R14"


@pytest.mark.parametrize("minutes", ["Trois situations examinées, dont S-2026-0001.", "Réunion de 20 h à 22 h",
                                     "Bilan mai 2011 à 2026", "La DE est absente ; le collège va mieux"])
def test_minutes_without_a_name_are_sealed_and_shown_again(world, proposed, meeting, db, minutes):
    client, m = meeting
    url = f"/seances/{m.id}"
    assert post(client, f"{url}/compte-rendu", {"cr-minutes": minutes}, token_from=url).status_code == 302
    db.expire_all()
    assert db.get(Meeting, m.id).minutes_enc is not None
    assert minutes.replace("'", "&#39;") in client.get(url).text


def test_minutes_naming_a_person_of_a_closed_situation_are_refused_without_quoting(world, login_as, proposed,
                                                                                   meeting, db):
    """Minutes are shown to every member: a closed situation's person is named there no more
    than an open one's; the refusal quotes nothing (a closed case is read with a reason, R10)."""
    coordinator = login_as(world.coordinator)
    url = f"/situations/{proposed.id}"
    post(coordinator, f"{url}/cloture", {"clo-reason": "moved_away", "clo-confirm": "y"}, token_from=url)
    client, m = meeting
    response = post(client, f"/seances/{m.id}/compte-rendu", {"cr-minutes": "Ndiaye"}, token_from=f"/seances/{m.id}")
    assert response.status_code == 400
    refusal = response.text.split('<p class="errors" role="alert">')[1].split("</p>")[0]
    assert "R14" in refusal and "situation close" in refusal and "ndiaye" not in refusal.lower()


def test_non_nominative_minutes_agenda_and_attendance_of_signed_members_only(world, proposed, meeting, db):
    client, m = meeting
    url = f"/seances/{m.id}"
    ok = post(client, f"{url}/compte-rendu", {"cr-minutes": "3 situations examinées, dont S-2026-0001."},
              token_from=url)
    assert ok.status_code == 302
    post(client, f"{url}/ordre-du-jour", {"ag-cases": str(proposed.id)}, token_from=url)
    assert proposed.reference in client.get(url).text
    page = client.get(url).text
    assert "case.unsigned" not in page and "case.excluded" not in page  # not offered (R3, R15)
    members = page.split('name="pr-members"')
    signed_id = members[1].split('value="')[1].split('"')[0]
    post(client, f"{url}/presences", {"pr-members": signed_id}, token_from=url)
    assert db.scalar(select(func.count()).select_from(Attendance)) == 1
    unsigned = db.scalar(select(Membership.id).where(Membership.person_id == world.unsigned.person.id))
    refused = post(client, f"{url}/presences", {"pr-members": str(unsigned)}, token_from=url)
    assert refused.status_code == 400 and "Choix inconnu." in refused.text
    assert db.scalar(select(func.count()).select_from(Attendance)) == 1


def test_only_the_coordinator_manages_sessions(world, login_as, meeting, db):
    _client, m = meeting
    member = login_as(world.participant)
    url = f"/groupes/{world.gov.group.id}/seances"
    scheduled = post(member, url, {"when": "2026-03-11T18:00"})
    assert scheduled.status_code == 403
    assert db.scalar(select(func.count()).select_from(Meeting)) == 1
    assert audit_bodies(db, "access.denied")[-1]["rule"] == "R4"
    assert member.get(f"/seances/{m.id}").status_code == 200
    response = post(member, f"/seances/{m.id}/compte-rendu", {"cr-minutes": "x"}, token_from=f"/seances/{m.id}")
    assert response.status_code == 403


# --- retention ----------------------------------------------------------------------------------

def _run(app, *args):
    return app.test_cli_runner().invoke(main, ["retention", "run", *args])


def _assert_shredded(db, case_id):
    db.expire_all()
    for model in (DataKeyRecord, IdentityRecord, IdentityToken):
        assert db.scalar(select(func.count()).select_from(model).where(model.unit_id == case_id)) == 0
    case = db.get(Case, case_id)
    assert case.state == "purged" and case.note_enc is None


def test_closed_case_is_purged_three_months_after_closing(app, world, login_as, proposed, db, clock):
    coordinator = login_as(world.coordinator)
    url = f"/situations/{proposed.id}"
    post(coordinator, f"{url}/cloture", {"clo-reason": "objectives_met", "clo-confirm": "y"}, token_from=url)
    assert "1 situation(s) archivée(s)" in _run(app).output  # archived at closing (delay 0)
    clock.advance(days=91)
    dry = _run(app, "--dry-run")
    assert "0 situation(s)" in dry.output
    clock.advance(days=1)
    dry = _run(app, "--dry-run")
    assert f"{proposed.reference} {proposed.id} : purge (closing_delay)" in dry.output and "Ndiaye" not in dry.output
    assert _run(app).exit_code == 0
    _assert_shredded(db, proposed.id)
    gone = login_as(world.coordinator).get(url)
    assert gone.status_code == 410 and "effacée" in gone.text
    assert audit_bodies(db, "case.purged")[-1]["details"]["reason"] == "closing_delay"


def test_hard_purge_on_the_25th_birthday_whatever_the_state(app, world, login_as, db, clock):
    client = login_as(world.participant)
    assert propose(client, world.gov, birth_date="2001-03-05").status_code == 302  # 24 on 2026-03-02
    case = latest_case(db)
    clock.advance(days=2)
    assert "0 situation(s)" in _run(app, "--dry-run").output
    clock.advance(days=1)
    assert "purge (age_limit)" in _run(app, "--dry-run").output
    _run(app)
    _assert_shredded(db, case.id)


# --- bad input ----------------------------------------------------------------------------------

@pytest.mark.parametrize("changes,message", [
    ({"birth_date": "2031-01-01"}, "dans le futur"),
    ({"birth_date": "1989-12-31"}, "antérieure à 1990"),
    ({"birth_date": "31/12/2010"}, "AAAA-MM-JJ"),
    ({"phone": "12345"}, "Numéro de téléphone invalide"),
    ({"rep1_phone": "06 11 22"}, "Numéro de téléphone invalide"),
    ({"email": "pas-une-adresse"}, "Adresse électronique invalide"),
    ({"purpose": "scoring"}, "Choix inconnu."),
    ({"exposure_factors": ["diagnostic"]}, "Choix inconnu."),
    ({"last_name": ""}, "Ce champ est obligatoire."),
])
def test_bad_input_is_refused_in_french_keeps_the_form_and_writes_nothing(world, login_as, db, changes, message):
    response = propose(login_as(world.participant), world.gov, **changes)
    assert response.status_code == 400 and message in response.text
    assert db.scalar(select(func.count()).select_from(Case)) == 0
    assert 'value="Inès Awa"' in response.text


def test_a_submission_id_of_another_proposer_reveals_nothing(world, login_as, proposed, db):
    client = login_as(world.outsider)
    url = f"/groupes/{world.gov.group.id}/situations/nouvelle"
    page = client.get(url).text
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post(url, data=form_data({**YOUNG, "submission_id": str(proposed.submission_id),
                                            "csrf_token": token}))
    assert response.status_code == 400 and proposed.reference not in response.text
    # A refusal of the whole form is shown once, atop the form (not also as a flash message).
    assert response.text.count("Formulaire déjà utilisé") == 1


def test_double_submission_creates_one_case(world, login_as, db):
    client = login_as(world.participant)
    url = f"/groupes/{world.gov.group.id}/situations/nouvelle"
    page = client.get(url).text
    submission = page.split('name="submission_id" type="hidden" value="')[1].split('"')[0]
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    data = form_data({**YOUNG, "submission_id": submission, "csrf_token": token})
    first, second = client.post(url, data=data), client.post(url, data=data)
    assert first.status_code == second.status_code == 302 and first.location == second.location
    assert db.scalar(select(func.count()).select_from(Case)) == 1


def test_the_raw_database_holds_no_identity_after_a_full_journey(committed_app, tmp_path):
    from apptest import encodings, raw_database_bytes

    app = committed_app
    client, case_page = coordinator_with_a_case(app, "journey.member")
    post(client, f"{case_page}/information", {"inf-who": "young_person", "inf-informed_on": "2026-03-01",
                                              "inf-means": "letter"}, token_from=case_page)
    post(client, f"{case_page}/actions", {"act-action_type": "citizenship", "act-start_date": "2026-03-01",
                                          "act-outcome": "ongoing"}, token_from=case_page)
    post(client, f"{case_page}/cloture", {"clo-reason": "other", "clo-confirm": "y"}, token_from=case_page)
    raw = raw_database_bytes(app, tmp_path)
    values = [YOUNG["last_name"], YOUNG["given_names"], "2011-05-20", YOUNG["address"], YOUNG["email"],
              "Fatou", "06 11 22 33 44"]
    assert [v for v in values for enc in encodings(v) if enc in raw] == []
    assert current_code  # the login helper computes codes from the same secret
