"""What one situation contributes to the reports: the one definition of every count.

``facts`` turns a case and its actions, decisions and information records into a list of
``Fact``: a metric, a dimension of codes and ids (never a name, a reference, a date of birth
or a free text) and the first day of the Paris month of the event. The reports add up the
facts of the live cases (``reports.tally``) and, for the cases purged since, the counters
kept at purge time, which are these same facts summed (``reports.tally.keep_purged``): one
code path, so a report reads the same before and after a purge.

Two kinds of metric:

- an **event** counts in the month it happened (a proposal, a closing, an action started);
  a measure that is not a count is stored as two events, ``…_sum`` (days) and ``…_count``,
  so that means are computed from sums at report time and stay right when months add up;
- a **span** (``SPANS``) is a stretch of months a person was followed or involved: its fact
  is dated by its first month and its dimension's ``until`` holds its last month (``""``
  while it goes on). A person counts once in a period if any of their spans meets it: the
  spans of one person are merged, and each gap between two of them is a ``…_gap`` fact
  that the report subtracts when the period holds both of its ends.

See docs/reports.md, « Définitions des indicateurs ».
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from ccop_cases.cases.models import Case, CaseAction, CaseDecision, InformationRecord
from ccop_cases.clock import day
from ccop_cases.plans.services import ONGOING

# Spans: a person counted once in a period when one of their spans meets it.
FOLLOWED = "followed"  # a situation followed (from the start of the follow-up to its closing)
FIPD_INVOLVED = "fipd_involved"  # a young person in an action funded by one FIPD action
FIPD_ACTIVE = "fipd_action_active"  # an action funded by the FIPD, running (one per action)
SPANS = (FOLLOWED, FIPD_INVOLVED, FIPD_ACTIVE)
GAP = "_gap"

METRICS = {
    "proposed": "a situation proposed (purpose, objective)",
    "closed": "a situation closed (purpose, reason, objective, fipd: had an action funded by the FIPD)",
    FOLLOWED: "span: a situation followed (objective, informed_before: family informed or derogation first)",
    "informed": "a family first informed (month of the first information)",
    "information_delay_days_sum": "days from the proposal to the first information",
    "information_delay_days_count": "situations in the sum above",
    "derogation": "a first derogation to the information recorded",
    "review_due": "a review date reached (fipd, on_time: a later decision on or before it)",
    "action_started": "an action started (type, fipd action, objective)",
    "action_ended": "an action ended with its outcome (type, outcome, fipd action, objective)",
    "young_with_action": "a followed situation's first action of a type in a calendar year (type, objective)",
    FIPD_ACTIVE: "span: an action funded by one FIPD action, by its outcome",
    FIPD_INVOLVED: "span: a young person in actions funded by one FIPD action",
    FIPD_INVOLVED + GAP: "a gap between two spans above (subtracted)",
    "fipd_delay_days_sum": "days from the proposal to the first action funded by the FIPD",
    "fipd_delay_days_count": "situations in the sum above",
}


@dataclass(frozen=True)
class Fact:
    metric: str  # a key of METRICS
    dimension: str  # "key=code;key=code" (sorted keys): codes and ids only
    month: date  # the first day of the Paris month of the event (of a span: its first month)
    value: int = 1


def month(moment: date) -> date:
    """The first day of ``moment``'s month (a Paris day: ``clock.day`` of a datetime)."""
    return moment.replace(day=1)


def month_code(moment: date) -> str:
    return f"{moment:%Y-%m}"


def dimension(**codes: str) -> str:
    """The dimension of a fact: ``key=code`` pairs in key order (a code holds no ``;`` nor ``=``)."""
    return ";".join(f"{key}={value}" for key, value in sorted(codes.items()))


def parse(dimension_text: str) -> dict[str, str]:
    return dict(pair.split("=", 1) for pair in dimension_text.split(";") if pair)


def ident(value: uuid.UUID | None) -> str:
    """An id as it sits in a dimension (32 hex digits), or ``""``."""
    return value.hex if value is not None else ""


def facts(case: Case, actions: Sequence[CaseAction], decisions: Sequence[CaseDecision],
          records: Sequence[InformationRecord], today: date, *, gone: date | None = None) -> list[Fact]:
    """Every fact of one situation as of ``today`` (a Paris day).

    ``gone``: the day the situation's data is erased (its purge): what still goes on ends
    there, since nothing of it can be counted later. None for a live situation."""
    funded = any(a.fipd_action_id is not None for a in actions)
    found = [*_situation(case, records, gone, funded), *_reviews(case, decisions, today, funded)]
    for action in actions:
        found.extend(_action(case, action))
    found.extend(_with_action(case, actions))
    found.extend(_fipd(case, actions, gone))
    return found


def _situation(case: Case, records: Sequence[InformationRecord], gone: date | None, funded: bool) -> list[Fact]:
    proposed, objective = day(case.proposed_at), ident(case.objective_id)
    found = [Fact("proposed", dimension(purpose=case.purpose, objective=objective), month(proposed))]
    closed = day(case.closed_at) if case.closed_at is not None else None
    if closed is not None:
        found.append(Fact("closed", dimension(purpose=case.purpose, reason=case.closing_reason or "",
                                              objective=objective, fipd="1" if funded else "0"), month(closed)))
    informed = min((r.informed_on for r in records if r.informed_on is not None), default=None)
    derogated = min((day(r.recorded_at) for r in records if r.derogation_reason is not None), default=None)
    if case.followed_at is not None:
        followed = day(case.followed_at)
        first = min((d for d in (informed, derogated) if d is not None), default=None)
        before = "1" if first is not None and first <= followed else "0"
        found.append(Fact(FOLLOWED, dimension(objective=objective, informed_before=before,
                                              until=_until(closed or gone)), month(followed)))
    if informed is not None:
        delay = max((informed - proposed).days, 0)
        found += [Fact("informed", "", month(informed)),
                  Fact("information_delay_days_sum", "", month(informed), delay),
                  Fact("information_delay_days_count", "", month(informed))]
    if derogated is not None:
        found.append(Fact("derogation", "", month(derogated)))
    return found


def _until(last: date | None) -> str:
    return month_code(last) if last is not None else ""


def _reviews(case: Case, decisions: Sequence[CaseDecision], today: date, funded: bool) -> list[Fact]:
    """A review date reached is on time when a later decision was recorded on or before it; a
    date the situation was closed by (without such a decision) was no longer due."""
    closed = day(case.closed_at) if case.closed_at is not None else None
    found = []
    for decision in decisions:
        due = decision.next_review
        if due is None or due > today:
            continue
        on_time = any(d.recorded_at > decision.recorded_at and day(d.recorded_at) <= due for d in decisions)
        if not on_time and closed is not None and closed <= due:
            continue
        found.append(Fact("review_due", dimension(fipd="1" if funded else "0", on_time="1" if on_time else "0"),
                          month(due)))
    return found


def _objective(case: Case, action: CaseAction) -> str:
    """The objective an action serves: its own, or its situation's."""
    return ident(action.objective_id or case.objective_id)


def _action(case: Case, action: CaseAction) -> list[Fact]:
    kind, fipd, objective = action.action_type, ident(action.fipd_action_id), _objective(case, action)
    found = [Fact("action_started", dimension(type=kind, fipd=fipd, objective=objective), month(action.start_date))]
    if action.end_date is not None and action.outcome != ONGOING:
        found.append(Fact("action_ended", dimension(type=kind, outcome=action.outcome, fipd=fipd, objective=objective),
                          month(action.end_date)))
    return found


def _with_action(case: Case, actions: Sequence[CaseAction]) -> list[Fact]:
    """A followed situation counts once per action type, year and objective: in the month of
    its first action of that type that year (the objectives are yearly)."""
    if case.followed_at is None:
        return []
    first: dict[tuple[str, int, str], date] = {}
    for action in actions:
        key = (action.action_type, action.start_date.year, _objective(case, action))
        first[key] = min(first.get(key, action.start_date), action.start_date)
    return [Fact("young_with_action", dimension(type=kind, objective=objective), month(start))
            for (kind, _year, objective), start in sorted(first.items())]


def _last_day(case: Case, action: CaseAction, gone: date | None) -> date | None:
    """The last day an action runs: its (planned) end, or its situation's closing or erasure
    when earlier or when it has none; None while it goes on."""
    ends = [d for d in (action.end_date, day(case.closed_at) if case.closed_at is not None else None, gone)
            if d is not None]
    return max(min(ends), action.start_date) if ends else None


def _fipd(case: Case, actions: Sequence[CaseAction], gone: date | None) -> list[Fact]:
    found: list[Fact] = []
    by_fipd: dict[uuid.UUID, list[CaseAction]] = {}
    for action in actions:
        if action.fipd_action_id is not None:
            by_fipd.setdefault(action.fipd_action_id, []).append(action)
    proposed = day(case.proposed_at)
    first_funded = min((a for a in actions if a.fipd_action_id is not None),
                       key=lambda a: (a.start_date, a.recorded_at), default=None)
    if first_funded is not None:
        key, start = dimension(fipd=ident(first_funded.fipd_action_id)), first_funded.start_date
        found += [Fact("fipd_delay_days_sum", key, month(start), max((start - proposed).days, 0)),
                  Fact("fipd_delay_days_count", key, month(start))]
    for fipd_id, funded in sorted(by_fipd.items()):
        spans = []
        for action in funded:
            last = _last_day(case, action, gone)
            found.append(Fact(FIPD_ACTIVE, dimension(fipd=fipd_id.hex, outcome=action.outcome, until=_until(last)),
                              month(action.start_date)))
            spans.append((month(action.start_date), month(last) if last is not None else None))
        found.extend(_spans(FIPD_INVOLVED, dimension(fipd=fipd_id.hex), spans))
    return found


def _spans(metric: str, key: str, spans: list[tuple[date, date | None]]) -> list[Fact]:
    """One person's spans (first month, last month or None: goes on), merged when they meet
    or touch, as span facts and a gap fact between each two (dated by the earlier one's end)."""
    merged: list[tuple[date, date | None]] = []
    for first, last in sorted(spans, key=lambda span: span[0]):
        if merged and (merged[-1][1] is None or _next(merged[-1][1]) >= first):
            start, end = merged[-1]
            merged[-1] = (start, None if end is None or last is None else max(end, last))
        else:
            merged.append((first, last))
    found = [Fact(metric, f"{key};until={_until(last)}", first) for first, last in merged]
    for (_, last), (following, _) in itertools.pairwise(merged):
        if last is not None:  # always: only the latest span may go on
            found.append(Fact(metric + GAP, f"{key};until={month_code(following)}", last))
    return found


def _next(first_of_month: date) -> date:
    return date(first_of_month.year + first_of_month.month // 12, first_of_month.month % 12 + 1, 1)
