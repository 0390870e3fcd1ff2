"""The facts the reports add up: those of the live situations of some groups, computed now
from their rows (never stored as a copy), plus the counters kept when a situation was
purged (``keep_purged``, called by ``retention.services.purge`` before the rows go).

Both come from ``reports.facts.facts``: a report reads the same before and after a purge.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ccop_cases.cases.models import Case, CaseAction, CaseDecision, CaseState, InformationRecord
from ccop_cases.clock import day
from ccop_cases.reports.facts import GAP, Fact, facts, month, month_code, parse
from ccop_cases.reports.model import Period
from ccop_cases.reports.models import ReportCounter
from ccop_cases.work import Work

Match = str | Collection[str] | Callable[[str], bool]


@dataclass(frozen=True)
class Entry:
    metric: str
    codes: dict[str, str]
    month: date
    value: int


class Tally:
    """Facts summed by (metric, dimension, month), with the reads the builders need."""

    def __init__(self, sums: dict[tuple[str, str, date], int]) -> None:
        self.entries: dict[str, list[Entry]] = defaultdict(list)
        for (metric, dimension, first), value in sums.items():
            self.entries[metric].append(Entry(metric, parse(dimension), first, value))

    def _matching(self, metric: str, match: dict[str, Match]) -> Iterable[Entry]:
        return (e for e in self.entries.get(metric, ()) if all(_fits(e.codes.get(k, ""), m) for k, m in match.items()))

    def total(self, metric: str, period: Period, **match: Match) -> int:
        """The sum of an event's facts in the months of ``period``."""
        return sum(e.value for e in self._matching(metric, match) if period.start <= e.month <= period.end)

    def by(self, metric: str, key: str, period: Period, **match: Match) -> dict[str, int]:
        """The sums of an event's facts in ``period`` by the code of ``key``."""
        found: dict[str, int] = defaultdict(int)
        for e in self._matching(metric, match):
            if period.start <= e.month <= period.end:
                found[e.codes.get(key, "")] += e.value
        return dict(found)

    def spanning(self, metric: str, period: Period, **match: Match) -> int:
        """How many spans meet ``period`` (a person once: their gaps held whole are subtracted)."""
        first, last = month_code(period.start), month_code(period.end)
        met = sum(e.value for e in self._matching(metric, match)
                  if e.month <= period.end and (e.codes["until"] == "" or e.codes["until"] >= first))
        held = sum(e.value for e in self._matching(metric + GAP, match)
                   if e.month >= month(period.start) and e.codes["until"] <= last)
        return met - held

    def codes(self, metric: str, key: str) -> set[str]:
        """The codes of ``key`` the facts of ``metric`` carry (a code no longer listed too)."""
        return {e.codes.get(key, "") for e in self.entries.get(metric, ())}

    def spanning_by(self, metric: str, key: str, period: Period, codes: Iterable[str],
                    **match: Match) -> dict[str, int]:
        return {code: self.spanning(metric, period, **match, **{key: code}) for code in codes}


def _fits(value: str, match: Match) -> bool:
    if isinstance(match, str):
        return value == match
    if callable(match):
        return match(value)
    return value in match


def summed(found: Iterable[Fact]) -> dict[tuple[str, str, date], int]:
    sums: dict[tuple[str, str, date], int] = defaultdict(int)
    for fact in found:
        sums[(fact.metric, fact.dimension, fact.month)] += fact.value
    return sums


def _by_case(rows: Iterable[Any]) -> dict[uuid.UUID, list[Any]]:
    found: dict[uuid.UUID, list[Any]] = defaultdict(list)
    for row in rows:
        found[row.case_id].append(row)
    return found


def live_facts(db: Session, group_ids: Collection[uuid.UUID], today: date) -> list[Fact]:
    """The facts of the groups' situations not purged, as of ``today`` (a Paris day)."""
    live = (Case.group_id.in_(group_ids), Case.state != CaseState.PURGED)
    actions = _by_case(db.scalars(select(CaseAction).join(Case, Case.id == CaseAction.case_id).where(*live)))
    decisions = _by_case(db.scalars(select(CaseDecision).join(Case, Case.id == CaseDecision.case_id).where(*live)))
    records = _by_case(db.scalars(select(InformationRecord).join(Case, Case.id == InformationRecord.case_id)
                                  .where(*live)))
    found: list[Fact] = []
    for case in db.scalars(select(Case).where(*live)):
        found += facts(case, actions[case.id], decisions[case.id], records[case.id], today)
    return found


def load(db: Session, group_ids: Collection[uuid.UUID], today: date) -> Tally:
    """The live situations' facts plus the counters of the purged ones, for these groups."""
    sums = summed(live_facts(db, group_ids, today))
    for counter in db.scalars(select(ReportCounter).where(ReportCounter.group_id.in_(group_ids))):
        sums[(counter.metric, counter.dimension, counter.month)] += counter.value
    return Tally(dict(sums))


# A proposal merged into the situation it duplicated (R9) was never a situation of its own.
NOT_COUNTED = frozenset({"duplicate_merged"})


def keep_purged(work: Work, case: Case, reason: str) -> None:
    """Add the situation's facts to the group's counters, before its rows are erased (same
    transaction): what still goes on ends on the day of the purge."""
    if reason in NOT_COUNTED:
        return
    db, today = work.session, day(work.now())
    found = facts(case, list(db.scalars(select(CaseAction).where(CaseAction.case_id == case.id))),
                  list(db.scalars(select(CaseDecision).where(CaseDecision.case_id == case.id))),
                  list(db.scalars(select(InformationRecord).where(InformationRecord.case_id == case.id))),
                  today, gone=today)
    for (metric, dimension, first), value in sorted(summed(found).items()):
        counter = db.scalar(select(ReportCounter).where(
            ReportCounter.group_id == case.group_id, ReportCounter.month == first, ReportCounter.metric == metric,
            ReportCounter.dimension == dimension))
        if counter is None:
            db.add(ReportCounter(group_id=case.group_id, month=first, metric=metric, dimension=dimension, value=value))
        else:
            counter.value += value
    db.flush()
