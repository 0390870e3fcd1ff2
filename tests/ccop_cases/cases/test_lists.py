"""The case lists: each sort key and each filter over a seeded group (todotest), what a member
sees of them, pagination that keeps them, and forged codes answered by a French 400."""

from __future__ import annotations

import re
import uuid
from html import unescape

import pytest
from todotest import NAMES, seeded_group

from ccop_cases.cases import services

REF = re.compile(r'<a href="/situations/[0-9a-f-]{36}">(S-\d{4}-\d{4})</a>')
R = {name: f"S-2026-{i:04d}" for i, name in enumerate(NAMES, 1)}  # the clock's year: 2026


@pytest.fixture
def seeded(app):
    return seeded_group(app)


def _refs(text: str) -> list[str]:
    return REF.findall(text)


def _names(*names: str) -> list[str]:
    return [R[n] for n in names]


BY_CHANGE = ("future", "duplicate", "closed", "expired", "derogation", "overdue", "information")
COORDINATOR_TABLE = {  # query string -> the references listed, in order
    "": BY_CHANGE,  # the default: the last change first
    "tri=modification": BY_CHANGE,
    "tri=reference": NAMES,
    "tri=etat": ("information", "derogation", "duplicate", "overdue", "future", "expired", "closed"),
    # A closed situation keeps its review date in its row, but sorts (and shows) as having none.
    "tri=reexamen": ("overdue", "expired", "future", "information", "derogation", "closed", "duplicate"),
    "tri=reference&etat=followed": ("overdue", "future", "expired"),
    "tri=reference&etat=closed": ("closed",),
    "tri=reference&etat=purged": (),
    "tri=reference&retard=1": ("overdue", "expired"),
    "tri=reference&retard=0": NAMES,
    "tri=reference&finalite=recidivism_prevention": ("future",),
    "tri=reference&finalite=public_tranquillity": ("overdue", "expired", "closed", "duplicate"),
    "tri=reference&participant={other}": ("future", "expired", "duplicate"),
    "tri=reference&participant={member}": ("information", "overdue", "future", "derogation", "closed"),
    "tri=reference&origine=gendarmerie": ("future",),
    "tri=reference&origine=school": ("information", "derogation", "closed", "duplicate"),
    "tri=reference&fipd=1": ("overdue",),
    "tri=reference&fipd=0": NAMES,
    "tri=reference&a_traiter=action": ("overdue",),
    "tri=reference&a_traiter=reexamen": ("overdue", "expired"),  # due today or before, open only
    "tri=reference&a_traiter=information": ("information", "derogation", "duplicate"),
    "tri=reference&a_traiter=derogation": ("derogation",),
    "tri=reference&a_traiter=derogation_echue": ("expired",),
    "tri=reference&a_traiter=doublon": ("duplicate",),
    "tri=reexamen&etat=proposed&origine=school": ("information", "derogation", "duplicate"),
    "tri=&etat=&retard=&finalite=&participant=&origine=&fipd=&a_traiter=": BY_CHANGE,  # the empty form
}
MEMBER_TABLE = {  # the member sees the situations they are named on, and no coordination filter
    "": ("future", "closed", "derogation", "overdue", "information"),
    "tri=reference": ("information", "overdue", "future", "derogation", "closed"),
    "tri=etat": ("information", "derogation", "overdue", "future", "closed"),
    "tri=reexamen": ("overdue", "future", "information", "derogation", "closed"),
    "retard=1": ("overdue",),
    "fipd=1": ("overdue",),
    "origine=gendarmerie": ("future",),
    "finalite=first_offence_prevention&tri=reference": ("information", "derogation"),
    "a_traiter=action": ("overdue",),
    "a_traiter=information&tri=reference": ("information", "derogation"),
}


def _get(login_as, seeded, who, query):
    url = f"/groupes/{seeded.group_id}/situations?" + query.format(
        **{k: str(v) for k, v in seeded.memberships.items()})
    return login_as(seeded.accounts[who]).get(url)


@pytest.mark.parametrize(("query", "expected"), COORDINATOR_TABLE.items(), ids=lambda v: str(v) or "default")
def test_the_coordonnateur_sorts_and_filters_every_situation_of_the_group(login_as, seeded, query, expected):
    response = _get(login_as, seeded, "coordinator", query)
    assert response.status_code == 200, response.text
    assert _refs(response.text) == _names(*expected)


@pytest.mark.parametrize(("query", "expected"), MEMBER_TABLE.items(), ids=lambda v: str(v) or "default")
def test_a_member_sorts_and_filters_only_the_situations_they_are_named_on(login_as, seeded, query, expected):
    response = _get(login_as, seeded, "member", query)
    assert response.status_code == 200, response.text
    assert _refs(response.text) == _names(*expected)


def test_each_count_is_the_length_of_the_list_it_opens(app, db, seeded, clock):
    """The home's counts and the lists use the same conditions (services.count, services.listing)."""
    today = clock().date()
    for query, expected in COORDINATOR_TABLE.items():
        args = dict(pair.split("=") for pair in query.split("&") if pair and not pair.endswith("="))
        filters = services.Filters(
            state=args.get("etat", ""), overdue=args.get("retard") == "1", purpose=args.get("finalite", ""),
            participant=seeded.memberships[args["participant"][1:-1]] if "participant" in args else None,
            origin=args.get("origine", ""), fipd=args.get("fipd") == "1", to_do=args.get("a_traiter", ""))
        assert services.count(db, seeded.group_id, None, filters, today) == len(expected), query
        rows, _ = services.listing(db, seeded.group_id, None, filters, sort=args.get("tri") or "modification",
                                   page=1, today=today)
        assert [r.reference for r in rows] == _names(*expected), query


def test_a_closed_situation_shows_no_next_review_and_an_open_one_shows_its_delay(login_as, seeded):
    text = _get(login_as, seeded, "coordinator", "tri=reference").text
    rows = {ref: row for row in re.findall(r"<tr>(.*?)</tr>", text, re.S) for ref in _refs(row)}
    closed = re.findall(r"<td>(.*?)</td>", rows[R["closed"]], re.S)
    assert closed[1] == "Clôturée" and closed[-1] == "—"  # its review date stays in the row, unshown
    overdue = re.findall(r"<td>(.*?)</td>", rows[R["overdue"]], re.S)
    assert overdue[-1].startswith("25/02/2026") and "en retard" in overdue[-1]
    future = re.findall(r"<td>(.*?)</td>", rows[R["future"]], re.S)
    assert future[-1] == "12/03/2026"


def test_the_participant_filter_offers_the_members_by_name_and_puts_only_ids_in_the_url(login_as, seeded):
    text = _get(login_as, seeded, "coordinator", "").text
    options = {k: unescape(v) for k, v in re.findall(r'<option value="([0-9a-f-]{36})" >([^<]*)</option>', text)}
    label = "(Conseiller principal d'éducation, Éducation nationale) — Éducation nationale"
    assert options == {str(seeded.memberships[k]): f"liste.{k} {label}"
                       for k in ("coordinator", "ending", "member", "other", "unsigned")}
    member_page = _get(login_as, seeded, "member", "").text
    assert 'id="participant"' not in member_page and "doublon" not in member_page.lower()


def test_pagination_keeps_the_sort_and_the_filters(login_as, seeded, monkeypatch):
    monkeypatch.setattr(services, "PAGE_SIZE", 2)
    client = login_as(seeded.accounts["coordinator"])
    first = client.get(f"/groupes/{seeded.group_id}/situations?tri=reference&finalite=public_tranquillity")
    assert _refs(first.text) == _names("overdue", "expired")
    following = unescape(re.search(r'<a href="([^"]+)" rel="next">', first.text).group(1))
    assert following.startswith(f"/groupes/{seeded.group_id}/situations?")
    assert sorted(following.split("?")[1].split("&")) == ["finalite=public_tranquillity", "page=2", "tri=reference"]
    assert _refs(client.get(following).text) == _names("closed", "duplicate")


FORGED = [  # (who, query): each a code, flag or id the list does not offer to this person
    ("coordinator", "tri=nom"), ("coordinator", "tri=REFERENCE"), ("coordinator", "tri=reference&tri=etat"),
    ("coordinator", "etat=ouvert"), ("coordinator", "etat=Proposed"), ("coordinator", "etat=proposed&etat=closed"),
    ("coordinator", "retard=oui"), ("coordinator", "retard=2"), ("coordinator", "retard=true"),
    ("coordinator", "fipd=yes"), ("coordinator", "finalite=diagnostic"), ("coordinator", "origine=voisinage"),
    ("coordinator", "participant=abc"), ("coordinator", "participant=1"),
    ("coordinator", "participant={random}"), ("coordinator", "participant={elsewhere}"),
    ("coordinator", "participant={member_upper}"), ("coordinator", "a_traiter=tout"),
    ("member", "a_traiter=doublon"), ("member", "a_traiter=derogation"), ("member", "a_traiter=derogation_echue"),
    ("member", "participant={member}"), ("member", "tri=nom"), ("member", "retard=oui"),
]


@pytest.mark.parametrize(("who", "query"), FORGED, ids=lambda v: str(v))
def test_a_forged_sort_or_filter_is_a_french_400(login_as, seeded, who, query):
    values = {"random": str(uuid.uuid4()), "elsewhere": str(seeded.elsewhere),
              "member": str(seeded.memberships["member"]), "member_upper": str(seeded.memberships["member"]).upper()}
    url = f"/groupes/{seeded.group_id}/situations?" + query.format(**values)
    response = login_as(seeded.accounts[who]).get(url)
    assert response.status_code == 400
    name = query.split("=")[0]
    assert f"Tri ou filtre invalide (« {name} ») : choisissez une valeur proposée" in unescape(response.text)
    assert "<h1>Requête invalide</h1>" in response.text and '<html lang="fr">' in response.text


def test_the_list_form_offers_every_sort_and_filter(login_as, seeded):
    text = _get(login_as, seeded, "coordinator", "").text
    for name in ("tri", "etat", "a_traiter", "finalite", "origine", "participant", "retard", "fipd"):
        assert f'name="{name}"' in text and f'for="{name}"' in text
