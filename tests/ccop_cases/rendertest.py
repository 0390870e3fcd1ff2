"""Helpers of the reports' page and file tests: two councils with their people, a fixed
report of known counts (cells of 1 to 4 included) to stand in for the builders, the tables
of a page read back from its HTML."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from html.parser import HTMLParser
from typing import Any

from apptest import Account, Governance, make_account, make_governance

from ccop_cases.accounts.models import Person
from ccop_cases.reports.model import Measure, Period, Report, Section, Table

# Counts of 1 to 4 (3, 2, 4, 1) among larger ones and zeros: what the secret hides.
BY_PURPOSE = Table("by_purpose", "Jeunes suivis par motif", "Motif", ("Prévention de la récidive",
                                                                       "Décrochage scolaire", "Exposition aux rixes"),
                   ("Filles", "Garçons"), ((12, 3), (0, 7), (25, 30)), chart="bars")
BY_ACTION = Table("by_action", "Actions financées : jeunes concernés", "Action", ("FIPD-2026-01", "FIPD-2026-02",
                                                                                  "FIPD-2026-03"),
                  ("Jeunes concernés",), ((8,), (2,), (0,)), totals=False, chart="bars",
                  extra_columns=("Opérateur", "Montant accordé"),
                  extra=(("Association Relais", "12 000 €"), ("Régie de quartier", "8 500 €"),
                         ("Club de prévention", "4 000 €")))
OUTCOMES = Table("outcomes", "Résultats des actions", "Type d’action", ("Remobilisation", "Sport"),
                 ("Réussie", "Abandonnée", "En cours"), ((9, 4, 6), (1, 0, 11)))
EMPTY = Table("refusals", "Refus d’accès par règle", "Règle", (), ("Refus",), (), chart="bars")  # no row at all
MEASURES = (Measure("Délai moyen de la proposition à la première action", 12.5, "jours", 14),
            Measure("Délai moyen de réexamen", 3.0, "jours", 3))
SMALL_COUNTS = (1, 2, 3, 4)


def fixed_report(kind: str, scope: str, period: Period) -> Report:
    return Report(kind, scope, period, (
        Section("Jeunes suivis", (BY_PURPOSE, OUTCOMES), MEASURES, note="Chaque jeune est compté une fois."),
        Section("Actions financées par le FIPD", (BY_ACTION, EMPTY)),
    ))


@dataclass
class Calls:
    """What the stand-in builders were asked: (kind, council or group id, period or year, group id)."""

    made: list[tuple[Any, ...]]


def stand_in_builders(monkeypatch: Any) -> Calls:
    """Replace the three builders by the fixed report, recording each call."""
    from ccop_cases.reports import services
    calls = Calls([])

    def fipd(_work: Any, council_id: Any, period: Period, group_id: Any = None) -> Report:
        calls.made.append(("fipd", council_id, period, group_id))
        return fixed_report("fipd", "Conseil CLSPD de Villefictive", period)

    def by_year(kind: str) -> Any:
        def build(_work: Any, group_id: Any, year: int) -> Report:
            calls.made.append((kind, group_id, year, group_id))
            return fixed_report(kind, "Groupe CCOP Quartier des Tilleuls", Period(date(year, 1, 1),
                                                                                 date(year, 12, 31)))
        return build

    monkeypatch.setattr(services, "fipd", fipd, raising=False)
    monkeypatch.setattr(services, "annual", by_year("annual"), raising=False)
    monkeypatch.setattr(services, "objectives", by_year("objectives"), raising=False)
    return calls


@dataclass
class ReportWorld:
    gov: Governance  # the council the administrator presides, its group
    other: Governance  # another council, presided by another administrator
    admin: Account
    other_admin: Account
    coordinator: Account
    member: Account
    other_coordinator: Account
    dpo: Account


def _flag(app: Any, account: Account, flag: str) -> None:
    session = app.extensions["ccop"].database.session()
    setattr(session.get_one(Person, account.person.id), flag, True)
    session.commit()
    session.close()


def report_world(app: Any) -> ReportWorld:
    admin, other_admin = make_account(app, "rapport.admin"), make_account(app, "rapport.admin2")
    for account in (admin, other_admin):
        _flag(app, account, "is_charter_admin")
    gov, other = make_governance(app, admin=admin), make_governance(app, admin=other_admin)
    coordinator, member = make_account(app, "rapport.coord"), make_account(app, "rapport.membre")
    other_coordinator, dpo = make_account(app, "rapport.coord2"), make_account(app, "rapport.dpo")
    _flag(app, dpo, "is_dpo")
    gov.sign_all(gov.designate(coordinator, role="coordonnateur"))
    gov.sign_all(gov.designate(member))
    other.sign_all(other.designate(other_coordinator, role="coordonnateur"))
    return ReportWorld(gov, other, admin, other_admin, coordinator, member, other_coordinator, dpo)


class _Tables(HTMLParser):
    """Each table of a page: its caption, then its rows of cell texts (headers included)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._caption: list[str] | None = None
        self._rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag == "table":
            self._rows = []
        elif tag == "caption":
            self._caption = []
        elif tag == "tr":
            self._rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "caption" and self._caption is not None:
            self.tables[" ".join("".join(self._caption).split())] = self._rows
            self._caption = None
        elif tag in ("td", "th") and self._cell is not None:
            self._rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        for part in (self._caption, self._cell):
            if part is not None:
                part.append(data)


def page_tables(html: str) -> dict[str, list[list[str]]]:
    """The tables of a page by caption, cells as text (entities decoded)."""
    parser = _Tables()
    parser.feed(html)
    return parser.tables


def chart_sources(html: str) -> list[str]:
    return re.findall(r'<img src="([^"]+\.svg[^"]*)"', html.replace("&amp;", "&"))
