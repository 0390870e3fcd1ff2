"""Free texts (session minutes, reasons of a member's status, the case note) are sealed at
rest, and minutes that name a person followed in the group are refused, saying which word
matched (R14) — issue 12, item 1."""

from __future__ import annotations

from datetime import date

from apptest import encodings, login, make_account, make_governance, post, raw_database_bytes, setup_work
from casetest import propose
from sqlalchemy import select

from ccop_cases.charter import services as charter
from ccop_cases.charter.models import Membership
from ccop_cases.identities.services import Identity
from ccop_cases.meetings.services import date_forms, person_words


def test_person_words_cover_compound_names_given_names_and_skip_particles():
    person = Identity("de La Fontaine-Ba", "Jean-Pierre Li", date(2010, 3, 1))
    words = person_words(person)
    assert {"de la fontaine ba", "fontaine", "jean", "pierre", "li", "1er 03 2010", "2010 03 01"} <= words
    assert not {"de", "la", "ba"} & words  # particles and two-letter parts of a surname alone match too much


def test_date_forms_are_the_usual_french_and_iso_writings():
    forms = date_forms(date(2012, 2, 3))
    assert {"03 02 2012", "3 2 2012", "03 02 12", "2012 02 03", "3 fevrier 2012", "03 fevrier 2012"} <= forms
    assert "02 03 2012" not in forms  # never the month first


def test_a_members_status_reason_is_sealed_and_shown_to_the_administrator(app, db):
    gov = make_governance(app)
    member = gov.designate(make_account(app, "reason.member"))
    rt = app.extensions["ccop"]
    charter.suspend_member(setup_work(app, gov.session), member, "Motif Zéphyrine")
    gov.session.commit()
    stored = db.scalar(select(Membership).where(Membership.id == member.id))
    assert stored.status_reason_enc is not None and b"Zephyrine" not in stored.status_reason_enc
    assert charter.status_reason(db, rt.keys, stored) == "Motif Zéphyrine"


def test_the_raw_database_holds_no_free_text_naming_a_person(committed_app, tmp_path):
    """Issue 12 item 1, Done means: minutes, note and reasons naming a seeded person leave no
    clear text in the SQLite files or in pg_dump."""
    app = committed_app
    rt = app.extensions["ccop"]
    gov = make_governance(app)
    coordinator = make_account(app, "raw.coordinator")
    gov.sign_all(gov.designate(coordinator, role="coordonnateur"))
    other = gov.designate(make_account(app, "raw.member"))
    client = app.test_client()
    login(client, coordinator, rt.clock)
    assert propose(client, gov, note="Vue avec Ndiaye-Lefèvre née le 20/05/2011",
                   note_attested="y").status_code == 302
    sessions = f"/groupes/{gov.group.id}/seances"
    meeting_page = post(client, sessions, {"when": "2026-03-10T18:00"}).location
    refused = post(client, f"{meeting_page}/compte-rendu", {"cr-minutes": "Point sur Lefèvre, née le 20/05/2011"},
                   token_from=meeting_page)
    assert refused.status_code == 400
    kept = post(client, f"{meeting_page}/compte-rendu", {"cr-minutes": "Salle Hortensia-Vermillon, 4 présents"},
                token_from=meeting_page)
    assert kept.status_code == 302
    charter.exclude_member(setup_work(app, gov.session), gov.session.get(Membership, other.id),
                           "A cité Inès Ndiaye-Lefèvre hors du groupe")
    gov.session.commit()
    raw = raw_database_bytes(app, tmp_path)
    values = ["Ndiaye-Lefèvre", "Lefèvre", "Lefevre", "Inès", "20/05/2011", "2011-05-20", "Hortensia-Vermillon",
              "A cité"]
    assert [v for v in values for enc in encodings(v) if enc in raw] == []
