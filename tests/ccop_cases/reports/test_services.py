"""The three reports on the seeded group (tests/ccop_cases/reporttest.py), every cell
against the count worked out by hand from the seed, the purged situations included."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
import reporttest
from reporttest import NOW, Seed
from sqlalchemy import func, select

from ccop_cases.cases.models import Case, CaseState
from ccop_cases.reports import services
from ccop_cases.reports.model import Measure, Period, Report, Table
from ccop_cases.reports.models import ReportCounter
from ccop_cases.retention import services as retention

H1 = Period(date(2026, 1, 1), date(2026, 6, 30))
OUTCOMES = ("En cours", "Réalisée", "Interrompue", "Refusée par le jeune", "Indisponible")
CLOSING = ("Objectifs atteints", "Relais par les services de droit commun", "Refus de participer", "Déménagement",
           "Suivi exclusivement judiciaire", "Limite d'âge", "Proposition non retenue", "Autre")
PURPOSES = ("Prévention de la primo-délinquance (programme 1)", "Prévention de la récidive (programme 1)",
            "Tranquillité publique (programme 3)", "Demande judiciaire (exécution des peines, récidive)",
            "Violences intrafamiliales et aide aux victimes (programme 2, groupes thématiques)")
F1 = "FIPD-2026-01 — Chantiers éducatifs d’été"
F2 = "FIPD-2026-02 — Médiation sociale de quartier"
DUPLICATE = "Proposition en double rattachée à la situation existante (R9)"
ERASURE = "Effacement demandé par la personne et accordé (R12, art. 17)"
OBJECTION = "Opposition de la personne accueillie (R12, art. 21)"
FIPD_EXTRA = (("Association Horizons", "12\u202f500,00\u00a0€", "2026"),
              ("Régie de quartier", "4\u202f800,00\u00a0€", "2026"))


@pytest.fixture
def seeded(app, db, clock) -> Seed:
    return reporttest.seed(app, db, clock)


def table(report: Report, key: str) -> Table:
    return next(t for s in report.sections for t in s.tables if t.key == key)


def cells(t: Table) -> dict[str, dict[str, int]]:
    assert len(t.counts) == len(t.rows) and all(len(row) == len(t.columns) for row in t.counts)
    return {row: dict(zip(t.columns, counts, strict=True)) for row, counts in zip(t.rows, t.counts, strict=True)}


def measure(report: Report, label: str) -> Measure:
    return next(m for s in report.sections for m in s.measures if m.label == label)


def measures(report: Report) -> dict[str, tuple[float | None, str, int]]:
    return {m.label: (None if m.value is None else round(m.value, 4), m.unit, m.base)
            for s in report.sections for m in s.measures}


def test_fipd_report_of_the_council_counts_each_cell(app, seeded):
    report = services.fipd(seeded.work(app), seeded.council.id, H1)
    assert (report.kind, report.scope, report.period) == ("fipd", "CLSPD de Villefictive", H1)
    young = table(report, "fipd_young_people")
    # F1: c1, c2, c5 (purged: its counters), c9 (the other group); F2: c1, c3 (since 2025), c7.
    assert cells(young) == {F1: {"Jeunes concernés": 4}, F2: {"Jeunes concernés": 3}}
    assert (young.totals, young.chart, young.extra_columns, young.extra) == (
        False, "bars", ("Opérateur", "Montant accordé", "Année"), FIPD_EXTRA)
    # Started: F1 c1, c2, c5, c9; F2 c1, c7. Ended with an outcome: F1 c1, c5, c9; F2 c1, c3.
    assert cells(table(report, "fipd_actions")) == {
        F1: {"Actions commencées": 4, "Actions terminées": 3}, F2: {"Actions commencées": 2, "Actions terminées": 2}}
    outcomes = table(report, "fipd_outcomes")
    assert outcomes.columns == OUTCOMES and (outcomes.totals, outcomes.chart) == (True, "bars")
    assert cells(outcomes) == {F1: dict(zip(OUTCOMES, (1, 3, 0, 0, 0), strict=True)),
                               F2: dict(zip(OUTCOMES, (0, 2, 1, 0, 0), strict=True))}
    closing = table(report, "fipd_closing_reasons")
    assert closing.rows == CLOSING and closing.totals
    # Closed in the period with an action funded: c1, c5 objectives met; c3 handed over (1 April in Paris).
    assert [row[0] for row in closing.counts] == [2, 1, 0, 0, 0, 0, 0, 0]
    # Days from proposal to first funded action: c1 27, c2 28, c5 21, c7 14, c9 28 (c3's was in 2025).
    # Reviews due: c1 on 1 March (on time) and 30 April (late), c2 on 15 June (on time), c5 on 15 March (late).
    assert measures(report) == {
        "Délai moyen entre la proposition et la première action financée": (23.6, "jours", 5),
        "Réexamens tenus à la date prévue": (50.0, "%", 4)}


def test_fipd_report_of_one_group_leaves_the_other_groups_out(app, seeded):
    report = services.fipd(seeded.work(app), seeded.council.id, H1, seeded.group.id)
    assert report.scope == "CCOP des Tilleuls (CLSPD de Villefictive)"
    assert cells(table(report, "fipd_young_people")) == {F1: {"Jeunes concernés": 3}, F2: {"Jeunes concernés": 3}}
    assert cells(table(report, "fipd_actions")) == {
        F1: {"Actions commencées": 3, "Actions terminées": 2}, F2: {"Actions commencées": 2, "Actions terminées": 2}}
    assert cells(table(report, "fipd_outcomes")) == {F1: dict(zip(OUTCOMES, (1, 2, 0, 0, 0), strict=True)),
                                                     F2: dict(zip(OUTCOMES, (0, 2, 1, 0, 0), strict=True))}
    assert [row[0] for row in table(report, "fipd_closing_reasons").counts] == [2, 1, 0, 0, 0, 0, 0, 0]
    assert measures(report) == {
        "Délai moyen entre la proposition et la première action financée": (22.5, "jours", 4),
        "Réexamens tenus à la date prévue": (50.0, "%", 4)}


def test_fipd_report_cuts_months_at_paris_midnight(app, seeded):
    """c3 was closed at 22:30 UTC on 31 March: 1 April in Paris."""
    march = services.fipd(seeded.work(app), seeded.council.id, Period(date(2026, 3, 1), date(2026, 3, 31)))
    april = services.fipd(seeded.work(app), seeded.council.id, Period(date(2026, 4, 1), date(2026, 4, 30)))
    assert [row[0] for row in table(march, "fipd_closing_reasons").counts] == [0] * 8
    assert [row[0] for row in table(april, "fipd_closing_reasons").counts] == [1, 1, 0, 0, 0, 0, 0, 0]
    # In March, F2's young people had ended (c3, February) or not started (c1, April; c7, June).
    assert cells(table(march, "fipd_young_people")) == {F1: {"Jeunes concernés": 4}, F2: {"Jeunes concernés": 0}}
    assert cells(table(april, "fipd_young_people")) == {F1: {"Jeunes concernés": 2}, F2: {"Jeunes concernés": 1}}


def test_annual_report_counts_each_cell(app, seeded):
    report = services.annual(seeded.work(app), seeded.group.id, 2026)
    assert (report.kind, report.scope, report.period) == ("annual", "CCOP des Tilleuls (CLSPD de Villefictive)",
                                                          Period(date(2026, 1, 1), date(2026, 12, 31)))
    # m5's designation ended in 2025, m6 was excluded in 2025; m4, excluded in June, served.
    assert cells(table(report, "members")) == {"Mairie": {"Membres": 1}, "Police nationale": {"Membres": 1},
                                               "Éducation nationale": {"Membres": 2}}
    opened, closed = table(report, "cases_opened"), table(report, "cases_closed")
    assert (opened.rows, opened.totals, opened.chart, closed.rows, closed.totals) == (
        PURPOSES, True, "bars", PURPOSES, True)
    # Opened: c1, c2, c5 | c7, c12 | c4 (1 April in Paris), c6 (purged), c11. Closed: c1, c5 | c3 | c4.
    assert [row[0] for row in opened.counts] == [3, 2, 3, 0, 0]
    assert [row[0] for row in closed.counts] == [2, 1, 1, 0, 0]
    information = table(report, "information")
    assert cells(information) == {"Familles informées": {"Situations": 4},
                                  "Dérogations à l’information": {"Situations": 2}}
    assert not information.totals
    assert cells(table(report, "denials")) == {"R3 — charte en vigueur non signée": {"Refus": 1},
                                               "R4 — pas désigné pour cette situation": {"Refus": 2},
                                               "R15 — participation suspendue ou exclue": {"Refus": 1}}
    assert cells(table(report, "purges")) == {"Durée de conservation échue après la clôture (R10)": {"Situations": 1},
                                              "Vingt-cinq ans atteints (R19)": {"Situations": 1},
                                              DUPLICATE: {"Situations": 0}, ERASURE: {"Situations": 0},
                                              OBJECTION: {"Situations": 0}}
    # The seed holds no rights request: every cell of the register's tables is 0
    # (tests/ccop_cases/reports/test_rights_counts.py counts a known register).
    for key in ("rights_kinds", "rights_outcomes", "rights_refusals"):
        assert {row[0] for row in table(report, key).counts} == {0}
    # Signed by 31 December: m1 (6 days after the charter's adoption), m2 (10 days after
    # designation) of m1–m3. Sessions: 10 February, 2 present of 3; 14 April, 3 of 4.
    # Information: c1 after 7 days, c5 10, c7 4, c11 2.
    assert measures(report) == {
        "Membres en fonction ayant signé la charte en vigueur": (66.6667, "%", 3),
        "Délai moyen entre la désignation (ou l’adoption de la charte) et la signature": (8.0, "jours", 2),
        "Séances tenues": (2, "séances", 2),
        "Présents par séance (moyenne)": (2.5, "personnes", 2),
        "Taux de présence des membres en fonction": (71.4286, "%", 7),
        "Délai moyen entre la proposition et l’information de la famille": (5.75, "jours", 4),
        "Membres exclus dans l’année": (1, "membres", 1),
        "Demandes dont le délai a été prolongé de deux mois (art. 12(3))": (0, "demandes", 0)}
    notes = {s.title: s.note for s in report.sections}
    assert notes["Demandes d’exercice des droits (R12)"] == services.RIGHTS_NOTE


def test_objectives_report_counts_each_cell(app, seeded):
    report = services.objectives(seeded.work(app), seeded.group.id, 2026)
    assert (report.kind, report.period) == ("objectives", Period(date(2026, 1, 1), date(2026, 12, 31)))
    t = table(report, "objectives")
    assert not t.totals and t.columns == ("Réalisé",)
    p1, p3 = "Programme 1 — Jeunes exposés à la délinquance", "Programme 3 — Tranquillité publique"
    assert t.rows == tuple(f"Objectif d’essai {key}" for key in ("S1", "S2", "S3", "S5", "S4"))
    assert t.extra == (
        (p1, "Jeunes suivis pendant l’année", "30", ""),
        (p1, "Jeunes suivis ayant bénéficié d’une action du type indiqué : Chantier éducatif", "10", "80\u00a0%"),
        (p1, "Actions réalisées (tous types)", "20", ""),
        (p1, "Familles informées avant le début du suivi (R11)", "25", ""),
        (p3, "Situations clôturées pour le motif indiqué : Proposition non retenue", "5", ""))
    # S1: c1, c5 (purged) and c3 (linked to the 2025 objective of the same strategy objective).
    # S2: c2, c7 (educational worksites); S3: c1's sport (c1's mediation was interrupted);
    # S5: c11; S4: c4.
    assert [row[0] for row in t.counts] == [3, 2, 1, 1, 1]
    # S2's share: 2 of the 7 young people the group followed in 2026 (c1, c2, c3 until its
    # closing on 1 April, c5, c7, c11, c12), whatever their situation's objective: the achieved
    # count is always part of that base, so a share never exceeds 100 %.
    assert measures(report) == {"Objectif d’essai S2 : part des jeunes suivis": (28.5714, "%", 7)}


def _reports(app, s: Seed) -> list[Report]:
    work = s.work(app)
    return [services.fipd(work, s.council.id, H1), services.fipd(work, s.council.id, H1, s.group.id),
            services.fipd(work, s.council.id, Period(date(2026, 1, 1), date(2026, 12, 31))),
            services.annual(work, s.group.id, 2026), services.objectives(work, s.group.id, 2026)]


# The end of the retention period, and an erasure or objection granted on the person's request (R12).
@pytest.mark.parametrize("reason", ["closing_delay", "rights_erasure", "rights_objection"])
def test_a_report_reads_the_same_before_and_after_a_purge(app, db, clock, reason):
    s = reporttest.seed(app, db, clock, purge=False)
    before = _reports(app, s)
    retention.purge(s.work(app), s.cases["c5"], reason)
    db.commit()
    tombstone = db.get(type(s.cases["c5"]), s.cases["c5"].id)
    # The reports read the counters, not the tombstone: it keeps no purpose, date or reason of its story.
    assert (tombstone.state, tombstone.purpose, tombstone.closed_at, tombstone.closing_reason,
            tombstone.objective_id, tombstone.followed_at) == ("purged", "", None, None, None, None)
    assert _reports(app, s) == before


def test_builders_refuse_an_unknown_group_or_council_and_a_reversed_period(app, seeded):
    work, unknown = seeded.work(app), uuid.uuid4()
    with pytest.raises(LookupError):
        services.fipd(work, unknown, H1)
    with pytest.raises(LookupError):
        services.fipd(work, seeded.council.id, H1, seeded.far_group.id)  # a group of another council
    with pytest.raises(LookupError):
        services.annual(work, unknown, 2026)
    with pytest.raises(LookupError):
        services.objectives(work, unknown, 2026)
    with pytest.raises(ValueError, match="before"):
        services.fipd(work, seeded.council.id, Period(date(2026, 6, 1), date(2026, 1, 31)))
    with pytest.raises(ValueError, match="whole months"):
        services.fipd(work, seeded.council.id, Period(date(2026, 1, 2), date(2026, 1, 31)))


def test_report_of_the_other_council_counts_only_its_own(app, seeded):
    report = services.fipd(seeded.work(app), seeded.far_council.id, H1)
    assert cells(table(report, "fipd_young_people")) == {
        "FIPD-2026-99 — Action d’un autre conseil": {"Jeunes concernés": 1}}
    assert [row[0] for row in table(report, "fipd_closing_reasons").counts] == [1, 0, 0, 0, 0, 0, 0, 0]
    assert measure(report, "Réexamens tenus à la date prévue").base == 1


def test_money_is_written_the_french_way():
    assert services.money(1_250_000) == "12\u202f500,00\u00a0€"
    assert services.money(5) == "0,05\u00a0€"
    assert services.money(123_456_789) == "1\u202f234\u202f567,89\u00a0€"
    assert NOW.year == 2027


def test_a_proposal_merged_into_the_situation_it_duplicated_counts_only_as_a_purge(app, db, seeded):
    work = seeded.work(app)
    before = services.annual(work, seeded.group.id, 2027)
    counters = db.scalar(select(func.count()).select_from(ReportCounter))
    duplicate = Case(group_id=seeded.group.id, reference="S-2027-0001", submission_id=uuid.uuid4(),
                     state=CaseState.PROPOSED, purpose="first_offence_prevention", referral_origin="school",
                     school_situation="schooled", proposed_by=seeded.members["m1"].id, proposed_at=NOW)
    db.add(duplicate)
    db.flush()
    assert table(services.annual(work, seeded.group.id, 2027), "cases_opened").counts[0] == (1,)
    retention.purge(work, duplicate, "duplicate_merged")
    after = services.annual(work, seeded.group.id, 2027)
    assert db.scalar(select(func.count()).select_from(ReportCounter)) == counters
    assert table(after, "cases_opened") == table(before, "cases_opened")
    assert cells(table(after, "purges"))[DUPLICATE] == {"Situations": 1}
