"""The decision function, as a table over every rule and the order of checks."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from apptest import decided, make_account, make_governance

from ccop_cases.charter import services as charter


def _setup(app, clock, mutate):
    """A constituted group, one signed active member; ``mutate`` changes one thing."""
    gov = make_governance(app)
    member = make_account(app, "membre.table")
    membership = gov.designate(member)
    gov.sign_all(membership)
    mutate(gov, membership, clock)
    gov.session.commit()
    return gov, member, membership


def _nothing(gov, m, clock):
    pass


def _group(status):
    def change(gov, m, clock):
        gov.group.status = status
    return change


def _bump(kind):
    def change(gov, m, clock):
        charter.adopt_text(_work(gov), gov.group, kind=kind, text=f"{kind} v2", adopted_on=date(2026, 2, 1))
    return change


def _work(gov):
    from apptest import setup_work
    return setup_work(gov.app, gov.session)


def _status(status):
    def change(gov, m, clock):
        m.status = status
    return change


def _ended(gov, m, clock):
    m.end_date = clock().date() - timedelta(days=1)


def _not_started(gov, m, clock):
    m.start_date = clock().date() + timedelta(days=10)


def _excluded_and_group_suspended(gov, m, clock):
    m.status = "excluded"
    gov.group.status = "suspended"


def _unsigned_and_ended(gov, m, clock):
    _bump("charter")(gov, m, clock)
    _ended(gov, m, clock)


def _charter_and_rules_bumped(gov, m, clock):
    _bump("rules")(gov, m, clock)
    _bump("charter")(gov, m, clock)


TABLE = [
    # (case, change, action, expected rule or None for allowed)
    ("constituted, signed, active", _nothing, "group.exchange", None),
    ("group draft", _group("draft"), "group.exchange", "R1"),
    ("group suspended", _group("suspended"), "group.exchange", "R1"),
    ("group dissolved", _group("dissolved"), "group.exchange", "R1"),
    ("charter version bumped", _bump("charter"), "group.exchange", "R3"),
    ("rules version bumped", _bump("rules"), "group.exchange", "R2"),
    ("both bumped: charter first", _charter_and_rules_bumped, "group.exchange", "R3"),
    ("membership past end date", _ended, "group.exchange", "R4"),
    ("membership not started", _not_started, "group.exchange", "R4"),
    ("suspended member", _status("suspended"), "group.exchange", "R15"),
    ("excluded member", _status("excluded"), "group.exchange", "R15"),
    ("order: group before membership", _excluded_and_group_suspended, "group.exchange", "R1"),
    ("order: membership before charter", _unsigned_and_ended, "group.exchange", "R4"),
    ("view own group even unsigned", _bump("charter"), "group.view", None),
    ("view own group when suspended", _group("suspended"), "group.view", None),
    ("sign when group suspended", _group("suspended"), "group.sign", None),
    ("sign when excluded", _status("excluded"), "group.sign", "R15"),
    ("sign when dissolved", _group("dissolved"), "group.sign", "R1"),
]


@pytest.mark.parametrize("case,change,action,rule", TABLE, ids=[row[0] for row in TABLE])
def test_decision_table(app, clock, case, change, action, rule):
    gov, member, _ = _setup(app, clock, change)
    decision = decided(gov.session, member.person, action, gov.group, now=clock())
    assert decision.allowed is (rule is None)
    assert decision.rule == rule
    if rule:
        assert decision.message and not decision.hide


def test_a_non_member_is_told_nothing_about_the_group(app, clock):
    gov = make_governance(app)
    outsider = make_account(app, "hors.groupe")
    for action in ("group.view", "group.sign", "group.exchange"):
        decision = decided(gov.session, outsider.person, action, gov.group, now=clock())
        assert not decision and decision.hide and decision.rule == "R4"


def test_a_member_of_another_group_is_told_nothing_r22(app, clock):
    gov = make_governance(app)
    other = charter.create_group(_work(gov), gov.council, name="Autre groupe", legal_basis="L132-5",
                                 vocation="thematic", perimeter="", theme="Violences", is_ccop=False,
                                 territory_label="other")
    member = make_account(app, "membre.ailleurs")
    gov.sign_all(gov.designate(member))
    assert decided(gov.session, member.person, "group.exchange", gov.group, now=clock()).allowed
    assert decided(gov.session, member.person, "group.exchange", other, now=clock()).hide


def test_signing_the_new_version_restores_access(app, clock):
    gov, member, membership = _setup(app, clock, _bump("charter"))
    assert decided(gov.session, member.person, "group.exchange", gov.group, now=clock()).rule == "R3"
    gov.sign_all(membership)
    assert decided(gov.session, member.person, "group.exchange", gov.group, now=clock()).allowed


def test_a_new_designation_after_exclusion_readmits(app, clock):
    gov, member, _ = _setup(app, clock, _status("excluded"))
    again = gov.designate(member, reference="ARR-2026-77", start_date=clock().date())
    gov.sign_all(again)
    assert decided(gov.session, member.person, "group.exchange", gov.group, now=clock()).allowed


@pytest.mark.parametrize("flag,action", [("is_charter_admin", "console.manage"), ("is_dpo", "oversight.read")])
def test_platform_duties(app, clock, flag, action, db):
    acct = make_account(app, "duty.test")
    assert decided(db, acct.person, action, now=clock()).rule == "R17"
    setattr(acct.person, flag, True)
    assert decided(db, acct.person, action, now=clock()).allowed


def test_an_account_without_second_factor_is_refused_first(app, clock, db):
    acct = make_account(app, "sans.facteur", enrolled=False)
    assert decided(db, acct.person, "console.manage", now=clock()).rule == "R21"


def test_an_unknown_action_is_an_error_not_an_allowance(app, clock, db, account):
    with pytest.raises(ValueError):
        decided(db, account.person, "case.teleport", now=clock())
