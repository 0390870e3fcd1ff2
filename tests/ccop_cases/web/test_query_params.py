"""Item 9 of issue 12: numeric query parameters are checked at the edge (a French 400, never a
database error), and an unexpected error logs the application's own frames."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

import pytest
from apptest import current_code, make_account, make_governance, post
from sqlalchemy import select

from ccop_cases.accounts.models import Person
from ccop_cases.cases import services as case_services
from ccop_cases.cases.models import Case

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def clients(app, login_as, clock):
    """A signed coordonnateur (the case list), a DPO who just entered a code (the trail) and the
    charter administrator presiding the council (its FIPD actions)."""
    admin = make_account(app, "admin.pages")
    gov = make_governance(app, admin=admin)
    coordinator = make_account(app, "coord.pages")
    gov.sign_all(gov.designate(coordinator, role="coordonnateur"))
    dpo = make_account(app, "dpo.pages")
    session = app.extensions["ccop"].database.session()
    session.get(Person, dpo.person.id).is_dpo = True
    session.get(Person, admin.person.id).is_charter_admin = True
    session.commit()
    dpo_client = login_as(dpo)
    assert post(dpo_client, "/compte/confirmer?suite=oversight.trail",
                {"code": current_code(dpo, clock)}).location == "/controle/"
    return {"cases": (login_as(coordinator), f"/groupes/{gov.group.id}/situations?etat=&page="),
            "trail": (dpo_client, "/controle/?page="),
            "fipd": (login_as(admin), f"/administration/conseils/{gov.council.id}/fipd?page="),
            "rights": (dpo_client, "/droits/?etat=&page="),
            "group_rights": (login_as(coordinator), f"/droits/groupes/{gov.group.id}?page=")}


PAGINATED = ("cases", "trail", "fipd", "rights", "group_rights")  # every view that reads ?page (see the test below)
BAD_PAGES = ["99999999999999999999", "9" * 400, "100001", "0", "-1", "-99999999999999999999", "abc", "1.5",
             "1e3", "+2", " 2", "0x10", "", "\u0661", "\uff12"]  # Arabic-Indic 1, full-width 2: int() takes them


@pytest.mark.parametrize("value", BAD_PAGES)
@pytest.mark.parametrize("route", PAGINATED)
def test_a_bad_page_number_is_a_french_400_never_a_500(clients, route, value):
    client, url = clients[route]
    response = client.get(url + quote(value))  # as a browser sends it
    assert response.status_code == 400
    assert "Numéro de page invalide : indiquez un nombre entier de 1 à 100 000" in response.text


@pytest.mark.parametrize("value", ["1", "2", "007", "100000"])
@pytest.mark.parametrize("route", PAGINATED)
def test_a_page_number_past_the_last_page_shows_the_last_one(clients, route, value):
    client, url = clients[route]
    response = client.get(url + value)
    assert response.status_code == 200
    assert "Numéro de page invalide" not in response.text


def test_no_view_reads_the_page_parameter_but_the_one_helper():
    """A new paginated list must use ``page_number`` (and join the table above)."""
    readers = [str(path.relative_to(ROOT)) for path in (ROOT / "ccop_cases").rglob("*.py")
               if re.search(r"""args\.get\(\s*["']page["']""", path.read_text())]
    assert readers == ["ccop_cases/security/inputs.py"]
    callers = sorted(str(path.relative_to(ROOT)) for path in (ROOT / "ccop_cases").rglob("*.py")
                     if "page_number()" in path.read_text() and path.name != "inputs.py")
    assert callers == ["ccop_cases/cases/views.py", "ccop_cases/oversight/views.py",
                       "ccop_cases/plans/views.py", "ccop_cases/rights/views.py"]  # PAGINATED


def test_an_unexpected_error_logs_the_application_frames_and_no_value(clients, monkeypatch, capsys):
    def listing(db, *_args, **_kwargs):
        # An error raised deep inside the database libraries, far below the view.
        return db.scalars(select(Case).where(Case.reference == "Ndiaye-Lefèvre").offset(10 ** 20)).all()

    monkeypatch.setattr(case_services, "listing", listing)
    client, url = clients["cases"]
    capsys.readouterr()
    response = client.get(url + "1")
    assert response.status_code == 500 and "Une erreur est survenue" in response.text
    log = next(line for line in capsys.readouterr().err.splitlines() if "unhandled_error" in line)
    assert "ccop_cases/cases/views.py:" in log and ":listing" in log  # the app's own frame
    assert re.search(r"raised_at=\S*(sqlalchemy|sqlite3|psycopg)", log), log  # where it broke
    assert "Ndiaye" not in log and "int too large" not in log and "10000000" not in log
