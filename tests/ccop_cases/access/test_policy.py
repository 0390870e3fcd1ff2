"""The decision function as a table of standings: every action under every rule, no database."""

from __future__ import annotations

import re
import uuid
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from ccop_cases.access import policy
from ccop_cases.access.policy import ACTIONS, CASE_ACTIONS, GROUP_ACTIONS, Scope, decide
from ccop_cases.access.standing import Designation, Standing

NOW = datetime(2026, 3, 15, 10, 0, tzinfo=UTC)
MEMBER = Designation(uuid.uuid4(), "member", "active", date(2026, 1, 1), None)
COORDINATOR = replace(MEMBER, role="coordonnateur")
# A signed, active member of a constituted group, named on an open case.
OK = Standing(signed_in=True, found=True, group_id=uuid.uuid4(), group_status="constituted", membership=MEMBER,
              case_state="followed", participant=True)
COORD = replace(OK, membership=COORDINATOR, participant=False)
ADMIN = Standing(signed_in=True, charter_admin=True, presides=True)
DPO = Standing(signed_in=True, dpo=True)


def member(**changes: object) -> Standing:
    return replace(OK, membership=replace(MEMBER, **changes))  # type: ignore[arg-type]


EXCHANGE = ("group.exchange", "group.coordinate", "group.propose_outside", *CASE_ACTIONS)
OPEN_CASE_ACTS = ("case.view", "case.edit", "case.inform", "case.act")


def _rows() -> list[tuple[str, Standing, str, str | None]]:
    """(case, standing, action, expected rule or None when allowed)."""
    rows: list[tuple[str, Standing, str, str | None]] = []
    for action in ACTIONS:  # R21 comes before anything
        rows.append(("signed out", Standing(signed_in=False), action, "R21"))
    rows += [
        ("no duty: console", Standing(signed_in=True), "console.manage", "R17"),
        ("charter admin", ADMIN, "console.manage", None),
        ("another president's council", replace(ADMIN, presides=False), "console.manage", "R17"),
        ("no duty: oversight", Standing(signed_in=True, charter_admin=True), "oversight.read", "R17"),
        ("DPO", DPO, "oversight.read", None),
        ("trail without a fresh code", DPO, "oversight.trail", "R21"),
        ("trail with a fresh code", replace(DPO, fresh_code=True), "oversight.trail", None),
        ("trail, not DPO", Standing(signed_in=True, fresh_code=True), "oversight.trail", "R17"),
        ("designate someone", ADMIN, "console.designate", None),
        ("designate oneself coordonnateur", replace(ADMIN, designates_self_coordinator=True), "console.designate",
         "R17"),
        ("designate, not admin", Standing(signed_in=True, designates_self_coordinator=False), "console.designate",
         "R17"),
        ("designate in another's council", replace(ADMIN, presides=False), "console.designate", "R17"),
        ("group report, presiding admin", replace(ADMIN, found=True), "report.group", None),
        ("group report, another president's admin, not a member",
         replace(ADMIN, presides=False, found=True), "report.group", "R4"),
        ("group report, coordonnateur", COORD, "report.group", None),
        ("group report, member", OK, "report.group", "R4"),
        ("group report, coordonnateur of a suspended group", replace(COORD, group_status="suspended"),
         "report.group", "R1"),
        ("group report, coordonnateur who has not signed", replace(COORD, unsigned=("charter", 2)),
         "report.group", "R3"),
        ("group report, not designated", replace(OK, membership=None, participant=False), "report.group", "R4"),
    ]
    for action in (*GROUP_ACTIONS, *CASE_ACTIONS):  # out of reach: R4, hidden
        rows.append(("no such object", Standing(signed_in=True), action, "R4"))
        rows.append(("not designated", replace(OK, membership=None, participant=False), action, "R4"))
    for action in EXCHANGE:
        for status in ("draft", "suspended", "dissolved"):
            rows.append((f"group {status}", replace(COORD, group_status=status), action, "R1"))
        rows.append(("charter to sign", replace(COORD, unsigned=("charter", 2)), action, "R3"))
        rows.append(("rules to sign", replace(COORD, unsigned=("rules", 2)), action, "R2"))
        rows.append(("excluded", replace(COORD, membership=replace(COORDINATOR, status="excluded")), action, "R15"))
        rows.append(("suspended", replace(COORD, membership=replace(COORDINATOR, status="suspended")), action, "R15"))
        rows.append(("designation ended", replace(COORD, membership=replace(COORDINATOR, end_date=date(2026, 3, 1))),
                     action, "R4"))
        rows.append(("designation not started",
                     replace(COORD, membership=replace(COORDINATOR, start_date=date(2026, 4, 1))), action, "R4"))
        rows.append(("order: group before membership",
                     replace(COORD, group_status="suspended", membership=replace(COORDINATOR, status="excluded")),
                     action, "R1"))
        ended = replace(COORDINATOR, end_date=date(2026, 3, 1))
        rows.append(("order: membership before texts", replace(COORD, unsigned=("charter", 2), membership=ended),
                     action, "R4"))
        rows.append(("coordonnateur", COORD, action, None))
    rows += [
        ("view own group unsigned", replace(OK, unsigned=("charter", 2)), "group.view", None),
        ("view own group suspended", replace(OK, group_status="suspended"), "group.view", None),
        ("view own group when excluded", member(status="excluded"), "group.view", None),
        ("sign when group suspended", replace(OK, group_status="suspended"), "group.sign", None),
        ("sign when draft", replace(OK, group_status="draft"), "group.sign", None),
        ("sign when dissolved", replace(OK, group_status="dissolved"), "group.sign", "R1"),
        ("sign when excluded", member(status="excluded"), "group.sign", "R15"),
        ("sign when suspended", member(status="suspended"), "group.sign", "R15"),
        ("member exchanges", OK, "group.exchange", None),
        ("member coordinates", OK, "group.coordinate", "R4"),
        ("member proposes outside the perimeter", OK, "group.propose_outside", "R23"),
        ("participant manages", OK, "case.manage", "R4"),
        ("participant follows", OK, "case.follow", "R4"),
        ("coordonnateur follows, family not informed", replace(COORD, missing_information=("la mère",)),
         "case.follow", "R11"),
        ("purged case", replace(OK, case_state="purged"), "case.read_archive", "R10"),
        ("closed case read with a reason", replace(OK, case_state="closed"), "case.read_archive", None),
        ("archived case read with a reason", replace(OK, case_state="archived"), "case.read_archive", None),
        ("closed case, no longer changed", replace(COORD, case_state="closed"), "case.manage", "R10"),
        ("proposed case", replace(OK, case_state="proposed"), "case.view", None),
    ]
    council_dpo = replace(DPO, council_dpo=True)
    rows += [  # the persons' rights (R12)
        ("register, the council's DPO", council_dpo, "rights.manage", None),
        ("register, another council's DPO", DPO, "rights.manage", "R12"),
        ("register, not a DPO", replace(ADMIN, council_dpo=True), "rights.manage", "R17"),
        ("record without a fresh code", council_dpo, "rights.record", "R21"),
        ("record with a fresh code", replace(council_dpo, fresh_code=True), "rights.record", None),
        ("record, another council's DPO", replace(DPO, fresh_code=True), "rights.record", "R12"),
        ("group's requests, coordonnateur", COORD, "rights.group", None),
        ("group's requests, member", OK, "rights.group", "R4"),
        ("rectify, rectification in progress", replace(COORD, rectification_open=True), "case.rectify", None),
        ("rectify a restricted case", replace(COORD, rectification_open=True, restricted=True), "case.rectify",
         None),
        ("rectify without a request", COORD, "case.rectify", "R12"),
        ("rectify, participant", replace(OK, rectification_open=True), "case.rectify", "R4"),
        ("rectify a closed case", replace(COORD, rectification_open=True, case_state="closed"), "case.rectify",
         "R10"),
        ("restricted case still reads", replace(OK, restricted=True), "case.view", None),
        ("restricted archive still reads", replace(OK, restricted=True, case_state="closed"), "case.read_archive",
         None),
    ]
    for action in policy.CASE_WRITES:  # a restriction freezes every change (R12, GDPR art. 18)
        rows.append(("restricted case", replace(COORD, restricted=True), action, "R12"))
    for action in OPEN_CASE_ACTS:
        rows.append(("participant", OK, action, None))
        rows.append(("closed case", replace(OK, case_state="closed"), action, "R10"))
        rows.append(("purged case", replace(OK, case_state="purged"), action, "R10"))
        rows.append(("member not named on the case", replace(OK, participant=False), action, "R4"))
    return rows


ROWS = _rows()


@pytest.mark.parametrize("case,standing,action,rule", ROWS, ids=[f"{r[2]}: {r[0]}" for r in ROWS])
def test_decision_table(case: str, standing: Standing, action: str, rule: str | None) -> None:
    decision = decide(standing, action, NOW)
    assert decision.allowed is (rule is None), decision
    assert decision.rule == rule
    if rule:
        assert decision.message


def test_the_table_covers_every_action_and_every_rule_the_policy_names() -> None:
    named = set(re.findall(r'"(R\d+)"', Path(policy.__file__).read_text("utf-8")))
    assert {rule for *_, rule in ROWS} - {None} == named
    assert {action for _, _, action, _ in ROWS} == set(ACTIONS)
    for action in ACTIONS:  # each action is both refused and allowed somewhere
        assert {rule is None for _, _, a, rule in ROWS if a == action} == {True, False}, action


@pytest.mark.parametrize("action", [*GROUP_ACTIONS, *CASE_ACTIONS])
def test_out_of_reach_is_hidden_never_explained(action: str) -> None:
    for standing in (Standing(signed_in=True), replace(OK, membership=None, participant=False),
                     replace(OK, participant=False, group_status="suspended")
                     if action.startswith("case.") else replace(OK, membership=None)):
        decision = decide(standing, action, NOW)
        assert not decision and decision.hide and decision.rule == "R4"


def test_a_purged_case_answers_gone_and_a_closed_one_points_to_the_reason_form() -> None:
    assert decide(replace(OK, case_state="purged"), "case.view", NOW).gone
    closed = decide(replace(OK, case_state="closed"), "case.view", NOW)
    assert closed.remedy == "cases.archive_read" and not closed.hide


def test_unsigned_texts_point_to_the_signature_and_name_the_version() -> None:
    decision = decide(replace(OK, unsigned=("charter", 3)), "group.exchange", NOW)
    assert decision.remedy == "charter.sign" and "version 3" in decision.message


def test_the_scope_says_which_situations_an_exchange_reaches() -> None:
    assert decide(OK, "group.exchange", NOW).scope == Scope.OWN
    assert decide(COORD, "group.exchange", NOW).scope == Scope.ALL
    assert decide(COORD, "case.view", NOW).scope == Scope.ALL


def test_a_fresh_code_is_asked_for_on_the_reauthentication_page() -> None:
    assert decide(DPO, "oversight.trail", NOW).remedy == "accounts.reauth"


def test_the_follow_up_refusal_names_who_is_still_to_be_informed() -> None:
    decision = decide(replace(COORD, missing_information=("le père", "la mère")), "case.follow", NOW)
    assert "le père, la mère" in decision.message


def test_an_unknown_action_is_an_error_not_an_allowance() -> None:
    with pytest.raises(ValueError):
        decide(OK, "case.teleport", NOW)


def test_decide_needs_no_database_nor_application() -> None:
    import ast

    tree = ast.parse(Path(policy.__file__).read_text("utf-8"))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not {m for m in imported if m and m.split(".")[0] in {"sqlalchemy", "flask", "werkzeug"}}


def test_the_day_is_the_day_in_paris_not_in_utc() -> None:
    """A designation ending on the 15th has ended at 00:30 in Paris on the 16th, although it
    is still the 15th in UTC (23:30Z); in summer, 22:30Z is already the next day too."""
    ends_15 = member(end_date=date(2026, 3, 15))
    assert decide(ends_15, "group.exchange", datetime(2026, 3, 15, 22, 59, tzinfo=UTC))
    refused = decide(ends_15, "group.exchange", datetime(2026, 3, 15, 23, 30, tzinfo=UTC))
    assert not refused and refused.rule == "R4" and "15/03/2026" in refused.message
    ends_june = member(end_date=date(2026, 6, 15))
    assert not decide(ends_june, "group.exchange", datetime(2026, 6, 15, 22, 30, tzinfo=UTC))
