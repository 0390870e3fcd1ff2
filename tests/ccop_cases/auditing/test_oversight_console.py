"""The DPO's console (issue 14): actors shown by name and function, read at display time;
outcomes and rules in French; filters by rule, by case reference and by person, each a table;
a forged filter is a French 400, never a 500; the trail keeps ids only."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from apptest import audit_bodies, current_code, make_account, post, setup_work
from sqlalchemy import event, select

from ccop_cases.accounts.models import Person
from ccop_cases.accounts.services import update_profile
from ccop_cases.auditing.catalogue import RULES
from ccop_cases.auditing.models import AuditEntry

PARTICIPANT = "Karim Benali (Délégué police-population, Police nationale)"
OUTSIDER = "Sophie Lemoine (Éducatrice spécialisée, Association de prévention)"
_ROW = re.compile(r"<tr>\s*<td>[^<]*</td><td>(\d+)</td>")  # the journal, then the entry's seq


@pytest.fixture
def trail(app, world, proposed, login_as, clock, db):
    """A proposed case read by its participant and probed by an outsider (R4) and an excluded
    member (R15); a DPO who just entered a code. Returns the DPO's client."""
    work = setup_work(app, db)
    for who, name, function in (("participant", "Karim Benali", "Délégué police-population, Police nationale"),
                                ("outsider", "Sophie Lemoine", "Éducatrice spécialisée, Association de prévention")):
        update_profile(work, db.get(Person, getattr(world, who).person.id), display_name=name, function=function)
    dpo = make_account(app, "dpo.console")
    db.get(Person, dpo.person.id).is_dpo = True
    db.commit()
    assert login_as(world.participant).get(f"/situations/{proposed.id}").status_code == 200
    assert login_as(world.outsider).get(f"/situations/{proposed.id}").status_code == 404  # R4, audited
    assert login_as(world.excluded).get(f"/groupes/{world.gov.group.id}/situations").status_code == 403  # R15
    client = login_as(dpo)
    assert post(client, "/compte/confirmer?suite=oversight.trail",
                {"code": current_code(dpo, clock)}).location == "/controle/"
    return client


def _shown(client, query: str) -> list[int]:
    response = client.get(f"/controle/?{query}")
    assert response.status_code == 200, response.text
    return [int(seq) for seq in _ROW.findall(response.text)]


def _entries(db, keep) -> list[int]:
    """The sequence numbers of the entries ``keep`` selects, newest first (as the console lists them)."""
    return [int(e["seq"]) for e in reversed(audit_bodies(db)) if keep(e)]


def test_actors_are_shown_by_name_and_function_and_outcomes_in_french(trail, world, proposed, db):
    page = trail.get("/controle/?regle=R4").text
    assert "Refusé — R4 : pas désigné pour cette situation" in page
    assert OUTSIDER in page and "Membre" in page
    assert f"<code>{world.outsider.person.id}</code>" in page  # the id stays beside the name
    everything = trail.get("/controle/").text
    assert PARTICIPANT in everything and "Réussi" in everything
    assert "Refusé — R15 : participation suspendue ou exclue" in everything
    assert "Tâche" in everything  # the set-up job: an actor that is no person, shown by its id


def test_the_names_are_never_written_to_the_trail(trail, proposed, db):
    for query in ("", "regle=R4", f"situation={proposed.reference}", "personne="):
        trail.get(f"/controle/?{query}")
    raw = b"".join(db.scalars(select(AuditEntry.body).where(AuditEntry.body.is_not(None))))
    for value in ("Karim", "Benali", "Sophie", "Lemoine", "police-population", proposed.reference):
        assert value.encode() not in raw and json.dumps(value).encode()[1:-1] not in raw, value


FILTERS = [  # name -> (query from the world, which entries it keeps)
    ("rule R4", lambda w, c: "regle=R4", lambda w, c, e: e["rule"] == "R4"),
    ("rule R15", lambda w, c: "regle=R15", lambda w, c, e: e["rule"] == "R15"),
    ("rule R11, none", lambda w, c: "regle=R11", lambda w, c, e: False),
    ("reference", lambda w, c: f"situation={c.reference}",
     lambda w, c, e: e["target"] == {"type": "case", "id": str(c.id)}),
    ("reference with spaces", lambda w, c: f"situation=+{c.reference}+",
     lambda w, c, e: e["target"] == {"type": "case", "id": str(c.id)}),
    ("reference of no case", lambda w, c: "situation=S-2099-9999", lambda w, c, e: False),
    ("person", lambda w, c: f"personne={w.participant.person.id}",
     lambda w, c, e: e["actor"]["id"] == str(w.participant.person.id)),
    ("person and rule", lambda w, c: f"personne={w.outsider.person.id}&regle=R4",
     lambda w, c, e: e["actor"]["id"] == str(w.outsider.person.id) and e["rule"] == "R4"),
    ("person, rule and reference", lambda w, c: f"personne={w.outsider.person.id}&regle=R4&situation={c.reference}",
     lambda w, c, e: e["actor"]["id"] == str(w.outsider.person.id) and e["rule"] == "R4"
     and e["target"]["id"] == str(c.id)),
    ("reference and action", lambda w, c: f"situation={c.reference}&action=case.viewed",
     lambda w, c, e: e["action"] == "case.viewed" and e["target"]["id"] == str(c.id)),
]


@pytest.mark.parametrize("name,query,keep", FILTERS, ids=[f[0] for f in FILTERS])
def test_each_filter_lists_exactly_its_entries(trail, world, proposed, db, name, query, keep):
    expected = _entries(db, lambda e: keep(world, proposed, e))
    shown = _shown(trail, query(world, proposed))
    assert shown == expected[:50]
    if name in ("rule R4", "reference", "person", "person and rule"):
        assert shown, "the world should hold such entries"


def test_a_reference_is_resolved_to_the_case_id_in_the_trail(trail, proposed, world, db):
    _shown(trail, f"situation={proposed.reference}&regle=R4&personne={world.outsider.person.id}")
    viewed = audit_bodies(db, "audit.viewed")[-1]
    assert viewed["details"]["case_filter"] == str(proposed.id)
    assert viewed["details"]["rule_filter"] == "R4"
    assert viewed["details"]["actor_filter"] == str(world.outsider.person.id)
    _shown(trail, "situation=S-2099-9999")
    assert audit_bodies(db, "audit.viewed")[-1]["details"]["case_filter"] == "matches:0"


def test_the_person_list_offers_every_account_by_name(trail, world):
    page = trail.get("/controle/").text
    select_html = page.split('<select id="personne"')[1].split("</select>")[0]
    assert f'<option value="{world.participant.person.id}">{PARTICIPANT}</option>' in select_html
    assert f'<option value="{world.outsider.person.id}">{OUTSIDER}</option>' in select_html
    assert select_html.split("<option", 2)[1] == ' value="">Toutes</option>'  # first: no person chosen
    rules = page.split('<select id="regle"')[1].split("</select>")[0]
    assert f'<option value="R4">R4 : {RULES["R4"]}</option>' in rules


FORGED = [  # query -> French message; a 400 page, never a 500
    ("regle=R99", "Règle inconnue"), ("regle=%25", "Règle inconnue"), ("regle=R4%27%20OR%201%3D1", "Règle inconnue"),
    ("personne=00000000-0000-0000-0000-000000000000", "Personne inconnue"),
    ("personne=%27%20OR%201%3D1--", "Personne inconnue"), ("personne=demo.police", "Personne inconnue"),
    ("situation=S-2026-0001%27%20OR%20%271%27%3D%271", "Une référence de situation s’écrit comme S-2026-0042."),
    ("situation=%25", "Une référence de situation"), ("situation=" + "S" * 17, "Une référence de situation"),
    ("action=case.teleported", "Action inconnue."), ("du=2026-13-45", "Date attendue au format AAAA-MM-JJ."),
]


@pytest.mark.parametrize("query,message", FORGED)
def test_a_forged_filter_is_a_french_400(trail, query, message):
    response = trail.get(f"/controle/?{query}")
    assert response.status_code == 400 and message in response.text
    assert _ROW.findall(response.text) == []


def test_names_are_read_in_one_query_whatever_the_number_of_actors(app, trail, world, db):
    """The labels of a page's actors come from one query, not one per entry or per actor."""
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args):
        if re.search(r"FROM person\b", statement) and " IN " in statement.upper():
            statements.append(statement)

    engine = app.extensions["ccop"].database.engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        one = len(_shown(trail, f"personne={world.participant.person.id}"))
        one_actor = len(statements)
        statements.clear()
        many = _shown(trail, "")
        several_actors = len(statements)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert one and len(many) > one
    assert one_actor == several_actors == 1


def test_a_reference_held_by_situations_of_several_groups_says_so(trail, proposed, world, db, app):
    """References are numbered per group: the DPO is told which groups the entries mix."""
    from ccop_cases.cases.models import Case
    from ccop_cases.charter import services as charter

    other = charter.create_group(setup_work(app, db), world.gov.council, name="Groupe thématique transports",
                                 legal_basis="L132-5", vocation="thematic", perimeter="", theme="Transports",
                                 is_ccop=False, territory_label="other")
    db.add(Case(group_id=other.id, reference=proposed.reference, submission_id=uuid.uuid4(), purpose="other",
                referral_origin="school", school_situation="schooled", proposed_by=proposed.proposed_by,
                proposed_at=proposed.proposed_at))
    db.commit()
    page = trail.get(f"/controle/?situation={proposed.reference}").text
    assert "désigne 2 situations" in page and "Groupe thématique transports" in page
    assert world.gov.group.name in page
    assert "désigne" not in trail.get("/controle/?regle=R4").text
