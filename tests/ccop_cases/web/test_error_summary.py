"""The error summary atop a refused form (RGAA 11.10): each error a link to its field, the
form's own errors included once, on every form page through the layout."""

from __future__ import annotations

import re

from apptest import post
from casetest import YOUNG, propose

SUMMARY = re.compile(r'<div class="error-summary" id="erreurs" tabindex="-1" data-error-summary>(.*?)</div>\s*</div>',
                     re.S)
# The empty form as a browser sends it: every text and the date empty (a list keeps its first option).
EMPTY = {name: "" for name in YOUNG if name not in ("sex", "school_situation", "purpose", "referral_origin",
                                                    "exposure_factors", "inside_perimeter")}


def _summary(html: str) -> str:
    found = SUMMARY.findall(html)
    assert len(found) == 1, "one error summary on the page"
    return found[0]


def _links(summary: str) -> list[tuple[str, str]]:
    return re.findall(r'<a href="#([\w-]+)">([^<]+)</a>', summary)


def test_the_empty_proposal_lists_each_required_field_as_a_link_to_it(world, login_as):
    response = propose(login_as(world.participant), world.gov, **EMPTY)
    assert response.status_code == 400
    html = response.text
    assert "<title>Erreur — Proposer une situation — CCOP</title>" in html
    summary = _summary(html)
    assert "Le formulaire contient 3 erreurs" in summary
    assert _links(summary) == [("last_name", "Le jeune — Nom : Ce champ est obligatoire."),
                               ("given_names", "Le jeune — Prénoms : Ce champ est obligatoire."),
                               ("birth_date", "Le jeune — Date de naissance : Ce champ est obligatoire.")]
    for field_id, _message in _links(summary):  # each link's target is on the page, marked invalid
        assert re.search(rf'<input[^>]*aria-describedby="{field_id}-errors"[^>]*aria-invalid="true"'
                         rf'[^>]*id="{field_id}"', html), field_id
    # The summary comes before the form, the page's heading first of what the view shows.
    assert html.index('id="erreurs"') < html.index("<h1>") < html.index("<form method=\"post\" class=\"card")


def test_an_empty_required_date_says_the_field_is_required_not_a_format(world, login_as):
    html = propose(login_as(world.participant), world.gov, birth_date="").text
    assert "Ce champ est obligatoire." in html
    assert "Not a valid date" not in html and "AAAA-MM-JJ" not in _summary(html)


def test_a_field_of_a_section_is_named_with_its_legend_and_a_box_list_links_to_its_first_box(world, login_as):
    html = propose(login_as(world.participant), world.gov, rep1_phone="06 11", phone="12",
                   exposure_factors=["diagnostic"]).text
    links = dict(_links(_summary(html)))
    assert links["rep1_phone"].startswith("Représentant légal 1 — Téléphone : Numéro de téléphone invalide")
    assert links["phone"].startswith("Coordonnées du jeune — Téléphone : Numéro de téléphone invalide")
    assert links["exposure_factors-0"] == ("La situation — Facteurs d’exposition (des faits, jamais des "
                                           "diagnostics) : Choix inconnu.")
    assert 'id="exposure_factors-0"' in html


def test_a_refusal_of_the_whole_form_is_in_the_summary_once_without_a_link(world, login_as, proposed):
    client = login_as(world.outsider)
    url = f"/groupes/{world.gov.group.id}/situations/nouvelle"
    page = client.get(url).text
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    from casetest import form_data
    response = client.post(url, data=form_data({**YOUNG, "submission_id": str(proposed.submission_id),
                                                "csrf_token": token}))
    summary = _summary(response.text)
    assert "Formulaire déjà utilisé" in summary and _links(summary) == []
    assert response.text.count("Formulaire déjà utilisé") == 1


def test_a_page_without_errors_has_no_summary(world, login_as):
    html = login_as(world.participant).get(f"/groupes/{world.gov.group.id}/situations/nouvelle").text
    assert "error-summary" not in html and "<title>Proposer une situation — CCOP</title>" in html


def test_the_summary_is_on_every_form_page_through_the_layout(client):
    response = post(client, "/connexion", {"username": "", "password": ""})
    assert response.status_code == 400
    assert _links(_summary(response.text)) == [("username", "Identifiant : Ce champ est obligatoire."),
                                               ("password", "Mot de passe : Ce champ est obligatoire.")]


def test_the_proposal_form_shows_its_sections_required_first(world, login_as):
    html = login_as(world.participant).get(f"/groupes/{world.gov.group.id}/situations/nouvelle").text
    legends = re.findall(r"<fieldset><legend>([^<]+)</legend>", html)
    assert legends[:2] == ["Le jeune (obligatoire)", "La situation (obligatoire)"]
    assert legends[-1] == "Point d’attention (facultatif)"
    assert html.index('id="birth_date"') < html.index('id="school_situation"') < html.index('id="address"')
