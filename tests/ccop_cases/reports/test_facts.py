"""What one situation counts (``reports.facts``), how spans add up over a period
(``reports.tally``), and what the purge-time counters hold: codes and ids only."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime

import reporttest
from sqlalchemy import select

from ccop_cases.cases.lists import PURPOSES
from ccop_cases.cases.models import Case, CaseAction, CaseDecision, CaseState, InformationRecord
from ccop_cases.plans.models import MAINTAINED_LISTS
from ccop_cases.plans.services import labels
from ccop_cases.reports.facts import FIPD_INVOLVED, FOLLOWED, METRICS, Fact, facts, parse
from ccop_cases.reports.model import Period
from ccop_cases.reports.models import ReportCounter
from ccop_cases.reports.tally import Tally, summed
from ccop_cases.retention import services as retention

FIPD = uuid.uuid4()
TODAY = date(2027, 1, 15)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def a_case(**changes: object) -> Case:
    values = {"id": uuid.uuid4(), "purpose": "first_offence_prevention", "proposed_at": utc(2026, 1, 5, 10),
              "followed_at": None, "closed_at": None, "closing_reason": None, "objective_id": None, **changes}
    return Case(**values)


def an_action(start: date, end: date | None, outcome: str = "done", **changes: object) -> CaseAction:
    return CaseAction(action_type="educational_worksite", start_date=start, end_date=end, outcome=outcome,
                      fipd_action_id=FIPD, objective_id=None, recorded_at=utc(start.year, start.month, start.day),
                      **changes)


def a_decision(recorded: datetime, next_review: date | None) -> CaseDecision:
    return CaseDecision(decision="review", recorded_at=recorded, next_review=next_review)


def months(first: tuple[int, int], last: tuple[int, int]) -> Period:
    end = date(last[0] + last[1] // 12, last[1] % 12 + 1, 1)
    return Period(date(*first, 1), date.fromordinal(end.toordinal() - 1))


def tally_of(found: list[Fact]) -> Tally:
    return Tally(dict(summed(found)))


def test_an_event_late_on_the_last_day_of_a_month_counts_in_the_next_paris_month():
    # 23:30 UTC on 31 March is 1 April in Paris (summer time); 22:30 UTC on 31 October is
    # still 31 October (winter time, UTC+1).
    case = a_case(proposed_at=utc(2026, 3, 31, 23, 30), closed_at=utc(2026, 10, 31, 22, 30),
                  closing_reason="not_retained")
    found = {(f.metric, f.month) for f in facts(case, [], [], [], TODAY)}
    assert found == {("proposed", date(2026, 4, 1)), ("closed", date(2026, 10, 1))}


def test_a_young_person_counts_once_in_a_period_whatever_their_spans():
    """Two actions of one FIPD action, January–February and May–June: the person is in any
    period that meets either, once, and in none that falls in the gap."""
    case = a_case(followed_at=utc(2026, 1, 2))
    actions = [an_action(date(2026, 1, 10), date(2026, 2, 15)), an_action(date(2026, 5, 2), date(2026, 6, 20)),
               an_action(date(2026, 2, 1), date(2026, 2, 28))]  # overlaps the first: merged
    tally = tally_of(facts(case, actions, [], [], TODAY))
    expected = {((2026, 3), (2026, 4)): 0, ((2026, 1), (2026, 6)): 1, ((2026, 2), (2026, 5)): 1,
                ((2026, 1), (2026, 1)): 1, ((2026, 6), (2026, 12)): 1, ((2025, 1), (2025, 12)): 0,
                ((2026, 7), (2026, 12)): 0, ((2026, 2), (2026, 3)): 1, ((2026, 4), (2026, 5)): 1}
    assert {key: tally.spanning(FIPD_INVOLVED, months(*key), fipd=FIPD.hex) for key in expected} == expected
    # The three actions are three spans of the outcome table, each counted in its own months.
    assert tally.spanning("fipd_action_active", months((2026, 1), (2026, 6)), fipd=FIPD.hex) == 3
    assert tally.spanning("fipd_action_active", months((2026, 3), (2026, 4)), fipd=FIPD.hex) == 0


def test_three_spans_with_two_gaps_count_once_over_the_whole_year():
    case = a_case(followed_at=utc(2026, 1, 2))
    actions = [an_action(date(2026, m, 1), date(2026, m, 20)) for m in (1, 4, 9)]
    tally = tally_of(facts(case, actions, [], [], TODAY))
    periods = (((2026, 1), (2026, 12)), ((2026, 2), (2026, 3)), ((2026, 3), (2026, 9)), ((2026, 1), (2026, 4)))
    assert [tally.spanning(FIPD_INVOLVED, months(*p), fipd=FIPD.hex) for p in periods] == [1, 0, 1, 1]


def test_a_follow_up_going_on_stays_open_and_ends_on_the_day_of_the_purge():
    case = a_case(followed_at=utc(2026, 2, 10))
    live = tally_of(facts(case, [], [], [], TODAY))
    purged = tally_of(facts(case, [], [], [], date(2026, 5, 3), gone=date(2026, 5, 3)))
    later = months((2026, 6), (2026, 12))
    assert (live.spanning(FOLLOWED, later), purged.spanning(FOLLOWED, later)) == (1, 0)
    assert purged.spanning(FOLLOWED, months((2026, 5), (2026, 5))) == 1


def test_an_ongoing_action_without_an_end_runs_until_its_situation_closes():
    case = a_case(followed_at=utc(2026, 1, 2), closed_at=utc(2026, 3, 10))
    tally = tally_of(facts(case, [an_action(date(2026, 2, 1), None, "ongoing")], [], [], TODAY))
    assert tally.spanning(FIPD_INVOLVED, months((2026, 3), (2026, 3)), fipd=FIPD.hex) == 1
    assert tally.spanning(FIPD_INVOLVED, months((2026, 4), (2026, 12)), fipd=FIPD.hex) == 0
    # Still ongoing: never counted as ended.
    assert tally.total("action_ended", months((2026, 1), (2026, 12))) == 0


def test_review_punctuality_counts_each_date_reached():
    case = a_case(followed_at=utc(2026, 1, 2), closed_at=utc(2026, 9, 1, 9))
    decisions = [a_decision(utc(2026, 1, 2), date(2026, 2, 1)),
                 a_decision(utc(2026, 1, 31, 23, 30), date(2026, 3, 1)),  # 1 February in Paris: on time
                 a_decision(utc(2026, 3, 2), date(2026, 9, 1)),  # late for 1 March
                 a_decision(utc(2026, 8, 1), date(2026, 10, 1))]  # on time for 1 September
    found = sorted((f.month, parse(f.dimension)["on_time"]) for f in facts(case, [], decisions, [], TODAY)
                   if f.metric == "review_due")
    # 1 September: the decision of 1 August came before it. 1 October: the situation was
    # closed first, nothing was due any more.
    assert found == [(date(2026, 2, 1), "1"), (date(2026, 3, 1), "0"), (date(2026, 9, 1), "1")]
    not_yet = a_case(followed_at=utc(2026, 1, 2))
    assert [f for f in facts(not_yet, [], [a_decision(utc(2027, 1, 2), date(2027, 2, 1))], [], TODAY)
            if f.metric == "review_due"] == []


def test_information_counts_the_first_record_and_its_delay_and_whether_it_came_before_the_follow_up():
    case = a_case(followed_at=utc(2026, 1, 20))
    records = [InformationRecord(informed_on=date(2026, 1, 25), recorded_at=utc(2026, 1, 25)),
               InformationRecord(informed_on=date(2026, 1, 12), recorded_at=utc(2026, 1, 12))]
    found = {(f.metric, f.dimension, f.month, f.value) for f in facts(case, [], [], records, TODAY)}
    assert {("informed", "", date(2026, 1, 1), 1), ("information_delay_days_sum", "", date(2026, 1, 1), 7),
            ("information_delay_days_count", "", date(2026, 1, 1), 1)} <= found
    assert (FOLLOWED, "informed_before=1;objective=;until=", date(2026, 1, 1), 1) in found


def test_every_fact_is_a_declared_metric_with_a_dimension_of_codes():
    case = a_case(followed_at=utc(2026, 1, 20), closed_at=utc(2026, 6, 1), closing_reason="objectives_met",
                  objective_id=uuid.uuid4())
    found = facts(case, [an_action(date(2026, 2, 1), date(2026, 3, 1)), an_action(date(2026, 5, 1), None, "ongoing")],
                  [a_decision(utc(2026, 1, 20), date(2026, 2, 20))],
                  [InformationRecord(derogation_reason="unreachable", recorded_at=utc(2026, 1, 15))], TODAY)
    assert {f.metric for f in found} <= set(METRICS)
    assert all(re.fullmatch(r"([a-z_]+=[a-z0-9_-]*)?(;[a-z_]+=[a-z0-9_-]*)*", f.dimension) for f in found)


# --- the purge-time counters ---------------------------------------------------------------------------

CODES = re.compile(r"[0-9a-f]{32}|[01]|\d{4}-\d{2}|[a-z_]+|")


def test_counters_hold_codes_and_ids_only(app, db, clock):
    s = reporttest.seed(app, db, clock)
    counters = list(db.scalars(select(ReportCounter)))
    assert {c.group_id for c in counters} == {s.group.id} and len(counters) > 10
    known = set(PURPOSES).union(*(labels(db, name) for name in MAINTAINED_LISTS))
    for c in counters:
        assert c.metric in METRICS and c.month.day == 1
        for key, value in parse(c.dimension).items():
            assert CODES.fullmatch(value), (key, value)
            assert not re.fullmatch(r"[a-z_]+", value) or value in known, value
    dump = " ".join(f"{c.metric} {c.dimension} {c.month} {c.value}" for c in counters)
    for text in [*s.names, s.group.name, s.council.name, "Villefictive", "2026-01-15"]:
        assert text not in dump, text
    assert db.scalars(select(CaseAction).where(CaseAction.case_id == s.cases["c5"].id)).all() == []


def test_a_purge_adds_to_the_counter_of_the_same_group_month_and_dimension(app, db, clock):
    s = reporttest.seed(app, db, clock, purge=False)
    twin = Case(group_id=s.group.id, reference="S-2026-0099", submission_id=uuid.uuid4(), state=CaseState.PROPOSED,
                purpose="first_offence_prevention", referral_origin="school", school_situation="schooled",
                proposed_by=s.members["m1"].id, proposed_at=utc(2026, 1, 28), objective_id=s.objectives["O1"].id)
    db.add(twin)
    db.flush()
    key = (ReportCounter.metric == "proposed", ReportCounter.month == date(2026, 1, 1),
           ReportCounter.dimension == f"objective={s.objectives['O1'].id.hex};purpose=first_offence_prevention")
    for case, expected in ((s.cases["c5"], 1), (twin, 2)):
        retention.purge(s.work(app), case, "closing_delay")
        assert db.scalars(select(ReportCounter.value).where(*key)).one() == expected
